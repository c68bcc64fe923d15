"""A real HTTP server on 127.0.0.1 that records every request, for notification services in tests.

It answers anything (any method, any path) with 200 unless told otherwise: the next N requests can
get another status (``fail_next``), and the next request can be HELD (``hold_next``): the handler
records it, then waits before answering until the test releases it or the client goes away (a
sender killed mid-send). Each recorded request says how it ended (``status`` once answered,
``abandoned`` when the client left first), so a test counts only what it accepted
(``accepted``). Like the webhook receiver it can be stopped and started again on the same port.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class SinkRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    #: The status answered, None while held or when the client left before the answer.
    status: int | None = None
    abandoned: bool = False
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    @property
    def accepted(self) -> bool:
        return not self.abandoned and self.status is not None and 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


def _client_left(sock: socket.socket) -> bool:
    """True once the peer closed (EOF) or reset the connection; never consumes data."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class HttpSink:
    def __init__(self, port: int = 0):
        self.port = port
        self.requests: list[SinkRequest] = []
        self._statuses: list[int] = []
        self._holds = 0
        self._release = threading.Event()
        self._lock = threading.RLock()  # predicates of wait_for read the properties below
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/", scheme: str = "http") -> str:
        """``scheme://127.0.0.1:PORT/path``: an Apprise URL as well as a plain one."""
        return f"{scheme}://127.0.0.1:{self.port}/{path.lstrip('/')}"

    # --- What the next requests get ------------------------------------------------------------

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status``."""
        with self._lock:
            self._statuses += [status] * count

    def hold_next(self, count: int = 1) -> None:
        """Hold the next ``count`` requests unanswered until :meth:`release` or the client leaves."""
        with self._lock:
            self._holds += count
            self._release.clear()

    def release(self) -> None:
        self._release.set()

    # --- What arrived ----------------------------------------------------------------------------

    @property
    def accepted(self) -> list[SinkRequest]:
        """The requests answered with a 2xx that the client was still there for."""
        with self._lock:
            return [r for r in self.requests if r.accepted]

    @property
    def held(self) -> list[SinkRequest]:
        with self._lock:
            return [r for r in self.requests if not r._done.is_set()]

    def wait_for(self, predicate, timeout: float = 10, what: str = "requests"):
        """Wait until ``predicate(self)`` is truthy and return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the sink timed out after {timeout} s waiting for {what}")
                self._changed.wait(min(left, 0.1))

    def _record(self, request: SinkRequest) -> tuple[int, bool]:
        with self._changed:
            self.requests.append(request)
            status = self._statuses.pop(0) if self._statuses else 200
            hold = self._holds > 0
            self._holds -= 1 if hold else 0
            self._changed.notify_all()
        return status, hold

    def _finish(self, request: SinkRequest, status: int | None) -> None:
        with self._changed:
            request.status = status
            request.abandoned = status is None
            request._done.set()
            self._changed.notify_all()

    def _handler(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = SinkRequest(
                    self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body
                )
                status, hold = sink._record(request)
                if hold:
                    while not sink._release.wait(0.05):
                        if _client_left(self.connection):
                            sink._finish(request, None)
                            self.close_connection = True
                            return
                answer = b"{}"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    self.wfile.flush()
                except OSError:
                    sink._finish(request, None)
                    self.close_connection = True
                    return
                sink._finish(request, status)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any  # noqa: N815 - the http.server API

            def log_message(self, *args):
                pass

        return Handler

    # --- Lifecycle -------------------------------------------------------------------------------

    def start(self) -> HttpSink:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self.release()
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> HttpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
