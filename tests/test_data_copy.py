"""``onlinetracker migrate-data``: an embedded install (SQLite, made through the API and the recorder)
copied into a scratch PostgreSQL database, then compared table by table."""

from __future__ import annotations

import os
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared import alert_hook, crypto, recording, settings_store
from shared.checks import CheckResult as Outcome
from shared.data_copy import CopyFailed, CopyRefused, copy_data, open_database
from shared.db import make_engine, migrate, session_factory
from shared.models import Agent, Base, CheckResult, Monitor
from tests.conftest import make_config
from tests.processes import command

SMTP_PASSWORD = "smtp pass wörd"
MONITORS = [
    {"name": "Website", "type": "http", "target": "http://127.0.0.1:9/health"},
    {"name": "Database port", "type": "tcp", "target": "127.0.0.1:5432"},
    {"name": "Resolver", "type": "dns", "target": "example.com"},
    {"name": "Gateway", "type": "ping", "target": "127.0.0.1"},
    {"name": "Certificate", "type": "ssl", "target": "example.com"},
    {"name": "Nightly backup", "type": "heartbeat", "interval_seconds": 3600, "grace_seconds": 300},
]


def _record_days(session, monitor: Monitor, days: int, now: datetime) -> None:
    """A result every 30 minutes for ``days`` days, down for a while each day: rollups, states and
    alert events as the worker writes them."""
    at = now - timedelta(days=days)
    while at < now:
        down = at.hour == 3
        outcome = Outcome("down" if down else "ok", None if down else 12.5, "refused" if down else "")
        _, transition = recording.record(
            session, monitor, f"srv:{monitor.id}:{at.timestamp()}", at, outcome, slot_at=at
        )
        alert_hook.write_events(session, [(monitor, transition)] if transition else [])
        at += timedelta(minutes=30)


@pytest.fixture
def embedded(tmp_path):
    """An embedded install made for real: the SQLite file in DATA_DIR with the generated secret key,
    filled through the admin API and the recorder. Yields its config."""
    from tests.auth import sign_in
    from web import create_app

    data_dir = tmp_path / "data"
    config = make_config(tmp_path, f"sqlite:///{data_dir / 'onlinetracker.db'}")
    engine = make_engine(config.database_url)
    migrate(engine)
    app = create_app(config)
    app.config["TESTING"] = True
    client = sign_in(app)
    for body in MONITORS:
        response = client.post("/api/monitors", json=body)
        assert response.status_code == 201, response.get_json()
    settings = {"alerts": {"smtp_host": "mail.example.com", "smtp_password": SMTP_PASSWORD}}
    assert client.put("/api/settings", json=settings).status_code == 200
    user = {"username": "viewer", "password": "a long enough password", "role": "viewer"}
    assert client.post("/api/users", json=user).status_code == 201
    assert client.post("/api/tokens", json={"name": "script", "scope": "read"}).status_code == 201
    page = {"slug": "acme", "title": "Acme", "groups": [{"name": "All", "monitors": [{"monitor_id": 1}]}]}
    assert client.post("/api/status-pages", json=page).status_code == 201
    with app.app_context():
        from web.extensions import db

        db.engine.dispose()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with session_factory(engine)() as session:
        session.add(
            Agent(
                uuid=str(uuid.uuid4()),
                name="branch office",
                credential_enc=crypto.encrypt(config.secret_key, "k"),
            )
        )
        for monitor in session.scalars(select(Monitor).where(Monitor.type != "heartbeat")):
            _record_days(session, monitor, 3, now)
        session.commit()
    engine.dispose()
    return config


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def _rows(engine, table) -> list[dict]:
    with engine.connect() as conn:
        order = list(table.primary_key.columns) or list(table.columns)
        return [row._asdict() for row in conn.execute(select(table).order_by(*order))]


def test_every_table_is_copied_row_for_row_and_the_target_goes_on(embedded, empty_pg):
    source, target = open_database(embedded.database_url, "source"), open_database(empty_pg, "target")
    before = _counts(source)
    assert before["check_results"] >= 5 * 3 * 48 and before["rollups"] and before["alert_events"]
    assert all(
        before[name] for name in ("monitors", "settings", "users", "api_tokens", "agents", "monitor_states")
    )

    seen = []
    report = copy_data(source, target, batch_size=100, on_table=seen.append)

    assert _counts(target) == before
    assert {t.name: t.rows for t in report.tables} == before and report.rows == sum(before.values())
    assert [t.name for t in seen] == [t.name for t in Base.metadata.sorted_tables]
    for table in Base.metadata.sorted_tables:
        assert _rows(target, table) == _rows(source, table), table.name

    # Sequences continue after the copied ids, and the secret opens with the same key.
    with session_factory(target)() as session:
        largest = session.scalar(select(func.max(Monitor.id)))
        monitor = Monitor(name="after the move", type="http", target="http://127.0.0.1:9/")
        session.add(monitor)
        session.commit()
        assert monitor.id == largest + 1
        last_result = session.scalar(select(func.max(CheckResult.id)))
        now = datetime.now(UTC)
        assert recording.record(session, monitor, "srv:after", now, Outcome("ok", 1.0, ""), slot_at=now)[0]
        session.commit()
        assert session.scalar(select(func.max(CheckResult.id))) == last_result + 1
        alerts = settings_store.load_section(session, "alerts", embedded.secret_key)
        assert alerts.smtp_password == SMTP_PASSWORD
        with pytest.raises(crypto.SecretUnreadable):
            settings_store.load_section(session, "alerts", b"another key")
    source.dispose()
    target.dispose()


def test_a_source_written_to_while_copying_is_rolled_back(embedded, empty_pg):
    source, target = open_database(embedded.database_url, "source"), open_database(empty_pg, "target")

    def write_meanwhile(copied):
        if copied.name == "monitors":
            with session_factory(source)() as session:
                session.add(Monitor(name="late", type="http", target="http://127.0.0.1:9/"))
                session.commit()

    with pytest.raises(CopyFailed, match="the source changed while copying .*monitors"):
        copy_data(source, target, on_table=write_meanwhile)
    assert not any(_counts(target).values())
    source.dispose()
    target.dispose()


def test_an_older_source_is_refused_until_migrated(tmp_path, empty_pg):
    from alembic import command

    from shared.db import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0005")
    target = open_database(empty_pg, "target")
    with pytest.raises(CopyRefused, match="revision 0005.*onlinetracker migrate"):
        copy_data(engine, target)
    assert _schema_is_empty(target)
    migrate(engine)
    copy_data(engine, target)
    engine.dispose()
    target.dispose()


def _schema_is_empty(engine) -> bool:
    from sqlalchemy import inspect

    with engine.connect() as conn:
        return inspect(conn).get_table_names() == []


def _run(args: list[str], config, **env) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    environment.update(DATA_DIR=str(config.data_dir), LOG_LEVEL="WARNING", **env)
    return subprocess.run(command(*args), env=environment, capture_output=True, text=True, timeout=120)


def test_cli_copies_the_configured_install_and_refuses_a_filled_target(embedded, empty_pg):
    done = _run(["migrate-data", "--to", empty_pg], embedded)
    assert done.returncode == 0, done.stderr
    for line in ("check_results", "rollups", "monitors", "SECRET_KEY", str(embedded.data_dir / "secret_key")):
        assert line in done.stdout
    source, target = make_engine(embedded.database_url), make_engine(empty_pg)
    counts = _counts(source)
    assert _counts(target) == counts

    again = _run(["migrate-data", "--to", empty_pg], embedded)
    assert again.returncode == 2
    assert again.stderr.strip().count("\n") == 0 and "Traceback" not in again.stderr
    assert "is not empty" in again.stderr and "hold rows" in again.stderr
    assert _counts(target) == counts
    source.dispose()
    target.dispose()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--to", "mysql://db/onlinetracker"], "scheme 'mysql' is not supported"),
        (["--to", "not a url"], "is not a URL"),
        (["--to", "postgresql://postgres@127.0.0.1:1/nothing"], "is not reachable"),
        (["--to", "postgresql://x@127.0.0.1/x", "--from", "sqlite:////nowhere/ot.db"], "no SQLite file at"),
    ],
)
def test_cli_bad_input_is_one_line(embedded, args, says):
    done = _run(["migrate-data", *args], embedded)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr


def test_cli_refuses_a_batch_size_below_one_before_writing(embedded, empty_pg):
    done = _run(["migrate-data", "--to", empty_pg, "--batch-size", "0"], embedded)
    assert done.returncode == 2 and "at least 1" in done.stderr and "Traceback" not in done.stderr
    assert _schema_is_empty(make_engine(empty_pg))


def test_cli_refuses_to_copy_a_database_into_itself(embedded, empty_pg):
    done = _run(["migrate-data", "--to", empty_pg.replace("+psycopg2", "")], embedded, DATABASE_URL=empty_pg)
    assert done.returncode == 2 and "the same database" in done.stderr and "Traceback" not in done.stderr
    assert _schema_is_empty(make_engine(empty_pg))
