"""Per-process database access and cached settings for workers and beat.

Created lazily in each process (after the prefork/thread pool starts), never at import time.
"""

from __future__ import annotations

import threading
import time

from shared import config as config_mod
from shared import settings_store
from shared.db import make_engine, session_factory
from shared.thresholds import Thresholds

_lock = threading.Lock()
_state: dict = {}
SETTINGS_TTL = 5.0


def config() -> config_mod.Config:
    with _lock:
        if "config" not in _state:
            _state["config"] = config_mod.load()
        return _state["config"]


def sessions():
    with _lock:
        if "sessions" not in _state:
            cfg = _state.get("config") or config_mod.load()
            _state["config"] = cfg
            _state["engine"] = make_engine(cfg.database_url)
            _state["sessions"] = session_factory(_state["engine"])
        return _state["sessions"]


def monitoring_defaults(session) -> Thresholds:
    """System thresholds, re-read at most every few seconds: a change in Settings takes effect
    without a restart, without a settings query per check."""
    cached = _state.get("defaults")
    now = time.monotonic()
    if cached is None or now - cached[0] > SETTINGS_TTL:
        cached = (now, settings_store.monitoring_defaults(session))
        _state["defaults"] = cached
    return cached[1]


def reset() -> None:
    with _lock:
        engine = _state.get("engine")
        if engine is not None:
            engine.dispose()
        _state.clear()
