"""``onlinetracker run``: start each server process as a child, restart one that dies, stop them all
together.

A child that exits is started again after a backoff: :data:`FIRST_BACKOFF` seconds, doubling with
every exit in a row up to :data:`MAX_BACKOFF`; a child that ran :data:`STABLE_AFTER` seconds or more
starts from the first backoff again. One that keeps dying is retried at the capped backoff for as
long as it takes (a monitor must not go silent), each time with one log line saying so. The other
children keep running meanwhile. SIGTERM or Ctrl-C is passed on to the children, and anything still
running after :data:`GRACE_SECONDS` is killed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.config import Config, redact_url

log = logging.getLogger("onlinetracker.run")
GRACE_SECONDS = 8
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
#: A child that ran at least this long before exiting is restarted after FIRST_BACKOFF again.
STABLE_AFTER = 60.0
#: From this many exits in a row on, a child "keeps failing": said at ERROR level.
FAILING_AFTER = 5
POLL_SECONDS = 0.2


#: The processes ``run`` supervises, each an ``onlinetracker`` subcommand.
ROLES = ("web", "gateway", "worker", "beat")


def backoff(failures: int, first: float = FIRST_BACKOFF, cap: float = MAX_BACKOFF) -> float:
    """Seconds to wait before the restart that follows ``failures`` exits in a row (1, 2, 3, ...)."""
    return min(cap, first * 2 ** max(0, failures - 1))


@dataclass
class _Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def supervise(
    commands: Mapping[str, Sequence[str]],
    env: Mapping[str, str],
    stop: threading.Event,
    *,
    first: float = FIRST_BACKOFF,
    cap: float = MAX_BACKOFF,
    stable_after: float = STABLE_AFTER,
    grace: float = GRACE_SECONDS,
) -> None:
    """Run each command as a child until ``stop`` is set, restarting any that exits; then stop
    them all (SIGTERM, then SIGKILL after ``grace`` seconds)."""
    children = [_Child(name, list(argv)) for name, argv in commands.items()]

    def start(child: _Child) -> None:
        # New process group: Ctrl-C in a terminal reaches only us, and we stop the children in order.
        child.proc = subprocess.Popen(child.argv, env=dict(env), start_new_session=True)
        child.started = time.monotonic()
        child.restart_at = None

    for child in children:
        start(child)
    try:
        while not stop.is_set():
            now = time.monotonic()
            for child in children:
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        start(child)
                    continue
                code = child.proc.poll()
                if code is None:
                    continue
                _reap_group(child.proc)
                ran = now - child.started
                child.failures = 1 if ran >= stable_after else child.failures + 1
                delay = backoff(child.failures, first, cap)
                child.restart_at = now + delay
                if child.failures >= FAILING_AFTER:
                    log.error(
                        "%s exited with code %s after %.1f s, the %s time in a row: it keeps failing "
                        "(see its log above); restarting it in %g s, and every %g s at most until it stays up",
                        child.name,
                        code,
                        ran,
                        _ordinal(child.failures),
                        delay,
                        cap,
                    )
                else:
                    log.warning(
                        "%s exited with code %s after %.1f s; restarting it in %g s",
                        child.name,
                        code,
                        ran,
                        delay,
                    )
            stop.wait(POLL_SECONDS)
    finally:
        _stop_all(children, grace)


def _reap_group(proc: subprocess.Popen) -> None:
    """Kill what the dead child left behind in its process group (e.g. gunicorn's workers, which
    would hold the port its successor needs)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_all(children: list[_Child], grace: float) -> None:
    running = [c for c in children if c.restart_at is None and c.proc is not None and c.proc.poll() is None]
    for child in running:
        child.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in running:
        try:
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %s s; killing it", child.name, grace)
            os.killpg(child.proc.pid, signal.SIGKILL)
            child.proc.wait()
    for child in running:
        _reap_group(child.proc)


def run_all(config: Config) -> int:
    names = ROLES
    stop = threading.Event()

    def on_signal(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        "OnlineTracker server: starting %s (database %s, broker %s)",
        ", ".join(names),
        redact_url(config.database_url),
        redact_url(config.redis_url) if config.redis_url else f"embedded in {config.data_dir}",
    )
    env = {**os.environ, "DATA_DIR": str(config.data_dir), "ONLINETRACKER_SUPERVISED": "1"}
    supervise({name: [sys.executable, "-m", "onlinetracker", name] for name in names}, env, stop)
    log.info("OnlineTracker server stopped")
    return 0
