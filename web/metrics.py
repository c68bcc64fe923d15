"""``GET /metrics``: Prometheus text format, read from the database at scrape time (``shared.metrics``).

Who may read it is decided by the guard (``web.auth``): an API token (read or write) or a session,
or, without credentials, a client address in ``METRICS_ALLOW``.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from shared.metrics import Collector
from shared.models import utcnow
from web.extensions import db

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector(db.session, current_app.config["OT"], utcnow()))
    body = generate_latest(registry)
    db.session.rollback()  # read only: end the transaction now rather than at teardown
    # The classic text format (0.0.4): what every Prometheus version and agent reads.
    return Response(body, content_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"})
