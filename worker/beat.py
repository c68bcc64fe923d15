"""Celery beat with the check dispatcher built in (``celery beat -S worker.beat:DispatchScheduler``).

Beat must run as one instance: on PostgreSQL a session-level advisory lock makes a second beat
wait (logging why) until the first one stops, instead of dispatching every check twice.
"""

from __future__ import annotations

import logging
import math
import time

from celery.beat import PersistentScheduler
from sqlalchemy import text

from shared.timefmt import from_epoch
from worker import context
from worker.dispatch import TICK_SECONDS, dispatch_once

log = logging.getLogger("onlinetracker.beat")
_BEAT_LOCK_ID = 0x0_BEA7_0001


class DispatchScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs):
        self._next_dispatch = 0.0
        self._lock_conn = None
        super().__init__(*args, **kwargs)

    def _hold_single_instance_lock(self) -> bool:
        sessions = context.sessions()
        engine = sessions.kw["bind"]
        if engine.dialect.name != "postgresql":
            return True
        if self._lock_conn is None:
            self._lock_conn = engine.connect()
        got = self._lock_conn.execute(
            text("SELECT pg_try_advisory_lock(:id)"), {"id": _BEAT_LOCK_ID}
        ).scalar()
        self._lock_conn.commit()
        if not got:
            log.warning("another beat holds the dispatch lock; waiting (beat must run as one instance)")
        return bool(got)

    def _send(self, monitor_id: int, slot: float, countdown: float, expires: float) -> None:
        self.app.send_task(
            "worker.run_check",
            args=[monitor_id, slot],
            countdown=countdown,
            expires=from_epoch(expires),
            queue="checks",
        )

    def tick(self, *args, **kwargs):
        remaining = super().tick(*args, **kwargs)
        now = time.time()
        if now >= self._next_dispatch:
            if self._hold_single_instance_lock():
                try:
                    with context.sessions()() as session:
                        sent = dispatch_once(session, self._send, now)
                    log.debug("dispatched %s checks", sent)
                except Exception:
                    log.exception("dispatch failed; retrying next tick")
            self._next_dispatch = (math.floor(now / TICK_SECONDS) + 1) * TICK_SECONDS
        return min(remaining, max(0.05, self._next_dispatch - time.time()))

    def close(self):
        if self._lock_conn is not None:
            self._lock_conn.close()
        super().close()
