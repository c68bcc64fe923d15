"""TCP port check against real loopback listeners: open, refused, unreachable and never accepted."""

from __future__ import annotations

import socket
import time

import pytest

import shared.checks as checks
from shared.checks import CheckResult, CheckSpec, run_check, tcp
from shared.thresholds import Thresholds
from tests.peers.http_server import closed_port
from tests.peers.tcp_server import FullListener, TcpPeer, serve_tcp


def check(target: str, **spec) -> CheckResult:
    return run_check(CheckSpec(type="tcp", target=target, **spec))


def test_open_port_is_ok_with_the_connect_time():
    with serve_tcp() as peer:
        result = check(f"127.0.0.1:{peer.port}")
    assert (result.status, result.details) == ("ok", f"connected to 127.0.0.1:{peer.port}")
    assert 0 < result.latency_ms < 80
    assert result.days_left is None


def test_the_socket_is_closed_at_once_and_nothing_is_sent():
    with serve_tcp() as peer:
        assert check(f"127.0.0.1:{peer.port}").status == "ok"
        received = peer.wait_closed(timeout=2)
    assert received == [b""]  # one connection, closed by the check without a byte sent


@pytest.mark.parametrize(
    ("ok_ms", "degraded_ms", "expected"),
    [(1000, 2000, "ok"), (0, 1000, "degraded"), (0, 0, "down")],
)
def test_connect_time_is_judged_by_the_thresholds(ok_ms, degraded_ms, expected):
    with serve_tcp() as peer:
        result = check(f"127.0.0.1:{peer.port}", thresholds=Thresholds(ok_ms=ok_ms, degraded_ms=degraded_ms))
    assert result.status == expected
    assert result.details == f"connected to 127.0.0.1:{peer.port}" and result.latency_ms > 0


def test_ipv6_target_in_brackets():
    try:
        peer = TcpPeer("::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        result = check(f"[::1]:{peer.port}")
    finally:
        peer.stop()
    assert (result.status, result.details) == ("ok", f"connected to [::1]:{peer.port}")


def test_a_host_name_is_looked_up_and_each_address_tried():
    # "localhost" is in /etc/hosts: no query leaves the machine. Whatever order its addresses come
    # in (::1 may be first, and refused), the IPv4 listener is reached.
    with serve_tcp() as peer:
        result = check(f"localhost:{peer.port}")
    assert (result.status, result.details) == ("ok", f"connected to 127.0.0.1:{peer.port}")


def test_closed_port_is_refused():
    result = check(f"127.0.0.1:{closed_port()}")
    assert result == CheckResult(status="down", latency_ms=None, details="connection refused")


def test_a_listener_that_never_accepts_times_out_within_the_timeout():
    with FullListener() as listener:
        started = time.perf_counter()
        result = check(f"127.0.0.1:{listener.port}", timeout_seconds=1)
        elapsed = time.perf_counter() - started
    assert result == CheckResult(status="down", latency_ms=None, details="timed out after 1 s")
    assert 0.9 < elapsed < 1.5, elapsed


def test_fractional_timeout_is_shown_as_typed():
    with FullListener() as listener:
        result = check(f"127.0.0.1:{listener.port}", timeout_seconds=0.5)
    assert result.details == "timed out after 0.5 s"


def test_unreachable_network_is_named():
    # TCP to a multicast address is refused by the kernel itself: nothing is sent anywhere.
    result = check("224.0.0.1:80", timeout_seconds=2)
    assert result == CheckResult(
        status="down", latency_ms=None, details="connection failed: Network is unreachable"
    )


@pytest.mark.parametrize("target", ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999", "[::1", "bad host:80", ""])
def test_a_target_without_a_valid_port_is_down_not_an_error(target):
    result = check(target)
    assert result == CheckResult(status="down", latency_ms=None, details=tcp.INVALID_TARGET)


def test_registered():
    assert checks.CHECKS["tcp"] is tcp.run


def test_an_ip_address_is_not_looked_up():
    # An IP address is not looked up at all: lookup() hands it straight back.
    assert tcp.lookup("127.0.0.1", 80, 1) == [(socket.AF_INET, ("127.0.0.1", 80))]
    assert tcp.lookup("::1", 80, 1) == [(socket.AF_INET6, ("::1", 80))]
