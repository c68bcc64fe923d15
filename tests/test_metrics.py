"""``GET /metrics``: who may read it (token, session, METRICS_ALLOW) and what it says, read from the
database of the real app (PostgreSQL) and the run's Redis."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from shared import config as config_mod
from shared import recording
from shared.checks import CheckResult as Outcome
from shared.models import Agent, AlertDelivery, AlertEvent, Monitor, SchedulerState, utcnow
from tests.auth import anonymous, sign_in
from tests.conftest import make_config


def _families(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(response.get_data(as_text=True))}


def _samples(family, **match) -> dict:
    """{(sample name, labels as a sorted tuple): value} of the samples whose labels include ``match``."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for s in family.samples
        if all(s.labels.get(k) == v for k, v in match.items())
    }


def _value(family, **labels) -> float:
    found = [s.value for s in family.samples if s.labels == labels]
    assert len(found) == 1, (family.name, labels, family.samples)
    return found[0]


def _token(client, scope: str = "read") -> dict:
    response = client.post("/api/tokens", json={"name": f"prometheus {scope}", "scope": scope})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


# --- access -------------------------------------------------------------------------------------


def test_refused_without_credentials_when_no_address_is_allowed(client, anon):
    response = anon.get("/metrics")
    assert response.status_code == 401
    assert response.get_json()["code"] == "login_required"
    bad = anon.get("/metrics", headers={"Authorization": "Bearer ot_not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["code"] == "invalid_token"


@pytest.mark.parametrize("scope", ["read", "write"])
def test_a_token_of_either_scope_reads_it(client, anon, scope):
    families = _families(anon.get("/metrics", headers=_token(client, scope)))
    assert "onlinetracker_monitor_status" in families


def test_sessions_read_it_too_viewers_included(client, viewer):
    assert client.get("/metrics").status_code == 200
    assert viewer.get("/metrics").status_code == 200


def test_a_token_of_a_deactivated_user_is_refused(app, client, anon):
    from shared.models import User
    from web.extensions import db

    auth = _token(sign_in(app, "ops", "admin"))
    assert anon.get("/metrics", headers=auth).status_code == 200
    with app.app_context():
        db.session.query(User).filter_by(username="ops").update({"active": False})
        db.session.commit()
    assert anon.get("/metrics", headers=auth).status_code == 401


@pytest.fixture
def allow_app(tmp_path, db_url, redis_url):
    from web import create_app
    from web.extensions import db

    cfg = replace(
        make_config(tmp_path, db_url, redis_url),
        metrics_allow=config_mod.parse_networks("10.1.0.0/16, 192.0.2.7", "METRICS_ALLOW"),
        trusted_proxies=config_mod.parse_networks("127.0.0.1", "TRUSTED_PROXIES"),
    )
    app = create_app(cfg)
    app.config["TESTING"] = True
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_allowed_addresses_read_it_without_a_token_others_get_403(allow_app):
    admin = sign_in(allow_app)  # an account exists: past first start
    anon = anonymous(allow_app)
    for address in ("10.1.2.3", "192.0.2.7"):
        families = _families(anon.get("/metrics", environ_base={"REMOTE_ADDR": address}))
        assert "onlinetracker_queue_messages" in families
    for address in ("10.2.0.1", "192.0.2.8", "127.0.0.2"):
        response = anon.get("/metrics", environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 403, address
        assert response.get_json()["code"] == "address_not_allowed" and response.get_json()["error"]
    # X-Forwarded-For is believed from a trusted proxy only.
    spoofed = anon.get(
        "/metrics", environ_base={"REMOTE_ADDR": "10.9.9.9"}, headers={"X-Forwarded-For": "10.1.2.3"}
    )
    assert spoofed.status_code == 403
    proxied = anon.get(
        "/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"X-Forwarded-For": "10.1.2.3"}
    )
    assert proxied.status_code == 200
    # A token still works from anywhere; the allow-list opens nothing else.
    assert (
        anon.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"}, headers=_token(admin)).status_code
        == 200
    )
    assert anon.get("/api/monitors", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 401
    assert anon.post("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 401


def test_metrics_allow_is_parsed_like_trusted_proxies(tmp_path):
    cfg = config_mod.load({"DATA_DIR": str(tmp_path), "METRICS_ALLOW": "10.0.0.0/8 ,192.168.1.10"})
    assert [str(n) for n in cfg.metrics_allow] == ["10.0.0.0/8", "192.168.1.10/32"]
    with pytest.raises(config_mod.ConfigError, match="METRICS_ALLOW"):
        config_mod.load({"DATA_DIR": str(tmp_path), "METRICS_ALLOW": "prometheus.local"})


# --- content ------------------------------------------------------------------------------------


def _record(session, monitor, at, status, latency_ms, slot_lag=None, agent_id=None, days_left=None):
    slot = at - timedelta(seconds=slot_lag) if slot_lag is not None else None
    outcome = Outcome(status, latency_ms, status, days_left)
    recording.record(session, monitor, f"t:{uuid.uuid4().hex}", at, outcome, agent_id=agent_id, slot_at=slot)


@pytest.fixture
def populated(app, client):
    """Six monitors in known states, results, alert events, a dispatch watermark."""
    from web.extensions import db

    now = utcnow()
    with app.app_context():
        s = db.session
        agent = Agent(uuid=str(uuid.uuid4()), name="eu-1", approved=True, last_seen_at=now)
        gone = Agent(
            uuid=str(uuid.uuid4()), name="us-2", approved=True, last_seen_at=now - timedelta(hours=1)
        )
        gone.offline_since = now - timedelta(minutes=50)
        s.add_all([agent, gone])
        s.flush()

        def monitor(name, mtype="http", **kw):
            row = Monitor(name=name, type=mtype, target="http://127.0.0.1:9/", interval_seconds=60, **kw)
            s.add(row)
            s.flush()
            return row

        down = monitor("api down")
        slow = monitor("api slow")
        cert = monitor("cert", "ssl")
        remote = monitor("remote", agent_id=agent.id)
        fresh = monitor("fresh")
        silent = monitor("silent")
        silent.updated_at = now - timedelta(hours=1)
        s.commit()

        _record(s, down, now - timedelta(seconds=90), "ok", 100.0, slot_lag=0.4)
        _record(s, down, now - timedelta(seconds=30), "down", None, slot_lag=1.5)
        _record(s, slow, now - timedelta(seconds=20), "degraded", 800.0, slot_lag=1.5)
        _record(s, cert, now - timedelta(seconds=10), "ok", 50.0, slot_lag=20.0, days_left=40)
        _record(s, remote, now - timedelta(seconds=5), "ok", 250.0, agent_id=agent.id)
        _record(s, silent, now - timedelta(minutes=10), "ok", 30.0, slot_lag=3.0)
        pending = AlertEvent(event="down", monitor_name="api down", monitor_type="http", target="t")
        done = AlertEvent(
            event="up",
            monitor_name="api down",
            monitor_type="http",
            target="t",
            created_at=now - timedelta(hours=2),
        )
        s.add_all([pending, done, SchedulerState(name="dispatched_until", value=now.timestamp() + 8)])
        s.flush()
        s.add_all(
            [
                AlertDelivery(event_id=pending.id, channel_name="Webhook", kind="webhook", state="pending"),
                AlertDelivery(event_id=pending.id, channel_name="Email", kind="email", state="pending"),
                AlertDelivery(event_id=done.id, channel_name="Webhook", kind="webhook", state="sent"),
                AlertDelivery(event_id=done.id, channel_name="Email", kind="email", state="failed"),
            ]
        )
        s.commit()
        ids = {m.name: m.id for m in (down, slow, cert, remote, fresh, silent)}
        agent_ids = (agent.id, gone.id)
    return now, ids, agent_ids


def test_monitor_families_labels_and_values(client, populated):
    now, ids, _agents = populated
    families = _families(client.get("/metrics"))
    status = families["onlinetracker_monitor_status"]
    expected = {
        "api down": ("http", "server", "down"),
        "api slow": ("http", "server", "degraded"),
        "cert": ("ssl", "server", "ok"),
        "remote": ("http", "eu-1", "ok"),
        "fresh": ("http", "server", "unknown"),
        "silent": ("http", "server", "stale"),
    }
    for name, (mtype, location, current) in expected.items():
        labels = {"id": str(ids[name]), "name": name, "type": mtype, "location": location}
        values = {dict(k[1])["status"]: v for k, v in _samples(status, **labels).items()}
        assert values == {s: float(s == current) for s in ("ok", "degraded", "down", "stale", "unknown")}, (
            name
        )
        assert _value(families["onlinetracker_monitor_enabled"], **labels) == 1.0

    def labels(name, mtype="http", location="server"):
        return {"id": str(ids[name]), "name": name, "type": mtype, "location": location}

    latency = families["onlinetracker_monitor_latency_seconds"]
    assert _value(latency, **labels("api slow")) == pytest.approx(0.8)
    assert _value(latency, **labels("remote", location="eu-1")) == pytest.approx(0.25)
    assert not _samples(latency, id=str(ids["api down"]))  # the down check had no latency
    assert not _samples(latency, id=str(ids["fresh"]))
    last = families["onlinetracker_monitor_last_check_timestamp_seconds"]
    assert _value(last, **labels("api slow")) == pytest.approx((now - timedelta(seconds=20)).timestamp())

    checks = families["onlinetracker_monitor_checks_24h"]
    assert _value(checks, **labels("api down"), status="ok") == 1.0
    assert _value(checks, **labels("api down"), status="down") == 1.0
    assert _value(checks, **labels("api down"), status="degraded") == 0.0
    assert _value(checks, **labels("fresh"), status="ok") == 0.0

    days = families["onlinetracker_monitor_certificate_days_left"]
    assert [(s.labels["name"], s.value) for s in days.samples] == [("cert", 40.0)]


def test_pipeline_alert_and_agent_families(client, populated):
    now, ids, (eu, us) = populated
    families = _families(client.get("/metrics"))
    # Five enabled server monitors of 60 s: five slots each in five minutes.
    assert _value(families["onlinetracker_checks_scheduled_5m"]) == 25.0
    results = families["onlinetracker_check_results_5m"]
    assert _value(results, source="server") == 4.0  # the silent monitor's result is older
    assert _value(results, source="agent") == 1.0

    lag = families["onlinetracker_check_lag_seconds"]
    buckets = {s.labels["le"]: s.value for s in lag.samples if s.name.endswith("_bucket")}
    assert buckets["0.5"] == 1.0 and buckets["1.0"] == 1.0 and buckets["2.5"] == 3.0
    assert buckets["10.0"] == 3.0 and buckets["30.0"] == 4.0 and buckets["+Inf"] == 4.0

    dispatched = families["onlinetracker_scheduler_dispatched_until_timestamp_seconds"]
    assert _value(dispatched) == pytest.approx(now.timestamp() + 8)

    deliveries = families["onlinetracker_alert_deliveries"]
    assert _value(deliveries, channel="webhook", state="pending") == 1.0
    assert _value(deliveries, channel="webhook", state="sent") == 1.0
    assert _value(deliveries, channel="email", state="failed") == 1.0
    assert _value(deliveries, channel="email", state="pending") == 1.0
    assert _value(deliveries, channel="email", state="skipped") == 0.0
    oldest = families["onlinetracker_alert_oldest_pending_timestamp_seconds"]
    assert _value(oldest) == pytest.approx(now.timestamp(), abs=60)

    online = families["onlinetracker_agent_online"]
    assert _value(online, id=str(eu), name="eu-1") == 1.0
    assert _value(online, id=str(us), name="us-2") == 0.0


def test_queue_depth_is_read_from_redis_under_the_key_prefix(client, redis_url):
    """Measured as the change our own pushes make: earlier tests of the run may have left alert
    tasks in this run's queues (nothing consumes them in unit tests)."""
    prefix = os.environ.get("REDIS_KEY_PREFIX", "")
    assert prefix, "conftest gives every run its own prefix"
    r = redis.Redis.from_url(redis_url)
    checks, alerts, unacked = f"{prefix}checks", f"{prefix}alerts\x06\x163", f"{prefix}unacked"

    def depths():
        families = _families(client.get("/metrics"))
        queued = families["onlinetracker_queue_messages"]
        return (
            _value(queued, queue="checks"),
            _value(queued, queue="alerts"),
            _value(families["onlinetracker_broker_unacked_messages"]),
            _value(families["onlinetracker_broker_up"]),
        )

    before = depths()
    try:
        r.lpush(checks, "bench-a", "bench-b")
        r.lpush(alerts, "bench-c")
        r.hset(unacked, "metrics-test-tag", "m")
        r.lpush("checks", "not ours")  # another installation's queue, without the prefix
        after = depths()
    finally:
        r.lrem(checks, 0, "bench-a")
        r.lrem(checks, 0, "bench-b")
        r.lrem(alerts, 0, "bench-c")
        r.hdel(unacked, "metrics-test-tag")
        r.lrem("checks", 1, "not ours")
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (2.0, 1.0, 1.0)
    assert after[3] == 1.0


def test_an_unreachable_broker_is_reported_not_fatal(tmp_path, db_url):
    from web import create_app
    from web.extensions import db

    app = create_app(make_config(tmp_path, db_url, "redis://127.0.0.1:1/0"))
    try:
        families = _families(sign_in(app).get("/metrics"))
        assert _value(families["onlinetracker_broker_up"]) == 0.0
        assert "onlinetracker_queue_messages" not in families
        assert "onlinetracker_monitor_status" in families
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_embedded_broker_counts_the_message_files(tmp_path, db_url):
    from web import create_app
    from web.extensions import db

    cfg = make_config(tmp_path, db_url)
    folder = cfg.data_dir / "broker"
    folder.mkdir(parents=True)
    for name in ("1_a.checks.msg", "2_b.checks.msg", "3_c.alerts.msg", "4_d.celery.msg"):
        (folder / name).write_text("{}")
    app = create_app(cfg)
    try:
        families = _families(sign_in(app).get("/metrics"))
        queued = families["onlinetracker_queue_messages"]
        assert _value(queued, queue="checks") == 2.0 and _value(queued, queue="alerts") == 1.0
        assert "onlinetracker_broker_unacked_messages" not in families
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
