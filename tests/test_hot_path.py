"""The check's hot path: what beat carries in the task, and recording in one statement on PostgreSQL.

The one-statement path must record exactly what SQLite's statement-by-statement path records, for
the same inputs (table-driven below), and a worker must never record a check against a monitor that
was edited or deleted after the check was dispatched.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, event, select, update

from shared import crypto, maintenance, recording
from shared.checks import CheckResult as Outcome
from shared.db import make_engine, migrate, session_factory
from shared.models import CheckResult, MaintenanceWindow, Monitor, MonitorState, Rollup
from tests.peers.http_server import HttpPeer

T0 = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# (uid, minutes after T0, status, latency, agent id); the monitor's confirm_checks; windows.
SCENARIOS = {
    "changes of status": dict(
        results=[("a", 0, "ok", 40.0, None), ("b", 1, "ok", 35.0, None), ("c", 2, "down", None, None),
                 ("d", 3, "down", None, None), ("e", 4, "degraded", 900.0, None), ("f", 20, "ok", 30.0, None)],
    ),
    "the same uid twice": dict(
        results=[("a", 0, "ok", 40.0, None), ("a", 0, "down", None, None), ("b", 1, "down", None, None),
                 ("b", 1, "down", None, None)],
    ),
    "a result recorded late": dict(
        results=[("a", 2, "ok", 40.0, None), ("b", 1, "down", None, None), ("c", 3, "ok", 20.0, None)],
    ),
    "confirmation after three downs": dict(
        confirm=3,
        results=[("a", 0, "ok", 40.0, None), ("b", 1, "down", None, None), ("c", 2, "down", None, None),
                 ("d", 3, "down", None, None), ("e", 4, "down", None, None), ("f", 5, "ok", 10.0, None)],
    ),
    "an agent's location beside the server's": dict(
        results=[("a", 0, "ok", 40.0, None), ("agt:7:1", 0.5, "down", None, 7), ("b", 1, "ok", 41.0, None),
                 ("agt:7:2", 1.5, "ok", 12.0, 7)],
    ),
    "inside a maintenance window": dict(
        windows=[(_at(1), _at(3))],
        results=[("a", 0, "ok", 40.0, None), ("b", 1, "down", None, None), ("c", 2, "down", None, None),
                 ("d", 4, "ok", 30.0, None)],
    ),
}  # fmt: skip


def _play(url: str, scenario: dict) -> dict:
    """Record the scenario's results one transaction each; what record() said and what is stored."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    try:
        with sessions() as session:
            for table in (CheckResult, Rollup, MonitorState, MaintenanceWindow, Monitor):
                session.execute(delete(table))
            monitor = Monitor(
                name="m", type="http", target="http://x/", confirm_checks=scenario.get("confirm", 1)
            )
            session.add(monitor)
            session.flush()
            for start, end in scenario.get("windows", []):
                session.add(
                    MaintenanceWindow(
                        title="w", monitor_ids=json.dumps([monitor.id]), starts_at=start, ends_at=end
                    )
                )
            session.commit()
            mid = monitor.id
        said = []
        for uid, minutes, status, latency, agent in scenario["results"]:
            with sessions() as session:
                monitor = session.get(Monitor, mid)
                inserted, transition = recording.record(
                    session,
                    monitor,
                    uid,
                    _at(minutes),
                    Outcome(status, latency, f"{status}!"),
                    agent_id=agent,
                )
                session.commit()
            said.append((inserted, transition and {**transition.__dict__, "monitor_id": None}))
        with sessions() as session:
            results = session.execute(
                select(
                    CheckResult.uid, CheckResult.agent_id, CheckResult.checked_at, CheckResult.status,
                    CheckResult.latency_ms, CheckResult.details,
                ).order_by(CheckResult.uid)
            ).all()  # fmt: skip
            rollups = session.execute(
                select(
                    Rollup.resolution, Rollup.bucket_start, Rollup.ok, Rollup.degraded, Rollup.down,
                    Rollup.maintenance, Rollup.latency_sum, Rollup.latency_count,
                ).order_by(Rollup.resolution, Rollup.bucket_start)
            ).all()  # fmt: skip
            states = session.execute(
                select(
                    MonitorState.location, MonitorState.status, MonitorState.since, MonitorState.last_checked_at,
                    MonitorState.last_latency_ms, MonitorState.last_details, MonitorState.fail_streak,
                ).order_by(MonitorState.location)
            ).all()  # fmt: skip
        return {"said": said, "results": results, "rollups": rollups, "states": states}
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_one_statement_records_what_the_statements_one_by_one_record(name, db_url, tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'hot.db'}"
    engine = make_engine(sqlite_url)
    migrate(engine)
    engine.dispose()
    on_postgresql = _play(db_url, SCENARIOS[name])
    on_sqlite = _play(sqlite_url, SCENARIOS[name])
    assert on_postgresql == on_sqlite
    assert any(t for _, t in on_postgresql["said"])  # each scenario announces something


def test_confirmation_is_announced_once_at_the_streak(db_url):
    said = _play(db_url, SCENARIOS["confirmation after three downs"])["said"]
    transitions = [(t["old"], t["new"], t["streak"]) for _, t in said if t]
    assert transitions == [("unknown", "ok", 0), ("ok", "down", 1), ("down", "down", 3), ("down", "ok", 0)]


def test_changed_windows_are_read_again_before_the_rollups(db_url):
    """The process's windows are compared in the statement: a window added after they were read
    still counts the next result as maintenance."""
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    try:
        with sessions() as session:
            monitor = Monitor(name="m", type="http", target="http://x/")
            session.add(monitor)
            session.commit()
            recording.record(session, monitor, "a", _at(0), Outcome("ok", 10.0, ""))
            session.commit()
            session.add(
                MaintenanceWindow(
                    title="w", all_monitors=True, monitor_ids="[]", starts_at=_at(0), ends_at=_at(5)
                )
            )
            session.commit()
        with sessions() as session:
            monitor = session.get(Monitor, monitor.id)
            recording.record(session, monitor, "b", _at(1), Outcome("down", None, ""))
            session.commit()
            bar = session.execute(select(Rollup).where(Rollup.resolution == 900)).scalar_one()
            assert (bar.ok, bar.down, bar.maintenance) == (1, 0, 1)
    finally:
        engine.dispose()


# --- The task: the monitor carried in the message, guarded against changes -------------------------


@pytest.fixture
def worker_env(monkeypatch, tmp_path, db_url, redis_url):
    """The worker's task run in this process against the test database; alerts collected."""
    from worker import context, tasks

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    context.reset()
    alerts: list[int] = []
    monkeypatch.setattr(tasks.alert_queue, "enqueue", alerts.extend)
    yield session_factory(make_engine(db_url)), alerts
    context.reset()


def _message(sessions, monitor_id: int) -> dict:
    from worker import dispatch

    with sessions() as session:
        message = dispatch.check_messages(session, {monitor_id})[monitor_id]
    return json.loads(json.dumps(message))  # as it comes out of the broker


def _add(sessions, **values) -> int:
    with sessions() as session:
        monitor = Monitor(name="m", type="http", timeout_seconds=5, **values)
        session.add(monitor)
        session.commit()
        return monitor.id


def _results(sessions, monitor_id: int) -> list[tuple[str, str]]:
    with sessions() as session:
        return session.execute(
            select(CheckResult.uid, CheckResult.status).where(CheckResult.monitor_id == monitor_id)
        ).all()


SLOT = 1_900_000_000.0


def test_a_check_from_its_message_reads_no_monitor_and_records_in_one_statement(worker_env):
    from worker import context, tasks

    sessions, alerts = worker_env
    with HttpPeer() as peer:
        mid = _add(sessions, target=peer.url)
        message = _message(sessions, mid)
        tasks.run_check(mid, SLOT, message)  # the first: unknown → ok, the windows read once
        statements = []

        def count(_conn, _cursor, sql, *_args):
            if sql.strip() != "SELECT 1":  # the pool's pre-ping
                statements.append(sql)

        engine = context.sessions().kw["bind"]
        event.listen(engine, "before_cursor_execute", count)
        try:
            tasks.run_check(mid, SLOT + 60, message)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert peer.hits == 2
    assert len(statements) == 1 and statements[0].lstrip().startswith("WITH monitor AS")
    assert sorted(_results(sessions, mid)) == [
        (f"srv:{mid}:{SLOT:.3f}", "ok"),
        (f"srv:{mid}:{SLOT + 60:.3f}", "ok"),
    ]
    assert len(alerts) == 0  # no channel configured: the first result's change writes no event


def test_a_monitor_edited_after_dispatch_is_checked_as_it_is_now(worker_env):
    from worker import tasks

    sessions, _ = worker_env
    with HttpPeer() as before, HttpPeer() as after:
        after.set(status=500)
        mid = _add(sessions, target=before.url)
        message = _message(sessions, mid)
        with sessions() as session:
            session.get(Monitor, mid).target = after.url
            session.commit()
        tasks.run_check(mid, SLOT, message)
        # Checked as dispatched, found changed when recording, checked again as it is now.
        assert (before.hits, after.hits) == (1, 1)
    assert _results(sessions, mid) == [(f"srv:{mid}:{SLOT:.3f}", "down")]


def test_an_edit_that_leaves_the_check_alone_costs_no_second_check(worker_env):
    from worker import tasks

    sessions, _ = worker_env
    with HttpPeer() as peer:
        mid = _add(sessions, target=peer.url, confirm_checks=1)
        message = _message(sessions, mid)
        with sessions() as session:
            session.get(Monitor, mid).name = "renamed"
            session.commit()
        tasks.run_check(mid, SLOT, message)
        assert peer.hits == 1
    assert _results(sessions, mid) == [(f"srv:{mid}:{SLOT:.3f}", "ok")]


@pytest.mark.parametrize("change", ["deleted", "paused", "made a heartbeat"])
def test_a_monitor_gone_after_dispatch_records_nothing(worker_env, change):
    from worker import tasks

    sessions, alerts = worker_env
    with HttpPeer() as peer:
        mid = _add(sessions, target=peer.url)
        message = _message(sessions, mid)
        with sessions() as session:
            if change == "deleted":
                session.execute(delete(Monitor).where(Monitor.id == mid))
            else:
                values = {"enabled": False} if change == "paused" else {"type": "heartbeat"}
                session.execute(update(Monitor).where(Monitor.id == mid).values(**values))
            session.commit()
        tasks.run_check(mid, SLOT, message)
    assert _results(sessions, mid) == []
    assert alerts == []


def test_the_message_carries_the_password_encrypted(worker_env):
    from worker import context

    sessions, _ = worker_env
    key = context.config().secret_key
    options = {"basic_auth": {"username": "u"}}
    mid = _add(
        sessions, target="http://x/", options=json.dumps(options), secret_enc=crypto.encrypt(key, "hunter2")
    )
    message = _message(sessions, mid)
    assert "hunter2" not in json.dumps(message)
    from shared import monitors

    spec = monitors.spec_from_message(message, key)
    assert spec.options["basic_auth"] == {"username": "u", "password": "hunter2"}
    with sessions() as session:
        assert spec.options == monitors.check_spec(session.get(Monitor, mid), spec.thresholds, key).options


def test_windows_are_shared_by_the_process_until_they_change(db_url):
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            fingerprint, _ = maintenance.refresh_shared(session)
            assert maintenance.shared_windows()[0] == fingerprint
            session.add(MaintenanceWindow(title="w", all_monitors=True, starts_at=T0, ends_at=_at(1)))
            session.commit()
            assert maintenance.refresh_shared(session)[0] != fingerprint
    finally:
        engine.dispose()
