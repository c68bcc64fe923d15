"""DNS check against a real DNS server on a loopback port (tests/peers/dns_server.py)."""

from __future__ import annotations

import socket
import time

import pytest

import shared.checks as checks
from shared.checks import CheckResult, CheckSpec, dns, run_check
from shared.thresholds import Thresholds
from tests.peers.dns_server import DnsPeer, serve_dns

NAME = "example.test"


@pytest.fixture
def peer():
    with serve_dns() as server:
        server.add(NAME, "A", "192.0.2.2", "192.0.2.1")
        server.add(NAME, "AAAA", "2001:db8::1")
        server.add(NAME, "MX", "20 mx2.example.test.", "10 mail.example.test.")
        server.add(NAME, "TXT", '"v=spf1 " "include:_spf.example.test -all"', '"verification=ABC123"')
        server.add(NAME, "NS", "ns1.example.test.", "ns2.example.test.")
        server.add(f"www.{NAME}", "CNAME", f"{NAME}.")
        yield server


def check(peer: DnsPeer, name: str = NAME, timeout: float = 2, thresholds=None, **options) -> CheckResult:
    spec = CheckSpec(
        type="dns",
        target=name,
        timeout_seconds=timeout,
        thresholds=thresholds or Thresholds(),
        options={"server": peer.server, **options},
    )
    return run_check(spec)


# --- Answers ----------------------------------------------------------------------------------------


def test_a_records_are_ok_and_listed(peer):
    result = check(peer)
    assert (result.status, result.details) == ("ok", "A 192.0.2.1, 192.0.2.2")
    assert 0 < result.latency_ms < 80
    assert result.days_left is None
    assert peer.queries == [("udp", "example.test.", "A")]  # one query, no retry


@pytest.mark.parametrize(
    ("record_type", "expected", "details"),
    [
        ("A", ["192.0.2.1", "192.0.2.2"], "A 192.0.2.1, 192.0.2.2"),
        ("AAAA", ["2001:DB8:0::1"], "AAAA 2001:db8::1"),
        ("MX", ["MAIL.example.test.", "20 mx2.example.test"], "MX 10 mail.example.test, 20 mx2.example.test"),
        (
            "TXT",
            ["V=SPF1 include:_spf.example.test -all"],
            'TXT "v=spf1 include:_spf.example.test -all", "verification=ABC123"',
        ),
        ("NS", ["ns2.example.test"], "NS ns1.example.test, ns2.example.test"),
    ],
)
def test_each_record_type_with_its_expected_values(peer, record_type, expected, details):
    result = check(peer, record_type=record_type, expected=expected)
    assert (result.status, result.details) == ("ok", details)
    assert result.latency_ms > 0


def test_cname_record(peer):
    result = check(peer, f"www.{NAME}", record_type="CNAME", expected=["Example.Test."])
    assert (result.status, result.details) == ("ok", "CNAME example.test")


def test_an_alias_is_followed_for_an_address_query(peer):
    result = check(peer, f"www.{NAME}", record_type="A", expected=["192.0.2.2"])
    assert (result.status, result.details) == ("ok", "A 192.0.2.1, 192.0.2.2")


def test_default_options_ask_for_a(peer):
    result = run_check(CheckSpec(type="dns", target=NAME, options={"server": peer.server}))
    assert result.details == "A 192.0.2.1, 192.0.2.2"


def test_a_trailing_dot_on_the_target_is_fine(peer):
    assert check(peer, NAME + ".").details == "A 192.0.2.1, 192.0.2.2"


@pytest.mark.parametrize(("delay", "expected"), [(0.12, "degraded"), (0.25, "down")])
def test_query_time_follows_the_thresholds(peer, delay, expected):
    peer.set(delay=delay)
    result = check(peer)
    assert (result.status, result.details) == (expected, "A 192.0.2.1, 192.0.2.2")
    assert result.latency_ms >= delay * 1000


def test_custom_thresholds_are_used(peer):
    peer.set(delay=0.12)
    assert check(peer, thresholds=Thresholds(ok_ms=500, degraded_ms=1000)).status == "ok"


def test_truncated_udp_answer_is_asked_again_over_tcp(peer):
    peer.set(mode="truncate")
    result = check(peer, record_type="MX")
    assert (result.status, result.details) == ("ok", "MX 10 mail.example.test, 20 mx2.example.test")
    assert peer.queries == [("udp", "example.test.", "MX"), ("tcp", "example.test.", "MX")]


def test_server_given_by_name_is_looked_up_first():
    # "localhost" comes from /etc/hosts: the peer listens on whichever address it names first.
    host = socket.getaddrinfo("localhost", 53, type=socket.SOCK_DGRAM)[0][4][0]
    with serve_dns(host) as server:
        server.add(NAME, "A", "192.0.2.7")
        result = run_check(CheckSpec(type="dns", target=NAME, options={"server": f"localhost:{server.port}"}))
    assert (result.status, result.details) == ("ok", "A 192.0.2.7")


def test_ipv6_server_in_brackets():
    try:
        server = DnsPeer("::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        server.add(NAME, "A", "192.0.2.8")
        result = run_check(CheckSpec(type="dns", target=NAME, options={"server": f"[::1]:{server.port}"}))
    finally:
        server.stop()
    assert (result.status, result.details) == ("ok", "A 192.0.2.8")


def test_a_long_answer_is_cut_to_200_characters(peer):
    peer.add("many.example.test", "A", *(f"198.51.100.{i}" for i in range(1, 41)))
    result = check(peer, "many.example.test")
    assert result.status == "ok"
    assert len(result.details) == 200 and result.details.endswith("…")
    assert result.details.startswith("A 198.51.100.1, 198.51.100.2, 198.51.100.3, ")


# --- Failures ---------------------------------------------------------------------------------------


def test_nxdomain(peer):
    result = check(peer, "missing.example.test")
    assert (result.status, result.details) == ("down", "no such domain")
    assert result.latency_ms > 0  # an answer, if a negative one: its time is kept


def test_nxdomain_mode(peer):
    peer.set(mode="nxdomain")
    assert check(peer).details == "no such domain"


def test_servfail(peer):
    peer.set(mode="servfail")
    result = check(peer)
    assert (result.status, result.details) == ("down", "server failure (SERVFAIL)")
    assert result.latency_ms > 0
    assert len(peer.queries) == 1  # not asked again


def test_refused(peer):
    peer.set(mode="refused")
    assert check(peer).details == "query refused (REFUSED)"


def test_silence_times_out_within_the_timeout(peer):
    peer.set(mode="silence")
    started = time.perf_counter()
    result = check(peer, timeout=1)
    elapsed = time.perf_counter() - started
    assert result == CheckResult(status="down", latency_ms=None, details="timed out after 1 s")
    assert 0.9 < elapsed < 1.5, elapsed


def test_fractional_timeout_is_shown_as_typed(peer):
    peer.set(mode="silence")
    assert check(peer, timeout=0.5).details == "timed out after 0.5 s"


def test_an_answer_slower_than_the_timeout_is_a_timeout(peer):
    peer.set(delay=1.5)
    assert check(peer, timeout=1).details == "timed out after 1 s"


def test_wrong_value(peer):
    result = check(peer, expected=["192.0.2.9"])
    assert result.status == "down"
    assert result.details == "expected 192.0.2.9, answered 192.0.2.1, 192.0.2.2"
    assert result.latency_ms > 0  # an answer came: its time is kept


def test_several_values_missing_are_all_named(peer):
    result = check(peer, expected=["192.0.2.1", "192.0.2.9", "192.0.2.10"])
    assert result.details == "expected 192.0.2.9 and 192.0.2.10, answered 192.0.2.1, 192.0.2.2"


@pytest.mark.parametrize(
    ("record_type", "expected", "details"),
    [
        (
            "MX",
            ["30 mail.example.test"],
            "expected 30 mail.example.test, answered 10 mail.example.test, 20 mx2.example.test",
        ),
        (
            "TXT",
            ["v=spf1"],
            'expected v=spf1, answered "v=spf1 include:_spf.example.test -all", "verification=ABC123"',
        ),
        (
            "NS",
            ["ns3.example.test"],
            "expected ns3.example.test, answered ns1.example.test, ns2.example.test",
        ),
        ("AAAA", ["2001:db8::2"], "expected 2001:db8::2, answered 2001:db8::1"),
    ],
)
def test_wrong_value_of_each_type(peer, record_type, expected, details):
    result = check(peer, record_type=record_type, expected=expected)
    assert (result.status, result.details) == ("down", details)


def test_no_record_of_the_type(peer):
    peer.add("v4only.example.test", "A", "192.0.2.3")
    result = check(peer, "v4only.example.test", record_type="AAAA")
    assert (result.status, result.details) == ("down", "no AAAA record")


def test_a_dead_server_port_times_out(peer):
    port = peer.port
    peer.stop()
    result = run_check(
        CheckSpec(type="dns", target=NAME, timeout_seconds=1, options={"server": f"127.0.0.1:{port}"})
    )
    assert result.status == "down"
    assert result.details in ("timed out after 1 s", "connection refused")


def test_invalid_options_are_down_not_an_error():
    result = run_check(CheckSpec(type="dns", target=NAME, options={"record_type": "SRV"}))
    assert result.status == "down"
    assert result.details.startswith("invalid DNS options: record_type: Input should be 'A'")


def test_registered():
    assert checks.CHECKS["dns"] is dns.run
