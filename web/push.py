"""``/push/<token>``: where heartbeat jobs report in. No login: the secret token is the credential.

``GET``, ``HEAD`` or ``POST`` record an OK ping, ``/fail`` a failure, ``/start`` the start of a run
(the next ping's latency is the run time). A POST body's first line (≤ 200 characters) goes into
the result's details, e.g. a backup script's summary. An unknown token is 404, saying nothing more.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from shared import alert_hook, heartbeats
from shared.models import utcnow
from web.extensions import db
from worker import alert_queue

bp = Blueprint("push", __name__, url_prefix="/push")
METHODS = ["GET", "HEAD", "POST"]


def _note() -> str:
    if request.method != "POST" or not request.content_length:
        return ""
    text = request.get_data(cache=False)[:2000].decode("utf-8", errors="replace")
    first = text.strip().splitlines()[0] if text.strip() else ""
    return "".join(c for c in first if c.isprintable())[:200]


def _handle(token: str, kind: str):
    monitor = heartbeats.find(db.session, token)
    if monitor is None or not monitor.enabled:
        return jsonify({"error": "Not found."}), 404
    stored, transition = heartbeats.record_ping(db.session, monitor, kind, utcnow(), _note())
    event_ids = alert_hook.write_events(db.session, [(monitor, transition)] if transition else [])
    db.session.commit()
    alert_queue.enqueue(event_ids)
    return jsonify({"ok": True, "recorded": stored})


@bp.route("/<token>", methods=METHODS)
def ping(token: str):
    return _handle(token, heartbeats.PING)


@bp.route("/<token>/fail", methods=METHODS)
def fail(token: str):
    return _handle(token, heartbeats.FAIL)


@bp.route("/<token>/start", methods=METHODS)
def start(token: str):
    return _handle(token, heartbeats.START)
