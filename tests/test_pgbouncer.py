"""The whole pipeline behind PgBouncer in transaction pooling mode, with two beats.

A pgbouncer of the test's own, on a free loopback port, in front of a database made for the test:
migrations, worker, beat and the test's reads all go through it. Two beats: the one holding the
Redis lease dispatches, the other waits; after a SIGKILL of the first, the second takes over
within the lease and dispatching carries on, no slot lost and none sent twice (the HTTP target
counts every check it receives, per monitor).
"""

from __future__ import annotations

import collections
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from shared import schedule
from shared.db import make_engine, session_factory
from shared.models import CheckResult, Monitor
from tests import services
from tests.peers.http_server import HttpPeer
from tests.processes import command, start, stop, wait_for
from worker.beat import LEASE_SECONDS

PGBOUNCER = shutil.which("pgbouncer") or next(
    (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None
)
#: Server connections PgBouncer may open to the database, whatever the clients ask for.
POOL_SIZE = 8
INTERVAL = 10

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        PGBOUNCER is None, reason="the pgbouncer binary is not installed (Debian: apt-get install pgbouncer)"
    ),
]


@contextmanager
def pgbouncer(server_url: str, tmp_path: Path):
    """A pgbouncer in transaction pooling mode in front of ``server_url``'s server; yields its
    port. As root it runs as ``postgres`` (pgbouncer refuses root). Its log ends up in tmp_path."""
    server = make_url(server_url)
    # Not under tmp_path: pytest keeps that private to the user running the tests.
    folder = Path(tempfile.mkdtemp(prefix="ot-pgbouncer-"))
    port = services.free_port()
    (folder / "users.txt").write_text(f'"{server.username}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={server.host} port={server.port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
admin_users = {server.username}
pool_mode = transaction
default_pool_size = {POOL_SIZE}
max_client_conn = 500
logfile = {folder / "pgbouncer.log"}
"""
    )
    argv = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        for path in folder.iterdir():
            shutil.chown(path, "postgres")
        argv[1:1] = ["-u", "postgres"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _answers(port, server.username), 10, "pgbouncer to listen")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.copy(folder / "pgbouncer.log", tmp_path / "pgbouncer.log")
        shutil.rmtree(folder, ignore_errors=True)


def _answers(port: int, user: str) -> bool:
    try:
        _admin(port, user, "SHOW VERSION")
        return True
    except psycopg2.OperationalError:
        return False


def _admin(port: int, user: str, command_: str) -> list[dict]:
    """A command on pgbouncer's admin console (it takes no transactions: autocommit)."""
    conn = psycopg2.connect(host="127.0.0.1", port=port, dbname="pgbouncer", user=user, connect_timeout=3)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(command_)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()


@pytest.fixture
def scratch_database(_services):
    """An empty database of this test's own: migrations run through PgBouncer too."""
    admin = _services[0]
    name = f"ot_pgb_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = services.create_database(admin, name)
    yield url
    services.drop_database(admin, name)


def _log(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def test_pipeline_through_pgbouncer_transaction_mode_two_beats_one_dispatches_and_takes_over(
    tmp_path, scratch_database, redis_url
):
    services.flush_prefix(redis_url)
    server = make_url(scratch_database)
    with pgbouncer(scratch_database, tmp_path) as port, HttpPeer() as peer:
        db_url = f"postgresql+psycopg2://{server.username}@127.0.0.1:{port}/{server.database}"
        env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "DATA_DIR": str(tmp_path / "data"),
            "WORKER_CONCURRENCY": "4",
            "DB_POOL_SIZE": "2",
            "DB_MAX_OVERFLOW": "3",
        }
        migrated = subprocess.run(
            command("migrate"), env={**os.environ, **env}, capture_output=True, text=True, timeout=120
        )
        assert migrated.returncode == 0, migrated.stderr

        engine = make_engine(db_url)
        sessions = session_factory(engine)
        with sessions() as session:
            monitors = [
                Monitor(
                    name=f"m{i}",
                    type="http",
                    target=f"{peer.url}m{i}",
                    interval_seconds=INTERVAL,
                    timeout_seconds=5,
                )
                for i in range(4)
            ]
            session.add_all(monitors)
            session.commit()
            paths = {m.id: f"/m{i}" for i, m in enumerate(monitors)}

        logs = {name: tmp_path / f"{name}.log" for name in ("worker", "beat_a", "beat_b")}
        worker = start(command("worker"), env, logs["worker"])
        beat_a = start(command("beat"), env, logs["beat_a"])
        beat_b = None
        try:
            wait_for(lambda: "beat: took the lease" in _log(logs["beat_a"]), 30, "beat A to take the lease")
            beat_b = start(command("beat"), env, logs["beat_b"])
            wait_for(
                lambda: (
                    f"beat: waiting for the lease held by {socket.gethostname()}/{beat_a.pid} "
                    in _log(logs["beat_b"])
                ),
                30,
                "beat B to wait, naming beat A",
            )

            def recorded() -> dict[int, set[float]]:
                with sessions() as session:
                    rows = session.execute(select(CheckResult.monitor_id, CheckResult.slot_at)).all()
                slots = collections.defaultdict(set)
                for monitor_id, slot_at in rows:
                    slots[monitor_id].add(round(slot_at.timestamp(), 3))
                return slots

            wait_for(lambda: all(len(recorded()[m]) >= 2 for m in paths), 40, "two checks per monitor", 1)
            assert "beat: took the lease" not in _log(logs["beat_b"]), "both beats dispatched"

            os.kill(beat_a.pid, signal.SIGKILL)
            beat_a.wait()
            killed_at = time.time()
            wait_for(lambda: "beat: took the lease" in _log(logs["beat_b"]), LEASE_SECONDS + 10, "beat B")
            took_over = time.time() - killed_at
            # Past what beat A dispatched ahead before it died (10 s): beat B sent these.
            wait_for(
                lambda: all(max(recorded()[m]) > killed_at + 12 for m in paths),
                45,
                "checks dispatched by beat B",
                1,
            )
            beat_b_stop = stop(beat_b)
            # What beat B dispatched ahead (up to 10 s) still runs: let it, then stop the worker.
            stopped_at = time.time()
            time.sleep(13)
            worker_stop = stop(worker)
        finally:
            for proc in (beat_b, beat_a, worker):
                if proc is not None and proc.poll() is None:
                    stop(proc)

        pools = [p for p in _admin(port, server.username, "SHOW POOLS") if p["database"] == server.database]
        stats = [s for s in _admin(port, server.username, "SHOW STATS") if s["database"] == server.database]
        with sessions() as session:
            per_slot = session.execute(
                select(CheckResult.monitor_id, CheckResult.slot_at, func.count())
                .group_by(CheckResult.monitor_id, CheckResult.slot_at)
                .having(func.count() > 1)
            ).all()
        slots = recorded()
        engine.dispose()

    assert not per_slot, f"slots recorded twice: {per_slot}"
    hits = collections.Counter(r.path for r in peer.received)
    for monitor_id, path in paths.items():
        mine = sorted(slots[monitor_id])
        # Dispatching went on across the kill: every slot from the first check to the stop is there.
        expected = schedule.slots_between(monitor_id, INTERVAL, mine[0], stopped_at - 1)
        assert set(round(s, 3) for s in expected) <= set(mine), f"monitor {monitor_id} lost slots"
        # No slot was sent twice: a second delivery would run the check again (a hit) even though
        # recording is idempotent.
        assert hits[path] == len(mine), f"{path}: {hits[path]} checks ran for {len(mine)} slots"
    assert took_over <= LEASE_SECONDS + 3, f"beat B took over {took_over:.1f} s after the kill"
    assert beat_b_stop < 5 and worker_stop < 8
    assert _log(logs["beat_b"]).count("beat: waiting for the lease held by") == 1
    assert "OnlineTracker beat: dispatching checks every 5 s" in _log(logs["beat_a"])
    # It all went through PgBouncer's transaction pooling, within its server pool.
    assert pools and pools[0]["pool_mode"] == "transaction"
    assert pools[0]["sv_active"] + pools[0]["sv_idle"] + pools[0]["sv_used"] <= POOL_SIZE
    assert stats[0]["total_xact_count"] > 100
