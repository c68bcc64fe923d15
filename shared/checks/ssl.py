"""SSL certificate check: how many whole days the served leaf certificate has left.

The handshake is verified exactly as a browser would (trust chain and host name), because a
certificate that is valid for 300 more days but not trusted is just as broken for users. The trust
store is the system's unless a CA bundle is configured, see :func:`shared.checks.ca_bundle`.
"""

from __future__ import annotations

import datetime as dt
import math
import socket
import ssl
import time
from urllib.parse import urlsplit

from cryptography import x509

from shared import status
from shared.checks import CERT_EXPIRED, CheckResult, CheckSpec, ca_bundle, describe_connection_error

DEFAULT_PORT = 443


def run(spec: CheckSpec) -> CheckResult:
    try:
        host, port = parse_target(spec.target)
    except ValueError as exc:
        return CheckResult(status="down", latency_ms=None, details=str(exc))

    context = ssl.create_default_context(cafile=ca_bundle())
    started = time.perf_counter()
    try:
        der = fetch_leaf_certificate(host, port, spec.timeout_seconds, context)
    except (OSError, ValueError) as exc:
        details = describe_connection_error(exc, host, spec.timeout_seconds)
        lapsed = None
        if details == CERT_EXPIRED:
            lapsed = _days_left_unverified(host, port, spec.timeout_seconds)
        return CheckResult(status="down", latency_ms=None, details=details, days_left=lapsed)
    latency_ms = round((time.perf_counter() - started) * 1000, 3)

    days = days_left(der)
    return CheckResult(
        status=status.from_ssl_days(days, spec.thresholds),
        latency_ms=latency_ms,
        details=expiry_text(days),
        days_left=days,
    )


def parse_target(target: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]``, ``[v6]:port``, a bare IPv6 address, or a URL's host part."""
    target = target.strip()
    if "://" in target:
        parts = urlsplit(target)
        if not parts.hostname:
            raise ValueError(f"invalid target {target!r}")
        return parts.hostname, parts.port or DEFAULT_PORT
    if target.startswith("["):
        host, bracket, rest = target[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"invalid target {target!r}")
        return host, _port(rest[1:] if rest else "", target)
    if target.count(":") == 1:
        host, _, port = target.partition(":")
        return host, _port(port, target)
    if not target:
        raise ValueError("invalid target ''")
    return target, DEFAULT_PORT  # a hostname, or an IPv6 address without brackets


def _port(text: str, target: str) -> int:
    if not text:
        return DEFAULT_PORT
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"invalid port in target {target!r}")
    return int(text)


def fetch_leaf_certificate(host: str, port: int, timeout: float, context: ssl.SSLContext) -> bytes:
    """DER bytes of the leaf the server presents, after ``context`` has verified it (if it does)."""
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    if not der:
        raise ValueError("server sent no certificate")
    return der


def days_left(der: bytes, now: dt.datetime | None = None) -> int:
    """Whole days until notAfter, rounded down: 23 hours left is "expires today", -1 s is expired."""
    certificate = x509.load_der_x509_certificate(der)
    now = now or dt.datetime.now(dt.UTC)
    return math.floor((certificate.not_valid_after_utc - now) / dt.timedelta(days=1))


def expiry_text(days: int) -> str:
    if days < 0:
        return CERT_EXPIRED
    if days == 0:
        return "expires today"
    if days == 1:
        return "expires in 1 day"
    return f"expires in {days} days"


def _days_left_unverified(host: str, port: int, timeout: float) -> int | None:
    """How long ago an expired certificate lapsed; the verified handshake refused to show it.

    Only the expiry date is read from this unverified connection, never a verdict.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        return days_left(fetch_leaf_certificate(host, port, timeout, context))
    except (OSError, ValueError):
        return None
