"""``/badge/<badge_key>/<kind>.svg`` and ``.json``: public, read-only badges for READMEs.

No login: the badge key (``POST /api/monitors/<id>/badge-key`` makes a new one) is the whole
capability, and answers only while the monitor's ``badges`` is on; otherwise 404, saying nothing
more. Kinds: ``status``, ``uptime-24h|7d|30d|90d|1y``, ``latency``, ``cert`` (ssl monitors).
``?label=`` replaces the monitor's name (at most 50 characters).

Answers are cached for 30 s in each web process (``Cache-Control: public, max-age=30`` for the
browsers and proxies in front). A change to a monitor's badge key or switch, or its deletion,
touches ``DATA_DIR/badges.revoked``: every web process sees the file change on its next badge
request and drops what it cached before it, so old URLs answer 404 at once.
"""

from __future__ import annotations

import logging
import os
import tempfile

from flask import Blueprint, Flask, current_app, has_app_context, jsonify, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import attributes

from shared import badges
from shared.models import Monitor, utcnow
from web.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("badges", __name__, url_prefix="/badge")
REVOKED_FILE = "badges.revoked"
CACHE_HEADERS = {"Cache-Control": f"public, max-age={badges.TTL_SECONDS}"}


def _cache() -> badges.TTLCache:
    return current_app.extensions["ot_badge_cache"]


def _epoch():
    """Identifies the last revocation (any process's): the marker file's inode and time."""
    try:
        st = os.stat(current_app.config["OT"].data_dir / REVOKED_FILE)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def revoke() -> None:
    """Forget cached badges here and, through the marker file, in every other web process."""
    if not has_app_context() or "ot_badge_cache" not in current_app.extensions:
        return
    _cache().clear()
    data_dir = current_app.config["OT"].data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".badges-")
        with os.fdopen(fd, "w") as f:
            f.write(str(os.urandom(8).hex()))
        os.replace(tmp, data_dir / REVOKED_FILE)  # a new inode each time
    except OSError as exc:
        log.warning(
            "badges: could not mark a revocation in %s (%s); other processes keep theirs ≤ 30 s",
            data_dir,
            exc,
        )


# A flush that changes a monitor's badge switch or key, or deletes a monitor with a key, marks the
# session; its commit revokes. (One listener for the process, whatever the number of apps.)
_FLAG = "ot_badges_revoke"


def _after_flush(session, _context) -> None:
    for obj in session.dirty:
        if isinstance(obj, Monitor) and any(
            attributes.get_history(obj, name).has_changes() for name in ("badges", "badge_key")
        ):
            session.info[_FLAG] = True
    if any(isinstance(obj, Monitor) and obj.badge_key for obj in session.deleted):
        session.info[_FLAG] = True


def _after_commit(session) -> None:
    if session.info.pop(_FLAG, False):
        revoke()


def _after_rollback(session) -> None:
    session.info.pop(_FLAG, None)


if not event.contains(FlaskSession, "after_flush", _after_flush):
    event.listen(FlaskSession, "after_flush", _after_flush)
    event.listen(FlaskSession, "after_commit", _after_commit)
    event.listen(FlaskSession, "after_soft_rollback", lambda session, _tx: _after_rollback(session))


def _badge(key: str, kind: str) -> badges.Badge:
    if kind not in badges.KINDS or not badges.KEY_PATTERN.match(key):
        found = None  # no query, nothing cached
    else:
        cache, epoch = _cache(), _epoch()
        found = cache.get((key, kind), epoch)
        if found is cache.MISS:
            found = badges.badge_data(db.session, key, kind, utcnow())
            db.session.rollback()  # end the read transaction now, not at teardown
            cache.put((key, kind), epoch, found)
    if found is None:
        return None
    label = badges.clean_label(request.args.get("label"))
    return badges.Badge(label, found.message, found.color) if label else found


def _not_found():
    return jsonify({"error": "Not found."}), 404


@bp.get("/<key>/<kind>.svg")
def svg(key: str, kind: str):
    badge = _badge(key, kind)
    if badge is None:
        return _not_found()
    headers = {**CACHE_HEADERS, "Content-Type": "image/svg+xml; charset=utf-8"}
    return badges.render_svg(badge), 200, headers


@bp.get("/<key>/<kind>.json")
def json(key: str, kind: str):
    badge = _badge(key, kind)
    if badge is None:
        return _not_found()
    response = jsonify(badges.shields_json(badge))
    response.headers.update({**CACHE_HEADERS, "Access-Control-Allow-Origin": "*"})
    return response


def register(app: Flask) -> None:
    app.extensions["ot_badge_cache"] = badges.TTLCache()
    app.register_blueprint(bp)
