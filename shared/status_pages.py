"""Public status pages: what ``/status/<slug>`` and ``/status/<slug>.json`` show, and its cache.

A page shows only the monitors its admin chose, under their display names; a monitor's target is
shown only when its entry says ``show_target``. Nothing else about a monitor (type, agent, details,
thresholds, id) ever reaches the public view.

**Cache.** A public view is built by :func:`build_view` with five queries (maintenance windows, page, monitors with
their states, 90 days of daily rollups, announcements) and then served from :class:`ViewCache`,
one per process, for at most :data:`CACHE_SECONDS`. So each web worker process asks the database
at most once per page every 30 s, however many people read the page. An admin change clears the
cache of the process that made it; the other workers show it within 30 s. Unknown slugs are
cached too (bounded), so guessing slugs costs no more.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from markdown_it import MarkdownIt
from sqlalchemy import or_, select

from shared.buckets import DAY, bucket_starts
from shared.models import CURRENT_STATE, Announcement, Monitor, MonitorState, Rollup, StatusPage
from shared.monitors import status_of
from shared.timefmt import iso

#: How long a built view is served before it is built again (seconds, per process).
CACHE_SECONDS = 30.0
#: Daily bars shown per monitor.
DAYS = 90
#: Most slugs (known or not) one process keeps views for; past it the cache starts over.
CACHE_ENTRIES = 1024

SEVERITIES = ("info", "warning", "critical", "maintenance")

#: Public state of one monitor, from its effective status.
_PUBLIC_STATE = {
    "ok": "operational",
    "degraded": "degraded",
    "down": "outage",
    "maintenance": "maintenance",
}
STATE_TEXT = {
    "operational": "Operational",
    "degraded": "Degraded",
    "outage": "Outage",
    "maintenance": "Maintenance",
    "unknown": "No data",
}
OVERALL_TEXT = {
    "operational": "All systems operational",
    "degraded": "Some systems degraded",
    "outage": "Outage",
    "maintenance": "Under maintenance",
}


# ---------------------------------------------------------------------------------------------
# Markdown: CommonMark without raw HTML; links only http, https and mailto; no images.


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")
    md.validateLink = lambda url: url.strip().lower().startswith(("http://", "https://", "mailto:"))
    return md


_MD = _markdown()


def render_markdown(text: str) -> str:
    """Safe HTML from announcement markdown: raw HTML is shown as text, unsafe links as text."""
    html = _MD.render(text or "")
    return html.replace("<a href=", '<a rel="nofollow noopener" href=')


# ---------------------------------------------------------------------------------------------
# Admin side: stored page ↔ API shapes.


def groups_of(page: StatusPage) -> list[dict]:
    try:
        groups = json.loads(page.groups or "[]")
    except ValueError:
        return []
    return groups if isinstance(groups, list) else []


def monitor_ids(groups: list[dict]) -> list[int]:
    return [m["monitor_id"] for g in groups for m in g.get("monitors", [])]


def without_monitors(groups: list[dict], ids: set[int]) -> list[dict]:
    if not ids:
        return groups
    return [
        {**g, "monitors": [m for m in g.get("monitors", []) if m["monitor_id"] not in ids]} for g in groups
    ]


def as_input(page: StatusPage) -> dict:
    return {
        "slug": page.slug,
        "title": page.title,
        "description": page.description or "",
        "logo_url": page.logo_url,
        "groups": groups_of(page),
    }


def apply(page: StatusPage, data) -> None:
    """``data`` is a validated :class:`shared.schemas.StatusPageIn`."""
    page.slug = data.slug
    page.title = data.title
    page.description = data.description
    page.logo_url = data.logo_url
    page.groups = json.dumps([g.model_dump() for g in data.groups], ensure_ascii=False)


def serialize(page: StatusPage) -> dict:
    return {
        "id": page.id,
        **as_input(page),
        "url": f"/status/{page.slug}",
        "created_at": iso(page.created_at),
        "updated_at": iso(page.updated_at),
    }


def announcement_input(a: Announcement) -> dict:
    return {
        "title": a.title,
        "body": a.body or "",
        "severity": a.severity,
        "starts_at": iso(a.starts_at),
        "ends_at": iso(a.ends_at),
    }


def apply_announcement(a: Announcement, data, now: datetime) -> None:
    a.title = data.title
    a.body = data.body
    a.severity = data.severity
    a.starts_at = data.starts_at or a.starts_at or now
    a.ends_at = data.ends_at


def serialize_announcement(a: Announcement) -> dict:
    return {
        "id": a.id,
        "page_id": a.page_id,
        **announcement_input(a),
        "created_at": iso(a.created_at),
    }


def missing_monitors(session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    found = set(session.execute(select(Monitor.id).where(Monitor.id.in_(set(ids)))).scalars())
    return set(ids) - found


# ---------------------------------------------------------------------------------------------
# Public side.


def _day_state(ok: int, degraded: int, down: int) -> str:
    if down:
        return "outage"
    if degraded:
        return "degraded"
    return "operational" if ok else "unknown"


def _overall(states: list[str], maintenance: bool) -> str:
    if "outage" in states:
        return "outage"
    if maintenance or "maintenance" in states:
        return "maintenance"
    if "degraded" in states:
        return "degraded"
    return "operational"


def build_view(session, slug: str, now: datetime | None = None) -> dict | None:
    """The public view of a page (``None`` for an unknown slug): five queries whatever its size (the fifth: maintenance windows)."""
    now = now or datetime.now(UTC)
    page = session.execute(select(StatusPage).where(StatusPage.slug == slug)).scalar_one_or_none()
    if page is None:
        return None
    groups = groups_of(page)
    ids = sorted(set(monitor_ids(groups)))
    monitors: dict[int, tuple[Monitor, MonitorState | None]] = {}
    daily: dict[int, dict[datetime, tuple[int, int, int]]] = {}
    starts = bucket_starts(now, DAY, DAYS)
    if ids:
        rows = session.execute(
            select(Monitor, MonitorState).outerjoin(MonitorState, CURRENT_STATE).where(Monitor.id.in_(ids))
        ).all()
        monitors = {m.id: (m, s) for m, s in rows}
        rollups = session.execute(
            select(Rollup.monitor_id, Rollup.bucket_start, Rollup.ok, Rollup.degraded, Rollup.down).where(
                Rollup.monitor_id.in_(ids), Rollup.resolution == DAY, Rollup.bucket_start >= starts[0]
            )
        )
        for mid, start, ok, degraded, down in rollups:
            daily.setdefault(mid, {})[start.astimezone(UTC)] = (ok, degraded, down)
    announcements = (
        session.execute(
            select(Announcement)
            .where(
                Announcement.page_id == page.id,
                Announcement.starts_at <= now,
                or_(Announcement.ends_at.is_(None), Announcement.ends_at > now),
            )
            .order_by(Announcement.starts_at.desc(), Announcement.id.desc())
        )
        .scalars()
        .all()
    )

    out_groups, states = [], []
    for group in groups:
        entries = []
        for entry in group.get("monitors", []):
            found = monitors.get(entry["monitor_id"])
            if found is None:
                continue  # deleted since the page was saved
            monitor, state = found
            status = status_of(monitor, state, now)
            public_state = _PUBLIC_STATE.get(status, "unknown") if monitor.enabled else "unknown"
            states.append(public_state)
            days, checks, up = [], 0, 0
            counts = daily.get(monitor.id, {})
            for start in starts:
                ok, degraded, down = counts.get(start, (0, 0, 0))
                total = ok + degraded + down
                checks += total
                up += ok + degraded
                days.append(
                    {
                        "date": start.date().isoformat(),
                        "state": _day_state(ok, degraded, down),
                        "uptime": round((ok + degraded) / total, 6) if total else None,
                    }
                )
            item = {
                "name": entry.get("display_name") or monitor.name,
                "state": public_state,
                "state_text": STATE_TEXT[public_state],
                "uptime": round(up / checks, 6) if checks else None,
                "days": days,
            }
            if entry.get("show_target") and monitor.target:
                item["target"] = monitor.target
            entries.append(item)
        out_groups.append({"name": group.get("name", ""), "monitors": entries})

    maintenance = any(a.severity == "maintenance" for a in announcements)
    overall = _overall(states, maintenance)
    view = {
        "slug": page.slug,
        "title": page.title,
        "description": page.description or "",
        "state": overall,
        "state_text": OVERALL_TEXT[overall],
        "generated_at": iso(now),
        "refresh_seconds": int(CACHE_SECONDS),
        "groups": out_groups,
        "announcements": [
            {
                "title": a.title,
                "body": a.body or "",
                "body_html": render_markdown(a.body or ""),
                "severity": a.severity,
                "starts_at": iso(a.starts_at),
                "ends_at": iso(a.ends_at),
            }
            for a in announcements
        ],
    }
    if page.logo_url:
        view["logo_url"] = page.logo_url
    return view


@dataclass
class CachedView:
    view: dict | None
    expires: float
    #: Rendered forms, made once per built view: ``"json"`` and ``"html"`` bytes.
    rendered: dict[str, bytes] = field(default_factory=dict)


class ViewCache:
    """Built views by slug, each kept :data:`CACHE_SECONDS`; one build at a time per process."""

    def __init__(self, ttl: float = CACHE_SECONDS, clock=time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, CachedView] = {}
        self._lock = threading.Lock()

    def get(self, slug: str, build) -> CachedView:
        entry = self._entries.get(slug)
        if entry is not None and entry.expires > self.clock():
            return entry
        with self._lock:
            entry = self._entries.get(slug)  # built by another thread meanwhile?
            if entry is not None and entry.expires > self.clock():
                return entry
            entry = CachedView(build(slug), self.clock() + self.ttl)
            if len(self._entries) >= CACHE_ENTRIES:
                self._entries.clear()
            self._entries[slug] = entry
            return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
