"""HTTP/HTTPS check against real loopback servers, plus run_check's dispatch and containment."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import shared.checks as checks
from shared.checks import CA_BUNDLE_ENV_VARS, CheckResult, CheckSpec, http, run_check
from shared.thresholds import Thresholds
from tests.peers.http_server import closed_port, serve_http
from tests.peers.tls_server import serve_tls


@pytest.fixture
def peer():
    with serve_http() as server:
        yield server


@pytest.fixture
def no_ca_env(monkeypatch):
    """Only the system trust store: this machine exports REQUESTS_CA_BUNDLE globally."""
    for name in CA_BUNDLE_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def check(url: str, **spec) -> CheckResult:
    return run_check(CheckSpec(type=spec.pop("type", "http"), target=url, **spec))


def test_fast_200_is_ok(peer):
    result = check(peer.url)
    assert (result.status, result.details) == ("ok", "HTTP 200")
    assert 0 < result.latency_ms < 80
    assert result.days_left is None


@pytest.mark.parametrize(("delay", "expected"), [(0.12, "degraded"), (0.25, "down")])
def test_slow_answers_follow_default_thresholds(peer, delay, expected):
    peer.set(delay=delay)
    result = check(peer.url)
    assert (result.status, result.details) == (expected, "HTTP 200")
    assert result.latency_ms >= delay * 1000


def test_custom_thresholds_are_used(peer):
    peer.set(delay=0.12)
    result = check(peer.url, thresholds=Thresholds(ok_ms=500, degraded_ms=1000))
    assert result.status == "ok"


@pytest.mark.parametrize("code", [400, 404, 500, 503])
def test_http_error_is_down_with_its_code(peer, code):
    peer.set(status=code)
    result = check(peer.url)
    assert (result.status, result.details) == ("down", f"HTTP {code}")
    assert result.latency_ms is not None


def test_redirects_are_followed(peer):
    peer.set(path="/old", status=301, headers={"Location": "/new"})
    result = check(peer.url + "old")
    assert (result.status, result.details) == ("ok", "HTTP 200")
    assert peer.hits == 2


def test_timeout_names_the_spec_timeout(peer):
    peer.set(delay=2)
    started = time.perf_counter()
    result = check(peer.url, timeout_seconds=1)
    assert result == CheckResult(status="down", latency_ms=None, details="timed out after 1 s")
    assert time.perf_counter() - started < 1.8


def test_fractional_timeout_is_shown_as_typed(peer):
    peer.set(delay=1)
    assert check(peer.url, timeout_seconds=0.5).details == "timed out after 0.5 s"


def test_refused():
    result = check(f"http://127.0.0.1:{closed_port()}/")
    assert result == CheckResult(status="down", latency_ms=None, details="connection refused")


def test_dns_failure():
    result = check("http://onlinetracker-test.invalid/")
    assert (result.status, result.details) == ("down", "DNS lookup failed for onlinetracker-test.invalid")


def test_target_without_scheme_gets_the_type_scheme(peer):
    assert check(f"127.0.0.1:{peer.port}/").details == "HTTP 200"
    assert http.normalise_url("example.org", "https") == "https://example.org"
    assert http.normalise_url("example.org/x", "http") == "http://example.org/x"


def test_large_body_is_not_downloaded(peer):
    peer.set(body=b"x" * (8 * 1024 * 1024))
    started = time.perf_counter()
    result = check(peer.url)
    assert (result.status, result.details) == ("ok", "HTTP 200")
    assert time.perf_counter() - started < 0.5


def test_connection_is_reused_between_checks(peer):
    for _ in range(3):
        assert check(peer.url).status == "ok"
    assert (peer.hits, peer.connections) == (3, 1)


def test_https_with_ca_bundle_is_ok(ca, monkeypatch):
    with serve_tls(ca) as tls:
        monkeypatch.setenv("ONLINETRACKER_CA_BUNDLE", ca.bundle_path)
        result = check(tls.url, type="https")
        assert (result.status, result.details) == ("ok", "HTTP 200")
        tls.http.set(status=502)
        assert check(tls.url, type="https").details == "HTTP 502"


def test_requests_ca_bundle_is_honoured_too(ca, no_ca_env, monkeypatch):
    with serve_tls(ca) as tls:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca.bundle_path)
        assert check(tls.url, type="https").status == "ok"


@pytest.mark.parametrize(
    ("leaf", "use_bundle", "details"),
    [
        ({"days": -1}, True, "certificate has expired"),
        (
            {"dns_names": ("wrong.example",), "ip_addresses": ()},
            True,
            "certificate does not match host localhost",
        ),
        ({}, False, "certificate is not trusted"),
    ],
)
def test_https_certificate_problems(ca, no_ca_env, monkeypatch, leaf, use_bundle, details):
    if use_bundle:
        monkeypatch.setenv("ONLINETRACKER_CA_BUNDLE", ca.bundle_path)
    with serve_tls(ca, **leaf) as tls:
        result = check(tls.url, type="https")
    assert result == CheckResult(status="down", latency_ms=None, details=details)


def test_https_ip_target_matches_ip_san(ca, monkeypatch):
    monkeypatch.setenv("ONLINETRACKER_CA_BUNDLE", ca.bundle_path)
    with serve_tls(ca, hostname="127.0.0.1") as tls:
        assert check(tls.url, type="https").details == "HTTP 200"


def test_plain_http_to_a_tls_port_is_a_connection_failure(ca):
    with serve_tls(ca) as tls:
        result = check(f"http://127.0.0.1:{tls.port}/", timeout_seconds=2)
    assert result.status == "down"
    assert result.details.startswith("connection failed: ")


# --- A total deadline, not one per socket read -------------------------------------------------


class Trickler:
    """A TCP server on 127.0.0.1 that answers one byte every ``pace`` seconds, for ``cap`` seconds at
    most, then finishes its answer and closes: each read gets data long before a read timeout, so
    only a deadline on the whole request stops a check early. ``stage`` is where it trickles:

    - ``"headers"``: the status line comes at once, then a header line, one byte at a time;
    - ``"body"``: complete headers (Content-Length 100000), then the body;
    - ``"handshake"``: the start of a TLS record, then its 16 KB body, as the server's first flight.

    With ``tls`` (a server SSLContext) the connection is TLS first, then ``"headers"``/``"body"``.
    """

    def __init__(self, stage: str, pace: float = 0.1, cap: float = 8.0, tls=None):
        self.stage, self.pace, self.cap, self.tls = stage, pace, cap, tls
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.served: list[float] = []  # seconds each connection was kept
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        started = time.monotonic()
        try:
            conn.settimeout(self.cap + 5)
            if self.stage == "handshake":
                conn.recv(4096)  # the ClientHello
                self._trickle(conn, b"\x16\x03\x03\x40\x00" + b"\x00" * 0x4000, started, head=5)
                return
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            if self.stage == "headers":
                head = b"HTTP/1.1 200 OK\r\n"
                answer = head + b"X-Slow: " + b"a" * 1000 + b"\r\nContent-Length: 2\r\n\r\nok"
                self._trickle(conn, answer, started, head=len(head))
            else:
                head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
                self._trickle(conn, head + b"x" * 100000, started, head=len(head))
        except OSError:
            pass
        finally:
            self.served.append(time.monotonic() - started)
            conn.close()

    def _trickle(self, conn, data: bytes, started: float, head: int) -> None:
        conn.sendall(data[:head])
        for i in range(head, len(data)):
            if self.stopped.is_set() or time.monotonic() - started > self.cap:
                conn.sendall(data[i:])  # give up trickling: the rest at once
                return
            conn.sendall(data[i : i + 1])
            time.sleep(self.pace)

    def stop(self):
        self.stopped.set()
        self.listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


@pytest.mark.parametrize("stage", ["headers", "body"])
def test_a_trickling_server_is_down_within_the_timeout(stage):
    with Trickler(stage) as server:
        started = time.perf_counter()
        result = check(f"http://127.0.0.1:{server.port}/", timeout_seconds=1)
        elapsed = time.perf_counter() - started
    assert result == CheckResult(status="down", latency_ms=None, details="no complete response within 1 s")
    assert elapsed < 1 + http.DEADLINE_MARGIN_SECONDS + 0.3, elapsed


def test_a_trickling_tls_handshake_is_down_within_the_timeout():
    # Python bounds a whole handshake by the socket timeout already; the deadline is the backstop.
    with Trickler("handshake") as server:
        started = time.perf_counter()
        result = check(f"https://127.0.0.1:{server.port}/", type="https", timeout_seconds=1)
        elapsed = time.perf_counter() - started
    assert result.status == "down"
    assert result.details in ("timed out after 1 s", "no complete response within 1 s")
    assert elapsed < 1 + http.DEADLINE_MARGIN_SECONDS + 0.3, elapsed


def test_trickled_headers_over_tls_are_down_within_the_timeout(ca, monkeypatch):
    monkeypatch.setenv("ONLINETRACKER_CA_BUNDLE", ca.bundle_path)
    with Trickler("headers", tls=ca.server_context()) as server:
        started = time.perf_counter()
        result = check(f"https://localhost:{server.port}/", type="https", timeout_seconds=1)
        elapsed = time.perf_counter() - started
    assert (result.status, result.details) == ("down", "no complete response within 1 s")
    assert elapsed < 1 + http.DEADLINE_MARGIN_SECONDS + 0.3, elapsed


def test_the_deadline_spans_redirects(peer):
    # Each hop alone is well inside the timeout; together they are not.
    peer.set(delay=0.4)
    for hop in range(4):
        peer.set(path=f"/{hop}", status=302, headers={"Location": f"/{hop + 1}"})
    started = time.perf_counter()
    result = check(peer.url + "0", timeout_seconds=1)
    assert (result.status, result.details) == ("down", "no complete response within 1 s")
    assert time.perf_counter() - started < 1 + http.DEADLINE_MARGIN_SECONDS + 0.3


def test_a_slow_but_complete_answer_inside_the_timeout_is_judged_as_usual(peer):
    with Trickler("headers", pace=0.0005) as server:  # ~0.5 s for the header line
        result = check(f"http://127.0.0.1:{server.port}/", timeout_seconds=3)
    assert (result.status, result.details) == ("down", "HTTP 200")  # slow, so down on latency
    assert result.latency_ms > 200
    peer.set(delay=0)
    assert check(peer.url, timeout_seconds=1).status == "ok"  # the same thread, a fresh connection


def test_a_deadline_leaves_no_connection_open_behind(peer):
    with Trickler("body", cap=5) as server:
        check(f"http://127.0.0.1:{server.port}/", timeout_seconds=1)
        deadline = time.monotonic() + 2
        while not server.served and time.monotonic() < deadline:
            time.sleep(0.05)
        # The check closed its end: the trickler's next send failed long before its 5 s were up.
        assert server.served and server.served[0] < 2.5


# --- run_check ------------------------------------------------------------------------------------


def test_registry_maps_every_type():
    assert set(checks.CHECKS) == {"ping", "http", "https", "ssl"}
    assert checks.CHECKS["http"] is checks.CHECKS["https"] is http.run


def test_unknown_type_is_down_not_an_error():
    result = run_check(CheckSpec(type="gopher", target="127.0.0.1"))
    assert result == CheckResult(status="down", latency_ms=None, details="unknown check type 'gopher'")


def test_run_check_contains_unexpected_exceptions(monkeypatch):
    def broken(spec):
        raise ValueError("boom\nsecond line is dropped")

    monkeypatch.setitem(checks.CHECKS, "http", broken)
    result = run_check(CheckSpec(type="http", target="http://127.0.0.1/"))
    assert result == CheckResult(status="down", latency_ms=None, details="check failed: ValueError: boom")
