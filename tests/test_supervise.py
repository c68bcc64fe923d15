"""``onlinetracker run`` restarts a child that dies, with backoff, and still stops everything
within seconds; every compose service has a restart policy (Docker is the supervisor there)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onlinetracker import supervise
from shared.db import make_engine, session_factory
from shared.models import CheckResult, Monitor
from tests.peers.http_server import HttpPeer
from tests.processes import command, start, stop, wait_for, wait_http
from tests.services import free_port
from tests.test_deploy import load_compose


def test_backoff_doubles_from_one_second_up_to_a_minute():
    assert [supervise.backoff(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert supervise.backoff(1000) == 60


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


class Supervisor:
    """``supervise`` in a thread, with short timings, and its log lines."""

    def __init__(self, commands, caplog, **timings):
        self.stop = threading.Event()
        caplog.set_level(logging.INFO, logger="onlinetracker.run")
        self.caplog = caplog
        self.thread = threading.Thread(
            target=supervise.supervise, args=(commands, dict(os.environ), self.stop), kwargs=timings
        )
        self.thread.start()

    def lines(self, name: str) -> list[logging.LogRecord]:
        return [r for r in self.caplog.records if r.getMessage().startswith(f"{name} exited")]

    def finish(self) -> float:
        started = time.monotonic()
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        return time.monotonic() - started


def test_a_child_that_keeps_dying_is_retried_with_capped_backoff_and_said_so(caplog, tmp_path):
    alive = tmp_path / "alive"
    commands = {
        "crasher": _python("import sys; sys.exit(3)"),
        # The others keep running, untouched.
        "steady": _python(f"import pathlib, time; pathlib.Path({str(alive)!r}).touch(); time.sleep(60)"),
    }
    sup = Supervisor(commands, caplog, first=0.1, cap=0.4, stable_after=30, grace=5)
    try:
        wait_for(lambda: len(sup.lines("crasher")) >= 7, 15, "seven exits")
        assert alive.exists()
    finally:
        sup.finish()
    lines = sup.lines("crasher")
    messages = [r.getMessage() for r in lines]
    delays = [float(m.split("restarting it in ")[1].split(" s")[0]) for m in messages]
    assert delays[:7] == [0.1, 0.2, 0.4, 0.4, 0.4, 0.4, 0.4], messages
    assert all("exited with code 3 after" in m for m in messages)
    assert all(r.levelno == logging.WARNING for r in lines[:4])
    assert all(r.levelno == logging.ERROR for r in lines[4:])
    assert "the 5th time in a row: it keeps failing" in messages[4]
    assert sup.lines("steady") == []


def test_a_child_that_ran_for_a_while_starts_again_from_the_first_backoff(caplog):
    commands = {"flaky": _python("import sys, time; time.sleep(0.6); sys.exit(1)")}
    sup = Supervisor(commands, caplog, first=0.1, cap=10, stable_after=0.5, grace=5)
    try:
        wait_for(lambda: len(sup.lines("flaky")) >= 3, 15, "three exits")
    finally:
        sup.finish()
    assert all(m.getMessage().endswith("restarting it in 0.1 s") for m in sup.lines("flaky"))


def test_stopping_kills_a_child_that_ignores_sigterm_after_the_grace(caplog, tmp_path):
    ready = tmp_path / "ready"
    stubborn = (
        "import pathlib, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    )
    commands = {"stubborn": _python(stubborn), "polite": _python("import time; time.sleep(60)")}
    sup = Supervisor(commands, caplog, grace=1)
    wait_for(ready.exists, 10, "the children to start")
    took = sup.finish()
    assert 1 <= took < 3
    assert "stubborn did not stop within 1 s; killing it" in caplog.text


# --- The real command ---------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in _children(todo.pop()):
            found.add(child)
            todo.append(child)
    return found


def _role(pid: int) -> str | None:
    try:
        argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if b"onlinetracker" in argv:
        return argv[argv.index(b"onlinetracker") + 1].decode()
    return None


def _child_of_role(run_pid: int, role: str) -> int | None:
    return next((pid for pid in _children(run_pid) if _role(pid) == role), None)


def _alive(pid: int) -> bool:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
def test_run_restarts_a_killed_worker_and_stops_everything_on_sigterm(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    env = {
        "DATA_DIR": str(data),
        "WEB_PORT": str(port),
        "COMS_PORT": str(free_port()),
        "DATABASE_URL": "",
        "REDIS_URL": "",  # the embedded default: SQLite and the filesystem broker
    }
    log = tmp_path / "run.log"
    proc = start(command("run"), env, log)
    engine = None
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, timeout=60)
        engine = make_engine(f"sqlite:///{data / 'onlinetracker.db'}")
        sessions = session_factory(engine)
        with HttpPeer() as peer, sessions() as session:
            session.add(
                Monitor(name="kept", type="http", target=peer.url, interval_seconds=10, timeout_seconds=5)
            )
            session.commit()

            def results() -> int:
                session.expire_all()
                return session.scalar(select(func.count()).select_from(CheckResult))

            wait_for(lambda: results() >= 1, 40, "a first check")
            worker = wait_for(lambda: _child_of_role(proc.pid, "worker"), 10, "the worker child")
            os.kill(worker, signal.SIGKILL)
            killed = time.time()
            wait_for(lambda: "worker exited with code -9" in log.read_text(), 10, "the restart line")
            line = next(x for x in log.read_text().splitlines() if "worker exited with code -9" in x)
            assert line.endswith("; restarting it in 1 s"), line
            again = wait_for(lambda: _child_of_role(proc.pid, "worker"), 15, "a new worker child")
            assert again != worker
            before = results()
            wait_for(lambda: results() >= before + 2, 40, "checks after the restart")
            session.expire_all()
            newest = session.scalar(select(func.max(CheckResult.checked_at)))
            assert newest.timestamp() > killed
        family = _descendants(proc.pid)
        assert {_role(pid) for pid in family} >= {"web", "gateway", "worker", "beat"}
    finally:
        if engine is not None:
            engine.dispose()
        took = stop(proc, timeout=20)
    left = [pid for pid in family if _alive(pid)]
    text = log.read_text()
    print(f"onlinetracker run stopped in {took:.2f} s")
    assert left == [], f"still running after the stop: {[(pid, _role(pid)) for pid in left]}"
    assert took < 6, f"stopped in {took:.1f} s"
    assert "OnlineTracker server stopped" in text
    assert text.count("exited with code") == 1, text[-3000:]


def test_every_compose_service_has_a_restart_policy():
    """In Docker, compose restarts what dies: every long-running service unless stopped; migrate,
    which exits by design (and gates the others through service_completed_successfully), never."""
    services = load_compose()["services"]
    for name, service in services.items():
        expected = "no" if name == "migrate" else "unless-stopped"
        assert service.get("restart") == expected, name
    agent = load_compose("docker-compose.agent.yml", {"SERVER_HOST": "h", "SHARED_SECRET": "s"})
    assert agent["services"]["agent"]["restart"] == "unless-stopped"
