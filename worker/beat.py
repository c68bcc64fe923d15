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
        self._lock_warned = False
        self._holding = False
        super().__init__(*args, **kwargs)

    def _hold_single_instance_lock(self) -> bool:
        """Hold a session-level advisory lock on a connection of our own for as long as we run.

        Once held it is only checked to be still there (the connection alive): asking again would
        stack the lock. A lost connection (PostgreSQL restarted) loses the lock, so we try anew.
        """
        engine = context.sessions().kw["bind"]
        if engine.dialect.name != "postgresql":
            return True
        try:
            if self._lock_conn is None:
                self._lock_conn = engine.connect()
            if self._holding:
                self._lock_conn.execute(text("SELECT 1"))
                return True
            got = bool(
                self._lock_conn.execute(
                    text("SELECT pg_try_advisory_lock(:id)"), {"id": _BEAT_LOCK_ID}
                ).scalar()
            )
            self._lock_conn.commit()
        except Exception as exc:  # the connection broke: start over on the next tick
            log.warning("dispatch lock connection lost (%s); retrying", type(exc).__name__)
            self._drop_lock_connection()
            return False
        if not got and not self._lock_warned:
            log.warning("another beat holds the dispatch lock; waiting (beat must run as one instance)")
        elif got and self._lock_warned:
            log.info("took over the dispatch lock; dispatching checks")
        self._lock_warned = not got
        self._holding = got
        return got

    def _drop_lock_connection(self) -> None:
        if self._lock_conn is not None:
            try:
                self._lock_conn.invalidate()
            except Exception:  # already gone
                pass
        self._lock_conn = None
        self._holding = False

    def _send(self, monitor_id: int, slot: float, countdown: float, expires: float) -> None:
        self.app.send_task(
            "worker.run_check",
            args=[monitor_id, slot],
            countdown=countdown,
            expires=from_epoch(expires),
            queue="checks",
        )

    def tick(self, *args, **kwargs):
        """Dispatch every 5 s, and run the periodic jobs, only while holding the lock: a second
        beat stays wholly passive until the first one stops."""
        now = time.time()
        if now < self._next_dispatch:
            return max(0.05, self._next_dispatch - now)
        self._next_dispatch = (math.floor(now / TICK_SECONDS) + 1) * TICK_SECONDS
        if not self._hold_single_instance_lock():
            return max(0.05, self._next_dispatch - time.time())
        try:
            with context.sessions()() as session:
                sent = dispatch_once(session, self._send, now)
            log.debug("dispatched %s checks", sent)
        except Exception:
            log.exception("dispatch failed; retrying next tick")
        remaining = super().tick(*args, **kwargs)
        return min(remaining, max(0.05, self._next_dispatch - time.time()))

    def close(self):
        if self._lock_conn is not None:
            self._lock_conn.close()
        super().close()
