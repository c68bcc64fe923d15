"""Real TCP listeners on loopback for the TCP port check.

``serve_tcp()`` accepts every connection and records what each one sent until the client closed it;
``FullListener()`` listens but never accepts, with its accept queue already full, so a further
connect gets no answer at all (Linux drops the SYN) and times out::

    with serve_tcp() as peer:            # peer.port; "::1" as host for IPv6
        ...
        peer.wait_closed(timeout=2)      # [b""]: one connection, closed without a byte sent
    with FullListener() as listener:     # connect(("127.0.0.1", listener.port)) times out
        ...
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator


class TcpPeer:
    def __init__(self, host: str = "127.0.0.1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, 0), family=family)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._closed: list[bytes] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._accept, name="tcp-peer", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        received = b""
        with conn:
            conn.settimeout(5)
            try:
                while chunk := conn.recv(4096):
                    received += chunk
            except OSError:
                pass
        with self._cond:
            self._closed.append(received)
            self._cond.notify_all()

    def wait_closed(self, count: int = 1, timeout: float = 2) -> list[bytes]:
        """What each connection sent, once ``count`` of them were closed by the client (or timeout)."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._closed) >= count, timeout)
            return list(self._closed)

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        self._thread.join(timeout=2)


@contextlib.contextmanager
def serve_tcp(host: str = "127.0.0.1") -> Iterator[TcpPeer]:
    peer = TcpPeer(host)
    try:
        yield peer
    finally:
        peer.stop()


class FullListener:
    """A listener with ``listen(0)`` whose accept queue is filled by connections it never accepts.

    Filled by connecting until a connect gets no answer within ``probe`` seconds: from then on the
    kernel drops every SYN to the port, so a check's connect can only time out.
    """

    def __init__(self, host: str = "127.0.0.1", probe: float = 0.3):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(0)
        self.port = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        for _ in range(64):
            client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            client.settimeout(probe)
            started = time.monotonic()
            try:
                client.connect((host, self.port))
            except TimeoutError:
                client.close()
                if time.monotonic() - started >= probe * 0.9:
                    return  # full
                continue
            self._held.append(client)
        self.close()
        raise RuntimeError("the accept queue never filled up")

    def close(self) -> None:
        for client in self._held:
            client.close()
        self._listener.close()

    def __enter__(self) -> FullListener:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
