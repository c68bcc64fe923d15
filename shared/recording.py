"""Recording a check result: the row, its rollups and the state change, in one transaction.

Idempotent by the result's ``uid``: a redelivered task or a re-sent agent batch inserts nothing
and folds nothing into the rollups a second time. The state changes by compare-and-set, so when
two workers record checks of one monitor at once only one of them sees (and announces) a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared import maintenance
from shared.buckets import RESOLUTIONS, bucket_start
from shared.checks import CheckResult as Outcome
from shared.dialect import insert as _insert
from shared.models import CheckResult, Monitor, MonitorState, Rollup
from shared.status import DOWN


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


def _fold_into_rollups(
    session: Session, monitor_id: int, checked_at: datetime, outcome: Outcome, in_maintenance: bool = False
) -> None:
    """Counted by status; inside a maintenance window as ``maintenance`` instead (neither up nor
    down for uptime). The latency is folded in either way: the check did run."""
    has_latency = outcome.latency_ms is not None
    counted = not in_maintenance
    counts = {
        "ok": int(counted and outcome.status == "ok"),
        "degraded": int(counted and outcome.status == "degraded"),
        "down": int(counted and outcome.status == "down"),
        "maintenance": int(in_maintenance),
        "latency_sum": outcome.latency_ms if has_latency else 0.0,
        "latency_count": int(has_latency),
    }
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
    if old == outcome.status and not (down and confirm > 1 and streak == confirm):
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
) -> tuple[bool, Transition | None]:
    """Stage one result; the caller commits. Returns (inserted, transition)."""
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
    confirm = getattr(monitor, "confirm_checks", None) or 1
    transition = _change_state(session, monitor.id, agent_id or 0, checked_at, outcome, confirm)
    return True, transition
