"""Ping check: real echoes to 127.0.0.1, the unprivileged fallback, and the ICMP packet helpers."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from shared.checks import CheckResult, CheckSpec, ping, run_check
from shared.thresholds import Thresholds

REPO = Path(__file__).resolve().parent.parent


def check(target: str = "127.0.0.1", **spec) -> CheckResult:
    return run_check(CheckSpec(type="ping", target=target, **spec))


def datagram_ping_allowed() -> bool:
    """What the kernel checks before granting an ICMP datagram socket: a group of ours in the range."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ping_group_range").read_text().split())
    except (OSError, ValueError):
        return False
    return any(low <= gid <= high for gid in {os.getegid(), *os.getgroups()})


def deny(*args):
    raise PermissionError(1, "Operation not permitted")


def test_loopback_answers_every_echo():
    result = check()
    assert (result.status, result.details) == ("ok", "5/5 replies")
    assert 0 <= result.latency_ms < 80
    assert result.days_left is None


def test_echo_count_comes_from_thresholds():
    assert check(thresholds=Thresholds(ping_count=3)).details == "3/3 replies"


def test_dns_failure():
    result = check("onlinetracker-test.invalid")
    assert result == CheckResult(
        status="down", latency_ms=None, details="DNS lookup failed for onlinetracker-test.invalid"
    )


def test_ipv6_is_refused_with_a_reason():
    assert check("[::1]").details == ping.IPV6_UNSUPPORTED


def test_unprivileged_fallback_pings_or_says_why(monkeypatch):
    monkeypatch.setattr(ping, "ping_raw", deny)
    result = check()
    if datagram_ping_allowed():
        assert (result.status, result.details) == ("ok", "5/5 replies")
    else:
        assert result == CheckResult(status="down", latency_ms=None, details=ping.NO_PERMISSION)


def test_no_way_to_ping_is_a_clear_reason_not_a_crash(monkeypatch):
    monkeypatch.setattr(ping, "ping_raw", deny)
    monkeypatch.setattr(ping, "ping_datagram", deny)
    assert check() == CheckResult(status="down", latency_ms=None, details=ping.NO_PERMISSION)


@pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")),
    reason="needs root, unshare and ip to grant datagram ping in a private network namespace",
)
def test_datagram_socket_pings_loopback_in_a_private_namespace():
    # ping_group_range is per network namespace: widening it in a throw-away one leaves the host alone
    # and exercises the datagram implementation even where the host's range is empty.
    script = (
        "from shared.checks import ping, run_check, CheckSpec\n"
        "from shared.thresholds import Thresholds\n"
        "def deny(*a): raise PermissionError(1, 'denied')\n"
        "ping.ping_raw = deny\n"
        "print(run_check(CheckSpec('ping', '127.0.0.1', thresholds=Thresholds(ping_count=3))))\n"
    )
    command = (
        "ip link set lo up && echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range"
        f' && exec "{sys.executable}" -c "$0"'
    )
    completed = subprocess.run(
        ["unshare", "--net", "sh", "-c", command, script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=20,
    )
    if completed.returncode != 0 and "unshare" in completed.stderr:
        pytest.skip(f"cannot create a network namespace here: {completed.stderr.strip()}")
    assert completed.returncode == 0, completed.stderr
    assert "status='ok'" in completed.stdout and "details='3/3 replies'" in completed.stdout


@pytest.mark.parametrize(
    ("rtts", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0], ("ok", 3.0, "5/5 replies")),
        ([1.0, None, 2.0, None, 3.0], ("ok", 2.0, "3/5 replies")),  # average over replies only
        ([1.0, None, None, 2.0, None], ("down", 1.5, "2/5 replies")),  # fewer than half
        ([None] * 5, ("down", None, "0/5 replies")),
        ([100.0, 100.0, None, 100.0, 100.0], ("degraded", 100.0, "4/5 replies")),
    ],
)
def test_replies_are_counted_and_averaged(monkeypatch, rtts, expected):
    monkeypatch.setattr(ping, "ping_raw", lambda address, count, timeout: rtts)
    result = check()
    assert (result.status, result.latency_ms, result.details) == expected


@pytest.mark.parametrize(("timeout", "per_echo"), [(10, 2.0), (2, 2.0), (0.5, 0.5)])
def test_each_echo_waits_at_most_two_seconds(monkeypatch, timeout, per_echo):
    calls = []

    def record(address, count, echo_timeout):
        calls.append((address, count, echo_timeout))
        return [1.0] * count

    monkeypatch.setattr(ping, "ping_raw", record)
    check("localhost", timeout_seconds=timeout, thresholds=Thresholds(ping_count=4))
    assert calls == [("127.0.0.1", 4, per_echo)]


def test_datagram_socket_error_other_than_permission_is_reported(monkeypatch):
    def unreachable(*args):
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(ping, "ping_raw", deny)
    monkeypatch.setattr(ping, "ping_datagram", unreachable)
    assert check().details == "ping failed: Network is unreachable"


# --- ICMP packet helpers used by the datagram path ------------------------------------------------


def test_checksum_matches_rfc_1071_example():
    assert ping.internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


@pytest.mark.parametrize("payload", [b"", b"x", b"0123456789abcdef", b"odd"])
def test_echo_request_checksums_to_zero(payload):
    packet = ping.build_echo_request(sequence=513, payload=payload)
    assert packet[0] == 8 and packet[1] == 0
    assert struct.unpack("!H", packet[6:8]) == (513,)
    assert ping.internet_checksum(packet) == 0


def _reply(sequence: int, payload: bytes, message_type: int = 0) -> bytes:
    return struct.pack("!BBHHH", message_type, 0, 0, 4242, sequence) + payload


@pytest.mark.parametrize(
    ("packet", "expected"),
    [
        (_reply(7, b"abc"), (7, b"abc")),
        (bytes([0x45]) + bytes(19) + _reply(7, b"abc"), (7, b"abc")),  # with an IPv4 header
        (bytes([0x46]) + bytes(23) + _reply(9, b""), (9, b"")),  # IPv4 header with options
        (_reply(7, b"abc", message_type=8), None),  # our own request, not a reply
        (_reply(7, b"abc", message_type=3), None),  # destination unreachable
        (b"\x00\x00", None),
        (b"", None),
    ],
    ids=["bare", "ip-header", "ip-options", "request", "unreachable", "short", "empty"],
)
def test_parse_echo_reply(packet, expected):
    assert ping.parse_echo_reply(packet) == expected
