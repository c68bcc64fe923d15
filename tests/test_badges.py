"""Public badges on the real app and PostgreSQL: every kind, escaping, 404s, a new key, the cache."""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import event

from shared.badges import TTLCache, format_percent
from shared.buckets import DAY, HOUR, bucket_start
from shared.models import CheckResult, MonitorState, Rollup, utcnow
from tests.helpers import create_monitor

SVG_NS = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG_NS}svg"
    return [t.text for t in root.iter(f"{SVG_NS}text")]


def _add(app, *rows) -> None:
    from web.extensions import db

    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


@contextlib.contextmanager
def _counting(app):
    from web.extensions import db

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def monitor(app, client):
    """An http monitor with badges on, a state (ok, 42.4 ms) and rollups for every period."""
    created = create_monitor(client, name="API Server", badges=True)
    now = utcnow()
    mid = created["id"]
    _add(
        app,
        MonitorState(monitor_id=mid, location=0, status="ok", last_checked_at=now, last_latency_ms=42.4),
        Rollup(monitor_id=mid, resolution=HOUR, bucket_start=bucket_start(now, HOUR), ok=999, down=1),
        Rollup(monitor_id=mid, resolution=DAY, bucket_start=bucket_start(now, DAY), ok=2),
        # 60 days ago: inside 90d and 1y only.
        Rollup(
            monitor_id=mid,
            resolution=DAY,
            bucket_start=bucket_start(now - timedelta(days=60), DAY),
            ok=1,
            down=1,
        ),
    )
    return created


def test_the_monitor_json_shows_the_key_only_while_badges_are_on(client, monitor):
    key = monitor["badge_key"]
    assert monitor["badges"] is True and len(key) >= 22  # ≥ 128 bits
    assert monitor["badge_url"] == f"http://localhost/badge/{key}/status.svg"
    plain = create_monitor(client)
    assert plain["badges"] is False and plain["badge_key"] is None and plain["badge_url"] is None
    off = client.put(f"/api/monitors/{monitor['id']}", json={"badges": False}).get_json()
    assert off["badges"] is False and off["badge_key"] is None and off["badge_url"] is None
    on = client.put(f"/api/monitors/{monitor['id']}", json={"badges": True}).get_json()
    assert on["badge_key"] == key  # off kept the key


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("status", "up"),
        ("uptime-24h", "99.90%"),
        ("uptime-7d", "100.00%"),
        ("uptime-30d", "100.00%"),
        ("uptime-90d", "75.00%"),
        ("uptime-1y", "75.00%"),
        ("latency", "42 ms"),
    ],
)
def test_every_kind_renders_valid_svg(anon, monitor, kind, message):
    response = anon.get(f"/badge/{monitor['badge_key']}/{kind}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "public, max-age=30"
    texts = _texts(response.get_data(as_text=True))
    assert texts == ["API Server", "API Server", message, message]


def test_cert_badge_shows_the_last_days_left_and_is_404_for_other_types(app, client, anon, monitor):
    ssl = create_monitor(client, name="cert", type="ssl", target="example.com", badges=True)
    now = utcnow()
    _add(
        app,
        CheckResult(
            monitor_id=ssl["id"], uid="t:1", checked_at=now - timedelta(hours=1), status="ok", days_left=46
        ),
        CheckResult(monitor_id=ssl["id"], uid="t:2", checked_at=now, status="ok", days_left=45),
    )
    response = anon.get(f"/badge/{ssl['badge_key']}/cert.svg")
    assert response.status_code == 200
    assert _texts(response.get_data(as_text=True))[2] == "45 days"
    assert anon.get(f"/badge/{ssl['badge_key']}/cert.json").get_json()["color"] == "brightgreen"
    assert anon.get(f"/badge/{monitor['badge_key']}/cert.svg").status_code == 404


def test_status_words_follow_the_state(app, client, anon):
    fresh = create_monitor(client, name="new", badges=True)
    assert _texts(anon.get(f"/badge/{fresh['badge_key']}/status.svg").get_data(as_text=True))[2] == "unknown"
    down = create_monitor(client, name="down", badges=True)
    _add(app, MonitorState(monitor_id=down["id"], location=0, status="down", last_checked_at=utcnow()))
    body = anon.get(f"/badge/{down['badge_key']}/status.json").get_json()
    assert body["message"] == "down" and body["color"] == "red"


def test_markup_in_the_name_and_label_comes_out_escaped(client, anon):
    name = "<script>alert('x')</script> & \"q\""
    created = create_monitor(client, name=name, badges=True)
    raw = anon.get(f"/badge/{created['badge_key']}/status.svg").get_data(as_text=True)
    assert "<script>" not in raw and "&lt;script&gt;" in raw and "&amp; &quot;q&quot;" in raw
    assert _texts(raw)[0] == name
    label = "<script>x</script> & co" + "y" * 100
    raw = anon.get(f"/badge/{created['badge_key']}/status.svg", query_string={"label": label}).get_data(
        as_text=True
    )
    assert "<script>" not in raw and "&lt;script&gt;x&lt;/script&gt; &amp; co" in raw
    assert _texts(raw)[0] == label[:50]
    # Control characters can't go into XML at all: dropped.
    raw = anon.get(f"/badge/{created['badge_key']}/status.svg?label=a%00b%1bc").get_data(as_text=True)
    assert _texts(raw)[0] == "abc"


def test_shields_endpoint_json(anon, monitor):
    response = anon.get(f"/badge/{monitor['badge_key']}/uptime-24h.json?label=uptime")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "public, max-age=30"
    assert response.get_json() == {
        "schemaVersion": 1,
        "label": "uptime",
        "message": "99.90%",
        "color": "brightgreen",
    }


def test_404s_say_nothing(client, anon, monitor):
    key = monitor["badge_key"]
    assert anon.get(f"/badge/{'x' * 32}/status.svg").status_code == 404
    assert anon.get(f"/badge/{key}/nonsense.svg").status_code == 404
    assert anon.get(f"/badge/{key}/uptime-2d.svg").status_code == 404
    client.put(f"/api/monitors/{monitor['id']}", json={"badges": False})
    assert anon.get(f"/badge/{key}/status.svg").status_code == 404
    assert anon.get(f"/badge/{key}/status.json").status_code == 404
    client.put(f"/api/monitors/{monitor['id']}", json={"badges": True})
    assert anon.get(f"/badge/{key}/status.svg").status_code == 200


def test_a_new_key_retires_the_old_url_at_once(client, viewer, anon, monitor):
    old = monitor["badge_key"]
    assert anon.get(f"/badge/{old}/status.svg").status_code == 200  # now cached
    assert viewer.post(f"/api/monitors/{monitor['id']}/badge-key").status_code == 403
    response = client.post(f"/api/monitors/{monitor['id']}/badge-key")
    assert response.status_code == 200
    new = response.get_json()["badge_key"]
    assert new != old and response.get_json()["badge_url"].endswith(f"/badge/{new}/status.svg")
    assert anon.get(f"/badge/{old}/status.svg").status_code == 404
    assert anon.get(f"/badge/{new}/status.svg").status_code == 200
    assert client.delete(f"/api/monitors/{monitor['id']}").status_code == 200
    assert anon.get(f"/badge/{new}/status.svg").status_code == 404


def test_a_second_request_within_30_s_does_not_query_the_database(app, anon, monitor):
    url = f"/badge/{monitor['badge_key']}/uptime-30d.svg"
    with _counting(app) as statements:
        first = anon.get(url)
    assert first.status_code == 200 and statements
    with _counting(app) as statements:
        again = anon.get(url)
        anon.get(url + "?label=other")
    assert again.get_data() == first.get_data()
    assert statements == []
    with _counting(app) as statements:
        anon.get(f"/badge/{monitor['badge_key']}/uptime-7d.svg")  # another kind: its own entry
    assert statements


def test_revocation_in_another_process_reaches_this_one(app, anon, monitor):
    """Another web process (here: the file it touches) revokes; this one drops its cache."""
    url = f"/badge/{monitor['badge_key']}/status.svg"
    assert anon.get(url).status_code == 200
    (app.config["OT"].data_dir / "badges.revoked").write_text("x")
    with _counting(app) as statements:
        assert anon.get(url).status_code == 200
    assert statements


def test_the_cache_is_bounded_and_expires():
    clock = [0.0]
    cache = TTLCache(ttl=30, size=3, clock=lambda: clock[0])
    for i in range(5):
        cache.put(i, None, i)
    assert len(cache) == 3 and cache.get(0, None) is cache.MISS and cache.get(4, None) == 4
    assert cache.get(4, "another epoch") is cache.MISS
    cache.put("x", None, None)
    assert cache.get("x", None) is None  # a cached 404
    clock[0] = 30
    assert cache.get("x", None) is cache.MISS


def test_percentages_round_down():
    assert format_percent(0.99999) == "99.99%" and format_percent(1) == "100.00%"
    assert format_percent(0.5) == "50.00%" and format_percent(0.999) == "99.90%"
