"""TCP port check: can a connection be opened to ``host:port``, and how long does the handshake take?

The latency is the connect time alone (not the name lookup), judged by the latency thresholds. The
socket is closed as soon as it is connected: nothing is sent, so the check works for any protocol.

The whole check, name lookup included, ends within the monitor's timeout: the lookup runs in a
helper thread that is abandoned if the system resolver hangs, and each address tried gets what is
left of the timeout.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

from shared import status
from shared.checks import CheckResult, CheckSpec, describe_connection_error, dns_failed, timed_out
from shared.schemas import split_host_port

INVALID_TARGET = "invalid target: expected host:port (an IPv6 address as [address]:port)"


def run(spec: CheckSpec) -> CheckResult:
    try:
        host, port = split_host_port(spec.target.strip(), default_port=0)
    except ValueError:
        return _down(INVALID_TARGET)
    if port == 0:
        return _down(INVALID_TARGET)

    timeout = float(spec.timeout_seconds)
    deadline = time.monotonic() + timeout
    try:
        addresses = lookup(host, port, timeout)
    except TimeoutError:
        return _down(timed_out(timeout))
    except OSError:
        return _down(dns_failed(host))
    if not addresses:
        return _down(dns_failed(host))

    first_error: BaseException | None = None
    for family, address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _down(timed_out(timeout))
        try:
            latency_ms = connect_time(family, address, remaining)
        except OSError as exc:
            if isinstance(exc, TimeoutError):
                return _down(timed_out(timeout))  # the time is up: no other address can be tried
            first_error = first_error or exc
            continue
        return CheckResult(
            status=status.from_latency(latency_ms, spec.thresholds),
            latency_ms=latency_ms,
            details=f"connected to {_address_text(address)}",
        )
    return _down(describe_connection_error(first_error, host, timeout))


def _down(details: str) -> CheckResult:
    return CheckResult(status="down", latency_ms=None, details=details)


def lookup(host: str, port: int, timeout: float) -> list[tuple[int, tuple]]:
    """``(family, sockaddr)`` of each address of ``host``, in the resolver's order.

    An IP address is used as it is. A name is looked up in a daemon thread so that a resolver that
    hangs costs this check its timeout (TimeoutError), not a worker thread forever.
    """
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        return [(family, (host, port))]

    outcome: dict = {}

    def resolve() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # handed to the check's thread
            outcome["error"] = exc

    worker = threading.Thread(target=resolve, name="tcp-check-lookup", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError
    if "error" in outcome:
        raise outcome["error"]
    return [(family, sockaddr) for family, _type, _proto, _name, sockaddr in outcome["infos"]]


def connect_time(family: int, address: tuple, timeout: float) -> float:
    """Milliseconds to complete the TCP handshake with ``address``; the socket is closed at once."""
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        started = time.perf_counter()
        sock.connect(address)
        return round((time.perf_counter() - started) * 1000, 3)


def _address_text(address: tuple) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
