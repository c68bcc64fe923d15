"""HTTP/HTTPS check: one GET, judged on the status code and the time to the response headers.

TLS is always verified. A private CA is trusted through the bundle named by ``ONLINETRACKER_CA_BUNDLE``
(then ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``), see :func:`shared.checks.ca_bundle`.

The monitor's timeout bounds the whole request, not each socket read: once connected, the TLS
handshake, redirects, headers and the body read all end within ``timeout + DEADLINE_MARGIN_SECONDS``
of the start. A server sending one byte a second never trips a read timeout, and would otherwise
hold a worker thread as long as it liked. When the time is up, a watchdog thread shuts the check's
connection down and the check is ``down`` with "no complete response within N s". Not cut short:
name resolution (the system resolver's own limits) and connecting, which is bounded by the timeout
per address tried.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from shared import status
from shared.checks import (
    CheckResult,
    CheckSpec,
    ca_bundle,
    describe_connection_error,
    seconds_text,
    timed_out,
)

#: Enough of the body to let a small page's connection go back to the pool for reuse; anything
#: larger is cut off, so a monitor pointed at a big download costs neither memory nor bandwidth.
MAX_BODY_BYTES = 64 * 1024
USER_AGENT = "OnlineTracker-check/1"
#: How long past its timeout a check may run before its connection is cut: time to notice, not a
#: second allowance. A server silent for the whole timeout still reads "timed out after N s".
DEADLINE_MARGIN_SECONDS = 0.25

_local = threading.local()


def run(spec: CheckSpec) -> CheckResult:
    url = normalise_url(spec.target, spec.type)
    host = urlsplit(url).hostname or spec.target
    deadline = _Deadline(spec.timeout_seconds + DEADLINE_MARGIN_SECONDS)
    _local.deadline = deadline
    _WATCHDOG.add(deadline)
    try:
        result = _get(url, host, spec)
    finally:
        _local.deadline = None
        expired = deadline.end()
    if expired:
        # Its connection was shut down under it; the next check starts from a clean session.
        _discard_session()
        return CheckResult(status="down", latency_ms=None, details=no_complete_response(spec.timeout_seconds))
    return result


def no_complete_response(seconds: float) -> str:
    return f"no complete response within {seconds_text(seconds)} s"


def _get(url: str, host: str, spec: CheckSpec) -> CheckResult:
    started = time.perf_counter()
    try:
        response = session().get(
            url,
            timeout=spec.timeout_seconds,
            allow_redirects=True,
            stream=True,
            verify=ca_bundle() or True,
        )
    except requests.Timeout:
        return CheckResult(status="down", latency_ms=None, details=timed_out(spec.timeout_seconds))
    except (requests.RequestException, OSError) as exc:
        details = describe_connection_error(exc, host, spec.timeout_seconds)
        return CheckResult(status="down", latency_ms=None, details=details)
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    _drain(response)
    return CheckResult(
        status=status.from_http(response.status_code, latency_ms, spec.thresholds),
        latency_ms=latency_ms,
        details=f"HTTP {response.status_code}",
    )


def normalise_url(target: str, check_type: str) -> str:
    """Users type "example.com" as often as a URL; the monitor's type supplies the missing scheme."""
    target = target.strip()
    if "://" in target:
        return target
    scheme = "https" if check_type == "https" else "http"
    return f"{scheme}://{target}"


def session() -> requests.Session:
    """One Session per thread (and per process: a forked worker must not reuse its parent's sockets).

    Reusing it keeps connections alive between checks of the same host, so the latency measured is
    the server's, not a fresh TCP/TLS handshake every time.
    """
    current = getattr(_local, "session", None)
    if current is None or _local.pid != os.getpid():
        current = requests.Session()
        current.headers["User-Agent"] = USER_AGENT
        current.mount("http://", _WatchedAdapter())
        current.mount("https://", _WatchedAdapter())
        _local.session, _local.pid = current, os.getpid()
    return current


def _discard_session() -> None:
    current = getattr(_local, "session", None)
    _local.session = None
    if current is not None and _local.pid == os.getpid():
        current.close()


def _drain(response: requests.Response) -> None:
    """Read up to MAX_BODY_BYTES, then close; a fully read body returns its connection to the pool."""
    read = 0
    try:
        for chunk in response.iter_content(chunk_size=16 * 1024):
            read += len(chunk)
            if read > MAX_BODY_BYTES:
                break
    except (requests.RequestException, OSError):
        # The verdict was made on the status line; a body cut short does not change it (unless the
        # deadline cut it: ``run`` sees that).
        pass
    finally:
        response.close()


# --- The deadline -----------------------------------------------------------------------------------


class _Deadline:
    """One check's time limit, and the sockets to shut down when it is reached.

    Each socket is held as a duplicate of its descriptor: shutting that down ends the connection
    (a read blocked on it in the check's thread returns at once), and closing it at the end of the
    check leaves a kept-alive connection open for the next check.
    """

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = False
        self._ended = False

    def watch(self, sock: socket.socket) -> None:
        try:
            handle = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            return  # already closed: nothing left to cut
        with self._lock:
            if not (self._ended or self._expired):
                self._sockets.append(handle)
                return
            if self._expired and not self._ended:
                _shut(handle)  # connected after the time was up
        handle.close()

    def expire(self) -> None:
        """From the watchdog thread. Under the lock, so ``end`` can't close a handle meanwhile."""
        with self._lock:
            if self._ended:
                return
            self._expired = True
            for handle in self._sockets:
                _shut(handle)

    def end(self) -> bool:
        """The check is over; returns whether its time ran out first."""
        with self._lock:
            self._ended = True
            handles, self._sockets = self._sockets, []
        for handle in handles:
            handle.close()
        return self._expired


def _shut(handle: socket.socket) -> None:
    try:
        handle.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the peer closed it already


def _watch(sock: socket.socket | None) -> None:
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


class _Watchdog:
    """One thread per process expiring the deadlines of every check, soonest first."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # In a forked child the parent's thread does not exist, and its lock may have been held.
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: _Deadline) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-check-deadlines", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            self._cond.notify()

    def _run(self) -> None:
        cond = self._cond
        with cond:
            while cond is self._cond:
                if not self._heap:
                    cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    cond.wait(wait)
                    continue
                heapq.heappop(self._heap)[2].expire()  # a no-op for a check already over


_WATCHDOG = _Watchdog()


class _WatchedConnection:
    """Hands each socket a check uses to its deadline: a new one as soon as it is connected (so the
    TLS handshake is covered), a kept-alive one when it is used again."""

    def _new_conn(self):
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args, **kwargs):
        _watch(self.sock)
        return super().request(*args, **kwargs)


class _HTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS has pool classes of its own
            manager.pool_classes_by_scheme = _POOLS
        return manager
