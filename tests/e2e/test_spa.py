"""web.spa: the built dashboard at /, client routes surviving a reload, the API's own 404s untouched.

The dashboard's files answer without signing in (the sign-in page is part of them); the API
behind them does not.
"""

from __future__ import annotations

import pytest

from tests.auth import sign_in
from web import openapi, spa

INDEX = "<!doctype html><title>OnlineTracker</title><div id=root></div>"


@pytest.fixture
def dist(tmp_path):
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(INDEX)
    (folder / "assets" / "index-Ab12Cd34.js").write_text("console.log(1)")
    (folder / "favicon.svg").write_text("<svg/>")
    return folder


@pytest.fixture
def dashboard(app, dist):
    """Not signed in."""
    app.config["FRONTEND_DIST"] = str(dist)
    if "spa" not in app.blueprints:
        spa.register(app)
    return app.test_client()


@pytest.fixture
def signed_in(app, dashboard):
    return sign_in(app)


@pytest.mark.parametrize(
    "path",
    ["/", "/monitors/7", "/monitors/7/edit", "/settings/agents", "/signin", "/setup", "/nowhere/at/all"],
)
def test_client_routes_answer_index_uncached(dashboard, path):
    response = dashboard.get(path)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == INDEX
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"


def test_hashed_assets_are_cached_for_a_year(dashboard):
    response = dashboard.get("/assets/index-Ab12Cd34.js")
    assert response.status_code == 200
    assert "javascript" in response.mimetype
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert dashboard.get("/favicon.svg").status_code == 200


def test_a_missing_file_is_404_not_index(dashboard):
    assert dashboard.get("/assets/index-gone.js").status_code == 404
    assert dashboard.get("/robots.txt").status_code == 404
    assert dashboard.get("/assets/../../secret_key").status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize("path", ["/api", "/api/", "/api/nope", "/api/monitors/7/nope"])
def test_unknown_api_paths_keep_the_json_404(signed_in, dashboard, method, path):
    response = signed_in.open(path, method=method, json={} if method in ("POST", "PUT") else None)
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]
    # Signed out, the API says so in JSON (never the dashboard's page, never which paths exist).
    response = dashboard.open(path, method=method)
    assert response.status_code == 401
    assert response.get_json()["code"] == "login_required"


def test_api_and_health_still_answer(signed_in, dashboard):
    assert signed_in.get("/api/monitors").get_json() == []
    assert dashboard.get("/api/monitors").status_code == 401
    assert dashboard.get("/healthz").status_code in (200, 503)


def test_openapi_still_builds_with_the_dashboard_routes(signed_in, app):
    document = openapi.build(app)
    assert all(path.startswith("/api") for path in document["paths"])
    assert signed_in.get("/api/openapi.json").status_code == 200


def test_without_a_build_a_page_says_how_to_build_it(app, tmp_path):
    app.config["FRONTEND_DIST"] = str(tmp_path / "missing")
    if "spa" not in app.blueprints:
        spa.register(app)
    client = app.test_client()
    for path in ("/", "/monitors/7"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "not built" in body and "./scripts/run" in body
    assert sign_in(app).get("/api/nope").get_json() == {"error": "Not found."}
