"""A real HTTP server on 127.0.0.1 whose answer the test changes while it runs.

Checks are tested against real sockets rather than mocked ``requests`` so timeouts, refused
connections, keep-alive and TLS behave as they do in production. Stdlib only, so benchmarks can use
it too::

    with serve_http() as peer:
        peer.set(status=503, delay=0.3)
        requests.get(peer.url)             # -> 503 after ~0.3 s
        peer.set(path="/old", status=301, headers={"Location": "/"})
        peer.hits, peer.connections        # requests answered / TCP connections accepted
        peer.set(auth=("user", "pw"))      # 401 without that Basic authorization; auth=() lifts it
        peer.set(body=b"head", tail=50 * 2**20)  # then 50 MB of filler, streamed, never held
        peer.received[-1].method, .headers, .body   # what the last request carried

Every method is answered (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS); a request body is read by
its Content-Length. Pass ``ssl_context`` (see ``tests.peers.tls_server``) to serve HTTPS on the same
machinery.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field, replace
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: How long a handler waits for a request line before giving up on a silent client.
_IDLE_TIMEOUT_SECONDS = 5
#: Request bodies kept in ``received`` are cut to this (the rest is read and dropped).
_MAX_KEPT_BODY = 1024 * 1024
_FILLER = b"." * (64 * 1024)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    #: Bytes of filler ("." ...) sent after ``body``, written piece by piece from one 64 KiB block.
    tail: int = 0
    #: ``(username, password)``: anything but that Basic authorization gets 401.
    auth: tuple[str, str] | None = None


@dataclass(frozen=True)
class Received:
    """One request as it arrived: ``headers`` is case-insensitive (``headers["content-type"]``)."""

    method: str
    path: str
    headers: Message
    body: bytes


class HttpPeer:
    """A running server; ``url`` ends with "/", ``set`` changes replies, ``stop`` shuts it down."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self._lock = threading.Lock()
        self._default = Reply()
        self._by_path: dict[str, Reply] = {}
        self._hits = 0
        self._connections = 0
        #: The requests received, oldest first (the last 1000: benchmarks run for long).
        self.received: collections.deque[Received] = collections.deque(maxlen=1000)
        #: Bytes of reply bodies written so far (a client hanging up stops the writing).
        self.body_bytes_sent = 0
        self._server = _Server((host, 0), _Handler, peer=self, ssl_context=ssl_context)
        self.host = host
        self.port = self._server.server_address[1]
        scheme = "https" if ssl_context else "http"
        self.url = f"{scheme}://{host}:{self.port}/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def set(
        self,
        status: int | None = None,
        delay: float | None = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        path: str | None = None,
        tail: int | None = None,
        auth: tuple[str, str] | None = None,
    ) -> None:
        """Change the reply for every path, or only for ``path`` (exact match, query ignored).

        Unspecified fields keep their current value, so ``set(delay=0.2)`` keeps the status.
        """
        changes = {
            name: value
            for name, value in {
                "status": status,
                "delay": delay,
                "headers": headers,
                "tail": tail,
            }.items()
            if value is not None
        }
        if auth is not None:
            changes["auth"] = tuple(auth) or None  # ``auth=()`` lifts the requirement
        if body is not None:
            changes["body"] = body.encode() if isinstance(body, str) else body
        with self._lock:
            if path is None:
                self._default = replace(self._default, **changes)
            else:
                self._by_path[path] = replace(self._by_path.get(path, self._default), **changes)

    @property
    def hits(self) -> int:
        with self._lock:
            return self._hits

    @property
    def connections(self) -> int:
        """TCP connections accepted so far; fewer than ``hits`` means keep-alive reuse."""
        with self._lock:
            return self._connections

    def connection_opened(self) -> None:
        with self._lock:
            self._connections += 1

    def record(self, request: Received) -> None:
        with self._lock:
            self.received.append(request)

    def count_sent(self, size: int) -> None:
        with self._lock:
            self.body_bytes_sent += size

    def reply_for(self, path: str) -> Reply:
        with self._lock:
            self._hits += 1
            return self._by_path.get(path.split("?", 1)[0], self._default)

    def stop(self) -> None:
        """Stop accepting; handlers still sleeping on a delay are daemon threads and just die."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)

    def __enter__(self) -> HttpPeer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


@contextlib.contextmanager
def serve_http(status: int = 200, delay: float = 0.0, ssl_context: ssl.SSLContext | None = None):
    """``with serve_http(status=..., delay=...) as peer:`` - also usable as a pytest yield fixture."""
    peer = HttpPeer(ssl_context=ssl_context)
    peer.set(status=status, delay=delay)
    try:
        yield peer
    finally:
        peer.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, *, peer: HttpPeer, ssl_context: ssl.SSLContext | None):
        self.peer = peer
        self.ssl_context = ssl_context
        super().__init__(address, handler)

    def finish_request(self, request, client_address):
        self.peer.connection_opened()
        # The TLS handshake runs here, in the per-connection thread, not in accept(): a client that
        # connects and stays silent must not block every other connection.
        if self.ssl_context is not None:
            request.settimeout(_IDLE_TIMEOUT_SECONDS)
            try:
                tls = self.ssl_context.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return  # e.g. the client rejected our certificate: that is what some tests want
            # wrap_socket detached ``request``; socketserver only closes that empty shell afterwards.
            try:
                super().finish_request(tls, client_address)
            finally:
                self.shutdown_request(tls)
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        # Clients that time out or hang up mid-reply are routine in these tests, not failures.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the servers being monitored
    timeout = _IDLE_TIMEOUT_SECONDS
    # Headers and body go out as separate writes; with Nagle on, the body waits ~40 ms for the
    # client's delayed ACK, which would swamp the latencies the tests measure.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self):
        self._answer(send_body=True)

    def do_HEAD(self):
        self._answer(send_body=False)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _answer(self, send_body: bool) -> None:
        peer = self.server.peer
        try:
            body = self._read_body()
        except (OSError, ValueError):
            self.close_connection = True
            return
        peer.record(Received(self.command, self.path, self.headers, body))
        reply = peer.reply_for(self.path)
        if reply.delay:
            time.sleep(reply.delay)
        status, content, tail, headers = reply.status, reply.body, reply.tail, dict(reply.headers)
        if reply.auth is not None and self.headers.get("Authorization") != _basic(*reply.auth):
            status, content, tail = 401, b"unauthorized", 0
            headers["WWW-Authenticate"] = 'Basic realm="peer"'
        try:
            self.send_response(status)
            if not any(name.lower() == "content-type" for name in headers):
                self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(content) + tail))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(content)
                peer.count_sent(len(content))
                while tail > 0:
                    piece = _FILLER if tail >= len(_FILLER) else _FILLER[:tail]
                    self.wfile.write(piece)
                    peer.count_sent(len(piece))
                    tail -= len(piece)
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _read_body(self) -> bytes:
        """The request body by its Content-Length (the checks never send chunked bodies)."""
        remaining = int(self.headers.get("Content-Length") or 0)
        kept = b""
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 64 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
            if len(kept) < _MAX_KEPT_BODY:
                kept += chunk[: _MAX_KEPT_BODY - len(kept)]
        return kept

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on: bound then released, so connecting is refused right away."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
