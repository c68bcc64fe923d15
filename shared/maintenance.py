"""Maintenance windows: when they occur and whom they cover. Pure functions, plus two small readers.

A window is one-off (``starts_at``/``ends_at``, UTC) or recurring (``recurrence``: ``{"cron"}`` or
``{"weekdays", "time"}`` with ``duration_minutes`` and ``timezone``). A recurring window's starts are
local wall-clock times in its zone, converted to UTC with zoneinfo; its length is elapsed time
(``duration_minutes`` real minutes), so a window across a DST change lasts as long as any other.

DST rules (``fold=0``, what zoneinfo does):

* a start in the spring-forward gap (02:30 in Europe/Berlin on the last Sunday of March) does not
  exist; it is read with the offset before the change, i.e. it happens at 03:30 local summer time
  (01:30 UTC), the same instant as if the clocks had not moved yet;
* a start in the fall-back overlap (02:30 on the last Sunday of October happens twice) is the first
  of the two (summer time, 00:30 UTC), once, never twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

CRON_ERRORS = (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DURATION_MINUTES = 7 * 24 * 60
#: Local wall clocks and UTC differ by at most 26 h; DST moves them by at most 2 h.
_SLACK = timedelta(hours=3)


@dataclass(frozen=True)
class Window:
    """A maintenance window as plain values (see :func:`from_row`)."""

    id: int
    all_monitors: bool
    monitor_ids: frozenset[int]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    recurrence: dict | None = None

    def covers(self, monitor_id: int) -> bool:
        return self.all_monitors or monitor_id in self.monitor_ids


def from_row(row) -> Window:
    """A ``MaintenanceWindow`` row (or anything with its attributes) as a :class:`Window`."""
    return Window(
        id=row.id,
        all_monitors=bool(row.all_monitors),
        monitor_ids=frozenset(json.loads(row.monitor_ids or "[]")),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        recurrence=json.loads(row.recurrence) if row.recurrence else None,
    )


def parse_time(value: str) -> time:
    """``"HH:MM"``, 00:00 to 23:59; ValueError otherwise."""
    hours, sep, minutes = value.partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError("must be HH:MM, e.g. 02:00")
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError("must be a time of day between 00:00 and 23:59")
    return time(int(hours), int(minutes))


def _localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time in ``zone`` as UTC (``fold=0``: see the module's DST rules)."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _local_naive(when: datetime, zone: ZoneInfo) -> datetime:
    return when.astimezone(zone).replace(tzinfo=None)


def _starts_between(recurrence: dict, lo: datetime, hi: datetime) -> list[datetime]:
    """UTC starts of a recurrence with ``lo <= start < hi``, sorted, without duplicates."""
    zone = ZoneInfo(recurrence.get("timezone") or "UTC")
    first, last = _local_naive(lo, zone) - _SLACK, _local_naive(hi, zone) + _SLACK
    found: set[datetime] = set()
    if recurrence.get("cron"):
        it = croniter(recurrence["cron"], first)
        while True:
            try:
                naive = it.get_next(datetime)
            except CRON_ERRORS:  # fires no more (the API refuses those; never fail a recording)
                break
            if naive > last:
                break
            found.add(_localize(naive, zone))
    else:
        days = {WEEKDAYS.index(d[:3].lower()) for d in recurrence["weekdays"]}
        at = parse_time(recurrence["time"])
        day: date = first.date()
        while day <= last.date():
            if day.weekday() in days:
                found.add(_localize(datetime.combine(day, at), zone))
            day += timedelta(days=1)
    return sorted(s for s in found if lo <= s < hi)


def occurrences(window: Window, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    """The window's (start, end) intervals, UTC, that overlap ``[lo, hi)``, oldest first."""
    if window.recurrence is None:
        if window.starts_at < hi and window.ends_at > lo:
            return [(window.starts_at, window.ends_at)]
        return []
    length = timedelta(minutes=window.recurrence["duration_minutes"])
    return [(s, s + length) for s in _starts_between(window.recurrence, lo - length, hi)]


def _latest_start(recurrence: dict, at: datetime) -> datetime | None:
    """The last start at or before ``at`` (within 8 days), walking back from ``at``: cheap even
    for a cron firing every minute with a week-long duration."""
    zone = ZoneInfo(recurrence.get("timezone") or "UTC")
    if recurrence.get("cron"):
        it = croniter(recurrence["cron"], _local_naive(at, zone) + _SLACK)
        for _ in range(100_000):
            try:
                naive = it.get_prev(datetime)
            except CRON_ERRORS:
                return None
            start = _localize(naive, zone)
            if start <= at:
                return start
            if naive < _local_naive(at, zone) - _SLACK:
                break
        return None
    starts = _starts_between(recurrence, at - timedelta(days=8), at + timedelta(microseconds=1))
    return starts[-1] if starts else None


def active(window: Window, at: datetime) -> tuple[datetime, datetime] | None:
    """The occurrence going on at ``at`` (start inclusive, end exclusive), or None. Every
    occurrence of a window lasts as long, so the latest start decides."""
    if window.recurrence is None:
        return (window.starts_at, window.ends_at) if window.starts_at <= at < window.ends_at else None
    start = _latest_start(window.recurrence, at)
    if start is None:
        return None
    end = start + timedelta(minutes=window.recurrence["duration_minutes"])
    return (start, end) if at < end else None


def upcoming(window: Window, now: datetime, count: int = 3) -> list[tuple[datetime, datetime]]:
    """The occurrence going on now (if any) and the next ones, up to ``count``."""
    if window.recurrence is None:
        return [(window.starts_at, window.ends_at)] if window.ends_at > now else []
    result = [going] if (going := active(window, now)) else []
    lo, step = now, timedelta(days=1)
    horizon = now + timedelta(days=800)
    while len(result) < count and lo < horizon:
        length = timedelta(minutes=window.recurrence["duration_minutes"])
        for s in _starts_between(window.recurrence, lo, lo + step):
            if s > now and len(result) < count:
                result.append((s, s + length))
        lo += step
    return result


def in_maintenance(windows, monitor_id: int, at: datetime) -> bool:
    """Whether ``monitor_id`` is in maintenance at ``at`` under any of ``windows``."""
    return any(w.covers(monitor_id) and active(w, at) is not None for w in windows)


def covered(windows, monitor_ids, at: datetime) -> set[int]:
    """Those of ``monitor_ids`` in maintenance at ``at``."""
    going = [w for w in windows if active(w, at) is not None]
    if not going:
        return set()
    return {m for m in monitor_ids if any(w.covers(m) for w in going)}


def overlapping(a: Window, b: Window) -> bool:
    """Two one-off windows over a common monitor whose times overlap (touching ends don't).

    Recurring windows are not compared (with each other or with one-off ones): overlapping there
    is harmless, the monitor is simply in maintenance while either says so.
    """
    if a.recurrence is not None or b.recurrence is not None:
        return False
    shared = a.all_monitors or b.all_monitors or bool(a.monitor_ids & b.monitor_ids)
    return shared and a.starts_at < b.ends_at and b.starts_at < a.ends_at


# --- Readers ------------------------------------------------------------------------------------

_CACHE_KEY = "maintenance_windows"


def load(session, at: datetime | None = None) -> list[Window]:
    """All windows that may be active at ``at`` (all of them when ``at`` is None)."""
    from sqlalchemy import and_, or_, select

    from shared.models import MaintenanceWindow as Row

    query = select(Row)
    if at is not None:
        query = query.where(or_(Row.recurrence.is_not(None), and_(Row.starts_at <= at, Row.ends_at > at)))
    return [from_row(r) for r in session.scalars(query)]


def monitor_in_maintenance(session, monitor_id: int, at: datetime) -> bool:
    """Through :func:`cached`: recording a result and writing its alert ask in one transaction, and
    an agent's batch asks once per result, so the windows are read once per session."""
    return in_maintenance(cached(session), monitor_id, at)


def cached(session) -> list[Window]:
    """All windows, read once per session (one request): for serializing many monitors."""
    if _CACHE_KEY not in session.info:
        session.info[_CACHE_KEY] = load(session)
    return session.info[_CACHE_KEY]


def forget(session) -> None:
    session.info.pop(_CACHE_KEY, None)


def remember(session, windows: list[Window]) -> None:
    """Let :func:`cached` answer this session from ``windows`` (known to be current)."""
    session.info[_CACHE_KEY] = windows


# --- Shared by a process's recorders (PostgreSQL's one-statement recording) --------------------

#: A value that changes whenever a window is added, edited or removed (PostgreSQL). The recording
#: statement compares it with the one the process cached, so that a cached list is never used
#: once it is out of date, without a query per result.
FINGERPRINT_SQL = (
    "SELECT count(*) || ':' || coalesce(sum(id), 0) || ':' || coalesce(max(updated_at)::text, '')"
    " FROM maintenance_windows"
)
_shared: tuple[str | None, list[Window]] = (None, [])


def shared_windows() -> tuple[str | None, list[Window]]:
    """(fingerprint, windows) as this process last read them: (None, []) before the first read."""
    return _shared


def refresh_shared(session) -> tuple[str, list[Window]]:
    """Read the windows and their fingerprint again, for every recorder of this process (and for
    this session: :func:`cached` answers from them). The fingerprint is read first: a change in
    between makes the next comparison fail, never pass with stale windows."""
    global _shared
    from sqlalchemy import text

    fingerprint = session.execute(text(FINGERPRINT_SQL)).scalar_one()
    windows = load(session)
    _shared = (fingerprint, windows)
    remember(session, windows)
    return _shared
