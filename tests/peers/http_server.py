"""A real HTTP server on 127.0.0.1 whose answer the test changes while it runs.

Checks are tested against real sockets rather than mocked ``requests`` so timeouts, refused
connections, keep-alive and TLS behave as they do in production. Stdlib only, so benchmarks can use
it too::

    with serve_http() as peer:
        peer.set(status=503, delay=0.3)
        requests.get(peer.url)             # -> 503 after ~0.3 s
        peer.set(path="/old", status=301, headers={"Location": "/"})
        peer.hits, peer.connections        # requests answered / TCP connections accepted

Pass ``ssl_context`` (see ``tests.peers.tls_server``) to serve HTTPS on the same machinery.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: How long a handler waits for a request line before giving up on a silent client.
_IDLE_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


class HttpPeer:
    """A running server; ``url`` ends with "/", ``set`` changes replies, ``stop`` shuts it down."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self._lock = threading.Lock()
        self._default = Reply()
        self._by_path: dict[str, Reply] = {}
        self._hits = 0
        self._connections = 0
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
    ) -> None:
        """Change the reply for every path, or only for ``path`` (exact match, query ignored).

        Unspecified fields keep their current value, so ``set(delay=0.2)`` keeps the status.
        """
        changes = {
            name: value
            for name, value in {"status": status, "delay": delay, "headers": headers}.items()
            if value is not None
        }
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

    def _answer(self, send_body: bool) -> None:
        reply = self.server.peer.reply_for(self.path)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(reply.body)
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on: bound then released, so connecting is refused right away."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
