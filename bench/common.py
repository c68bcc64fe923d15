"""What the benchmarks share: a database of their own, a real web server, process sampling, percentiles."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import requests

from shared.db import make_engine, migrate
from tests import services


@contextmanager
def scratch_database(prefix: str):
    """A migrated PostgreSQL database made for this run and dropped after it; yields (url, redis_url)."""
    throwaway = services.Throwaway()
    pg_admin, redis_url = services.locate(throwaway)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = services.create_database(pg_admin, name).replace("postgresql://", "postgresql+psycopg2://")
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url, redis_url
    finally:
        services.drop_database(pg_admin, name)
        throwaway.stop()


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(pct * 10) - 1]


def _children(pid: int) -> list[int]:
    found = []
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            kids = [int(p) for p in handle.read().split()]
    except OSError:
        return found
    for kid in kids:
        found += [kid, *_children(kid)]
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (alive ones)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def rss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


@dataclass
class WebServer:
    """A running ``onlinetracker web`` of a benchmark: where it answers, its database and process."""

    base: str
    db_url: str
    process: subprocess.Popen
    password: str

    def signed_in(self) -> requests.Session:
        """An admin session (with the CSRF header), as the dashboard has."""
        from tests.auth import http_sign_in

        return http_sign_in(self.base, WEB_USER, self.password)

    def stop(self) -> None:
        """Stop the server (its database stays until the context ends); safe to call twice."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


WEB_USER = "bench"


@contextmanager
def web_server(prefix: str, workers: int = 2):
    """A real web server (gunicorn, ``workers`` processes) on a scratch database, with an admin
    account made by ``onlinetracker create-user``; stopped and dropped afterwards."""
    from tests.processes import wait_http
    from tests.services import free_port

    password = f"{prefix} bench password"
    with scratch_database(prefix) as (db_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "DATA_DIR": tmp,
            "LOG_LEVEL": "WARNING",
        }
        cli = [sys.executable, "-m", "onlinetracker"]
        subprocess.run([*cli, "create-user", WEB_USER], input=password + "\n", env=env, text=True, check=True)
        port = free_port()
        web = subprocess.Popen(
            [*cli, "web", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        server = WebServer(base, db_url, web, password)
        try:
            wait_http(f"{base}/healthz", web, timeout=60)
            yield server
        finally:
            server.stop()
