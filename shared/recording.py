"""Recording a check result: the row, its rollups and the state change, in one transaction.

Idempotent by the result's ``uid``: a redelivered task or a re-sent agent batch inserts nothing
and folds nothing into the rollups a second time. The state changes by compare-and-set, so when
two workers record checks of one monitor at once only one of them sees (and announces) a change.

On PostgreSQL all of it is one statement (:data:`ONE_STATEMENT`, data-modifying CTEs: one round
trip where SQLite's path takes five or six); SQLite keeps the statements one by one. Both give the
same rows and the same :class:`Transition` for the same inputs (tests/test_hot_path.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from shared import maintenance
from shared.buckets import RESOLUTIONS, bucket_start
from shared.checks import CheckResult as Outcome
from shared.dialect import insert as _insert
from shared.models import CheckResult, Monitor, MonitorState, Rollup
from shared.partitions import partition_key
from shared.status import DOWN


class MonitorChanged(Exception):
    """The monitor was edited or deleted since the check was dispatched: nothing was recorded."""


@dataclass(frozen=True)
class Transition:
    """A change of a monitor's state at one location, seen by exactly one recorder."""

    monitor_id: int
    location: int
    old: str
    new: str
    details: str
    days_left: int | None
    at: datetime
    #: Consecutive down results at this location, this one included (0 when not down). A result
    #: that keeps a location down is reported as a down → down "transition" only when this reaches
    #: the monitor's ``confirm_checks``: the moment a confirmed outage is announced.
    streak: int = 0


def _rollup_counts(outcome: Outcome, in_maintenance: bool) -> dict:
    has_latency = outcome.latency_ms is not None
    counted = not in_maintenance
    return {
        "ok": int(counted and outcome.status == "ok"),
        "degraded": int(counted and outcome.status == "degraded"),
        "down": int(counted and outcome.status == "down"),
        "maintenance": int(in_maintenance),
        "latency_sum": outcome.latency_ms if has_latency else 0.0,
        "latency_count": int(has_latency),
    }


def _fold_into_rollups(
    session: Session, monitor_id: int, checked_at: datetime, outcome: Outcome, in_maintenance: bool = False
) -> None:
    """Counted by status; inside a maintenance window as ``maintenance`` instead (neither up nor
    down for uptime). The latency is folded in either way: the check did run."""
    counts = _rollup_counts(outcome, in_maintenance)
    table = Rollup.__table__
    # One statement for the three resolutions: one round trip instead of three per check.
    stmt = _insert(session, table).values(
        [
            {
                "monitor_id": monitor_id,
                "resolution": resolution,
                "bucket_start": bucket_start(checked_at, resolution),
                **counts,
            }
            for resolution in RESOLUTIONS
        ]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["monitor_id", "resolution", "bucket_start"],
        set_={name: getattr(table.c, name) + getattr(stmt.excluded, name) for name in counts},
    )
    session.execute(stmt)


def _change_state(
    session: Session, monitor_id: int, location: int, checked_at: datetime, outcome: Outcome, confirm: int = 1
) -> Transition | None:
    down = outcome.status == DOWN
    latest = {
        "last_checked_at": checked_at,
        "last_latency_ms": outcome.latency_ms,
        "last_details": outcome.details,
    }
    created = session.execute(
        _insert(session, MonitorState.__table__)
        .values(
            monitor_id=monitor_id,
            location=location,
            status=outcome.status,
            since=checked_at,
            ssl_warned=False,
            fail_streak=int(down),
            **latest,
        )
        .on_conflict_do_nothing()
    )
    if created.rowcount == 1:
        old, streak = "unknown", int(down)
    else:
        state = session.execute(
            select(MonitorState.status, MonitorState.last_checked_at, MonitorState.fail_streak).where(
                MonitorState.monitor_id == monitor_id, MonitorState.location == location
            )
        ).one()
        old = state.status
        if state.last_checked_at is not None and state.last_checked_at > checked_at:
            return None  # an older result recorded late: history yes, current state no
        streak = (state.fail_streak or 0) + 1 if down else 0
        values = dict(latest, fail_streak=MonitorState.fail_streak + 1 if down else 0)
        if old != outcome.status:
            values.update(status=outcome.status, since=checked_at)
        changed = session.execute(
            update(MonitorState)
            .where(
                MonitorState.monitor_id == monitor_id,
                MonitorState.location == location,
                MonitorState.status == old,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:
            return None  # another recorder changed it first; its change is the one announced
    return _transition(monitor_id, location, old, streak, checked_at, outcome, confirm)


def _transition(
    monitor_id: int,
    location: int,
    old: str,
    streak: int,
    checked_at: datetime,
    outcome: Outcome,
    confirm: int,
) -> Transition | None:
    """A change of status; or, down → down, the result that brings the streak to ``confirm``."""
    if old == outcome.status and not (outcome.status == DOWN and confirm > 1 and streak == confirm):
        return None
    return Transition(
        monitor_id, location, old, outcome.status, outcome.details, outcome.days_left, checked_at, streak
    )


def record(
    session: Session,
    monitor: Monitor,
    uid: str,
    checked_at: datetime,
    outcome: Outcome,
    agent_id: int | None = None,
    slot_at: datetime | None = None,
    unchanged_since: datetime | None = None,
) -> tuple[bool, Transition | None]:
    """Stage one result; the caller commits. Returns (inserted, transition).

    ``monitor`` needs only ``id`` and ``confirm_checks``. With ``unchanged_since`` (the monitor's
    ``updated_at`` when its check was dispatched) nothing is written, and :class:`MonitorChanged`
    raised, if the monitor was deleted or edited since."""
    confirm = getattr(monitor, "confirm_checks", None) or 1
    if session.get_bind().dialect.name == "postgresql":
        return _record_in_one_statement(
            session, monitor.id, confirm, uid, checked_at, outcome, agent_id, slot_at, unchanged_since
        )
    if unchanged_since is not None:
        updated_at = session.scalar(select(Monitor.updated_at).where(Monitor.id == monitor.id))
        if updated_at != unchanged_since:
            raise MonitorChanged()
    inserted = session.execute(
        _insert(session, CheckResult.__table__)
        .values(
            monitor_id=monitor.id,
            agent_id=agent_id,
            uid=uid,
            checked_at=checked_at,
            slot_at=slot_at,
            status=outcome.status,
            latency_ms=outcome.latency_ms,
            details=outcome.details[:500],
            days_left=outcome.days_left,
        )
        .on_conflict_do_nothing(index_elements=["uid", "partition_at"])
    )
    if inserted.rowcount != 1:
        return False, None
    in_maintenance = maintenance.monitor_in_maintenance(session, monitor.id, checked_at)
    _fold_into_rollups(session, monitor.id, checked_at, outcome, in_maintenance)
    transition = _change_state(session, monitor.id, agent_id or 0, checked_at, outcome, confirm)
    return True, transition


#: The whole recording in one round trip (PostgreSQL): the result (nothing when its uid is there
#: already, or when the monitor is gone or changed since ``unchanged_since``), then only if it went
#: in: its three rollup buckets (only while the process's maintenance windows are current, see
#: ``maintenance.FINGERPRINT_SQL``; otherwise the caller folds them after reading the windows), and
#: the state. The state row is locked (``FOR UPDATE``) and updated from the values it held, so
#: concurrent recorders of one location take turns and each sees the status the other left: one
#: announces a change, never both. A late result (older than the state's last) changes no state.
ONE_STATEMENT = text(
    f"""
WITH monitor AS (
    SELECT id FROM monitors
    WHERE id = :monitor_id
      AND (CAST(:unchanged_since AS timestamptz) IS NULL OR updated_at = :unchanged_since)
), result AS (
    INSERT INTO check_results
        (monitor_id, agent_id, uid, checked_at, slot_at, partition_at,
         status, latency_ms, details, days_left)
    SELECT id, :agent_id, :uid, :checked_at, :slot_at, :partition_at,
           :status, :latency_ms, :details, :days_left
    FROM monitor
    ON CONFLICT (uid, partition_at) DO NOTHING
    RETURNING monitor_id
), rollup AS (
    INSERT INTO rollups AS r
        (monitor_id, resolution, bucket_start, ok, degraded, down, maintenance,
         latency_sum, latency_count)
    SELECT result.monitor_id, b.resolution, b.bucket_start, :ok, :degraded, :down, :maintenance,
           :latency_sum, :latency_count
    FROM result, (VALUES (900, CAST(:bucket_900 AS timestamptz)),
                         (3600, CAST(:bucket_3600 AS timestamptz)),
                         (86400, CAST(:bucket_86400 AS timestamptz))) AS b (resolution, bucket_start)
    WHERE ({maintenance.FINGERPRINT_SQL}) = :windows
    ON CONFLICT (monitor_id, resolution, bucket_start) DO UPDATE SET
        ok = r.ok + excluded.ok, degraded = r.degraded + excluded.degraded,
        down = r.down + excluded.down, maintenance = r.maintenance + excluded.maintenance,
        latency_sum = r.latency_sum + excluded.latency_sum,
        latency_count = r.latency_count + excluded.latency_count
    RETURNING 1
), prior AS (
    SELECT s.status, s.since, s.last_checked_at, s.fail_streak
    FROM monitor_states s, result
    WHERE s.monitor_id = :monitor_id AND s.location = :location
    FOR UPDATE OF s
), created AS (
    INSERT INTO monitor_states
        (monitor_id, location, status, since, ssl_warned, fail_streak,
         last_checked_at, last_latency_ms, last_details)
    SELECT result.monitor_id, :location, :status, :checked_at, false, CAST(:is_down AS integer),
           :checked_at, :latency_ms, :details
    FROM result
    WHERE NOT EXISTS (SELECT 1 FROM prior)
    ON CONFLICT (monitor_id, location) DO NOTHING
    RETURNING 1
), changed AS (
    UPDATE monitor_states s SET
        status = :status,
        since = CASE WHEN prior.status = :status THEN prior.since ELSE :checked_at END,
        fail_streak = CASE WHEN :is_down THEN coalesce(prior.fail_streak, 0) + 1 ELSE 0 END,
        last_checked_at = :checked_at, last_latency_ms = :latency_ms, last_details = :details
    FROM prior
    WHERE s.monitor_id = :monitor_id AND s.location = :location AND s.status = prior.status
      AND (prior.last_checked_at IS NULL OR prior.last_checked_at <= :checked_at)
    RETURNING s.fail_streak
)
SELECT EXISTS (SELECT 1 FROM monitor) AS found, EXISTS (SELECT 1 FROM result) AS inserted,
       EXISTS (SELECT 1 FROM rollup) AS folded, EXISTS (SELECT 1 FROM created) AS created,
       (SELECT status FROM prior) AS old, (SELECT fail_streak FROM changed) AS streak
"""
)


def _record_in_one_statement(
    session: Session,
    monitor_id: int,
    confirm: int,
    uid: str,
    checked_at: datetime,
    outcome: Outcome,
    agent_id: int | None,
    slot_at: datetime | None,
    unchanged_since: datetime | None,
) -> tuple[bool, Transition | None]:
    fingerprint, windows = maintenance.shared_windows()
    in_maintenance = maintenance.in_maintenance(windows, monitor_id, checked_at)
    location = agent_id or 0
    down = outcome.status == DOWN
    row = session.execute(
        ONE_STATEMENT,
        {
            "monitor_id": monitor_id,
            "unchanged_since": unchanged_since,
            "agent_id": agent_id,
            "uid": uid,
            "checked_at": checked_at,
            "slot_at": slot_at,
            "partition_at": partition_key(checked_at, slot_at),
            "status": outcome.status,
            "latency_ms": outcome.latency_ms,
            "details": outcome.details[:500],
            "days_left": outcome.days_left,
            **_rollup_counts(outcome, in_maintenance),
            **{f"bucket_{r}": bucket_start(checked_at, r) for r in RESOLUTIONS},
            "windows": fingerprint,
            "location": location,
            "is_down": down,
        },
    ).one()
    if not row.found and unchanged_since is not None:
        raise MonitorChanged()
    if not row.inserted:
        return False, None
    if row.folded:
        maintenance.remember(session, windows)  # current: the alert hook asks no query
    else:  # the windows changed (or were never read) in this process: read them, then fold
        _, windows = maintenance.refresh_shared(session)
        in_maintenance = maintenance.in_maintenance(windows, monitor_id, checked_at)
        _fold_into_rollups(session, monitor_id, checked_at, outcome, in_maintenance)
    if row.created:
        return True, _transition(monitor_id, location, "unknown", int(down), checked_at, outcome, confirm)
    if row.old is None or row.streak is None:
        return True, None  # a late result, or another recorder made the state first
    return True, _transition(monitor_id, location, row.old, row.streak, checked_at, outcome, confirm)
