"""The real PostgreSQL and Redis the tests run against, started here when none is running.

``TEST_PG_ADMIN_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) and
``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) name running servers. When one does not
answer, a throwaway server is started from the installed binaries in a temporary folder and stopped
at the end; when the binaries are missing too, the run stops with one line saying what to install.
Nothing is ever skipped silently.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import closing

import psycopg2
import redis

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


class MissingService(RuntimeError):
    pass


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_answers(url: str) -> bool:
    try:
        psycopg2.connect(url, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError:
        return False


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


class Throwaway:
    """Servers this test run started; stopped by :meth:`stop`."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []
        self.pg_ctl: list[str] | None = None
        self.dirs: list[str] = []

    def start_postgres(self) -> str:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
        initdb = bins[-1]
        if not initdb or not os.path.exists(initdb):
            raise MissingService("PostgreSQL is not running and not installed: apt-get install postgresql")
        bindir = os.path.dirname(initdb)
        folder = tempfile.mkdtemp(prefix="ot-pg-")
        self.dirs.append(folder)
        prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            user = pwd.getpwnam("postgres")
            os.chown(folder, user.pw_uid, user.pw_gid)
            prefix = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(folder, "data")
        port = free_port()
        subprocess.run(
            [*prefix, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
        )
        pg_ctl = [*prefix, os.path.join(bindir, "pg_ctl"), "-D", data]
        subprocess.run(
            [
                *pg_ctl,
                "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                "-l",
                os.path.join(folder, "log"),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )
        self.pg_ctl = pg_ctl
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def start_redis(self) -> str:
        binary = shutil.which("redis-server")
        if not binary:
            raise MissingService("Redis is not running and not installed: apt-get install redis-server")
        folder = tempfile.mkdtemp(prefix="ot-redis-")
        self.dirs.append(folder)
        port = free_port()
        self.procs.append(
            subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    folder,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        url = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            if redis_answers(url):
                return url
            time.sleep(0.05)
        raise MissingService("a throwaway redis-server did not start")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
            proc.wait(timeout=10)
        if self.pg_ctl:
            subprocess.run([*self.pg_ctl, "-m", "fast", "stop"], capture_output=True)
        for folder in self.dirs:
            shutil.rmtree(folder, ignore_errors=True)


def locate(throwaway: Throwaway) -> tuple[str, str]:
    pg = os.environ.get("TEST_PG_ADMIN_URL", DEFAULT_PG)
    rd = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    if not pg_answers(pg):
        pg = throwaway.start_postgres()
    if not redis_answers(rd):
        rd = throwaway.start_redis()
    return pg, rd


def flush_prefix(redis_url: str) -> None:
    """Forget this test run's queues (keys under REDIS_KEY_PREFIX), leaving other runs' alone."""
    prefix = os.environ.get("REDIS_KEY_PREFIX", "")
    client = redis.Redis.from_url(redis_url)
    if not prefix:
        client.flushdb()
        return
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def create_database(admin_url: str, name: str) -> str:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def drop_database(admin_url: str, name: str) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
