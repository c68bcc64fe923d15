"""The dashboard: the built React app (``frontend/dist``) served at ``/`` by the admin web app.

- ``/assets/…`` are Vite's content-hashed files: cached for a year, never revalidated.
- Any other GET path outside ``/api`` that is not a file of the build answers ``index.html``
  (``no-cache``), so a client-side route such as ``/monitors/7`` survives a reload.
- ``/api`` and everything under it never reach this module: the catch-all rule can't match them,
  so an unknown API path still gets the API's JSON 404 (and an unknown method its JSON 405).
- Without a build, every dashboard path answers a short page saying how to build it; the API
  keeps working.

The build folder is looked up on each request, so building while the server runs needs no restart.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory
from werkzeug.routing import PathConverter

#: ``frontend/dist`` of this checkout; ``app.config["FRONTEND_DIST"]`` overrides it.
DEFAULT_DIST = Path(__file__).resolve().parent.parent / "frontend" / "dist"

ASSET_MAX_AGE = 365 * 24 * 3600

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OnlineTracker</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>OnlineTracker</h1>
<p>The dashboard is not built yet, so there is nothing to show here. The API is running at
<a href="/api/openapi.json">/api/openapi.json</a>.</p>
<p>To build the dashboard (Node.js 20+ is needed), run <code>./scripts/run</code>, which builds it
before starting, or <code>./scripts/build-frontend</code> on its own; then reload this page.</p>
</body></html>
"""


class NotApiPath(PathConverter):
    """A path that is not ``api`` nor under ``api/``: those belong to the API and its JSON errors."""

    regex = r"(?!api(?:/|$))[^/].*?"


def _dist() -> Path:
    return Path(current_app.config.get("FRONTEND_DIST") or DEFAULT_DIST)


def _index(dist: Path):
    response = send_from_directory(dist, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


bp = Blueprint("spa", __name__)


@bp.get("/")
def root():
    dist = _dist()
    if not (dist / "index.html").is_file():
        return NOT_BUILT, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}
    return _index(dist)


@bp.get("/assets/<path:filename>")
def asset(filename: str):
    """Hashed build output; a missing one is a plain 404, never index.html (it would parse as JS)."""
    response = send_from_directory(_dist() / "assets", filename, max_age=ASSET_MAX_AGE)
    response.headers["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}, immutable"
    return response


@bp.get("/<notapi:path>")
def client_route(path: str):
    dist = _dist()
    if not (dist / "index.html").is_file():
        return root()
    if "." in path.rsplit("/", 1)[-1]:
        # Looks like a file (favicon.ico, robots.txt): serve it from the build or answer 404.
        candidate = dist / path
        if candidate.is_file() and candidate.name != "index.html":
            return send_from_directory(dist, path, max_age=3600)
        abort(404)
    return _index(dist)


def register(app: Flask) -> None:
    """Serve the dashboard at ``/``. Call after the API blueprints (their rules are more specific)."""
    app.url_map.converters["notapi"] = NotApiPath
    app.register_blueprint(bp)
