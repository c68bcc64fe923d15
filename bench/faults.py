"""Reliability under faults: the issue's fault table, end to end, on servers of its own.

    python -m bench.faults                      # all four scenarios, in order (about 10 minutes)
    python -m bench.faults --scenario redis-kill --json faults.json --keep

Everything runs on 127.0.0.1 and belongs to this run: a PostgreSQL cluster (initdb + pg_ctl on a
free port, so it can be stopped), a redis-server (so it can be SIGKILLed and started again empty),
``onlinetracker web``, ``onlinetracker beat``, two ``onlinetracker worker`` (WORKER_CONCURRENCY 10),
a loopback HTTP target that logs every request (arrival time, path, status answered) and a webhook
receiver set as the alert webhook. ``--monitors`` HTTP monitors (interval ``--interval``, timeout 5 s,
thresholds 1000/4000 ms so a busy machine's latency never turns a check degraded) each point at a
path of their own on the target.

Scenarios (each a phase: 5 s lead-in, the fault, one interval of normal running, then ``--settle``
seconds of quiet so late and redelivered checks can land before the database is read):

- ``worker-kill``: SIGKILL one worker, restart it 10 s later.
- ``redis-kill``: SIGKILL redis-server, restart it empty 20 s later.
- ``postgres-stop``: ``pg_ctl stop -m fast``, start it again 60 s later.
- ``target-down-worker-kill``: the target answers 503 for 40 s; 20 s in, SIGKILL a worker and
  restart it 10 s later; then the target answers 200 again.

Figures per phase, for the slots from the phase start to one interval after recovery: slots
expected (``shared.schedule.slots_between``), results present, missing (slots inside the
PostgreSQL outage / outside it), duplicates (by uid and by monitor + slot_at), late results
(checked_at - slot_at > 5 s), results that disagree with the target's log (no request of that
monitor within 1 s of checked_at, or a different answer), target requests that left no result,
webhook alerts received (down / up / other, per monitor), and the health of every process
(alive, exit code, CRITICAL / ERROR lines in its log). A process that died by itself is restarted
after the phase is measured (then one interval of quiet), so the next phase starts whole; the table
says so. At the end every window is counted again: "recorded after the phase was read".

Prints the table (figures down, scenarios across) and the distinct CRITICAL / ERROR / exception log
lines, writes every figure, alert body and log line with ``--json PATH``; the phases' start and end
go to stderr. With ``--keep`` the temp folder keeps the processes' logs, ``target-requests.tsv``
(the target's log) and the PostgreSQL cluster. Nothing is papered over: a dead worker stays dead
for the rest of its phase, and the product's defaults (visibility timeout, expiry) are not changed.
It measures the tree it is run from (``tests.processes.ROOT``), so an export of a commit can be
measured with this venv: ``git archive REV | tar -x -C DIR; cd DIR; /path/.venv/bin/python -m bench.faults``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, closing
from dataclasses import dataclass, field

import psycopg2
import requests

from shared import schedule
from tests import services
from tests.auth import PASSWORD, create_user_cli, http_sign_in
from tests.peers.http_server import HttpPeer
from tests.peers.webhook_receiver import WebhookReceiver
from tests.processes import ROOT, command, wait_http

SCENARIOS = ("worker-kill", "redis-kill", "postgres-stop", "target-down-worker-kill")
TIMEOUT_SECONDS = 5
LATE_SECONDS = 5.0
HIT_TOLERANCE_SECONDS = 1.0
LEAD_SECONDS = 5.0
THRESHOLDS = {"ok_ms": 1000, "degraded_ms": 4000}
_T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[faults {time.monotonic() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


# --- The servers of this run -------------------------------------------------------------------


class LoggingPeer(HttpPeer):
    """The loopback target, remembering (arrival time, path, status answered) of every request."""

    def __init__(self):
        self.requests: list[tuple[float, str, int]] = []
        super().__init__()

    def reply_for(self, path: str):
        reply = super().reply_for(path)
        arrived = time.time()
        with self._lock:
            self.requests.append((arrived, path.split("?", 1)[0], reply.status))
        return reply


class OwnRedis:
    """A redis-server on a fixed port that can be SIGKILLed and started again, empty (no persistence)."""

    def __init__(self, folder: str):
        self.folder = folder
        self.port = services.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.log = open(os.path.join(folder, "redis.log"), "ab")  # noqa: SIM115 - closed in stop()

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise services.MissingService("redis-server is not installed: apt-get install redis-server")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        for attempt in range(50):  # the port may take a moment to be free after a SIGKILL
            self.proc = subprocess.Popen(
                [*args, "--dir", self.folder],
                stdout=self.log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self.proc.poll() is None:
                if services.redis_answers(self.url):
                    return
                time.sleep(0.05)
            if self.proc.poll() is None:
                break
            time.sleep(0.2 * (attempt + 1))
        raise services.MissingService(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class OwnPostgres:
    """A PostgreSQL cluster of this run (``tests.services.Throwaway``), stoppable and startable."""

    def __init__(self):
        self.throwaway = services.Throwaway()
        self.admin_url = self.throwaway.start_postgres()
        self.folder = self.throwaway.dirs[-1]
        self.port = int(self.admin_url.rsplit(":", 1)[1].split("/", 1)[0])
        self.url = services.create_database(self.admin_url, "onlinetracker")

    def stop_fast(self) -> None:
        subprocess.run([*self.throwaway.pg_ctl, "stop", "-m", "fast"], check=True, capture_output=True)

    def start(self) -> None:
        # The options tests.services.Throwaway started it with.
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*self.throwaway.pg_ctl, "-o", options, "-l", os.path.join(self.folder, "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )

    def close(self, keep: bool) -> None:
        if keep:
            self.throwaway.dirs = []  # stop the server, leave its folder
        self.throwaway.stop()


# --- The product's processes -------------------------------------------------------------------


@dataclass
class Proc:
    """One role (web, beat, worker-0, …): the process now in it and what became of earlier ones."""

    role: str
    args: list[str]
    env: dict
    log_path: str
    popen: subprocess.Popen | None = None
    history: list[dict] = field(default_factory=list)

    def start(self, why: str = "start") -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child holds it; closed with the process
        self.popen = subprocess.Popen(
            self.args,
            env={**os.environ, **self.env},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the harness only; it stops everything in order
        )
        log.close()
        self.history.append({"pid": self.popen.pid, "started": time.time(), "why": why, "exit": None})
        say(f"{self.role}: pid {self.popen.pid} ({why})")

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def exit_code(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def kill(self) -> None:
        """SIGKILL, by the harness (a fault)."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()
        self.history[-1].update(exit=self.popen.returncode, ended=time.time(), by_harness=True)
        say(f"{self.role}: pid {self.popen.pid} SIGKILLed")

    def note_exit(self) -> None:
        if self.popen is not None and self.popen.poll() is not None and self.history[-1]["exit"] is None:
            self.history[-1].update(exit=self.popen.returncode, ended=time.time(), by_harness=False)

    def stop(self, timeout: float = 30) -> None:
        if not self.alive():
            self.note_exit()
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            say(f"{self.role}: did not stop within {timeout:.0f} s of SIGTERM; SIGKILL")
            self.popen.kill()
            self.popen.wait()
        self.history[-1].update(exit=self.popen.returncode, ended=time.time(), by_harness=True)

    def log_size(self) -> int:
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, offset: int) -> list[str]:
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(offset)
                return handle.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return []


_SEVERITY = re.compile(r"\b(CRITICAL|ERROR|WARNING)\b")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b(:.*)?$")
_NOISE = re.compile(r"\d{4}-\d\d-\d\d[ T][\d:,.]+|\bpid \d+|0x[0-9a-f]+|\[[0-9a-f-]{36}\]")


def scan_log(lines: list[str]) -> dict:
    """Counts of CRITICAL / ERROR / WARNING lines, and the distinct ones with the exception each
    traceback ended in (the last line of a chain, not the ones "during handling" of which it rose)."""
    # Celery re-logs what a process prints to stderr a piece at a time ("WARNING celery.redirected:
    # ^"); the printed text is what counts, not the WARNING it is wrapped in.
    text = [
        line.split("celery.redirected: ", 1)[1] if "celery.redirected: " in line else line for line in lines
    ]
    counts: Counter = Counter()
    distinct: dict[str, dict] = {}
    for i, line in enumerate(text):
        found = _SEVERITY.search(line)
        kind = found.group(1) if found else None
        if kind is None and _EXCEPTION_LINE.match(line.strip()):
            # The next line that is not the message's own continuation (indented) or blank.
            following = next((t for t in text[i + 1 : i + 8] if t.strip() and not t[0].isspace()), "")
            if not following.startswith(("During handling", "The above exception")):
                kind = "EXCEPTION"
        if kind is None:
            continue
        counts[kind] += 1
        key = _NOISE.sub("…", line.strip())[:300]
        entry = distinct.setdefault(key, {"level": kind, "count": 0, "first": line.strip()[:500]})
        entry["count"] += 1
    ranked = sorted(distinct.values(), key=lambda e: ("CEXW".index(e["level"][0]), -e["count"]))
    return {
        "critical": counts["CRITICAL"],
        "error": counts["ERROR"],
        "warning": counts["WARNING"],
        "exceptions": counts["EXCEPTION"],
        "lines": [e for e in ranked if e["level"] != "WARNING"][:25]
        + [e for e in ranked if e["level"] == "WARNING"][:10],
    }


# --- One run -----------------------------------------------------------------------------------


class Harness:
    def __init__(self, args, stack: ExitStack):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="ot-faults-")
        stack.callback(self._remove_tmp)
        say(f"temp folder {self.tmp}")
        self.pg = OwnPostgres()
        stack.callback(lambda: self.pg.close(args.keep))
        say(f"PostgreSQL of this run on port {self.pg.port} ({self.pg.folder})")
        self.redis = OwnRedis(self.tmp)
        self.redis.start()
        stack.callback(self.redis.stop)
        say(f"redis-server of this run on port {self.redis.port}")
        self.target = LoggingPeer()
        stack.callback(self.target.stop)
        stack.callback(self._dump_target_log)
        self.receiver = WebhookReceiver().start()
        stack.callback(self.receiver.stop)
        self.web_port = services.free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            "DATABASE_URL": self.pg.url.replace("postgresql://", "postgresql+psycopg2://"),
            "REDIS_URL": self.redis.url,
            "DATA_DIR": os.path.join(self.tmp, "data"),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "WORKER_CONCURRENCY": "10",
            "BIND_HOST": "127.0.0.1",
            "WEB_PORT": str(self.web_port),
            "LOG_LEVEL": "INFO",
        }
        for name in ("BROKER_VISIBILITY_TIMEOUT", "REDIS_KEY_PREFIX", "CELERY_BROKER_URL"):
            os.environ.pop(name, None)  # the product's defaults, not whatever this shell had
        os.makedirs(self.env["DATA_DIR"])
        logs = os.path.join(self.tmp, "logs")
        os.makedirs(logs)
        self.procs = {
            "web": Proc("web", command("web", "--port", str(self.web_port)), self.env, f"{logs}/web.log"),
            "beat": Proc("beat", command("beat"), self.env, f"{logs}/beat.log"),
            "worker-0": Proc("worker-0", command("worker"), self.env, f"{logs}/worker-0.log"),
            "worker-1": Proc("worker-1", command("worker"), self.env, f"{logs}/worker-1.log"),
        }
        stack.callback(self._stop_processes)
        self.monitors: dict[int, dict] = {}  # id -> {"name", "path"}

    def _remove_tmp(self) -> None:
        if self.args.keep:
            say(f"kept {self.tmp} (logs in {self.tmp}/logs, PostgreSQL in {self.pg.folder})")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _dump_target_log(self) -> None:
        with self.target._lock:
            log = list(self.target.requests)
        with open(os.path.join(self.tmp, "target-requests.tsv"), "w") as handle:
            handle.writelines(f"{t:.3f}\t{path}\t{status}\n" for t, path, status in log)

    def _stop_processes(self) -> None:
        for role in ("beat", "worker-0", "worker-1", "web"):
            proc = self.procs[role]
            if proc.popen is not None:
                proc.stop()

    # -- set-up --

    def setup(self) -> None:
        made = create_user_cli(self.env, "bench", "admin", PASSWORD)
        if made.returncode != 0:
            raise RuntimeError(f"create-user failed: {made.stderr.strip()}")
        web = self.procs["web"]
        web.start()
        wait_http(f"{self.base}/healthz", web.popen, timeout=90)
        api = http_sign_in(self.base, "bench", PASSWORD)
        settings = {
            "alerts": {"webhook_url": self.receiver.url, "alert_type": "once", "alert_on_restored": True}
        }
        answer = api.put(f"{self.base}/api/settings", json=settings, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"PUT /api/settings: {answer.status_code} {answer.text}")
        for i in range(self.args.monitors):
            path = f"/m{i:03d}"
            body = {
                "name": f"fault {i:03d}",
                "type": "http",
                "target": self.target.url.rstrip("/") + path,
                "interval_seconds": self.args.interval,
                "timeout_seconds": TIMEOUT_SECONDS,
                "thresholds": THRESHOLDS,
            }
            answer = api.post(f"{self.base}/api/monitors", json=body, timeout=30)
            if answer.status_code != 201:
                raise RuntimeError(f"POST /api/monitors: {answer.status_code} {answer.text}")
            self.monitors[answer.json()["id"]] = {"name": body["name"], "path": path}
        say(f"{len(self.monitors)} monitors at {self.args.interval} s; webhook {self.receiver.url}")
        for role in ("worker-0", "worker-1", "beat"):
            self.procs[role].start()
        for role, banner in (("worker-0", "OnlineTracker worker"), ("worker-1", "OnlineTracker worker")):
            self._wait_log(role, banner, 90)
        self._wait_log("beat", "OnlineTracker beat", 90)
        # Every monitor checked once (its first state: unknown -> ok, which alerts nobody), then a
        # full interval of normal running before the first fault.
        deadline = time.monotonic() + 3 * self.args.interval + 30
        while time.monotonic() < deadline:
            if self._monitors_with_results() >= len(self.monitors):
                break
            time.sleep(1)
        else:
            raise RuntimeError(
                f"only {self._monitors_with_results()} of {len(self.monitors)} monitors were checked "
                "during warm-up; see the logs (--keep)"
            )
        time.sleep(self.args.interval)
        say("warm-up done: every monitor checked")

    def _wait_log(self, role: str, text: str, timeout: float, offset: int = 0) -> None:
        proc = self.procs[role]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in "\n".join(proc.log_since(offset)):
                return
            if not proc.alive():
                raise RuntimeError(f"{role} exited with {proc.exit_code()} before it was ready")
            time.sleep(0.3)
        raise RuntimeError(f"{role} did not log {text!r} within {timeout} s")

    def _query(self, sql: str, params=()) -> list[tuple]:
        with closing(psycopg2.connect(self.pg.url, connect_timeout=5)) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def _monitors_with_results(self) -> int:
        try:
            return self._query("SELECT count(DISTINCT monitor_id) FROM check_results")[0][0]
        except psycopg2.Error:
            return 0

    # -- the faults --

    def sleep_until(self, when: float) -> None:
        while (left := when - time.time()) > 0:
            time.sleep(min(left, 1.0))

    def fault(self, name: str) -> dict:
        """Run one fault; returns its times (epoch seconds) and what the harness killed."""
        t0 = time.time()
        info: dict = {"fault_start": t0, "outage": None, "killed_by_harness": []}
        if name == "worker-kill":
            victim = self.procs["worker-0"]
            victim.kill()
            info["killed_by_harness"].append(victim.role)
            self.sleep_until(t0 + 10)
            victim.start("restarted by harness 10 s after its SIGKILL")
        elif name == "redis-kill":
            self.redis.kill()
            say("redis-server SIGKILLed")
            self.sleep_until(t0 + 20)
            self.redis.start()
            say("redis-server started again, empty")
        elif name == "postgres-stop":
            self.pg.stop_fast()
            say(f"PostgreSQL stopped (-m fast) in {time.time() - t0:.1f} s")
            self.sleep_until(t0 + 60)
            self.pg.start()
            info["outage"] = (t0, time.time())
            say(f"PostgreSQL started again; outage {info['outage'][1] - t0:.1f} s")
        elif name == "target-down-worker-kill":
            self.target.set(status=503)
            say("target answers 503")
            self.sleep_until(t0 + 20)
            victim = self.procs["worker-1"]
            victim.kill()
            info["killed_by_harness"].append(victim.role)
            self.sleep_until(t0 + 30)
            victim.start("restarted by harness 10 s after its SIGKILL")
            self.sleep_until(t0 + 40)
            self.target.set(status=200)
            say("target answers 200 again")
        else:
            raise ValueError(name)
        info["recovered"] = time.time()
        return info

    def run_phase(self, name: str) -> dict:
        offsets = {role: proc.log_size() for role, proc in self.procs.items()}
        alerts_before = len(self.receiver.received)
        requests_before = len(self.target.requests)
        w0 = time.time()
        say(f"phase {name}: start")
        self.sleep_until(w0 + LEAD_SECONDS)
        info = self.fault(name)
        w1 = info["recovered"] + self.args.interval
        say(f"phase {name}: fault over; settling {self.args.settle} s after the window ends")
        self.sleep_until(w1 + self.args.settle)
        figures = self.measure(name, w0, w1, info, requests_before)
        figures["alerts"] = self.alerts(self.receiver.received[alerts_before:])
        figures["processes"] = self.health(offsets, info["killed_by_harness"])
        say(f"phase {name}: end ({time.time() - w0:.0f} s)")
        return figures

    # -- the figures --

    def measure(self, name: str, w0: float, w1: float, info: dict, requests_before: int) -> dict:
        ids = sorted(self.monitors)
        interval = self.args.interval
        expected = {(m, s) for m in ids for s in schedule.slots_between(m, interval, w0, w1)}
        rows = self._query(
            """SELECT monitor_id, uid, extract(epoch FROM slot_at)::float8,
                          extract(epoch FROM checked_at)::float8, status, details
                   FROM check_results
                   WHERE monitor_id = ANY(%s) AND slot_at >= to_timestamp(%s) AND slot_at < to_timestamp(%s)""",
            (ids, w0 - 0.0005, w1),
        )
        checked = self._query(
            """SELECT monitor_id, extract(epoch FROM checked_at)::float8 FROM check_results
                   WHERE monitor_id = ANY(%s) AND checked_at >= to_timestamp(%s)
                     AND checked_at < to_timestamp(%s)""",
            (ids, w0 - 5, w1 + 5),
        )

        keys = [(m, round(slot, 3)) for m, _, slot, *_ in rows]
        present = set(keys) & expected
        missing = sorted(expected - set(keys))
        outage = info["outage"]
        in_outage = [k for k in missing if outage and outage[0] <= k[1] <= outage[1]]
        slot_counts = Counter(keys)
        uid_counts = Counter(r[1] for r in rows)
        lateness = [checked_at - slot for _, _, slot, checked_at, *_ in rows]
        late = [x for x in lateness if x > LATE_SECONDS]

        # The target's log, per monitor path: did a request arrive near each result's checked_at,
        # and did the target answer what the result says?
        hits: dict[str, list[tuple[float, int]]] = defaultdict(list)
        with self.target._lock:
            log = list(self.target.requests)
        for arrived, path, status in log:
            hits[path].append((arrived, status))
        times = {path: [t for t, _ in entries] for path, entries in hits.items()}
        no_hit, disagrees, examples = 0, 0, []
        for monitor_id, uid, _slot, checked_at, status, details in rows:
            path = self.monitors[monitor_id]["path"]
            near = _near(hits.get(path, []), times.get(path, []), checked_at)
            if not near:
                no_hit += 1
                examples.append({"uid": uid, "checked_at": checked_at, "status": status, "details": details})
                continue
            if not any(_agrees(status, details, answered) for _, answered in near):
                disagrees += 1
                examples.append(
                    {
                        "uid": uid,
                        "checked_at": checked_at,
                        "status": status,
                        "details": details,
                        "target_answered": [s for _, s in near],
                    }
                )
        # Requests the target answered inside the window, matched one to one with the results
        # checked within 1 s of them: a request left over ran a check that was never recorded (lost
        # with a worker or the database, or a second run of a slot already recorded).
        recorded: dict[str, list[float]] = defaultdict(list)
        for monitor_id, checked_at in checked:
            recorded[self.monitors[monitor_id]["path"]].append(checked_at)
        window_hits: dict[str, list[float]] = defaultdict(list)
        for arrived, path, _status in log[requests_before:]:
            if w0 <= arrived < w1:
                window_hits[path].append(arrived)
        unrecorded = sum(_unmatched(t, recorded.get(p, [])) for p, t in window_hits.items())
        return {
            "scenario": name,
            "window": {"start": w0, "end": w1, "seconds": round(w1 - w0, 1)},
            "fault": {k: v for k, v in info.items()},
            "slots_expected": len(expected),
            "results_present": len(present),
            "missing": len(missing),
            "missing_in_pg_outage": len(in_outage),
            "missing_outside_pg_outage": len(missing) - len(in_outage),
            "missing_per_monitor_max": max(Counter(m for m, _ in missing).values(), default=0),
            "unexpected_slots": sum(1 for m, slot in set(keys) if not _on_grid(m, interval, slot)),
            "duplicates_uid": sum(n - 1 for n in uid_counts.values() if n > 1),
            "duplicates_slot": sum(n - 1 for n in slot_counts.values() if n > 1),
            "late": len(late),
            "late_max_s": round(max(late), 1) if late else 0.0,
            "lag_max_s": round(max(lateness), 2) if lateness else None,
            "not_checked_no_hit": no_hit,
            "not_checked_status_disagrees": disagrees,
            "not_checked_examples": examples[:10],
            "target_hits_in_window": sum(map(len, window_hits.values())),
            "target_hits_unrecorded": unrecorded,
            "missing_examples": [{"monitor": m, "slot": s} for m, s in missing[:10]],
            "results_by_status": dict(Counter(r[4] for r in rows)),
        }

    def alerts(self, bodies: list[dict]) -> dict:
        by_name = {v["name"]: k for k, v in self.monitors.items()}
        per_monitor: dict[int, Counter] = defaultdict(Counter)
        events: Counter = Counter()
        for body in bodies:
            events[body.get("event")] += 1
            per_monitor[by_name.get(body.get("monitor"), -1)][body.get("event")] += 1
        one_each = sum(
            1
            for m in self.monitors
            if per_monitor[m].get("down") == 1 and per_monitor[m].get("up") == 1 and len(per_monitor[m]) == 2
        )
        shapes = Counter(
            ", ".join(f"{e} {n}" for e, n in sorted(per_monitor[m].items())) or "none" for m in self.monitors
        )
        return {
            "received": len(bodies),
            "down": events.get("down", 0),
            "up": events.get("up", 0),
            "other": sum(n for e, n in events.items() if e not in ("down", "up")),
            "monitors_one_down_one_up": one_each,
            "monitors_by_events": dict(shapes),
            "bodies": bodies,
        }

    def health(self, offsets: dict[str, int], killed: list[str]) -> dict:
        report = {}
        for role, proc in self.procs.items():
            proc.note_exit()
            entry = {
                "alive": proc.alive(),
                "exit_code": proc.exit_code(),
                "killed_by_harness": role in killed,
                "log": scan_log(proc.log_since(offsets[role])),
            }
            if role == "web":
                try:
                    health = requests.get(f"{self.base}/healthz", timeout=10)
                    entry["healthz"] = health.status_code
                except requests.RequestException as exc:
                    entry["healthz"] = type(exc).__name__
            report[role] = entry
        restarted = []
        for role, proc in self.procs.items():
            if not proc.alive():
                say(f"{role} died by itself (exit {proc.exit_code()}); restarting it for the next phase")
                report[role]["restarted_after_phase"] = True
                restarted.append((role, proc.log_size()))
                proc.start("restarted by harness after it died by itself")
        if restarted:
            # A quiet period: the restarted processes get ready and work off what piled up while
            # they were dead, so the next phase starts from a running system.
            for role, offset in restarted:
                if role == "web":
                    wait_http(f"{self.base}/healthz", self.procs[role].popen, timeout=90)
                else:
                    banner = "OnlineTracker beat" if role == "beat" else "OnlineTracker worker"
                    self._wait_log(role, banner, 90, offset)
            time.sleep(self.args.interval)
        return report

    def recount(self, phase: dict) -> int:
        """Slots of a phase's window recorded by the end of the run (some land after it was read)."""
        w0, w1 = phase["window"]["start"], phase["window"]["end"]
        ids = sorted(self.monitors)
        rows = self._query(
            """SELECT DISTINCT monitor_id, round(extract(epoch FROM slot_at)::numeric, 3)::float8
               FROM check_results
               WHERE monitor_id = ANY(%s) AND slot_at >= to_timestamp(%s) AND slot_at < to_timestamp(%s)""",
            (ids, w0 - 0.0005, w1),
        )
        expected = {(m, s) for m in ids for s in schedule.slots_between(m, self.args.interval, w0, w1)}
        return len({(m, round(s, 3)) for m, s in rows} & expected)


def _on_grid(monitor_id: int, interval: int, slot: float) -> bool:
    steps = (slot - schedule.offset_for(monitor_id, interval)) / interval
    return abs(steps - round(steps)) * interval < 0.002


def _near(entries: list[tuple[float, int]], times: list[float], at: float) -> list[tuple[float, int]]:
    lo = bisect.bisect_left(times, at - HIT_TOLERANCE_SECONDS)
    hi = bisect.bisect_right(times, at + HIT_TOLERANCE_SECONDS)
    return entries[lo:hi]


def _unmatched(hits: list[float], results: list[float]) -> int:
    """How many of ``hits`` are left when each result takes the nearest free hit within 1 s."""
    free = sorted(hits)
    for at in sorted(results):
        i = bisect.bisect_left(free, at - HIT_TOLERANCE_SECONDS)
        best = None
        for j in range(i, len(free)):
            if free[j] > at + HIT_TOLERANCE_SECONDS:
                break
            if best is None or abs(free[j] - at) < abs(free[best] - at):
                best = j
        if best is not None:
            free.pop(best)
    return len(free)


def _agrees(status: str, details: str, answered: int) -> bool:
    code = re.match(r"HTTP (\d{3})\b", details or "")
    if code:
        return int(code.group(1)) == answered
    # No status code in the result (a timeout, a refused connection): only "down" for an error answer.
    return status == "down" and answered >= 400


# --- The table ---------------------------------------------------------------------------------


def _proc_cell(entry: dict) -> str:
    if entry["killed_by_harness"]:
        state = "killed+restarted by harness, " + (
            "alive" if entry["alive"] else f"DEAD {entry['exit_code']}"
        )
    elif entry["alive"]:
        state = "alive"
    else:
        state = f"DIED exit {entry['exit_code']}"
    crit = entry["log"]["critical"]
    state += f", {crit} CRITICAL" if crit else ""
    return state + (" (restarted for the next phase)" if entry.get("restarted_after_phase") else "")


ROWS = [
    ("window (s) / slots expected", lambda f: f"{f['window']['seconds']:.0f} / {f['slots_expected']}"),
    ("results present", lambda f: f["results_present"]),
    ("  + recorded after the phase was read", lambda f: f.get("recorded_after_read", "?")),
    (
        "missing: in PG outage / outside",
        lambda f: f"{f['missing_in_pg_outage']} / {f['missing_outside_pg_outage']}",
    ),
    ("duplicates: uid / monitor+slot", lambda f: f"{f['duplicates_uid']} / {f['duplicates_slot']}"),
    ("results off any slot", lambda f: f["unexpected_slots"]),
    ("late > 5 s: count / max s", lambda f: f"{f['late']} / {f['late_max_s']}"),
    (
        "not checked: no hit / disagrees",
        lambda f: f"{f['not_checked_no_hit']} / {f['not_checked_status_disagrees']}",
    ),
    (
        "target hits / left no result",
        lambda f: f"{f['target_hits_in_window']} / {f['target_hits_unrecorded']}",
    ),
    (
        "alerts down / up / other",
        lambda f: f"{f['alerts']['down']} / {f['alerts']['up']} / {f['alerts']['other']}",
    ),
    ("monitors with 1 down + 1 up", lambda f: f"{f['alerts']['monitors_one_down_one_up']}"),
    ("worker-0", lambda f: _proc_cell(f["processes"]["worker-0"])),
    ("worker-1", lambda f: _proc_cell(f["processes"]["worker-1"])),
    ("beat", lambda f: _proc_cell(f["processes"]["beat"])),
    (
        "web (/healthz after)",
        lambda f: f"{_proc_cell(f['processes']['web'])} ({f['processes']['web'].get('healthz')})",
    ),
    (
        "ERROR lines (w0/w1/beat/web)",
        lambda f: "/".join(
            str(f["processes"][r]["log"]["error"]) for r in ("worker-0", "worker-1", "beat", "web")
        ),
    ),
]


def table(phases: list[dict]) -> str:
    header = ["figure", *(p["scenario"] for p in phases)]
    body = [[label, *(str(cell(p)) for p in phases)] for label, cell in ROWS]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)])


def log_summary(phases: list[dict], per_process: int = 5) -> str:
    """The distinct CRITICAL / ERROR / exception lines each process logged during each phase."""
    out = []
    for phase in phases:
        for role, entry in phase["processes"].items():
            lines = [e for e in entry["log"]["lines"] if e["level"] != "WARNING"][:per_process]
            for e in lines:
                out.append(f"{phase['scenario']} {role} ×{e['count']}: {e['first']}")
    return "\n".join(["log lines (CRITICAL / ERROR / exceptions):", *(out or ["none"])])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=SCENARIOS, help="run only this one (default: all, in order)")
    parser.add_argument("--monitors", type=int, default=40)
    parser.add_argument("--interval", type=int, default=10, help="monitor interval, seconds (>= 10)")
    parser.add_argument(
        "--settle",
        type=float,
        default=90,
        help="seconds of quiet after each phase's window before its results are read (default 90: "
        "the checks' expiry grace, so a redelivered check can still land)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every figure and detail here")
    parser.add_argument("--keep", action="store_true", help="leave the temp folders (logs, database)")
    args = parser.parse_args(argv)
    if args.interval <= TIMEOUT_SECONDS:
        parser.error(f"--interval must be more than the {TIMEOUT_SECONDS} s timeout")

    def on_term(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    started = time.time()
    phases: list[dict] = []
    interrupted = False
    with ExitStack() as stack:
        try:
            harness = Harness(args, stack)
            harness.setup()
            for name in [args.scenario] if args.scenario else SCENARIOS:
                phases.append(harness.run_phase(name))
            for phase in phases:
                phase["recorded_after_read"] = harness.recount(phase) - phase["results_present"]
        except KeyboardInterrupt:
            interrupted = True
            say("interrupted: stopping everything")
        finally:
            say("stopping processes and servers")
    result = {
        "monitors": args.monitors,
        "interval": args.interval,
        "settle": args.settle,
        "run_seconds": round(time.time() - started, 1),
        "interrupted": interrupted,
        "phases": phases,
    }
    if phases:
        print(table(phases))
        print(log_summary(phases))
    print(f"run time {result['run_seconds']:.0f} s" + (" (interrupted)" if interrupted else ""))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2, default=str)
    return result


if __name__ == "__main__":
    sys.exit(130 if main()["interrupted"] else 0)
