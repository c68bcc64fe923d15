"""Badges: a monitor's status, uptime, latency or certificate as a small SVG (shields.io's flat
style, drawn here) or as shields.io's endpoint JSON.

:func:`badge_data` reads the database (a few small queries); :func:`render_svg` and
:func:`shields_json` are pure. :class:`TTLCache` keeps answers for 30 s so that an embedded badge
costs one set of queries per 30 s whatever its traffic. The badge key is a capability for these
read-only numbers only, stored in plain text (like a share link), never a credential for anything else.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from html import escape

from sqlalchemy import func, select

from shared.buckets import DAY, HOUR, bucket_starts
from shared.models import CURRENT_STATE, CheckResult, Monitor, MonitorState, Rollup
from shared.status import DEGRADED, DOWN, MAINTENANCE, OK, STALE, UNKNOWN

#: ``uptime-<period>`` → (rollup resolution read, number of buckets), as in shared.history.
UPTIME_PERIODS = {"24h": (HOUR, 24), "7d": (DAY, 7), "30d": (DAY, 30), "90d": (DAY, 90), "1y": (DAY, 365)}
KINDS = frozenset({"status", "latency", "cert"} | {f"uptime-{p}" for p in UPTIME_PERIODS})
FORMATS = ("svg", "json")
MAX_LABEL = 50
TTL_SECONDS = 30
#: Keys are made by :func:`new_key` (32 characters); anything else is not looked up at all.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

#: shields.io's named colours, and their hex values for our own SVG.
COLORS = {
    "brightgreen": "#4c1",
    "green": "#97ca00",
    "yellowgreen": "#a4a61d",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "blue": "#007ec6",
    "lightgrey": "#9f9f9f",
}
#: Stored status → (word on the badge, colour).
STATUS_WORDS = {
    OK: ("up", "brightgreen"),
    DEGRADED: ("degraded", "yellow"),
    DOWN: ("down", "red"),
    STALE: ("stale", "orange"),
    UNKNOWN: ("unknown", "lightgrey"),
    MAINTENANCE: ("maintenance", "blue"),
}


def new_key() -> str:
    """192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    color: str  # a key of COLORS


# --- reading -----------------------------------------------------------------------------------


def _monitor_and_state(session, key: str):
    return session.execute(
        select(Monitor, MonitorState)
        .outerjoin(MonitorState, CURRENT_STATE)
        .where(Monitor.badge_key == key, Monitor.badges.is_(True))
    ).first()


def uptime_ratio(session, monitor_id: int, period: str, now: datetime) -> float | None:
    """Checks up (ok or degraded) over all checks in the period's rollups; None without checks."""
    resolution, count = UPTIME_PERIODS[period]
    since = bucket_starts(now, resolution, count)[0]
    up, total = session.execute(
        select(
            func.coalesce(func.sum(Rollup.ok + Rollup.degraded), 0),
            func.coalesce(func.sum(Rollup.ok + Rollup.degraded + Rollup.down), 0),
        ).where(
            Rollup.monitor_id == monitor_id, Rollup.resolution == resolution, Rollup.bucket_start >= since
        )
    ).one()
    return up / total if total else None


def _uptime_color(percent: float) -> str:
    for limit, color in (
        (99.9, "brightgreen"),
        (99, "green"),
        (97, "yellowgreen"),
        (95, "yellow"),
        (90, "orange"),
    ):
        if percent >= limit:
            return color
    return "red"


def format_percent(ratio: float) -> str:
    """Two decimals, rounded down: 99.999 % is "99.99%", never a flattering "100.00%"."""
    return f"{math.floor(ratio * 10000 + 1e-9) / 100:.2f}%"


def _last_days_left(session, monitor: Monitor) -> tuple[bool, int | None]:
    where = CheckResult.agent_id.is_not_distinct_from(monitor.agent_id)
    row = session.execute(
        select(CheckResult.days_left)
        .where(CheckResult.monitor_id == monitor.id, where)
        .order_by(CheckResult.checked_at.desc())
        .limit(1)
    ).first()
    return (row is not None, row[0] if row is not None else None)


def badge_data(session, key: str, kind: str, now: datetime) -> Badge | None:
    """The badge, or None for a 404: unknown key, badges off, unknown kind, cert of a non-ssl monitor."""
    if kind not in KINDS or not KEY_PATTERN.match(key or ""):
        return None
    row = _monitor_and_state(session, key)
    if row is None:
        return None
    monitor, state = row
    if kind == "status":
        from shared.monitors import status_of

        status = status_of(monitor, state, now)
        word, color = STATUS_WORDS.get(status, (status, "lightgrey"))
        return Badge(monitor.name, word, color)
    if kind.startswith("uptime-"):
        ratio = uptime_ratio(session, monitor.id, kind.removeprefix("uptime-"), now)
        if ratio is None:
            return Badge(monitor.name, "no data", "lightgrey")
        return Badge(monitor.name, format_percent(ratio), _uptime_color(ratio * 100))

    from shared import settings_store
    from shared.monitors import overrides
    from shared.thresholds import resolve

    if kind == "latency":
        latency = state.last_latency_ms if state else None
        if latency is None:
            return Badge(monitor.name, "no data", "lightgrey")
        limits = resolve(overrides(monitor), settings_store.monitoring_defaults(session))
        color = (
            "brightgreen" if latency <= limits.ok_ms else "yellow" if latency <= limits.degraded_ms else "red"
        )
        return Badge(monitor.name, f"{round(latency)} ms", color)
    # cert
    if monitor.type != "ssl":
        return None
    found, days = _last_days_left(session, monitor)
    if days is None:
        return Badge(monitor.name, "no data" if not found else "unknown", "lightgrey")
    if days < 0:
        return Badge(monitor.name, "expired", "red")
    limits = resolve(overrides(monitor), settings_store.monitoring_defaults(session))
    color = (
        "brightgreen"
        if days >= limits.ssl_ok_days
        else "yellow"
        if days >= limits.ssl_warning_days
        else "red"
    )
    return Badge(monitor.name, f"{days} day{'' if days == 1 else 's'}", color)


# --- rendering ---------------------------------------------------------------------------------


def clean_label(text: str | None) -> str | None:
    """A ``?label=`` as shown: control, format and unpaired-surrogate characters dropped (XML can't
    hold them), at most :data:`MAX_LABEL` characters; None when nothing is left."""
    if text is None:
        return None
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    kept = kept.strip()[:MAX_LABEL]
    return kept or None


def _char_width(c: str) -> float:
    """Roughly Verdana 11 px, enough to size the boxes (shields.io measures; we estimate)."""
    if unicodedata.east_asian_width(c) in ("W", "F"):
        return 11.0
    if c in "il.,:;|!'` ":
        return 3.6
    if c in "fjrtI()[]{}/\\-":
        return 4.6
    if c in "mwMW%@":
        return 10.0
    if c.isupper() or c in "#&_~<>=+":
        return 7.6
    return 6.6


def text_width(text: str) -> int:
    return math.ceil(sum(_char_width(c) for c in text))


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{title}">'
    "<title>{title}</title>"
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
    '<stop offset="1" stop-opacity=".1"/></linearGradient>'
    '<clipPath id="r"><rect width="{w}" height="20" rx="3" fill="#fff"/></clipPath>'
    '<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/>'
    '<rect x="{lw}" width="{mw}" height="20" fill="{color}"/><rect width="{w}" height="20" fill="url(#s)"/></g>'
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
    '<text x="{lx}" y="15" fill="#010101" fill-opacity=".3">{label}</text><text x="{lx}" y="14">{label}</text>'
    '<text x="{mx}" y="15" fill="#010101" fill-opacity=".3">{message}</text>'
    '<text x="{mx}" y="14">{message}</text></g></svg>'
)


def render_svg(badge: Badge) -> str:
    """Every text is escaped (``&``, ``<``, ``>``, quotes) before it goes into the SVG."""
    lw = text_width(badge.label) + 10
    mw = text_width(badge.message) + 10
    return SVG.format(
        w=lw + mw,
        lw=lw,
        mw=mw,
        lx=lw / 2,
        mx=lw + mw / 2,
        color=COLORS.get(badge.color, COLORS["lightgrey"]),
        title=escape(f"{badge.label}: {badge.message}", quote=True),
        label=escape(badge.label, quote=True),
        message=escape(badge.message, quote=True),
    )


def shields_json(badge: Badge) -> dict:
    """shields.io's endpoint format (https://shields.io/badges/endpoint-badge)."""
    return {"schemaVersion": 1, "label": badge.label, "message": badge.message, "color": badge.color}


# --- caching -----------------------------------------------------------------------------------


class TTLCache:
    """A small thread-safe cache of answers for ``ttl`` seconds, at most ``size`` of them.

    Each entry carries the revocation epoch read *before* its queries ran: an entry older than
    the current epoch is a miss, so a key revoked while a request was reading never outlives the
    revocation. A full cache drops expired entries, then the oldest.
    """

    def __init__(self, ttl: float = TTL_SECONDS, size: int = 10_000, clock=time.monotonic):
        self.ttl, self.size, self.clock = ttl, size, clock
        self._entries: dict = {}
        self._lock = threading.Lock()

    _MISS = object()

    def get(self, key, epoch):
        """The cached value (which may be None: a cached 404), or :attr:`MISS`."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return self._MISS
            expires, entry_epoch, value = entry
            if expires <= self.clock() or entry_epoch != epoch:
                del self._entries[key]
                return self._MISS
            return value

    def put(self, key, epoch, value) -> None:
        with self._lock:
            now = self.clock()
            if key not in self._entries and len(self._entries) >= self.size:
                for k in [k for k, (expires, _, _) in self._entries.items() if expires <= now]:
                    del self._entries[k]
                while len(self._entries) >= self.size:
                    del self._entries[next(iter(self._entries))]
            self._entries.pop(key, None)
            self._entries[key] = (now + self.ttl, epoch, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def MISS(self):  # noqa: N802 - a constant
        return self._MISS
