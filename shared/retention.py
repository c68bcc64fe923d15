"""Deleting old results and rollups in batches, so a purge never holds long locks.

Raw results are kept ``RESULT_RETENTION_DAYS`` (default 7), retired a whole day at a time on
PostgreSQL (``shared.partitions``); 15-minute rollups 4 days (the bars show 72 hours); hourly
rollups 35 days (month histogram); daily rollups 800 days (year histogram).
Alert events as long as results but at least 30 days (never one still being sent), unapproved
agents' connection requests 7 days after they were last heard, failed sign-in counts one day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from shared import partitions, throttle
from shared.buckets import DAY, FIFTEEN_MINUTES, HOUR
from shared.models import (
    AgentNonce,
    AlertDelivery,
    AlertEvent,
    AuthSession,
    CheckResult,
    PendingAgent,
    Rollup,
)

BATCH = 5000
#: Alert events are kept at least this long (even with a shorter RESULT_RETENTION_DAYS).
ALERT_MIN_DAYS = 30
#: A connection request nobody approved, from an agent not heard for this long, is dropped.
PENDING_AGENT_KEEP = timedelta(days=7)
ROLLUP_KEEP = {FIFTEEN_MINUTES: timedelta(days=4), HOUR: timedelta(days=35), DAY: timedelta(days=800)}


def _purge_batched(session, model, *where) -> int:
    """Delete ``model`` rows matching ``where`` in batches of :data:`BATCH`, each its own commit."""
    removed = 0
    while True:
        ids = session.scalars(select(model.id).where(*where).limit(BATCH)).all()
        if not ids:
            return removed
        session.execute(delete(model).where(model.id.in_(ids)))
        session.commit()
        removed += len(ids)


def _purge_results(session, now: datetime, keep: timedelta) -> dict[str, int]:
    """On PostgreSQL whole days: the coming days' partitions made, those wholly older than ``keep``
    dropped (a day stays until its last result is that old), and the default partition's old rows
    deleted in batches. Elsewhere (SQLite) rows in batches."""
    cutoff = now - keep
    if not partitions.is_partitioned(session):
        return {"results": _purge_batched(session, CheckResult, CheckResult.checked_at < cutoff)}
    partitions.make_ahead(session, now)
    dropped = partitions.retire(session, cutoff)
    return {"result_days": len(dropped), "results": partitions.purge_default(session, cutoff, BATCH)}


def purge(
    session, now: datetime, keep_results: timedelta, keep_sessions: timedelta = timedelta(days=14)
) -> dict[str, int]:
    removed = _purge_results(session, now, keep_results)
    for resolution, keep in ROLLUP_KEEP.items():
        result = session.execute(
            delete(Rollup).where(Rollup.resolution == resolution, Rollup.bucket_start < now - keep)
        )
        session.commit()
        removed[f"rollups_{resolution}s"] = result.rowcount
    # Nonces older than twice the signature window can't be replayed anyway: the timestamp check
    # refuses those requests before the nonce is looked at.
    result = session.execute(delete(AgentNonce).where(AgentNonce.seen_at < now - timedelta(minutes=10)))
    session.commit()
    removed["agent_nonces"] = result.rowcount
    removed["auth_failures"] = throttle.purge(session)
    # Sessions idle past the longest allowed idle time (SESSION_DAYS is at most 3650) can't be used;
    # the web app refuses them by its own limit, this only keeps the table small.
    result = session.execute(delete(AuthSession).where(AuthSession.last_seen_at < now - keep_sessions))
    session.commit()
    removed["auth_sessions"] = result.rowcount
    # Alert history is kept as long as the results it is about, and never while still being sent.
    removed["alert_events"] = _purge_batched(
        session,
        AlertEvent,
        AlertEvent.created_at < now - max(keep_results, timedelta(days=ALERT_MIN_DAYS)),
        ~select(AlertDelivery.id)
        .where(AlertDelivery.event_id == AlertEvent.id, AlertDelivery.state == "pending")
        .exists(),
    )
    result = session.execute(delete(PendingAgent).where(PendingAgent.last_seen_at < now - PENDING_AGENT_KEEP))
    session.commit()
    removed["pending_agents"] = result.rowcount
    return removed
