"""Celery beat with the check dispatcher built in (``celery beat -S worker.beat:DispatchScheduler``).

Beat must run as one instance. With Redis (``REDIS_URL``) every beat asks for a lease in Redis
(:mod:`worker.lease`): the holder dispatches and runs the periodic jobs and renews the lease at
every tick; any other beat stays wholly passive, logging once whom it waits for, and takes over
within :data:`LEASE_SECONDS` of the holder dying (at once when it stops cleanly and gives the lease
back). This holds behind PgBouncer in transaction pooling mode, where a PostgreSQL session-level
lock would not. Should two beats ever overlap (a holder stalled past its lease), dispatch still
doesn't send a slot twice: each window is taken from the watermark row under ``FOR UPDATE``.
Without Redis (the embedded default) the broker is a folder on this machine and ``onlinetracker
run`` starts exactly one beat, so there is no lease.
"""

from __future__ import annotations

import logging
import math
import os
import time

import redis
from celery.beat import PersistentScheduler
from sqlalchemy.exc import OperationalError

from shared.db import first_line
from shared.timefmt import from_epoch
from worker import alert_queue, context
from worker.dispatch import TICK_SECONDS, dispatch_once, redispatch_missing
from worker.lease import Lease
from worker.watchdog import (
    SWEEP_EVERY_SECONDS,
    announce_after_maintenance,
    judge_heartbeats,
    sweep_silence,
)

log = logging.getLogger("onlinetracker.beat")
#: A beat that stops renewing (killed, frozen, cut off from Redis) is replaced after this long.
LEASE_SECONDS = 15.0
#: Under ``REDIS_KEY_PREFIX``, as Celery's own keys: installs sharing one Redis don't meet.
LEASE_KEY = "onlinetracker:beat-lease"
#: How often a waiting beat asks for the lease.
WAIT_POLL_SECONDS = 1.0
#: After the database was away, results take a while to catch up (workers retry their writes,
#: dispatch catches up): judging silence, late heartbeats or overdue checks before then would
#: alert on, and re-run, checks that are only late.
SETTLE_AFTER_OUTAGE_SECONDS = 90.0


class DispatchScheduler(PersistentScheduler):
    def __init__(self, *args, **kwargs):
        self._next_dispatch = 0.0
        self._next_silence_sweep = 0.0
        self._db_trouble_at = float("-inf")
        self._lease: Lease | None = None
        self._holding = False
        self._waiting_for: str | None = None
        self._redis_trouble = False
        super().__init__(*args, **kwargs)

    def _hold_lease(self) -> bool:
        """Take or renew the lease; True while this beat is the one that dispatches. Logs once
        when it starts waiting (naming the holder), once when it takes the lease."""
        redis_url = context.config().redis_url
        if redis_url is None:
            return True
        if self._lease is None:
            client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
            self._lease = Lease(client, os.environ.get("REDIS_KEY_PREFIX", "") + LEASE_KEY, LEASE_SECONDS)
        try:
            held = self._lease.hold()
            holder = None if held else self._lease.holder()
        except redis.RedisError as exc:
            if not self._redis_trouble:
                log.warning("beat: Redis unreachable (%s); not dispatching until the lease is renewed", exc)
            self._redis_trouble = True
            self._holding = False
            return False
        self._redis_trouble = False
        if held and not self._holding:
            log.info("beat: took the lease (%s); dispatching checks", self._lease.owner.split("#")[0])
        elif not held and holder != self._waiting_for:
            log.warning(
                "beat: waiting for the lease held by %s (beat runs as one instance; this one takes "
                "over within %g s of that one stopping)",
                holder,
                LEASE_SECONDS,
            )
        self._holding = held
        self._waiting_for = holder
        return held

    def _send(
        self, monitor_id: int, slot: float, countdown: float, expires: float, message: dict | None = None
    ) -> None:
        """One ``run_check``; with ``message`` (``dispatch.check_messages``) the worker reads no
        monitor before checking. Re-sent checks go without: the worker reads the monitor."""
        self.app.send_task(
            "worker.run_check",
            args=[monitor_id, slot] if message is None else [monitor_id, slot, message],
            # What logs and Flower show: the ids, not the message (it holds the encrypted password,
            # and Celery's repr of it was 7 % of beat's time at 20,000 monitors).
            argsrepr=f"({monitor_id}, {slot})",
            countdown=countdown,
            expires=from_epoch(expires),
            queue="checks",
        )

    def tick(self, *args, **kwargs):
        """Dispatch every 5 s, and run the periodic jobs, only while holding the lease: a second
        beat stays wholly passive until the first one stops."""
        now = time.time()
        if now < self._next_dispatch:
            return max(0.05, self._next_dispatch - now)
        if not self._hold_lease():
            self._next_dispatch = now + WAIT_POLL_SECONDS
            return WAIT_POLL_SECONDS
        self._next_dispatch = (math.floor(now / TICK_SECONDS) + 1) * TICK_SECONDS
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
        """On a clean stop the lease is given back, so a waiting beat takes over at once."""
        if self._lease is not None and self._holding:
            try:
                if self._lease.release():
                    log.info("beat: gave the lease back")
            except redis.RedisError:
                pass  # it expires by itself
            self._holding = False
        super().close()
