"""/api/status-pages: public status pages and their announcements (admins only, audited)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared import status_pages as pages
from shared.models import Announcement, StatusPage, utcnow
from shared.schemas import AnnouncementIn, FieldErrors, StatusPageIn
from shared.validation import validate
from web.api import get_or_404, read_json_object
from web.auth import audit
from web.errors import ApiError
from web.extensions import db
from web.openapi import doc

bp = Blueprint("status_pages", __name__, url_prefix="/api/status-pages")

PAGE_SCHEMA = {"$ref": "#/components/schemas/StatusPageIn"}
ANNOUNCEMENT_SCHEMA = {"$ref": "#/components/schemas/AnnouncementIn"}


def _clear_cache() -> None:
    """This process shows the change at once; other workers within ``CACHE_SECONDS``."""
    from web.status_pages import cache

    cache().clear()


def _validate_page(data: dict, page_id: int | None) -> StatusPageIn:
    page = validate(StatusPageIn, data)
    missing = pages.missing_monitors(db.session, pages.monitor_ids([g.model_dump() for g in page.groups]))
    if missing:
        shown = ", ".join(str(i) for i in sorted(missing)[:20])
        raise FieldErrors({"groups": f"no monitor has the id {shown}"})
    taken = db.session.execute(select(StatusPage.id).where(StatusPage.slug == page.slug)).scalar_one_or_none()
    if taken is not None and taken != page_id:
        raise ApiError(409, f"The slug {page.slug} is already used by another page.", {"slug": "is taken"})
    return page


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # Two admins saving the same slug at once: the unique index decides.
        db.session.rollback()
        raise ApiError(409, "The slug is already used by another page.", {"slug": "is taken"}) from None
    _clear_cache()


@bp.get("")
@doc("List status pages", response={"type": "array", "items": PAGE_SCHEMA}, tag="status pages")
def list_pages():
    rows = db.session.execute(select(StatusPage).order_by(StatusPage.id)).scalars()
    return jsonify([pages.serialize(p) for p in rows])


@bp.post("")
@doc("Create a status page", body=StatusPageIn, response=PAGE_SCHEMA, status=201, tag="status pages")
def create():
    data = _validate_page(read_json_object(), None)
    page = StatusPage()
    pages.apply(page, data)
    db.session.add(page)
    db.session.flush()
    audit.record("status_page.create", f"status_page:{page.id}", slug=page.slug, title=page.title)
    _commit()
    current_app.logger.info("status page %s created (/status/%s)", page.id, page.slug)
    return jsonify(pages.serialize(page)), 201


@bp.get("/<int:page_id>")
@doc("Get one status page", response=PAGE_SCHEMA, tag="status pages")
def get(page_id: int):
    return jsonify(pages.serialize(get_or_404(StatusPage, page_id, "Status page")))


@bp.put("/<int:page_id>")
@doc(
    "Update a status page (omitted fields keep their value)",
    body=StatusPageIn,
    response=PAGE_SCHEMA,
    tag="status pages",
)
def update(page_id: int):
    page = get_or_404(StatusPage, page_id, "Status page")
    before = pages.as_input(page)
    changes = read_json_object()
    merged = {**before, **changes}
    if "groups" not in changes:
        # Monitors deleted since the page was saved drop off it rather than block the edit.
        missing = pages.missing_monitors(db.session, pages.monitor_ids(before["groups"]))
        merged["groups"] = pages.without_monitors(before["groups"], missing)
    data = _validate_page(merged, page_id)
    pages.apply(page, data)
    audit.record(
        "status_page.update",
        f"status_page:{page.id}",
        slug=page.slug,
        changes=audit.changes(before, pages.as_input(page)),
    )
    _commit()
    return jsonify(pages.serialize(page))


@bp.delete("/<int:page_id>")
@doc("Delete a status page and its announcements", response={"type": "object"}, tag="status pages")
def delete(page_id: int):
    page = get_or_404(StatusPage, page_id, "Status page")
    audit.record("status_page.delete", f"status_page:{page.id}", slug=page.slug, title=page.title)
    db.session.execute(Announcement.__table__.delete().where(Announcement.page_id == page.id))
    db.session.delete(page)
    _commit()
    return jsonify({"deleted": page_id})


def _announcement(page_id: int, announcement_id: int) -> Announcement:
    found = db.session.get(Announcement, announcement_id)
    if found is None or found.page_id != page_id:
        raise ApiError(404, f"Announcement {announcement_id} does not exist on this page.")
    return found


@bp.get("/<int:page_id>/announcements")
@doc(
    "List a status page's announcements (past, current and future)",
    response={"type": "array", "items": ANNOUNCEMENT_SCHEMA},
    tag="status pages",
)
def list_announcements(page_id: int):
    get_or_404(StatusPage, page_id, "Status page")
    rows = db.session.execute(
        select(Announcement)
        .where(Announcement.page_id == page_id)
        .order_by(Announcement.starts_at.desc(), Announcement.id.desc())
    ).scalars()
    return jsonify([pages.serialize_announcement(a) for a in rows])


@bp.post("/<int:page_id>/announcements")
@doc(
    "Add an announcement to a status page",
    body=AnnouncementIn,
    response=ANNOUNCEMENT_SCHEMA,
    status=201,
    tag="status pages",
)
def create_announcement(page_id: int):
    page = get_or_404(StatusPage, page_id, "Status page")
    data = validate(AnnouncementIn, read_json_object())
    now = utcnow()
    if data.ends_at is not None and data.starts_at is None and data.ends_at <= now:
        raise FieldErrors({"ends_at": "must be after starts_at (now)"})
    announcement = Announcement(page_id=page.id)
    pages.apply_announcement(announcement, data, now)
    db.session.add(announcement)
    db.session.flush()
    audit.record(
        "status_page.announcement_create",
        f"announcement:{announcement.id}",
        page=page.slug,
        title=announcement.title,
        severity=announcement.severity,
    )
    _commit()
    return jsonify(pages.serialize_announcement(announcement)), 201


@bp.put("/<int:page_id>/announcements/<int:announcement_id>")
@doc(
    "Update an announcement (omitted fields keep their value)",
    body=AnnouncementIn,
    response=ANNOUNCEMENT_SCHEMA,
    tag="status pages",
)
def update_announcement(page_id: int, announcement_id: int):
    get_or_404(StatusPage, page_id, "Status page")
    announcement = _announcement(page_id, announcement_id)
    before = pages.announcement_input(announcement)
    data = validate(AnnouncementIn, {**before, **read_json_object()})
    pages.apply_announcement(announcement, data, utcnow())
    audit.record(
        "status_page.announcement_update",
        f"announcement:{announcement.id}",
        changes=audit.changes(before, pages.announcement_input(announcement)),
    )
    _commit()
    return jsonify(pages.serialize_announcement(announcement))


@bp.delete("/<int:page_id>/announcements/<int:announcement_id>")
@doc("Delete an announcement", response={"type": "object"}, tag="status pages")
def delete_announcement(page_id: int, announcement_id: int):
    get_or_404(StatusPage, page_id, "Status page")
    announcement = _announcement(page_id, announcement_id)
    audit.record(
        "status_page.announcement_delete", f"announcement:{announcement.id}", title=announcement.title
    )
    db.session.delete(announcement)
    _commit()
    return jsonify({"deleted": announcement_id})
