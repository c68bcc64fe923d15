"""Where a request came from, and whether over HTTPS, believing proxies only if they are trusted.

``X-Forwarded-For`` is read from the right: each hop appends the address it saw, so the first
address from the right that is not a trusted proxy is the client. A header from an untrusted
peer is ignored (anyone can send one).
"""

from __future__ import annotations

import ipaddress


def in_networks(address: str, networks) -> bool:
    """Whether ``address`` is an IP address inside one of ``networks`` (False for anything else)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(remote_addr: str | None, forwarded_for: str | None, networks) -> str:
    remote = remote_addr or "?"
    if not networks or not forwarded_for or not in_networks(remote, networks):
        return remote
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not in_networks(hop, networks):
            return hop[:64]
    return hops[0][:64] if hops else remote


def address_of(request, networks) -> str:
    """:func:`client_address` of a Flask/werkzeug request."""
    return client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), networks)


def from_trusted_proxy(remote_addr: str | None, networks) -> bool:
    return bool(networks) and in_networks(remote_addr or "", networks)


def is_https(scheme: str, remote_addr: str | None, forwarded_proto: str | None, networks) -> bool:
    if scheme == "https":
        return True
    if forwarded_proto and from_trusted_proxy(remote_addr, networks):
        return forwarded_proto.split(",")[0].strip().lower() == "https"
    return False
