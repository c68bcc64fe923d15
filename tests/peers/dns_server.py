"""A real DNS server on a loopback port (UDP and TCP on the same number) whose answers a test sets.

The DNS check is tested against genuine queries and answers, built with dnspython, so truncation,
timeouts and error codes reach the check exactly as they would from a real resolver::

    with serve_dns() as peer:                        # peer.server is "127.0.0.1:<port>"
        peer.add("example.test", "A", "192.0.2.1", "192.0.2.2")
        peer.add("example.test", "MX", "10 mail.example.test.")
        peer.add("www.example.test", "CNAME", "example.test.")   # A queries get the chain
        peer.set(mode="servfail")                    # or "nxdomain", "refused", "silence",
        peer.set(mode="truncate")                    # TC over UDP, the answer over TCP
        peer.set(mode="answer", delay=0.15)          # answers, late
        peer.queries                                 # [("udp", "example.test.", "A"), ...]

A name it has no record for at all is NXDOMAIN; a known name without the type asked is an empty
NOERROR answer, as a real server gives.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

MODES = ("answer", "nxdomain", "servfail", "refused", "silence", "truncate")


class DnsPeer:
    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self._lock = threading.Lock()
        self._records: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = {}
        self._mode = "answer"
        self._delay = 0.0
        self._stopped = threading.Event()
        self.queries: list[tuple[str, str, str]] = []
        self._udp, self._tcp = _bind_pair(host)
        self.port = self._udp.getsockname()[1]
        self.server = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        self._threads = [
            threading.Thread(target=self._serve_udp, name="dns-peer-udp", daemon=True),
            threading.Thread(target=self._serve_tcp, name="dns-peer-tcp", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def add(self, name: str, record_type: str, *values: str, ttl: int = 300) -> None:
        """Records of one name and type (dnspython's text form: "10 mail.example.", '"v=spf1 -all"')."""
        rrset = dns.rrset.from_text(dns.name.from_text(name), ttl, "IN", record_type, *values)
        with self._lock:
            self._records[(rrset.name, rrset.rdtype)] = rrset

    def set(self, mode: str | None = None, delay: float | None = None) -> None:
        with self._lock:
            if mode is not None:
                if mode not in MODES:
                    raise ValueError(f"mode must be one of {MODES}")
                self._mode = mode
            if delay is not None:
                self._delay = delay

    def answer(self, wire: bytes, transport: str) -> bytes | None:
        """The reply to one query, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        question = query.question[0]
        with self._lock:
            self.queries.append((transport, question.name.to_text(), dns.rdatatype.to_text(question.rdtype)))
            mode, delay = self._mode, self._delay
        if delay:
            time.sleep(delay)
        if mode == "silence":
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if mode in ("nxdomain", "servfail", "refused"):
            response.set_rcode({"nxdomain": dns.rcode.NXDOMAIN, "servfail": dns.rcode.SERVFAIL}.get(mode, 5))
            return response.to_wire()
        if mode == "truncate" and transport == "udp":
            response.flags |= dns.flags.TC
            return response.to_wire()
        found = self._lookup(question.name, question.rdtype)
        if found is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            response.answer.extend(found)
        return response.to_wire()

    def _lookup(self, name: dns.name.Name, rdtype: int) -> list[dns.rrset.RRset] | None:
        """The rrsets answering ``name``/``rdtype``, following CNAMEs; None if the name is unknown."""
        chain: list[dns.rrset.RRset] = []
        with self._lock:
            for _ in range(8):
                exact = self._records.get((name, rdtype))
                if exact is not None:
                    return [*chain, exact]
                alias = self._records.get((name, dns.rdatatype.CNAME))
                if alias is None:
                    known = any(key[0] == name for key in self._records)
                    return chain if (known or chain) else None
                chain.append(alias)
                name = alias[0].target
        return chain

    # --- Transports -------------------------------------------------------------------------------

    def _serve_udp(self) -> None:
        while not self._stopped.is_set():
            try:
                wire, client = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._reply_udp, args=(wire, client), daemon=True).start()

    def _reply_udp(self, wire: bytes, client) -> None:
        reply = self.answer(wire, "udp")
        if reply is not None and not self._stopped.is_set():
            with contextlib.suppress(OSError):
                self._udp.sendto(reply, client)

    def _serve_tcp(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve_connection, args=(conn,), daemon=True).start()

    def _serve_connection(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                while not self._stopped.is_set():
                    head = _recv_exactly(conn, 2)
                    if head is None:
                        return
                    wire = _recv_exactly(conn, struct.unpack("!H", head)[0])
                    if wire is None:
                        return
                    reply = self.answer(wire, "tcp")
                    if reply is not None:
                        conn.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return

    def stop(self) -> None:
        self._stopped.set()
        self._udp.close()
        self._tcp.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> DnsPeer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


@contextlib.contextmanager
def serve_dns(host: str = "127.0.0.1") -> Iterator[DnsPeer]:
    peer = DnsPeer(host)
    try:
        yield peer
    finally:
        peer.stop()


def _bind_pair(host: str) -> tuple[socket.socket, socket.socket]:
    """A UDP socket and a TCP listener on the same free port (a few tries: the TCP one may be taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(20):
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        tcp = socket.socket(family, socket.SOCK_STREAM)
        try:
            tcp.bind((host, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        udp.settimeout(0.1)
        tcp.settimeout(0.1)
        return udp, tcp
    raise OSError("no port free for both UDP and TCP")


def _recv_exactly(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
