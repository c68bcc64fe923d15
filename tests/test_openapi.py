"""The served OpenAPI document describes exactly the routes the app has."""

from __future__ import annotations

import re


def _app_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_openapi_matches_the_url_map(app, client):
    doc = client.get("/api/openapi.json").get_json()
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == _app_routes(app)
    assert ("/api/monitors", "post") in documented and ("/api/settings", "put") in documented


def test_request_bodies_reference_real_schemas(client):
    doc = client.get("/api/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    create = doc["paths"]["/api/monitors"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    name = create["$ref"].rsplit("/", 1)[1]
    assert set(schemas[name]["properties"]) >= {"name", "type", "target", "interval_seconds", "thresholds"}
    assert schemas[name]["properties"]["interval_seconds"]["minimum"] == 10
    refs = re.findall(r'"#/components/schemas/(\w+)"', str(doc).replace("'", '"'))
    assert refs and all(ref in schemas for ref in refs)


def test_an_undocumented_route_cannot_be_served(app):
    from web import openapi

    @app.get("/api/undocumented")
    def undocumented():
        return {}

    try:
        openapi.build(app)
    except RuntimeError as exc:
        assert "/api/undocumented" in str(exc)
    else:
        raise AssertionError("build() must refuse a route without @doc")


def test_security_is_described_and_open_routes_say_so(client):
    doc = client.get("/api/openapi.json").get_json()
    assert set(doc["components"]["securitySchemes"]) == {"token", "session"}
    assert doc["security"] == [{"token": []}, {"session": []}]
    assert doc["paths"]["/api/auth/login"]["post"]["security"] == []
    assert doc["paths"]["/api/auth/setup"]["post"]["security"] == []
    assert "security" not in doc["paths"]["/api/monitors"]["get"]
