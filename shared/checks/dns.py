"""DNS check: ask a resolver for one record type of the target name, judge the answer and its time.

Options (``shared.schemas.DnsOptions``): ``record_type`` (A, AAAA, CNAME, MX, TXT, NS), ``server``
(``host``, ``host:port`` or ``[v6]:port``; the system's resolvers from /etc/resolv.conf when omitted)
and ``expected``, values that must all be in the answer.

Down on NXDOMAIN, SERVFAIL and other error codes, no answer within the timeout, an answer without a
record of the type, or an expected value missing. Otherwise the query time (from sending the query to
the answer, a retry over TCP included when the UDP answer was truncated) is judged by the latency
thresholds. Values compare case-insensitively without a trailing dot; an MX value is its exchange
host ("mail.example.com") or preference and host ("10 mail.example.com"); a TXT value is its strings
joined.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

import dns.exception
import dns.name
import dns.nameserver
import dns.resolver

from shared import status
from shared.checks import CheckResult, CheckSpec, dns_failed, short_reason, timed_out
from shared.checks.http import options_error
from shared.schemas import DnsOptions, split_host_port

DEFAULT_PORT = 53
MAX_DETAILS = 200
#: EDNS with the payload size DNS Flag Day 2020 settled on: bigger answers come over TCP.
EDNS_PAYLOAD = 1232


def run(spec: CheckSpec) -> CheckResult:
    try:
        options = DnsOptions.model_validate(spec.options or {})
    except ValueError as exc:
        return _down(_cut(f"invalid DNS options: {options_error(exc)}"))
    timeout = float(spec.timeout_seconds)
    record_type = options.record_type
    try:
        name = dns.name.from_text(spec.target.strip())
    except (dns.exception.DNSException, ValueError) as exc:
        return _down(f"invalid domain name: {short_reason(exc)}")

    deadline = time.monotonic() + timeout
    try:
        resolver = make_resolver(options.server, timeout)
    except _ServerUnknown as exc:
        return _down(dns_failed(exc.host))
    except ValueError as exc:
        return _down(f"invalid DNS server {options.server!r}: {short_reason(exc)}")
    except TimeoutError:
        return _down(timed_out(timeout))
    except dns.resolver.NoResolverConfiguration:
        return _down("no DNS server configured on this host")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return _down(timed_out(timeout))

    started = time.perf_counter()

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 3)

    # An answer saying no (NXDOMAIN, SERVFAIL...) keeps its time, as an HTTP error status does.
    try:
        answer = resolver.resolve(
            name, record_type, raise_on_no_answer=False, lifetime=remaining, search=False
        )
    except dns.resolver.NXDOMAIN:
        return _down("no such domain", elapsed())
    except dns.resolver.LifetimeTimeout:
        return _down(timed_out(timeout))
    except dns.resolver.NoNameservers as exc:
        details, answered = _server_errors(exc)
        return _down(details, elapsed() if answered else None)
    except dns.resolver.YXDOMAIN:
        return _down("the name is too long once its alias is followed (YXDOMAIN)", elapsed())
    except dns.exception.DNSException as exc:
        return _down(_cut(f"DNS query failed: {short_reason(exc)}"))
    latency_ms = elapsed()

    values = answer_values(answer.rrset, record_type) if answer.rrset is not None else []
    if not values:
        return _down(f"no {record_type} record", latency_ms)
    shown = [value for value, _keys in values]
    missing = [item for item in options.expected or () if not _found(item, record_type, values)]
    if missing:
        details = f"expected {_and_list(missing)}, answered {', '.join(shown)}"
        return _down(_cut(details), latency_ms)
    return CheckResult(
        status=status.from_latency(latency_ms, spec.thresholds),
        latency_ms=latency_ms,
        details=_cut(f"{record_type} {', '.join(shown)}"),
    )


def _down(details: str, latency_ms: float | None = None) -> CheckResult:
    return CheckResult(status="down", latency_ms=latency_ms, details=details)


def _cut(text: str, limit: int = MAX_DETAILS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


# --- The resolver -----------------------------------------------------------------------------------


class _ServerUnknown(Exception):
    def __init__(self, host: str):
        super().__init__(host)
        self.host = host


def make_resolver(server: str | None, timeout: float) -> dns.resolver.Resolver:
    """A resolver asking ``server`` (its name looked up first), or the system's when None.

    No cache, no search list. Each try waits up to 2 s (or the resolv.conf ``timeout``) before the
    query is sent again or to the next server, all within the check's timeout; a truncated UDP
    answer is asked again over TCP (dnspython does both itself).
    """
    if server:
        host, port = split_host_port(server.strip(), DEFAULT_PORT)
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(server_address(host, port, timeout), port)]
    else:
        resolver = dns.resolver.Resolver()
    resolver.cache = None
    resolver.retry_servfail = False
    resolver.use_edns(0, 0, EDNS_PAYLOAD)
    resolver.timeout = min(resolver.timeout, timeout)
    resolver.lifetime = timeout
    return resolver


def server_address(host: str, port: int, timeout: float) -> str:
    """The IP address of the DNS server ``host``: itself if it is one, else its first address.

    The lookup runs in a daemon thread so that a hanging system resolver costs the check its timeout
    (TimeoutError), not a worker thread forever.
    """
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    outcome: dict = {}

    def resolve() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except OSError:
            pass

    worker = threading.Thread(target=resolve, name="dns-check-lookup", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError
    infos = outcome.get("infos")
    if not infos:
        raise _ServerUnknown(host)
    return infos[0][4][0]


def _server_errors(exc: dns.resolver.NoNameservers) -> tuple[str, bool]:
    """What the server(s) said, and whether that was an answer: the error code of the last answer,
    else the last network error."""
    errors = exc.kwargs.get("errors") or []
    for error in reversed(errors):
        reason = error[3]
        if isinstance(reason, str):  # an rcode's name: "SERVFAIL", "REFUSED", ...
            if reason == "SERVFAIL":
                return "server failure (SERVFAIL)", True
            if reason == "REFUSED":
                return "query refused (REFUSED)", True
            return f"DNS error {reason}", True
    for error in reversed(errors):
        reason = error[3]
        if isinstance(reason, ConnectionRefusedError):
            return "connection refused", False
        if isinstance(reason, OSError):
            return _cut(f"connection failed: {short_reason(reason)}"), False
        if isinstance(reason, BaseException):
            return _cut(f"bad answer: {short_reason(reason)}"), False
    return "no DNS server answered", False


# --- Reading and comparing the answer ------------------------------------------------------------------


def answer_values(rrset, record_type: str) -> list[tuple[str, set[str]]]:
    """``(shown, keys)`` for each record: the text shown in details, and the normalised forms an
    expected value may take to match it."""
    values = []
    for rdata in sorted(rrset, key=_order):
        if record_type in ("A", "AAAA"):
            shown = rdata.address
            keys = {_normal_address(shown)}
        elif record_type == "MX":
            host = _name_text(rdata.exchange)
            shown = f"{rdata.preference} {host}"
            keys = {_normal(host), f"{rdata.preference} {_normal(host)}"}
        elif record_type == "TXT":
            text = b"".join(rdata.strings).decode("utf-8", "replace")
            shown = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            keys = {_normal(text)}
        elif record_type in ("CNAME", "NS"):
            shown = _name_text(rdata.target)
            keys = {_normal(shown)}
        else:  # not offered by the schema; shown as dnspython writes it
            shown = rdata.to_text()
            keys = {_normal(shown)}
        values.append((shown, keys))
    return values


def _order(rdata) -> tuple:
    """Records in a stable order, so a round-robin server doesn't change the details every check."""
    address = getattr(rdata, "address", None)
    if address is not None:
        return (0, ipaddress.ip_address(address).packed, "")
    return (getattr(rdata, "preference", 0), b"", rdata.to_text().lower())


def _found(expected: str, record_type: str, values: list[tuple[str, set[str]]]) -> bool:
    if record_type in ("A", "AAAA"):
        wanted = {_normal_address(expected)}
    elif record_type == "MX":
        parts = expected.split()
        if len(parts) == 2 and parts[0].isdigit():
            wanted = {f"{int(parts[0])} {_normal_name(parts[1])}"}
        else:
            wanted = {_normal_name(expected)}
    elif record_type in ("CNAME", "NS"):
        wanted = {_normal_name(expected)}
    else:
        wanted = {_normal(expected)}
    return any(wanted & keys for _shown, keys in values)


def _normal(text: str) -> str:
    return text.strip().rstrip(".").lower()


def _normal_name(text: str) -> str:
    """A host name as dnspython writes it (so "bücher.example" matches "xn--bcher-kva.example")."""
    text = text.strip()
    try:
        return _normal(dns.name.from_text(text).to_text())
    except (dns.exception.DNSException, ValueError):
        return _normal(text)


def _normal_address(text: str) -> str:
    """IPv6 addresses have many spellings ("2001:db8:0::1", "2001:DB8::1"): compare their one form."""
    text = text.strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return _normal(text)


def _name_text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True)
