"""Prometheus metrics, read from the database (and the broker) at scrape time.

Nothing is counted in process memory: every gunicorn worker answers the same numbers, and a
restart loses nothing. :class:`Collector` is a ``prometheus_client`` custom collector; each scrape
builds one (``web.metrics``) around a database session. What each metric means:

Per monitor (labels ``id``, ``name``, ``type``, ``location`` = ``server`` or the agent's name):

- ``onlinetracker_monitor_status{status}``: 1 for the current status (as the API shows it, so
  ``stale`` when the location fell silent), 0 for the others of ok/degraded/down/stale/unknown.
- ``onlinetracker_monitor_enabled``: 1 unless paused.
- ``onlinetracker_monitor_status_since_timestamp_seconds``: when the stored status began.
- ``onlinetracker_monitor_last_check_timestamp_seconds``, ``onlinetracker_monitor_latency_seconds``:
  the last result's time and latency.
- ``onlinetracker_monitor_checks_24h{status}``: results of the last 24 hours by status, from the
  15-minute rollups (the 96 buckets up to now, the current one partly filled). A gauge over a sliding
  window, not a counter: rollups are purged, so a running total would go down.
- ``onlinetracker_monitor_certificate_days_left``: SSL monitors, from the last check that read
  the certificate.

Pipeline:

- ``onlinetracker_checks_scheduled_5m``: server check slots of the last 5 minutes, what beat's
  dispatch had to send (computed from the schedule; dispatch counts nothing).
- ``onlinetracker_check_results_5m{source}``: results recorded with ``checked_at`` in the last
  5 minutes, ``source`` = ``server`` or ``agent``.
- ``onlinetracker_check_lag_seconds``: gauge histogram of ``checked_at - slot_at`` of the results of
  the last 5 minutes (how late checks start).
- ``onlinetracker_scheduler_dispatched_until_timestamp_seconds``: how far beat has enqueued checks
  (normally 5–10 s ahead of now; behind now means beat is not dispatching).
- ``onlinetracker_queue_messages{queue}``: messages waiting in the ``checks`` and ``alerts`` queues
  (Redis ``LLEN`` of the queue's keys, every priority, under ``REDIS_KEY_PREFIX``; with the embedded
  broker, the message files in ``DATA_DIR/broker``). ``onlinetracker_broker_unacked_messages``: Redis
  only, messages handed to a worker and not yet acknowledged (running, or waiting for their countdown).
  ``onlinetracker_broker_up``: 0 when Redis could not be read (the queue metrics are then left out).
- ``onlinetracker_alert_deliveries{channel, state}``: alert events per channel (``webhook``, ``email``)
  and delivery state (``pending``, ``sent``, ``failed``, ``skipped``) among those kept.
  ``onlinetracker_alert_oldest_pending_timestamp_seconds``: creation time of the oldest event still
  pending (absent when none is).
- ``onlinetracker_agent_online{id, name}`` (approved agents: 0 once offline) and
  ``onlinetracker_agent_last_seen_timestamp_seconds``.

Workers are not reported: nothing records which workers run, and asking them (Celery's
``inspect().ping()``) takes a second or more per scrape. ``onlinetracker_check_results_5m{source="server"}``
falling while checks are scheduled is the honest sign that workers are missing.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared import schedule
from shared.buckets import bucket_start
from shared.config import Config
from shared.models import (
    CURRENT_STATE,
    SERVER,
    Agent,
    AlertDelivery,
    AlertEvent,
    CheckResult,
    Monitor,
    MonitorState,
    Rollup,
    SchedulerState,
)
from shared.staleness import effective_status

PREFIX = "onlinetracker"
STATUSES = ("ok", "degraded", "down", "stale", "unknown")
CHECK_STATUSES = ("ok", "degraded", "down")
QUEUES = ("checks", "alerts")
RECENT = timedelta(minutes=5)
LAG_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
ROLLUP_RESOLUTION = 900
#: kombu's Redis transport: priorities 3, 6, 9 go to ``<queue>\x06\x16<n>`` (0 to the queue itself).
KOMBU_PRIORITY_SEP = "\x06\x16"
KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)
MONITOR_LABELS = ("id", "name", "type", "location")


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _gauge(name: str, doc: str, labels=()) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=list(labels))


class Collector:
    """One scrape's metrics; ``collect()`` runs the queries."""

    def __init__(self, session: Session, config: Config, now: datetime):
        self.session = session
        self.config = config
        self.now = now

    def collect(self):
        yield from self._monitors()
        yield from self._pipeline()
        yield from self._broker()
        yield from self._alerts()
        yield from self._agents()

    # --- per monitor -------------------------------------------------------------------------

    def _monitors(self):
        rows = self.session.execute(
            select(
                Monitor.id,
                Monitor.name,
                Monitor.type,
                Monitor.enabled,
                Monitor.agent_id,
                Monitor.interval_seconds,
                Monitor.timeout_seconds,
                Monitor.updated_at,
                MonitorState.status,
                MonitorState.since,
                MonitorState.last_checked_at,
                MonitorState.last_latency_ms,
                Agent.name,
            )
            .outerjoin(MonitorState, CURRENT_STATE)
            .outerjoin(Agent, Agent.id == Monitor.agent_id)
            .order_by(Monitor.id)
        ).all()
        status = _gauge(
            "monitor_status",
            "1 for the monitor's current status, 0 for the others",
            MONITOR_LABELS + ("status",),
        )
        enabled = _gauge("monitor_enabled", "1 unless the monitor is paused", MONITOR_LABELS)
        since = _gauge(
            "monitor_status_since_timestamp_seconds", "When the stored status began", MONITOR_LABELS
        )
        last = _gauge("monitor_last_check_timestamp_seconds", "Time of the last result", MONITOR_LABELS)
        latency = _gauge("monitor_latency_seconds", "Latency of the last result", MONITOR_LABELS)
        checks = _gauge(
            "monitor_checks_24h",
            "Results of the last 24 hours by status (15-minute rollups)",
            MONITOR_LABELS + ("status",),
        )
        days = _gauge(
            "monitor_certificate_days_left",
            "SSL monitors: days until the certificate expires, from the last check that read it",
            MONITOR_LABELS,
        )
        counts = self._checks_24h()
        cert_days = self._certificate_days()
        for (
            mid,
            name,
            mtype,
            on,
            agent_id,
            interval,
            timeout,
            changed,
            state,
            began,
            checked,
            ms,
            agent,
        ) in rows:
            location = SERVER if agent_id is None else (agent or f"agent {agent_id}")
            labels = [str(mid), name, mtype, location]
            current = effective_status(state, on, checked, changed, interval, timeout, self.now, mtype)
            for value in STATUSES + ((current,) if current not in STATUSES else ()):
                status.add_metric(labels + [value], 1.0 if value == current else 0.0)
            enabled.add_metric(labels, 1.0 if on else 0.0)
            if began is not None and state is not None:
                since.add_metric(labels, _ts(began))
            if checked is not None:
                last.add_metric(labels, _ts(checked))
            if ms is not None:
                latency.add_metric(labels, ms / 1000.0)
            by_status = counts.get(mid, {})
            for value in CHECK_STATUSES:
                checks.add_metric(labels + [value], float(by_status.get(value, 0)))
            if mid in cert_days:
                days.add_metric(labels, float(cert_days[mid]))
        yield from (status, enabled, since, last, latency, checks, days)

    def _checks_24h(self) -> dict[int, dict[str, int]]:
        first = bucket_start(self.now, ROLLUP_RESOLUTION) - timedelta(seconds=ROLLUP_RESOLUTION * 95)
        rows = self.session.execute(
            select(Rollup.monitor_id, func.sum(Rollup.ok), func.sum(Rollup.degraded), func.sum(Rollup.down))
            .where(Rollup.resolution == ROLLUP_RESOLUTION, Rollup.bucket_start >= first)
            .group_by(Rollup.monitor_id)
        ).all()
        return {mid: {"ok": ok or 0, "degraded": dg or 0, "down": dn or 0} for mid, ok, dg, dn in rows}

    def _certificate_days(self) -> dict[int, int]:
        # One indexed look-up per SSL monitor (monitor_id, checked_at), on PostgreSQL and SQLite alike.
        latest = (
            select(CheckResult.days_left)
            .where(CheckResult.monitor_id == Monitor.id, CheckResult.days_left.is_not(None))
            .order_by(CheckResult.checked_at.desc())
            .limit(1)
            .correlate(Monitor)
            .scalar_subquery()
        )
        rows = self.session.execute(select(Monitor.id, latest).where(Monitor.type == "ssl")).all()
        return {mid: days for mid, days in rows if days is not None}

    # --- pipeline ----------------------------------------------------------------------------

    def _pipeline(self):
        since = self.now - RECENT
        scheduled = _gauge(
            "checks_scheduled_5m", "Server check slots of the last 5 minutes (from the schedule)"
        )
        start, end = since.timestamp(), self.now.timestamp()
        monitors = self.session.execute(
            select(Monitor.id, Monitor.interval_seconds).where(
                Monitor.enabled.is_(True), Monitor.agent_id.is_(None), Monitor.type != "heartbeat"
            )
        ).all()
        scheduled.add_metric(
            [], float(sum(len(schedule.slots_between(m, i, start, end)) for m, i in monitors))
        )
        yield scheduled

        results = _gauge(
            "check_results_5m", "Results recorded with checked_at in the last 5 minutes", ("source",)
        )
        source = func.coalesce(CheckResult.agent_id, 0) == 0
        rows = self.session.execute(
            select(source, func.count()).where(CheckResult.checked_at >= since).group_by(source)
        ).all()
        by_source = {SERVER: 0, "agent": 0}
        for is_server, count in rows:
            by_source[SERVER if is_server else "agent"] += count
        for name, count in by_source.items():
            results.add_metric([name], float(count))
        yield results

        lags = sorted(
            max(0.0, (checked - slot).total_seconds())
            for checked, slot in self.session.execute(
                select(CheckResult.checked_at, CheckResult.slot_at).where(
                    CheckResult.checked_at >= since, CheckResult.slot_at.is_not(None)
                )
            )
        )
        buckets, i = [], 0
        for bound in LAG_BUCKETS:
            while i < len(lags) and lags[i] <= bound:
                i += 1
            buckets.append((str(bound), float(i)))
        buckets.append(("+Inf", float(len(lags))))
        lag = GaugeHistogramMetricFamily(
            f"{PREFIX}_check_lag_seconds",
            "checked_at - slot_at of the results of the last 5 minutes",
            buckets=buckets,
            gsum_value=float(sum(lags)),
        )
        yield lag

        watermark = self.session.get(SchedulerState, "dispatched_until")
        if watermark is not None:
            dispatched = _gauge(
                "scheduler_dispatched_until_timestamp_seconds", "How far beat has enqueued server checks"
            )
            dispatched.add_metric([], float(watermark.value))
            yield dispatched

    # --- broker ------------------------------------------------------------------------------

    def _broker(self):
        queued = _gauge("queue_messages", "Messages waiting in the queue", ("queue",))
        up = _gauge("broker_up", "1 when the broker's queues could be read")
        if self.config.embedded:
            # kombu's filesystem transport: one file per message, named <time>_<uuid>.<queue>.msg.
            folder = self.config.data_dir / "broker"
            counts = dict.fromkeys(QUEUES, 0)
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        for queue in QUEUES:
                            if entry.name.endswith(f".{queue}.msg"):
                                counts[queue] += 1
            except OSError:
                up.add_metric([], 0.0)
                yield up
                return
            up.add_metric([], 1.0)
            for queue, count in counts.items():
                queued.add_metric([queue], float(count))
            yield from (up, queued)
            return
        import redis

        prefix = os.environ.get("REDIS_KEY_PREFIX", "")
        unacked = _gauge("broker_unacked_messages", "Messages delivered to a worker and not yet acknowledged")
        try:
            client = redis.Redis.from_url(self.config.redis_url, socket_timeout=2, socket_connect_timeout=2)
            with client.pipeline(transaction=False) as pipe:
                for queue in QUEUES:
                    for step in KOMBU_PRIORITY_STEPS:
                        pipe.llen(
                            f"{prefix}{queue}{KOMBU_PRIORITY_SEP}{step}" if step else f"{prefix}{queue}"
                        )
                pipe.hlen(f"{prefix}unacked")
                replies = pipe.execute()
            client.close()
        except Exception:  # any redis error: the broker is unreadable, say so rather than fail the scrape
            up.add_metric([], 0.0)
            yield up
            return
        up.add_metric([], 1.0)
        steps = len(KOMBU_PRIORITY_STEPS)
        for n, queue in enumerate(QUEUES):
            queued.add_metric([queue], float(sum(replies[n * steps : (n + 1) * steps])))
        unacked.add_metric([], float(replies[-1]))
        yield from (up, queued, unacked)

    # --- alerts and agents -------------------------------------------------------------------

    def _alerts(self):
        deliveries = _gauge(
            "alert_deliveries", "Alert deliveries by kind of channel and delivery state", ("channel", "state")
        )
        counts = {
            (kind, state): n
            for kind, state, n in self.session.execute(
                select(AlertDelivery.kind, AlertDelivery.state, func.count()).group_by(
                    AlertDelivery.kind, AlertDelivery.state
                )
            )
        }
        for kind in sorted({"webhook", "email", "apprise", *(k for k, _ in counts)}):
            for state in sorted({"pending", "sent", "failed", "skipped", *(s for _, s in counts)}):
                deliveries.add_metric([kind, state], float(counts.get((kind, state), 0)))
        yield deliveries
        oldest = self.session.scalar(
            select(func.min(AlertEvent.created_at))
            .join(AlertDelivery, AlertDelivery.event_id == AlertEvent.id)
            .where(AlertDelivery.state == "pending")
        )
        if oldest is not None:
            pending = _gauge(
                "alert_oldest_pending_timestamp_seconds", "Creation time of the oldest undelivered event"
            )
            pending.add_metric([], _ts(oldest))
            yield pending

    def _agents(self):
        online = _gauge(
            "agent_online", "1 while an approved agent reports, 0 once it is offline", ("id", "name")
        )
        seen = _gauge(
            "agent_last_seen_timestamp_seconds", "When the agent was last heard from", ("id", "name")
        )
        rows = self.session.execute(
            select(Agent.id, Agent.name, Agent.last_seen_at, Agent.offline_since)
            .where(Agent.approved.is_(True))
            .order_by(Agent.id)
        ).all()
        for aid, name, last_seen, offline_since in rows:
            labels = [str(aid), name or f"agent {aid}"]
            online.add_metric(labels, 0.0 if offline_since is not None or last_seen is None else 1.0)
            if last_seen is not None:
                seen.add_metric(labels, _ts(last_seen))
        yield from (online, seen)
