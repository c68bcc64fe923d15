"""One module per check type behind one ``run(spec) -> CheckResult``, registered by type.

The server's workers, ``POST /api/monitors/test`` and the agent all call :func:`run_check`, so a
monitor is judged the same way wherever it is checked.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field

from shared.thresholds import Thresholds


@dataclass(frozen=True)
class CheckSpec:
    """What a check needs to know about a monitor; thresholds already resolved."""

    type: str  # "ping" | "http" | "https" | "ssl" | "tcp" | "dns"
    target: str
    timeout_seconds: float = 10
    thresholds: Thresholds = field(default_factory=Thresholds)
    #: The type's own options, validated (``shared.schemas.HttpOptions`` / ``DnsOptions`` as a
    #: dict, secrets decrypted): e.g. ``{"method": "HEAD", "keyword": "ok"}``. Empty: defaults.
    options: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class CheckResult:
    status: str  # "ok" | "degraded" | "down"
    latency_ms: float | None
    details: str
    #: SSL checks only: whole days until the certificate's notAfter (negative once expired).
    days_left: int | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "latency_ms": self.latency_ms,
            "details": self.details,
            "days_left": self.days_left,
        }


# --- Failure vocabulary shared by the checks -------------------------------------------------------
# The same words for the same failure whichever check met it, so an alert reads the same for a ping,
# an HTTP and an SSL monitor pointed at the same broken host.

#: Extra CA bundle (PEM file) the HTTP/HTTPS and SSL checks trust *instead of* the system store, for
#: monitors of hosts signed by a private CA. ``REQUESTS_CA_BUNDLE`` and ``CURL_CA_BUNDLE`` are honoured
#: next, as requests does, so both TLS checks trust exactly the same certificates.
CA_BUNDLE_ENV_VARS = ("ONLINETRACKER_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")

CERT_EXPIRED = "certificate has expired"

_X509_CERT_NOT_YET_VALID = 9
_X509_CERT_HAS_EXPIRED = 10
_X509_HOSTNAME_MISMATCH = 62
_X509_IP_ADDRESS_MISMATCH = 64


def ca_bundle() -> str | None:
    """The CA bundle path to verify against, or None for the system trust store.

    Read on every check rather than at import so a test (or an operator restarting with a new
    environment) does not depend on import order.
    """
    for name in CA_BUNDLE_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value
    return None


def seconds_text(seconds: float) -> str:
    """``10`` and ``10.0`` read "10", ``1.5`` reads "1.5": timeouts are shown as users typed them."""
    return f"{float(seconds):g}"


def dns_failed(host: str) -> str:
    return f"DNS lookup failed for {host}"


def timed_out(seconds: float) -> str:
    return f"timed out after {seconds_text(seconds)} s"


def short_reason(exc: BaseException, limit: int = 160) -> str:
    """First line of an exception's text, bounded: library messages can nest whole reprs.

    An OSError's ``strerror`` is preferred ("Connection reset by peer", not "[Errno 104] ...").
    """
    raw = getattr(exc, "strerror", None) if isinstance(exc, OSError) else None
    raw = re.sub(r"\s*\(_ssl\.c:\d+\)", "", raw or str(exc)).strip()  # CPython source locations
    text = raw.splitlines()[0] if raw else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def exception_chain(exc: BaseException):
    """``exc`` and everything it wraps, so a socket error buried in requests/urllib3 can be named.

    Follows ``__cause__``/``__context__``, urllib3's ``reason`` attribute (MaxRetryError) and any
    argument that is itself an exception (requests' ConnectionError wraps that way).
    """
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        # ``reason`` is a string on ssl.SSLError, an exception on urllib3's MaxRetryError.
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))


def describe_certificate_error(exc: BaseException, host: str) -> str | None:
    """The user-facing reason a certificate was refused, or None if ``exc`` is not about one.

    OpenSSL's verify code is used when the ssl module exposes it; the text is the fallback because
    urllib3 sometimes re-raises with only the message (e.g. its own "doesn't match" hostname check).
    """
    for error in exception_chain(exc):
        code = getattr(error, "verify_code", None)
        if code == _X509_CERT_HAS_EXPIRED:
            return CERT_EXPIRED
        if code == _X509_CERT_NOT_YET_VALID:
            return "certificate is not yet valid"
        if code in (_X509_HOSTNAME_MISMATCH, _X509_IP_ADDRESS_MISMATCH):
            return f"certificate does not match host {host}"
        if code is not None:
            return "certificate is not trusted"
    text = " ".join(str(error) for error in exception_chain(exc))
    if CERT_EXPIRED in text:
        return CERT_EXPIRED
    if "Hostname mismatch" in text or "IP address mismatch" in text or "doesn't match" in text:
        return f"certificate does not match host {host}"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        # self-signed, "unable to get local issuer certificate" and the rest of the chain failures.
        return "certificate is not trusted"
    return None


def describe_connection_error(exc: BaseException, host: str, timeout_seconds: float) -> str:
    """Readable details for a failure to reach ``host``; certificate problems first, then sockets."""
    certificate = describe_certificate_error(exc, host)
    if certificate:
        return certificate
    chain = list(exception_chain(exc))
    if any(isinstance(error, socket.gaierror) for error in chain) or any(
        type(error).__name__ == "NameResolutionError" for error in chain
    ):
        return dns_failed(host)
    if any(isinstance(error, ConnectionRefusedError) for error in chain):
        return "connection refused"
    if any(isinstance(error, TimeoutError) for error in chain) or any(
        "timed out" in str(error).lower() or type(error).__name__.endswith("Timeout") for error in chain
    ):
        return timed_out(timeout_seconds)
    if any(getattr(error, "reason", None) == "WRONG_VERSION_NUMBER" for error in chain):
        return "connection failed: the server did not answer with TLS"
    # The socket-level error says what happened; the requests/urllib3 wrappers around it only repeat
    # it inside nested reprs.
    socket_errors = [error for error in chain if type(error).__module__ in ("builtins", "ssl", "socket")]
    root = socket_errors[0] if socket_errors else exc
    return f"connection failed: {short_reason(root)}"


# --- Registry -------------------------------------------------------------------------------------
# Imported here, after CheckSpec/CheckResult and the helpers above exist, because each check module
# imports them from this package.
from shared.checks import dns, http, ping, ssl, tcp  # noqa: E402

CHECKS = {
    "ping": ping.run,
    "http": http.run,
    "https": http.run,
    "ssl": ssl.run,
    "tcp": tcp.run,
    "dns": dns.run,
}


def run_check(spec: CheckSpec) -> CheckResult:
    """Run the check for ``spec.type``; never raises, so one broken monitor cannot kill a worker.

    A bug or an unforeseen library error becomes a ``down`` result whose details name the exception,
    which is what the user needs to report it.
    """
    check = CHECKS.get(spec.type)
    if check is None:
        return CheckResult(status="down", latency_ms=None, details=f"unknown check type {spec.type!r}")
    try:
        return check(spec)
    except Exception as exc:  # deliberately broad: containing anything is the point
        return CheckResult(
            status="down",
            latency_ms=None,
            details=f"check failed: {type(exc).__name__}: {short_reason(exc)}",
        )
