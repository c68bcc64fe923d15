"""SSL check against a real loopback TLS server with certificates from a throw-away CA."""

from __future__ import annotations

import datetime as dt
import socket
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from shared.checks import CA_BUNDLE_ENV_VARS, CheckResult, CheckSpec, run_check
from shared.checks import ssl as ssl_check
from shared.thresholds import Thresholds
from tests.peers.http_server import closed_port, serve_http
from tests.peers.tls_server import serve_tls


@pytest.fixture
def trust_ca(ca, monkeypatch):
    """Trust only the test CA, whatever this machine exports."""
    for name in CA_BUNDLE_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONLINETRACKER_CA_BUNDLE", ca.bundle_path)
    return ca


def check(target: str, **spec) -> CheckResult:
    return run_check(CheckSpec(type="ssl", target=target, **spec))


@pytest.mark.parametrize(
    ("days", "expected_status", "details"),
    [
        (60, "ok", "expires in 60 days"),
        (30, "ok", "expires in 30 days"),
        (29, "degraded", "expires in 29 days"),
        (20, "degraded", "expires in 20 days"),
        (14, "degraded", "expires in 14 days"),
        (13, "down", "expires in 13 days"),
        (10, "down", "expires in 10 days"),
        (1, "down", "expires in 1 day"),
        (0, "down", "expires today"),
    ],
)
def test_days_left_against_default_thresholds(trust_ca, days, expected_status, details):
    with serve_tls(trust_ca, days=days) as tls:
        result = check(tls.target)
    assert (result.status, result.details, result.days_left) == (expected_status, details, days)
    assert 0 < result.latency_ms < 1000


def test_custom_thresholds(trust_ca):
    with serve_tls(trust_ca, days=20) as tls:
        assert check(tls.target, thresholds=Thresholds(ssl_ok_days=15, ssl_warning_days=5)).status == "ok"
        assert check(tls.target, thresholds=Thresholds(ssl_ok_days=90, ssl_warning_days=21)).status == "down"


def test_expired_is_down_and_says_how_long_ago(trust_ca):
    with serve_tls(trust_ca, days=-1) as tls:
        result = check(tls.target)
    assert result == CheckResult(
        status="down", latency_ms=None, details="certificate has expired", days_left=-1
    )


def test_wrong_host(trust_ca):
    with serve_tls(trust_ca, dns_names=("wrong.example",), ip_addresses=()) as tls:
        result = check(tls.target)
    assert result == CheckResult(
        status="down", latency_ms=None, details="certificate does not match host localhost"
    )


def test_untrusted_when_the_ca_bundle_is_not_given(ca, monkeypatch):
    for name in CA_BUNDLE_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    with serve_tls(ca) as tls:
        result = check(tls.target)
    assert result == CheckResult(status="down", latency_ms=None, details="certificate is not trusted")


def test_requests_ca_bundle_is_honoured_too(ca, monkeypatch):
    for name in CA_BUNDLE_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca.bundle_path)
    with serve_tls(ca) as tls:
        assert check(tls.target).status == "ok"


def test_ip_target_is_checked_against_the_ip_san(trust_ca):
    with serve_tls(trust_ca, days=45, hostname="127.0.0.1") as tls:
        result = check(tls.target)
    assert (result.status, result.details) == ("ok", "expires in 45 days")


def test_url_target_is_accepted(trust_ca):
    with serve_tls(trust_ca) as tls:
        assert check(tls.url + "some/path").details == "expires in 60 days"


def test_refused():
    result = check(f"127.0.0.1:{closed_port()}")
    assert result == CheckResult(status="down", latency_ms=None, details="connection refused")


def test_dns_failure():
    result = check("onlinetracker-test.invalid")
    assert result == CheckResult(
        status="down", latency_ms=None, details="DNS lookup failed for onlinetracker-test.invalid"
    )


def test_server_that_never_handshakes_times_out():
    # The kernel completes the TCP handshake from the backlog; nothing ever answers the ClientHello.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        started = time.perf_counter()
        result = check(f"127.0.0.1:{silent.getsockname()[1]}", timeout_seconds=0.5)
    assert result == CheckResult(status="down", latency_ms=None, details="timed out after 0.5 s")
    assert time.perf_counter() - started < 1.5


def test_plain_http_port_is_a_connection_failure():
    with serve_http() as plain:
        result = check(f"127.0.0.1:{plain.port}", timeout_seconds=2)
    assert result == CheckResult(
        status="down", latency_ms=None, details="connection failed: the server did not answer with TLS"
    )


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("example.org", ("example.org", 443)),
        ("example.org:8443", ("example.org", 8443)),
        ("[::1]", ("::1", 443)),
        ("[::1]:8443", ("::1", 8443)),
        ("::1", ("::1", 443)),
        ("https://example.org:9443/path", ("example.org", 9443)),
        ("https://[2001:db8::1]/", ("2001:db8::1", 443)),
        ("  example.org  ", ("example.org", 443)),
    ],
)
def test_parse_target(target, expected):
    assert ssl_check.parse_target(target) == expected


@pytest.mark.parametrize("target", ["", "example.org:http", "example.org:0", "example.org:70000", "[::1"])
def test_invalid_target_is_down_with_reason(target):
    result = check(target)
    assert result.status == "down"
    assert "invalid" in result.details


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [
        (dt.timedelta(days=41, hours=23), 41),
        (dt.timedelta(hours=23), 0),
        (dt.timedelta(seconds=-1), -1),
        (dt.timedelta(days=-1, seconds=-1), -2),
    ],
)
def test_days_left_rounds_down(ca, remaining, expected):
    cert_path, _ = ca.issue(days=0)
    with open(cert_path, "rb") as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    der = certificate.public_bytes(Encoding.DER)
    now = certificate.not_valid_after_utc - remaining
    assert ssl_check.days_left(der, now=now) == expected
