"""HTTP/HTTPS check: one request, judged on the status code, optional assertions on the response,
and the time to the response headers.

What is sent and expected comes from the monitor's options (``shared.schemas.HttpOptions``, all
optional): ``method``, ``headers``, ``body`` (sent as-is; a Content-Type only if the user gave one),
``basic_auth``, ``follow_redirects`` (at most :data:`MAX_REDIRECTS`), ``expected_status`` (default
200-399), ``keyword``/``keyword_mode`` (case-sensitive, in the first :data:`MAX_ASSERTED_BODY_BYTES`
of the body) and ``json_path``/``json_expected`` (JSONPath on the body parsed as JSON). The body is
only read as far as an assertion needs, and never kept whole.

TLS is verified unless the monitor sets ``verify_tls`` false. A private CA is trusted through the
bundle named by ``ONLINETRACKER_CA_BUNDLE`` (then ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``), see
:func:`shared.checks.ca_bundle`.

The monitor's timeout bounds the whole request, not each socket read: once connected, the TLS
handshake, redirects, headers and the body read all end within ``timeout + DEADLINE_MARGIN_SECONDS``
of the start. A server sending one byte a second never trips a read timeout, and would otherwise
hold a worker thread as long as it liked. When the time is up, a watchdog thread shuts the check's
connection down and the check is ``down`` with "no complete response within N s". Not cut short:
name resolution (the system resolver's own limits) and connecting, which is bounded by the timeout
per address tried.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import os
import re
import socket
import threading
import time
from urllib.parse import urlsplit

import requests
from jsonpath_ng.ext import parse as parse_json_path
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
    short_reason,
    timed_out,
)
from shared.schemas import DEFAULT_EXPECTED_STATUS, HttpOptions, parse_status_ranges

#: Enough of the body to let a small page's connection go back to the pool for reuse; anything
#: larger is cut off, so a monitor pointed at a big download costs neither memory nor bandwidth.
MAX_BODY_BYTES = 64 * 1024
#: How much of the body a keyword or JSONPath assertion reads; the rest is never downloaded.
MAX_ASSERTED_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 10
#: Longest text of what was seen in a result's details.
MAX_DETAILS = 200
USER_AGENT = "OnlineTracker-check/1"
#: How long past its timeout a check may run before its connection is cut: time to notice, not a
#: second allowance. A server silent for the whole timeout still reads "timed out after N s".
DEADLINE_MARGIN_SECONDS = 0.25

_local = threading.local()


def run(spec: CheckSpec) -> CheckResult:
    try:
        options = HttpOptions.model_validate(spec.options or {})
        expected = parse_status_ranges(options.expected_status)
    except ValueError as exc:
        return _down(_cut(f"invalid HTTP options: {options_error(exc)}"))
    url = normalise_url(spec.target, spec.type)
    host = urlsplit(url).hostname or spec.target
    deadline = _Deadline(spec.timeout_seconds + DEADLINE_MARGIN_SECONDS)
    _local.deadline = deadline
    _WATCHDOG.add(deadline)
    try:
        result = _check(url, host, spec, options, expected)
    finally:
        _local.deadline = None
        expired = deadline.end()
    if expired:
        # Its connection was shut down under it; the next check starts from a clean session.
        _discard_session()
        return _down(no_complete_response(spec.timeout_seconds))
    return result


def no_complete_response(seconds: float) -> str:
    return f"no complete response within {seconds_text(seconds)} s"


def _down(details: str, latency_ms: float | None = None) -> CheckResult:
    return CheckResult(status="down", latency_ms=latency_ms, details=details)


def options_error(exc: ValueError) -> str:
    """The first problem pydantic found, as "field: message" (its text starts with a count)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        return f"{where}: {first.get('msg', '')}" if where else str(first.get("msg", ""))
    return short_reason(exc)


def _cut(text: str, limit: int = MAX_DETAILS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check(
    url: str, host: str, spec: CheckSpec, options: HttpOptions, expected: list[tuple[int, int]]
) -> CheckResult:
    current = session()
    current.cookies.clear()  # each check on its own: no cookie carried over from another monitor
    auth = options.basic_auth
    started = time.perf_counter()
    try:
        response = current.request(
            options.method,
            url,
            headers=options.headers or None,
            data=options.body.encode() if options.body is not None else None,
            auth=(auth.username, auth.password or "") if auth else None,
            timeout=spec.timeout_seconds,
            allow_redirects=options.follow_redirects,
            hooks={"response": _release_redirect} if options.follow_redirects else None,
            stream=True,
            verify=(ca_bundle() or True) if options.verify_tls else False,
        )
    except requests.TooManyRedirects:
        return _down(f"more than {MAX_REDIRECTS} redirects")
    except requests.Timeout:
        return _down(timed_out(spec.timeout_seconds))
    except (requests.RequestException, OSError) as exc:
        return _down(describe_connection_error(exc, host, spec.timeout_seconds))
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    code = response.status_code

    if not any(low <= code <= high for low, high in expected):
        _drain(response)
        # With the default expectation the detail stays the README's alert format ("HTTP 503").
        custom = options.expected_status != DEFAULT_EXPECTED_STATUS
        detail = f"HTTP {code} (expected {options.expected_status})" if custom else f"HTTP {code}"
        return _down(_cut(detail), latency_ms)
    if options.keyword is None and options.json_path is None:
        _drain(response)
        return CheckResult(
            status=status.from_http(code, latency_ms, spec.thresholds, expected),
            latency_ms=latency_ms,
            details=f"HTTP {code}",
        )

    try:
        body = read_body(response, MAX_ASSERTED_BODY_BYTES)
    except requests.exceptions.ContentDecodingError:
        return _down("response body could not be decoded", latency_ms)
    except (requests.RequestException, OSError) as exc:
        # When the deadline cut it, ``run`` reports that instead.
        reason = describe_connection_error(exc, host, spec.timeout_seconds)
        if reason == timed_out(spec.timeout_seconds):
            return _down(reason, latency_ms)
        return _down("response body cut short", latency_ms)
    failed = None
    if options.keyword is not None:
        failed = keyword_failure(options.keyword, options.keyword_mode, body, response.headers)
    if failed is None and options.json_path is not None:
        failed = json_failure(options.json_path, options.json_expected, body)
    if failed is not None:
        return _down(_cut(failed), latency_ms)
    return CheckResult(
        status=status.from_http(code, latency_ms, spec.thresholds, expected),
        latency_ms=latency_ms,
        details=f"HTTP {code}",
    )


class Body:
    """The start of a response body: at most ``limit`` bytes; ``cut`` when there was more."""

    def __init__(self, data: bytes, cut: bool):
        self.data = data
        self.cut = cut

    @property
    def extent(self) -> str:
        return f" in the first {_size_text(MAX_ASSERTED_BODY_BYTES)}" if self.cut else ""


def read_body(response: requests.Response, limit: int) -> Body:
    """Up to ``limit`` bytes of the (decoded) body, then the response is closed.

    Read in 16 KiB pieces into one buffer of at most ``limit`` bytes, so a huge body costs neither
    memory nor more than ``limit`` of download. Raises what requests raises for a broken body.
    """
    data = bytearray()
    cut = False
    try:
        for chunk in response.iter_content(chunk_size=16 * 1024):
            room = limit - len(data)
            if len(chunk) > room:
                data += chunk[:room]
                cut = True
                break
            data += chunk
            if len(data) == limit:
                # Exactly full: more is to come unless the announced length is all read.
                cut = getattr(response.raw, "length_remaining", None) != 0
                break
    finally:
        response.close()
    return Body(bytes(data), cut)


def _size_text(size: int) -> str:
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    return f"{size // 1024} KiB"


_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def body_text(body: Body, headers) -> str:
    """The body as text: in the charset the Content-Type names, else UTF-8 (bad bytes replaced)."""
    match = _CHARSET.search(headers.get("Content-Type", ""))
    if match:
        try:
            return body.data.decode(match.group(1), "replace")
        except LookupError:
            pass
    return body.data.decode("utf-8", "replace")


def keyword_failure(keyword: str, mode: str, body: Body, headers) -> str | None:
    """Why the keyword assertion failed, or None if it holds. Case-sensitive."""
    found = keyword in body_text(body, headers)
    shown = json.dumps(keyword, ensure_ascii=False)
    if mode == "absent":
        return f"keyword {shown} found" if found else None
    return None if found else f"keyword {shown} not found{body.extent}"


@functools.lru_cache(maxsize=256)
def _compiled_json_path(path: str):
    return parse_json_path(path)


def json_failure(path: str, expected: str | None, body: Body) -> str | None:
    """Why the JSONPath assertion failed, or None if it holds.

    The first match is compared as text: a JSON string as its text, anything else as JSON (``true``,
    ``42``, ``null``, ``[1,2]``). Without ``expected`` the path only has to match something.
    """
    try:
        document = json.loads(body.data)
    except (ValueError, RecursionError):
        if body.cut:
            return f"response is larger than {_size_text(MAX_ASSERTED_BODY_BYTES)}, too large to read as JSON"
        return "response is not JSON"
    try:
        matches = _compiled_json_path(path).find(document)
    except Exception as exc:  # jsonpath-ng raises plain Exception for some bad paths
        return f"invalid JSONPath {path}: {short_reason(exc, 100)}"
    if not matches:
        return f"{path} not found in the response"
    if expected is None:
        return None
    value = matches[0].value
    if json_text(value) == expected:
        return None
    shown = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return f"{path} is {_cut(shown, 80)}, expected {json.dumps(expected, ensure_ascii=False)}"


def json_text(value) -> str:
    """A JSON value as the text a user types to expect it."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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
        current.max_redirects = MAX_REDIRECTS
        current.mount("http://", _WatchedAdapter())
        current.mount("https://", _WatchedAdapter())
        _local.session, _local.pid = current, os.getpid()
    return current


def _discard_session() -> None:
    current = getattr(_local, "session", None)
    _local.session = None
    if current is not None and _local.pid == os.getpid():
        current.close()


def _release_redirect(response: requests.Response, **_kwargs) -> requests.Response:
    """Response hook: a redirect's body is drained like any other (requests would read it whole into
    memory before following, whatever its size) and reads as empty from then on."""
    if response.is_redirect:
        _drain(response)
        response._content = b""  # what requests' ``content`` returns instead of reading the socket
        response._content_consumed = True
    return response


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

    def _validate_conn(self, conn) -> None:
        # urllib3's own minus its InsecureRequestWarning: a monitor with verify_tls false asked for an
        # unverified connection, and a warning on every check of it would only flood the logs.
        HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()


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
