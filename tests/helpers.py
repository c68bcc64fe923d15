"""Small helpers shared by the API tests."""

from __future__ import annotations

HTTP_MONITOR = {"name": "API Server", "type": "http", "target": "http://127.0.0.1:9/health"}


def create_monitor(client, **overrides) -> dict:
    response = client.post("/api/monitors", json={**HTTP_MONITOR, **overrides})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def snapshot(client) -> tuple:
    """Everything the admin API can read back, to show that a failed request changed nothing."""
    return (
        client.get("/api/monitors").get_json(),
        client.get("/api/settings").get_json(),
    )
