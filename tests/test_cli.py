"""The command as a user runs it: clear start-up errors, the embedded default, clean stops."""

from __future__ import annotations

import subprocess

from tests.processes import command, start, stop, wait_http
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


def test_embedded_run_keeps_monitors_across_a_restart(tmp_path):
    port = free_port()
    env = {"DATA_DIR": str(tmp_path / "data"), "WEB_PORT": str(port), "DATABASE_URL": "", "REDIS_URL": ""}
    base = f"http://127.0.0.1:{port}"
    proc = start(command("run"), env, tmp_path / "run.log")
    try:
        assert wait_http(f"{base}/api/monitors/defaults", proc).json()["ok_ms"] == 80
        import requests

        created = requests.post(
            f"{base}/api/monitors", json={"name": "kept", "type": "ping", "target": "127.0.0.1"}, timeout=10
        )
        assert created.status_code == 201
    finally:
        assert stop(proc) < 10
    log = (tmp_path / "run.log").read_text()
    assert "OnlineTracker web: admin API and dashboard on http://" in log
    assert (tmp_path / "data" / "onlinetracker.db").exists()

    proc = start(command("run"), env, tmp_path / "run2.log")
    try:
        names = [m["name"] for m in wait_http(f"{base}/api/monitors", proc).json()]
        assert names == ["kept"]
    finally:
        stop(proc)
