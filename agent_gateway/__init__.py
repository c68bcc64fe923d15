"""The agent gateway (COMS_PORT): the only three endpoints agents need, nothing of the admin API.

It is safe to expose publicly: every request is signed (see ``agent_gateway.protocol``), anything
else answers 404, and repeated authentication failures are answered 429: 10 a minute from one
address and agent id, 60 a minute from one address whatever the agent id. The failures are counted
in the database (``shared.throttle``), so the limits hold across gateway processes; behind a proxy
listed in ``TRUSTED_PROXIES`` the address is the client's, from ``X-Forwarded-For``.
"""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from agent_gateway import protocol
from agent_gateway.auth import AuthError
from shared import config as config_mod
from shared import proxies, throttle
from shared.crypto import SecretUnreadable
from shared.db import make_engine, session_factory
from shared.health import health_report
from shared.schemas import FieldErrors

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 2 * 1024 * 1024


def create_app(config: config_mod.Config | None = None, engine=None) -> Flask:
    config = config or config_mod.load()
    app = Flask(__name__)
    app.config.update(OT=config, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    app.json.ensure_ascii = False
    engine = engine or make_engine(config.database_url)
    sessions = session_factory(engine)
    app.extensions["engine"] = engine

    def _address() -> str:
        return proxies.address_of(request, config.trusted_proxies)

    def _limits():
        """Failures count per address and agent, so one misconfigured agent (or a proxy that hides
        every agent behind one address) locks out only itself; and per address with a higher
        limit, so rotating made-up agent ids doesn't buy a guesser more tries."""
        address = _address()
        agent = request.headers.get(protocol.H_AGENT, "")[:64]
        return ((throttle.GATEWAY_AGENT, f"{address}|{agent}"), (throttle.GATEWAY_ADDRESS, address))

    from shared import alert_hook
    from worker import alert_queue

    app.config["ON_TRANSITIONS"] = alert_hook.write_events
    app.config["AFTER_COMMIT"] = alert_queue.enqueue

    @app.before_request
    def _open():
        g.session = sessions()
        if request.endpoint == "healthz":
            return None
        retry = throttle.retry_after(g.session, *_limits())
        if retry is not None:
            response = jsonify({"error": "Too many failed attempts; try again later."})
            response.headers["Retry-After"] = str(retry)
            return response, 429
        return None

    @app.teardown_request
    def _close(_exc):
        session = g.pop("session", None)
        if session is not None:
            session.rollback()
            session.close()

    def _rollback():
        if "session" in g:
            g.session.rollback()

    @app.errorhandler(AuthError)
    def _auth_error(exc: AuthError):
        _rollback()
        if exc.status == 401:
            for rule, key in _limits():
                throttle.record(g.session, rule, key)
            g.session.commit()
            log.warning("agent authentication failed from %s: %s", _address(), exc.message)
        return jsonify({"error": exc.message}), exc.status

    @app.errorhandler(FieldErrors)
    def _fields(exc: FieldErrors):
        _rollback()
        return jsonify({"error": "Some fields are invalid.", "fields": exc.errors}), 422

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        _rollback()
        messages = {
            404: "Not found.",
            405: "Method not allowed for this URL.",
            413: "Request body is too large.",
        }
        return jsonify({"error": messages.get(exc.code, exc.description)}), exc.code

    @app.errorhandler(SecretUnreadable)
    def _unreadable(exc: SecretUnreadable):
        _rollback()
        log.error("agent request refused: %s", exc)
        return jsonify(
            {"error": "The server can't read its stored shared secret; an admin must set it again."}
        ), 503

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        _rollback()
        log.exception("unhandled error in the agent gateway")
        return jsonify({"error": "Internal error; it has been logged."}), 500

    from agent_gateway.routes import bp
    from web import routing

    routing.install(app)
    app.register_blueprint(bp)

    @app.get("/healthz")
    def healthz():
        report = health_report(engine, config)
        return jsonify(report), 200 if report["ok"] else 503

    return app
