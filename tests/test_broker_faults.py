"""Redis goes away under the workers and beat, and comes back empty or with its data.

Every test here starts a redis-server of its own (never the machine's) so that it can SIGKILL it.

- The kombu sequence that stopped workers for good ("Unrecoverable error: AttributeError('NoneType'
  object has no attribute 'hostname')"), replayed on a real Redis: it fails with kombu alone and
  passes with ``worker.celery_app.keep_redis_address_after_close``.
- Two real workers and beat ride out Redis killed and restarted empty, then killed and restarted
  with its data, with checks running and prefetched each time: nothing stops, checks run again,
  and every slot is recorded exactly once.
- A worker with checks in flight stops within seconds on SIGTERM (also while Redis is away) and
  hands those checks back to the queue; the next worker records each once.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from celery import Celery
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.common import ignore_errors
from kombu.transport import redis as kombu_redis
from sqlalchemy import func, select

import worker.celery_app  # noqa: F401  (applies keep_redis_address_after_close)
from shared import schedule
from shared.models import CheckResult, Monitor
from tests.peers.http_server import HttpPeer
from tests.processes import command, start, stop, wait_for
from tests.services import free_port, redis_answers


class RedisServer:
    """A redis-server of this test's own, on its own port: killed and started again at will.

    ``persistent`` keeps the data across a kill (append-only file, fsync on every write)."""

    def __init__(self, folder, persistent: bool = False):
        binary = shutil.which("redis-server")
        if not binary:
            pytest.fail("redis-server is not installed: apt-get install redis-server")
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.args += (
            ["--appendonly", "yes", "--appendfsync", "always"] if persistent else ["--appendonly", "no"]
        )
        self.args += ["--dir", str(folder)]
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: redis_answers(self.url), 10, "redis-server to answer", step=0.05)
        return self

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def wipe(self) -> None:
        """Forget the data (the server must be down): it comes back empty."""
        for path in self.folder.iterdir():
            if path.name != "redis.log":
                shutil.rmtree(path) if path.is_dir() else path.unlink()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture
def redis_servers(tmp_path):
    started: list[RedisServer] = []

    def make(persistent: bool = False) -> RedisServer:
        server = RedisServer(tmp_path / f"redis{len(started)}", persistent)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


# --- The kombu sequence, replayed -----------------------------------------------------------------


def _lose_the_broker_as_a_worker_does(server: RedisServer) -> tuple[Exception | None, Exception | None]:
    """What a Celery worker's consumer does when Redis dies under it, on kombu objects alone.

    A message is received and not yet acknowledged (late acks), and two channels have a BRPOP in
    flight, as a worker always has. Then Redis is killed, and the consumer cleans up the way
    ``celery.worker.consumer.Consumer.on_connection_error_after_connected`` (celery 5.7) does:
    ``connection.collect()``, then ``ignore_errors(connection, connection.close)``. Redis comes
    back with its data and the message is acknowledged on its old channel, as a check that ran
    through the outage does. Returns what the close raised and what the ack raised.
    """
    conn = Connection(server.url, transport_options={"polling_interval": 10})
    channel = conn.default_channel
    checks = Queue("checks", Exchange("checks", type="direct"), routing_key="checks")
    alerts = Queue("alerts", Exchange("alerts", type="direct"), routing_key="alerts")
    Producer(channel).publish({"check": 1}, exchange=checks.exchange, routing_key="checks", declare=[checks])
    received = []
    Consumer(channel, [checks], callbacks=[lambda _body, message: received.append(message)]).consume()
    conn.drain_events(timeout=5)
    assert len(received) == 1
    Consumer(conn.channel(), [alerts], callbacks=[lambda _body, message: received.append(message)]).consume()
    with pytest.raises(socket.timeout):
        conn.drain_events(timeout=0.2)  # both channels now wait on a BRPOP
    assert server.client().hlen("unacked") == 1

    server.kill()
    close_error = ack_error = None
    conn.collect(socket_timeout=5)
    try:
        ignore_errors(conn, conn.close)
    except Exception as exc:
        close_error = exc
    server.start()
    try:
        received[0].ack()
    except Exception as exc:
        ack_error = exc
    return close_error, ack_error


def test_kombu_alone_stops_a_worker_that_loses_redis_with_unacknowledged_messages(redis_servers, monkeypatch):
    """The root cause, kept as a test: if this fails, kombu (or Celery) no longer needs
    ``keep_redis_address_after_close``; remove the patch and this test."""
    monkeypatch.delattr(kombu_redis.Transport, "client")  # kombu's own behaviour
    close_error, ack_error = _lose_the_broker_as_a_worker_does(redis_servers(persistent=True))
    assert isinstance(close_error, AttributeError) and "hostname" in str(close_error)
    assert isinstance(ack_error, AttributeError) and "hostname" in str(ack_error)


def test_with_the_broker_address_kept_the_cleanup_and_a_late_ack_just_reach_redis(redis_servers):
    server = redis_servers(persistent=True)
    close_error, ack_error = _lose_the_broker_as_a_worker_does(server)
    assert close_error is None  # the ConnectionError of the dead broker, ignored as Celery means to
    assert ack_error is None
    assert server.client().hlen("unacked") == 0  # the ack reached the restarted Redis


# --- Real workers and beat ------------------------------------------------------------------------


def _env(tmp_path, db_url, redis_url, **extra) -> dict:
    return {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DATA_DIR": str(tmp_path / "data"),
        # The processes use their own Redis: keep the keys unprefixed, to look at them directly.
        "REDIS_KEY_PREFIX": "",
        **extra,
    }


def _slots_recorded(session, monitor_ids) -> dict[int, list[float]]:
    session.expire_all()
    rows = session.execute(select(CheckResult.monitor_id, CheckResult.slot_at).order_by(CheckResult.slot_at))
    recorded: dict[int, list[float]] = {mid: [] for mid in monitor_ids}
    for monitor_id, slot_at in rows:
        recorded[monitor_id].append(round(slot_at.timestamp(), 3))
    return recorded


def _kill_with_checks_in_flight(server: RedisServer, monitor_id: int) -> float:
    """SIGKILL Redis 1 s after a slot of ``monitor_id`` (its check then waits on the slow target)
    while the workers also hold prefetched checks; returns when it happened."""
    slot = schedule.next_slot(monitor_id, 10, time.time() + 1)
    time.sleep(max(0.0, slot + 1 - time.time()))
    held = server.client().hlen("unacked")  # delivered, not yet acknowledged: running or prefetched
    assert held >= 2, f"only {held} unacknowledged checks at the kill"
    server.kill()
    return time.time()


def _recovered(procs: dict, logs: dict, sessions, monitor_ids, after: float) -> bool:
    """Every process still runs, and every monitor has been checked on a slot after ``after``."""
    for name, proc in procs.items():
        assert proc.poll() is None, f"{name} exited: {logs[name].read_text()[-3000:]}"
    with sessions() as session:
        recorded = _slots_recorded(session, monitor_ids)
    return all(any(slot > after for slot in slots) for slots in recorded.values())


@pytest.mark.slow
def test_workers_and_beat_ride_out_redis_restarted_empty_then_with_its_data(
    tmp_path, db_url, sessions, redis_servers
):
    server = redis_servers(persistent=True)
    env = _env(tmp_path, db_url, server.url, WORKER_CONCURRENCY="4")
    with HttpPeer() as peer, sessions() as session:
        peer.set(delay=2.5)
        monitors = [
            Monitor(name=f"m{i}", type="http", target=peer.url, interval_seconds=10, timeout_seconds=5)
            for i in range(8)
        ]
        session.add_all(monitors)
        session.commit()
        ids = [m.id for m in monitors]
        logs = {name: tmp_path / f"{name}.log" for name in ("worker1", "worker2", "beat")}
        procs = {name: start(command(name.rstrip("12")), env, logs[name]) for name in logs}
        try:
            wait_for(
                lambda: all(_slots_recorded(session, ids).values()), 40, "a first check of every monitor"
            )
            time.sleep(max(0.0, 12 - (time.time() - monitors[0].created_at.timestamp())))

            # 1. Killed, and back 8 s later without its data (the compose file's Redis: no persistence).
            killed = _kill_with_checks_in_flight(server, ids[0])
            time.sleep(8)
            server.wipe()
            server.start()
            wait_for(lambda: _recovered(procs, logs, sessions, ids, killed + 8), 40, "checks after restart 1")

            # 2. Killed, and back 8 s later with its data.
            killed_again = _kill_with_checks_in_flight(server, ids[1])
            time.sleep(8)
            server.start()
            assert server.client().hlen("unacked") >= 2
            wait_for(
                lambda: _recovered(procs, logs, sessions, ids, killed_again + 8), 40, "checks after restart 2"
            )
            # What each outage took away is sent again by beat once overdue (timeout + 15 s).
            time.sleep(max(0.0, killed_again + 8 + 40 - time.time()))
            ended = time.time()
        finally:
            stopped = {name: stop(proc) for name, proc in procs.items() if proc.poll() is None}

        recorded = _slots_recorded(session, ids)
        assert sorted(stopped) == ["beat", "worker1", "worker2"], "a process did not survive"
        for name in ("worker1", "worker2"):
            text = logs[name].read_text()
            assert "Unrecoverable error" not in text, text[-3000:]
            assert text.count("Connection to broker lost") >= 2, text[-3000:]
        for mid in ids:
            slots = recorded[mid]
            assert len(slots) == len(set(slots)), f"monitor {mid}: a slot was recorded twice"
            expected = schedule.slots_between(mid, 10, slots[0], ended - 5 - 15 - 10)
            missing = set(round(s, 3) for s in expected) - set(slots)
            assert not missing, (
                f"monitor {mid}: slots lost {sorted(missing)} (kills at {killed}, {killed_again})"
            )
        results = session.scalar(select(func.count()).select_from(CheckResult))
    print("stop times:", {name: round(seconds, 2) for name, seconds in stopped.items()})
    assert results >= len(ids) * 6
    assert max(stopped.values()) < 6, stopped


def _send_checks(redis_url: str, monitor_ids, slot: float) -> None:
    app = Celery(broker=redis_url)
    with app.connection_for_write() as conn:
        for mid in monitor_ids:
            app.send_task("worker.run_check", args=[mid, slot], queue="checks", connection=conn)


@pytest.mark.slow
def test_a_worker_with_checks_in_flight_stops_within_seconds_and_hands_them_back(
    tmp_path, db_url, sessions, redis_servers
):
    server = redis_servers()
    env = _env(tmp_path, db_url, server.url, WORKER_CONCURRENCY="2")
    with HttpPeer() as peer, sessions() as session:
        peer.set(delay=20)  # a slow target: the checks take 20 s of their 30 s timeout
        monitors = [
            Monitor(name=f"slow{i}", type="http", target=peer.url, interval_seconds=60, timeout_seconds=30)
            for i in range(4)
        ]
        session.add_all(monitors)
        session.commit()
        ids = [m.id for m in monitors]
        first = start(command("worker"), env, tmp_path / "worker1.log")
        wait_for(lambda: "OnlineTracker worker" in (tmp_path / "worker1.log").read_text(), 30, "worker 1")
        slot = schedule.next_slot(ids[0], 60, time.time() - 60)
        _send_checks(server.url, ids, slot)
        wait_for(lambda: peer.hits >= 2, 15, "two checks waiting on the target")
        first_stop = stop(first)
        log = (tmp_path / "worker1.log").read_text()
        assert "2 running task(s) did not finish within 3.0 s; they go back to the queue" in log, log[-2000:]
        client = server.client()
        assert client.llen("checks") == 4 and client.hlen("unacked") == 0  # all four back, none held

        peer.set(delay=0)
        second = start(command("worker"), env, tmp_path / "worker2.log")
        try:
            wait_for(
                lambda: session.scalar(select(func.count()).select_from(CheckResult)) >= 4, 30, "re-runs"
            )
            time.sleep(1)
        finally:
            # Stopping while the broker is away is just as quick.
            server.kill()
            time.sleep(2)
            second_stop = stop(second)
        recorded = _slots_recorded(session, ids)
    print(f"worker stop: {first_stop:.2f} s with 2 checks in flight, {second_stop:.2f} s with Redis away")
    assert all(slots == [round(slot, 3)] for slots in recorded.values()), recorded
    assert first_stop < 5, f"stopped in {first_stop:.1f} s with checks in flight"
    assert second_stop < 5, f"stopped in {second_stop:.1f} s with Redis away"
