"""The agent (``onlinetracker agent``, what ``MODE=agent`` runs): checks from another location.

It keeps its UUID in its data directory, registers with the server's gateway (retrying with
backoff while an admin has not approved it), fetches its monitors every 30 s, runs the same checks
from ``shared/`` on the same offset rule with bounded concurrency, and reports results in batches
from an on-disk buffer, so nothing is lost while the server can't be reached (or answers 429/5xx).
A result the server refuses for good is logged once and leaves the buffer, so it can't hold up the
results behind it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from agent_gateway import protocol
from agent_gateway.buffer import DEFAULT_LIMIT, ResultBuffer
from shared import schedule
from shared.checks import CheckSpec, run_check
from shared.schemas import MAX_REPORT_RESULTS
from shared.thresholds import Thresholds
from shared.timefmt import from_epoch

log = logging.getLogger("onlinetracker.agent")
POLL_SECONDS = 30
BATCH = MAX_REPORT_RESULTS
#: Refused results logged one by one per batch; past that, one line says how many more.
MAX_REFUSALS_LOGGED = 20
#: The longest a ``Retry-After`` from the server holds the agent back.
MAX_RETRY_AFTER_SECONDS = 600


class NotRegistered(Exception):
    pass


@dataclass
class AgentSettings:
    server_url: str
    shared_secret: str
    data_dir: Path
    name: str
    concurrency: int = 10
    buffer_limit: int = DEFAULT_LIMIT

    @classmethod
    def from_env(cls, env=None) -> AgentSettings:
        from shared.config import ConfigError

        env = os.environ if env is None else env
        host = env.get("SERVER_HOST")
        secret = env.get("SHARED_SECRET")
        if not host:
            raise ConfigError("SERVER_HOST is required in agent mode (the server's host name)")
        if not secret:
            raise ConfigError("SHARED_SECRET is required in agent mode (Settings > Agents on the server)")
        port = env.get("COMS_PORT") or "19443"
        url = host if "://" in host else f"http://{host}:{port}"
        return cls(
            server_url=url.rstrip("/"),
            shared_secret=secret,
            data_dir=Path(env.get("DATA_DIR") or Path.cwd() / "data").resolve(),
            name=env.get("AGENT_NAME") or socket.gethostname(),
            concurrency=int(env.get("AGENT_CONCURRENCY") or 10),
            buffer_limit=int(env.get("AGENT_BUFFER_LIMIT") or DEFAULT_LIMIT),
        )


def load_uuid(data_dir: Path) -> str:
    """Made once, kept in the data directory (a volume in Docker) so that approval survives restarts."""
    path = data_dir / "agent_uuid"
    if path.exists():
        return str(uuid.UUID(path.read_text().strip()))
    data_dir.mkdir(parents=True, exist_ok=True)
    value = str(uuid.uuid4())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(value + "\n")
    os.replace(tmp, path)
    return value


class Agent:
    def __init__(self, settings: AgentSettings):
        self.settings = settings
        self.uuid = load_uuid(settings.data_dir)
        self.buffer = ResultBuffer(settings.data_dir / "agent-buffer.db", settings.buffer_limit)
        self.http = requests.Session()
        self.stop_event = threading.Event()
        self.agent_id: int | None = None
        self.credential: str | None = None
        self.monitors: dict[int, dict] = {}
        self.next_slots: dict[int, float] = {}
        self.running: set[int] = set()
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="check")
        self.monitors_file = settings.data_dir / "agent-monitors.json"
        #: Seconds the server asked the agent to wait (``Retry-After``) when it refused a registration.
        self.wait_hint = 0.0
        self._load_saved_monitors()

    def _load_saved_monitors(self) -> None:
        """The last monitor list the server gave: a restarted agent keeps checking while the server
        can't be reached."""
        try:
            saved = json.loads(self.monitors_file.read_text())
        except (OSError, ValueError):
            return
        self._set_monitors({m["id"]: m for m in saved})
        log.info("resuming %s monitors saved from the last run", len(saved))

    def _set_monitors(self, monitors: dict[int, dict]) -> None:
        with self.lock:
            for mid in set(self.next_slots) - set(monitors):
                self.next_slots.pop(mid)
            now = time.time()
            for mid, m in monitors.items():
                old = self.monitors.get(mid)
                if old is None or old["interval_seconds"] != m["interval_seconds"]:
                    self.next_slots[mid] = schedule.next_slot(mid, m["interval_seconds"], now)
            self.monitors = monitors

    # --- talking to the gateway -------------------------------------------------------------
    def _request(self, method: str, path: str, body: dict | None, key: str, agent: str) -> requests.Response:
        data = json.dumps(body).encode() if body is not None else b""
        headers = protocol.signed_headers(key, agent, method, path, data)
        return self.http.request(
            method, self.settings.server_url + path, data=data, headers=headers, timeout=15
        )

    def register(self) -> bool:
        response = self._request(
            "POST",
            "/api/agents/register",
            {"uuid": self.uuid, "name": self.settings.name},
            self.settings.shared_secret,
            self.uuid,
        )
        if response.status_code == 200:
            body = response.json()
            self.agent_id = body["agent_id"]
            self.credential = protocol.derive_credential(self.settings.shared_secret, self.uuid, body["salt"])
            log.info("registered with %s as agent id %s", self.settings.server_url, self.agent_id)
            return True
        reason = _error_text(response)
        self.wait_hint = retry_after(response)
        if response.status_code == 403:
            log.warning("waiting for approval: %s (UUID %s)", reason, self.uuid)
        else:
            log.warning("registration refused (HTTP %s): %s", response.status_code, reason)
        return False

    def _signed(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        if self.credential is None:
            raise NotRegistered()
        response = self._request(method, path, body, self.credential, str(self.agent_id))
        if response.status_code in (401, 403):
            log.warning(
                "server refused the agent (HTTP %s): %s; registering again",
                response.status_code,
                _error_text(response),
            )
            self.credential = None
            raise NotRegistered()
        return response

    def fetch_monitors(self) -> None:
        response = self._signed("GET", f"/api/agents/{self.agent_id}/monitors")
        response.raise_for_status()
        listed = response.json()["monitors"]
        monitors = {m["id"]: m for m in listed}
        if monitors != self.monitors:
            log.info("assigned monitors: %s", ", ".join(str(i) for i in sorted(monitors)) or "none")
            tmp = self.monitors_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(listed))
            os.replace(tmp, self.monitors_file)
        self._set_monitors(monitors)

    def send_buffered(self) -> int:
        """Send the buffer, oldest first, in batches; returns how many results left it.

        A result leaves the buffer once the gateway has answered for it: stored, or refused for a
        reason a retry can't change (each logged once, here). On a network error, a 429 or a 5xx the
        exception goes up to the control loop's backoff and every result stays for the next attempt.
        A request too large for the server (or a proxy in front of it) is split in halves until it
        passes, or until the one result that can't pass is left, and dropped.
        """
        done = 0
        size = BATCH
        while not self.stop_event.is_set():
            batch = self.buffer.oldest(size)
            if not batch:
                break
            response = self._signed("POST", "/api/agents/report", {"results": batch})
            if response.status_code == 413 and len(batch) > 1:
                size = max(1, len(batch) // 2)
                log.info(
                    "server took %s results as too large a request; sending %s at a time", len(batch), size
                )
                continue
            if response.status_code in (413, 422):
                # The request as a whole can never pass: a result too large alone, or an envelope
                # the server can't read. Kept, it would block everything behind it forever.
                log.warning(
                    "server refused %s (HTTP %s): %s; dropped",
                    f"result {batch[0]['id']}" if len(batch) == 1 else f"a batch of {len(batch)} results",
                    response.status_code,
                    _error_text(response),
                )
            else:
                response.raise_for_status()
                _log_refusals(batch, _report_answer(response))
            self.buffer.remove([r["id"] for r in batch])
            done += len(batch)
        return done

    # --- checks ------------------------------------------------------------------------------
    def _run_one(self, monitor: dict, slot: float) -> None:
        try:
            spec = CheckSpec(
                type=monitor["type"],
                target=monitor["target"],
                timeout_seconds=monitor["timeout_seconds"],
                thresholds=Thresholds(**monitor["thresholds"]),
                options=monitor.get("options") or {},  # absent from servers before 2.2
            )
            started = time.time()
            outcome = run_check(spec)
            self.buffer.add(
                {
                    "id": str(uuid.uuid4()),
                    "monitor_id": monitor["id"],
                    "checked_at": iso_ms(started),
                    "slot_at": iso_ms(slot),
                    "status": outcome.status,
                    "latency_ms": outcome.latency_ms,
                    "details": outcome.details[:500],
                    "days_left": outcome.days_left,
                }
            )
        finally:
            with self.lock:
                self.running.discard(monitor["id"])

    def schedule_due(self, now: float) -> None:
        with self.lock:
            for mid, slot in list(self.next_slots.items()):
                if slot > now:
                    continue
                monitor = self.monitors[mid]
                interval = monitor["interval_seconds"]
                self.next_slots[mid] = schedule.next_slot(mid, interval, now + 0.001)
                if now - slot > interval or mid in self.running:
                    continue  # too late for this slot, or the previous check still runs
                self.running.add(mid)
                self.pool.submit(self._run_one, monitor, slot)

    # --- loops ---------------------------------------------------------------------------------
    def control_loop(self) -> None:
        backoff = 2.0
        last_poll = 0.0
        while not self.stop_event.is_set():
            try:
                if self.credential is None:
                    if not self.register():
                        self.stop_event.wait(max(backoff, self.wait_hint))
                        backoff = min(backoff * 2, 60.0)
                        continue
                    backoff = 2.0
                    last_poll = 0.0
                if time.monotonic() - last_poll >= POLL_SECONDS:
                    self.fetch_monitors()
                    last_poll = time.monotonic()
                self.send_buffered()
                backoff = 2.0
                self.stop_event.wait(2.0)
            except NotRegistered:
                continue
            except (requests.RequestException, ValueError, KeyError) as exc:
                # A 429 or 5xx arrives as HTTPError, with the response: its Retry-After is honoured.
                response = getattr(exc, "response", None)
                wait = max(backoff, retry_after(response)) if response is not None else backoff
                log.warning(
                    "server %s %s; %s results kept on disk, retrying in %.0f s",
                    self.settings.server_url,
                    f"answered HTTP {response.status_code} ({_error_text(response)})"
                    if response is not None
                    else f"not reachable ({type(exc).__name__})",
                    len(self.buffer),
                    wait,
                )
                self.stop_event.wait(wait)
                backoff = min(backoff * 2, 30.0)
            except Exception:
                # Whatever else goes wrong (an odd answer, a full disk), this thread must not end:
                # it is the only one that reports.
                log.exception(
                    "unexpected error talking to %s; retrying in %.0f s", self.settings.server_url, backoff
                )
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 30.0)

    def scheduler_loop(self) -> None:
        while not self.stop_event.is_set():
            self.schedule_due(time.time())
            self.stop_event.wait(0.2)

    def run(self) -> None:
        banner = (
            f"OnlineTracker agent {self.uuid} ({self.settings.name}) reporting to {self.settings.server_url}"
        )
        log.info("=" * len(banner))
        log.info(banner)
        log.info(
            "Agent UUID: %s  (approve it under Settings > Agents > Pending Connection Requests)", self.uuid
        )
        log.info("=" * len(banner))
        threads = [
            threading.Thread(target=self.control_loop, name="control", daemon=True),
            threading.Thread(target=self.scheduler_loop, name="scheduler", daemon=True),
        ]
        for t in threads:
            t.start()
        self.stop_event.wait()
        for t in threads:
            t.join(timeout=5)
        # Checks still running finish into the buffer if they can before the process exits; their
        # results are written before they are sent, so nothing already checked is lost.
        self.pool.shutdown(wait=False, cancel_futures=True)
        log.info("agent stopped; %s results kept on disk for the next start", len(self.buffer))


def iso_ms(epoch: float) -> str:
    return from_epoch(epoch).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def retry_after(response: requests.Response | None) -> float:
    """Seconds a ``Retry-After: <seconds>`` asks for (0 without one), bounded."""
    value = (response.headers.get("Retry-After", "") if response is not None else "").strip()
    return float(min(int(value), MAX_RETRY_AFTER_SECONDS)) if value.isdigit() else 0.0


def _report_answer(response: requests.Response) -> dict:
    """The gateway's answer to a report; anything else (a proxy's page) raises, keeping the batch."""
    answer = response.json()
    if not isinstance(answer, dict) or not isinstance(answer.get("accepted"), int):
        raise ValueError("the answer to a report is not the gateway's")
    return answer


def _log_refusals(batch: list[dict], answer: dict) -> None:
    """Log once each result the gateway refused for good; it leaves the buffer with the batch."""
    refused = answer.get("refused")
    if not isinstance(refused, list):  # a gateway from before per-result refusals
        refused = [
            {"id": r.get("id"), "error": r.get("reason")}
            for r in answer.get("rejected") or []
            if isinstance(r, dict)
        ]
    by_id = {r["id"]: r for r in batch}
    for count, item in enumerate(refused):
        if count == MAX_REFUSALS_LOGGED:
            log.warning("... and %s more results of this batch refused", len(refused) - count)
            break
        item = item if isinstance(item, dict) else {}
        index = item.get("index")
        result = by_id.get(item.get("id"))
        if result is None and isinstance(index, int) and 0 <= index < len(batch):
            result = batch[index]
        result = result or {}
        log.warning(
            "server refused result %s (monitor %s, checked at %s): %s; dropped",
            result.get("id", item.get("id")),
            result.get("monitor_id", "?"),
            result.get("checked_at", "?"),
            item.get("error") or "no reason given",
        )


def _error_text(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    error = answer.get("error") if isinstance(answer, dict) else None
    return str(error)[:300] if error else (response.reason or f"HTTP {response.status_code}")


def main(settings: AgentSettings) -> int:
    agent = Agent(settings)

    def stop(_signum, _frame):
        agent.stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    agent.run()
    return 0
