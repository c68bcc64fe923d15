"""The command as a user runs it: clear start-up errors, the embedded default, clean stops."""

from __future__ import annotations

import re
import subprocess

import requests

from tests.auth import PASSWORD, create_user_cli, http_sign_in
from tests.processes import command, start, stop, wait_for, wait_http
from tests.services import free_port


def test_unreachable_database_is_one_line_naming_the_variable_without_the_password(tmp_path):
    env = {
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"postgresql+asyncpg://ot:topsecret@127.0.0.1:{free_port()}/ot",
    }
    result = subprocess.run(
        command("migrate"),
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("onlinetracker: DATABASE_URL ") and "not reachable" in lines[0]
    assert "topsecret" not in result.stderr + result.stdout and "***" in lines[0]


def test_bad_database_scheme_is_one_line(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "DATABASE_URL": "mysql://u:pw@h/d"}
    result = subprocess.run(
        command("web"), env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "DATABASE_URL" in result.stderr


def test_embedded_run_first_start_setup_code_and_restart(tmp_path):
    """The README's first start: the banner names a setup code, the owner is created with it, and
    monitors and the account survive a restart."""
    port = free_port()
    env = {"DATA_DIR": str(tmp_path / "data"), "WEB_PORT": str(port), "DATABASE_URL": "", "REDIS_URL": ""}
    base = f"http://127.0.0.1:{port}"
    proc = start(command("run"), env, tmp_path / "run.log")
    try:
        refused = wait_http(f"{base}/api/monitors/defaults", proc)
        assert refused.status_code == 401 and refused.json()["error"] == "setup required"
        log = wait_for(lambda: (tmp_path / "run.log").read_text(), 30, "the banner")
        banner = next(
            line for line in log.splitlines() if "OnlineTracker web: admin API and dashboard" in line
        )
        code = re.search(r"setup code (\S+)", banner).group(1)
        assert (tmp_path / "data" / "setup_code").read_text().strip() == code
        body = {"username": "owner", "password": PASSWORD, "setup_code": code}
        assert (
            requests.post(f"{base}/api/auth/setup", json={**body, "setup_code": "x"}, timeout=30).status_code
            == 403
        )
        assert requests.post(f"{base}/api/auth/setup", json=body, timeout=30).status_code == 201
        session = http_sign_in(base, "owner")
        assert session.get(f"{base}/api/monitors/defaults", timeout=10).json()["ok_ms"] == 80
        created = session.post(
            f"{base}/api/monitors", json={"name": "kept", "type": "ping", "target": "127.0.0.1"}, timeout=10
        )
        assert created.status_code == 201
    finally:
        assert stop(proc) < 10
    assert (tmp_path / "data" / "onlinetracker.db").exists()
    assert not (tmp_path / "data" / "setup_code").exists()

    proc = start(command("run"), env, tmp_path / "run2.log")
    try:
        wait_http(f"{base}/healthz", proc)
        names = [
            m["name"] for m in http_sign_in(base, "owner").get(f"{base}/api/monitors", timeout=10).json()
        ]
        assert names == ["kept"]
    finally:
        stop(proc)
    assert "setup code" not in (tmp_path / "run2.log").read_text()


def test_create_user_from_stdin_before_and_after_an_owner_exists(tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": f"sqlite:///{tmp_path / 'ot.db'}"}
    short = create_user_cli(env, "admin", password="short")
    assert short.returncode == 2 and "password must be at least 10 characters" in short.stderr
    first = create_user_cli(env, "admin")
    assert first.returncode == 0, first.stderr
    assert PASSWORD not in first.stdout + first.stderr
    second = create_user_cli(env, "viewer1", role="viewer")
    assert second.returncode == 0, second.stderr
    again = create_user_cli(env, "ADMIN")
    assert again.returncode == 2 and "already exists" in again.stderr

    from shared import accounts
    from shared.db import make_engine, session_factory

    engine = make_engine(env["DATABASE_URL"])
    with session_factory(engine)() as session:
        user = accounts.find_user(session, "viewer1")
        assert user.role == "viewer" and accounts.check_password(user, PASSWORD)
        assert PASSWORD not in user.password_hash
    engine.dispose()
