"""GET /api/monitors/{id}/uptime?from=&to=: uptime over any span (daily rollups), and 90d."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.buckets import DAY
from shared.models import Rollup
from tests.helpers import create_monitor


def day(n: int) -> datetime:
    return datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=n)


def add_days(app, monitor_id: int, counts: dict[int, tuple[int, int, int, int]]) -> None:
    from web.extensions import db

    with app.app_context():
        for n, (ok, degraded, down, maintenance) in counts.items():
            db.session.add(
                Rollup(
                    monitor_id=monitor_id,
                    resolution=DAY,
                    bucket_start=day(n),
                    ok=ok,
                    degraded=degraded,
                    down=down,
                    maintenance=maintenance,
                    latency_sum=0.0,
                    latency_count=0,
                )
            )
        db.session.commit()


def test_span_sums_whole_days_and_leaves_maintenance_out(any_db_app, any_db_client):
    mid = create_monitor(any_db_client)["id"]
    add_days(any_db_app, mid, {0: (90, 0, 10, 0), 1: (50, 50, 0, 40), 2: (0, 0, 100, 0), 10: (1, 0, 0, 0)})
    body = any_db_client.get(
        f"/api/monitors/{mid}/uptime?from=2027-01-01T06:00:00Z&to=2027-01-02T18:00:00%2B00:00"
    ).get_json()
    assert body["first_day"] == "2027-01-01T00:00:00Z" and body["last_day"] == "2027-01-02T00:00:00Z"
    assert body["checks"] == 200 and body["maintenance"] == 40 and body["uptime"] == round(190 / 200, 6)
    assert [b["uptime"] for b in body["buckets"]] == [0.9, 1.0]
    assert body["bucket_seconds"] == DAY

    three = any_db_client.get(f"/api/monitors/{mid}/uptime?from=2027-01-01&to=2027-01-04").get_json()
    assert three["checks"] == 300 and three["uptime"] == round(190 / 300, 6)
    assert len(three["buckets"]) == 3  # to is exclusive: midnight of the 4th is not in the span

    empty = any_db_client.get(f"/api/monitors/{mid}/uptime?from=2027-01-05&to=2027-01-07").get_json()
    assert empty["uptime"] is None and empty["checks"] == 0 and len(empty["buckets"]) == 2

    longest = any_db_client.get(f"/api/monitors/{mid}/uptime?from=2027-01-01&to=2029-03-11")
    assert longest.status_code == 200 and len(longest.get_json()["buckets"]) == 800


def test_named_periods_still_work_and_90d_is_one(any_db_client):
    mid = create_monitor(any_db_client)["id"]
    for period, buckets in (("24h", 24), ("week", 7), ("month", 30), ("90d", 90), ("year", 52)):
        body = any_db_client.get(f"/api/monitors/{mid}/uptime?period={period}").get_json()
        assert body["period"] == period and len(body["buckets"]) == buckets
    assert any_db_client.get(f"/api/monitors/{mid}/uptime").get_json()["period"] == "24h"


@pytest.mark.parametrize(
    "query,field",
    [
        ("from=2027-01-02&to=2027-01-01", "to"),
        ("from=2027-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", "to"),
        ("from=2027-01-01&to=2029-03-12", "from"),  # 801 days
        ("from=yesterday&to=2027-01-01", "from"),
        ("from=2027-01-01", "to"),
        ("to=2027-01-01", "from"),
        ("from=2027-01-01&to=2027-02-01&period=week", "period"),
        ("from=0001-01-01&to=2027-01-01", "from"),
        ("period=2d", "period"),
    ],
)
def test_bad_spans_are_422(any_db_client, query, field):
    mid = create_monitor(any_db_client)["id"]
    response = any_db_client.get(f"/api/monitors/{mid}/uptime?{query}")
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["fields"]


def test_unknown_monitor_is_404(any_db_client):
    assert any_db_client.get("/api/monitors/999/uptime?from=2027-01-01&to=2027-01-02").status_code == 404
