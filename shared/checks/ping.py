"""ICMP echo check.

pythonping needs a raw socket (root or CAP_NET_RAW). Agents often run unprivileged, so when that is
refused the check falls back to Linux's ICMP datagram socket, which the kernel grants to the groups in
``net.ipv4.ping_group_range``; if neither is allowed the result says so instead of crashing.
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import struct
import time

from pythonping import ping as pythonping_ping

from shared import status
from shared.checks import CheckResult, CheckSpec, dns_failed, short_reason

#: Per-echo wait cap: a lost echo should not hold a worker for the whole monitor timeout each time.
MAX_ECHO_TIMEOUT_SECONDS = 2.0
NO_PERMISSION = "ping needs root or CAP_NET_RAW (or net.ipv4.ping_group_range)"
IPV6_UNSUPPORTED = "ping supports IPv4 only"

_ICMP_ECHO_REQUEST = 8
_ICMP_ECHO_REPLY = 0
_HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence


def run(spec: CheckSpec) -> CheckResult:
    host = spec.target.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if _is_ipv6(host):
        return CheckResult(status="down", latency_ms=None, details=IPV6_UNSUPPORTED)
    try:
        address = resolve(host)
    except OSError:
        return CheckResult(status="down", latency_ms=None, details=dns_failed(host))

    count = max(1, int(spec.thresholds.ping_count))
    echo_timeout = min(MAX_ECHO_TIMEOUT_SECONDS, float(spec.timeout_seconds))
    try:
        rtts = ping_raw(address, count, echo_timeout)
    except OSError:  # PermissionError included: no raw socket for this process
        try:
            rtts = ping_datagram(address, count, echo_timeout)
        except PermissionError:
            return CheckResult(status="down", latency_ms=None, details=NO_PERMISSION)
        except OSError as exc:
            return CheckResult(status="down", latency_ms=None, details=f"ping failed: {short_reason(exc)}")

    replies = [rtt for rtt in rtts if rtt is not None]
    average = round(sum(replies) / len(replies), 3) if replies else None
    return CheckResult(
        status=status.from_ping(len(replies), count, average, spec.thresholds),
        latency_ms=average,
        details=f"{len(replies)}/{count} replies",
    )


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


def resolve(host: str) -> str:
    """IPv4 address of ``host``; both ping paths speak ICMPv4 only.

    Resolved once up front so a DNS failure is reported as such (pythonping would raise a generic
    RuntimeError) and so the echoes do not each pay for a lookup.
    """
    infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_RAW)
    return infos[0][4][0]


def ping_raw(address: str, count: int, echo_timeout: float) -> list[float | None]:
    """Round-trip times in ms (None for a lost echo) via pythonping's raw socket.

    Module-level so tests can force the unprivileged path by making this raise PermissionError.
    The probe socket comes first because pythonping reserves an echo identifier before opening its
    socket and never releases it when that fails: an unprivileged agent would exhaust the 65535
    identifiers and then spin forever looking for a free one.
    """
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
    responses = pythonping_ping(address, count=count, timeout=echo_timeout, size=16)
    return [response.time_elapsed * 1000 if response.success else None for response in responses]


def ping_datagram(address: str, count: int, echo_timeout: float) -> list[float | None]:
    """Round-trip times in ms (None for a lost echo) via an unprivileged ICMP datagram socket.

    The kernel overwrites the identifier with the socket's own and only delivers that socket's
    replies, so replies are matched on sequence number and payload. Raises PermissionError when
    ``net.ipv4.ping_group_range`` does not include this process's groups.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    try:
        first_sequence = int.from_bytes(os.urandom(2), "big") & 0x7FFF
        return [
            _echo_once(sock, address, (first_sequence + index) & 0xFFFF, echo_timeout)
            for index in range(count)
        ]
    finally:
        sock.close()


def _echo_once(sock: socket.socket, address: str, sequence: int, echo_timeout: float) -> float | None:
    payload = os.urandom(16)
    sock.sendto(build_echo_request(sequence, payload), (address, 0))
    sent_at = time.perf_counter()
    deadline = sent_at + echo_timeout
    while (remaining := deadline - time.perf_counter()) > 0:
        readable, _, _ = select.select([sock], [], [], remaining)
        if not readable:
            break
        packet = sock.recv(2048)
        if parse_echo_reply(packet) == (sequence, payload):
            return (time.perf_counter() - sent_at) * 1000
    return None


def build_echo_request(sequence: int, payload: bytes, identifier: int = 0) -> bytes:
    """An ICMP echo request; identifier 0 because the kernel replaces it on datagram sockets."""
    header = _HEADER.pack(_ICMP_ECHO_REQUEST, 0, 0, identifier, sequence)
    checksum = internet_checksum(header + payload)
    return _HEADER.pack(_ICMP_ECHO_REQUEST, 0, checksum, identifier, sequence) + payload


def parse_echo_reply(packet: bytes) -> tuple[int, bytes] | None:
    """``(sequence, payload)`` of an echo reply, None for anything else.

    Datagram ICMP sockets deliver the ICMP message without the IP header, but some kernels/sandboxes
    include it; an IPv4 header (version nibble 4) is skipped using its own length field.
    """
    if packet and packet[0] >> 4 == 4:
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < _HEADER.size:
        return None
    message_type, code, _checksum, _identifier, sequence = _HEADER.unpack_from(packet)
    if message_type != _ICMP_ECHO_REPLY or code != 0:
        return None
    return sequence, packet[_HEADER.size :]


def internet_checksum(data: bytes) -> int:
    """RFC 1071 one's-complement sum of 16-bit big-endian words."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
