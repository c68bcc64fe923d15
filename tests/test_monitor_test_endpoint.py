"""Testing a saved monitor with unsaved edits: the edit page's Test uses the saved password."""

from __future__ import annotations

from tests.helpers import create_monitor
from tests.peers.http_server import HttpPeer


def test_a_saved_monitor_tests_with_edits_and_its_saved_password(client):
    with HttpPeer() as peer:
        peer.set(body=b"service ready", auth=("probe", "saved-secret"))
        monitor = create_monitor(
            client,
            target=peer.url,
            http={"basic_auth": {"username": "probe", "password": "saved-secret"}},
        )
        saved = client.post(f"/api/monitors/{monitor['id']}/test")
        assert saved.status_code == 200 and saved.get_json()["status"] in ("ok", "degraded")
        edited = client.post(f"/api/monitors/{monitor['id']}/test", json={"http": {"keyword": "ready"}})
        assert edited.get_json()["details"] == "HTTP 200", edited.get_json()
        missing = client.post(f"/api/monitors/{monitor['id']}/test", json={"http": {"keyword": "absent!"}})
        assert missing.get_json()["status"] == "down" and "keyword" in missing.get_json()["details"]
        bad = client.post(f"/api/monitors/{monitor['id']}/test", json={"http": {"expected_status": "abc"}})
        assert bad.status_code == 422 and "http.expected_status" in bad.get_json()["fields"]
        # Nothing was stored by any of these.
        assert client.get(f"/api/monitors/{monitor['id']}").get_json()["http"]["keyword"] is None
