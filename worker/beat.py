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
from sqlalchemy.exc import OperationalError

from shared.db import first_line
from shared.timefmt import from_epoch
from worker import alert_queue, context
from worker.dispatch import TICK_SECONDS, dispatch_once, redispatch_missing
from worker.watchdog import (
    SWEEP_EVERY_SECONDS,
    announce_after_maintenance,
    judge_heartbeats,
    sweep_silence,
)

log = logging.getLogger("onlinetracker.beat")
_BEAT_LOCK_ID = 0x0_BEA7_0001
#: After the database was away, results take a while to catch up (workers retry their writes,
#: dispatch catches up): judging silence, late heartbeats or overdue checks before then would
#: alert on, and re-run, checks that are only late.
SETTLE_AFTER_OUTAGE_SECONDS = 90.0


class DispatchScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs):
        self._next_dispatch = 0.0
        self._next_silence_sweep = 0.0
        self._db_trouble_at = float("-inf")
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
            self._db_trouble_at = time.time()
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
        self._guarded("dispatch", lambda session: dispatch_once(session, self._send, now))
        if now - self._db_trouble_at < SETTLE_AFTER_OUTAGE_SECONDS:
            remaining = super().tick(*args, **kwargs)
            return min(remaining, max(0.05, self._next_dispatch - time.time()))
        self._guarded("re-dispatch", lambda session: redispatch_missing(session, self._send, now))
        late = self._guarded("heartbeats", lambda session: judge_heartbeats(session, from_epoch(now)))
        alert_queue.enqueue(late or [])
        if now >= self._next_silence_sweep:
            self._next_silence_sweep = now + SWEEP_EVERY_SECONDS
            ids = self._guarded("silence sweep", lambda session: sweep_silence(session, from_epoch(now)))
            alert_queue.enqueue(ids or [])
            held = self._guarded(
                "after maintenance", lambda session: announce_after_maintenance(session, from_epoch(now))
            )
            alert_queue.enqueue(held or [])
        remaining = super().tick(*args, **kwargs)
        return min(remaining, max(0.05, self._next_dispatch - time.time()))

    def _guarded(self, what: str, job):
        """Run one of the tick's jobs in its own session; a failure (PostgreSQL away) is one log
        line and the next tick tries again, without stopping the other jobs."""
        try:
            with context.sessions()() as session:
                return job(session)
        except OperationalError as exc:
            self._db_trouble_at = time.time()
            log.warning("%s skipped: database unavailable (%s)", what, first_line(exc))
        except Exception:
            log.exception("%s failed; retrying next tick", what)
        return None

    def close(self):
        if self._lock_conn is not None:
            self._lock_conn.close()
        super().close()
