"""The admin web app (WEB_PORT): REST API under /api and, later, the dashboard at /."""

from __future__ import annotations

import logging

from flask import Flask

from shared import config as config_mod
from shared.db import engine_options, install_sqlite_pragmas
from web import auth, errors, routing
from web.extensions import db

MAX_BODY_BYTES = 1024 * 1024


def create_app(config: config_mod.Config | None = None) -> Flask:
    """Build the app; the caller has already migrated the database (``shared.db.migrate``)."""
    config = config or config_mod.load()
    app = Flask(__name__)
    app.config.update(
        OT=config,
        SQLALCHEMY_DATABASE_URI=config.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(config.database_url),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    db.init_app(app)
    with app.app_context():
        install_sqlite_pragmas(db.engine)

    errors.register(app, rollback=db.session.rollback)
    routing.install(app)
    auth.install(app)

    from web.api import (
        agents,
        alerts,
        audit,
        channels,
        checks,
        maintenance,
        meta,
        monitors,
        results,
        settings,
        status,
        status_pages,
        tokens,
        users,
    )
    from web.api import auth as auth_api

    # results before monitors: /api/monitors/history must not be read as a monitor id.
    for module in (
        results,
        checks,
        monitors,
        settings,
        alerts,
        channels,
        agents,
        status,
        status_pages,
        maintenance,
        meta,
        auth_api,
        users,
        tokens,
        audit,
    ):
        app.register_blueprint(module.bp)

    from web import push, spa
    from web import status_pages as public_status_pages

    app.register_blueprint(push.bp)
    app.register_blueprint(public_status_pages.bp)

    from web import metrics

    app.register_blueprint(metrics.bp)  # /metrics for Prometheus

    from web import badges as public_badges

    public_badges.register(app)  # /badge/<key>/<kind>.svg|json, public

    spa.register(app)
    logging.getLogger(__name__).debug("web app created for %s", config_mod.redact_url(config.database_url))
    return app
