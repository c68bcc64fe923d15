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
    assert set(checks.CHECKS) == {"ping", "http", "https", "ssl", "tcp", "dns"}
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


# --- Options: what is sent ------------------------------------------------------------------------


#: The option tests judge what was sent and asserted, not how fast: with the default thresholds a
#: loaded machine turned ten loopback redirects (200 ms+) into "down" on latency alone (failed CI).
SLOW_IS_FINE = Thresholds(ok_ms=10_000, degraded_ms=20_000)


def check_with(url: str, type: str = "http", timeout_seconds: float = 5, **options) -> CheckResult:
    return run_check(
        CheckSpec(
            type=type, target=url, timeout_seconds=timeout_seconds, thresholds=SLOW_IS_FINE, options=options
        )
    )


def test_empty_options_mean_the_defaults(peer):
    result = check_with(peer.url)
    assert (result.status, result.details) == ("ok", "HTTP 200")
    assert peer.received[-1].method == "GET" and peer.received[-1].body == b""


def test_post_with_body_and_custom_headers_arrives_as_given(peer):
    body = '{"probe": "über", "n": 1}'
    result = check_with(
        peer.url + "submit?x=1",
        method="POST",
        body=body,
        headers={"Content-Type": "application/json", "X-Probe": "onlinetracker", "User-Agent": "custom/2"},
    )
    assert (result.status, result.details) == ("ok", "HTTP 200")
    request = peer.received[-1]
    assert (request.method, request.path, request.body) == ("POST", "/submit?x=1", body.encode())
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Content-Length"] == str(len(body.encode()))
    assert request.headers["X-Probe"] == "onlinetracker"
    assert request.headers["User-Agent"] == "custom/2"


def test_a_body_gets_no_content_type_unless_one_is_given(peer):
    assert check_with(peer.url, method="PUT", body="raw text").status == "ok"
    request = peer.received[-1]
    assert (request.method, request.body) == ("PUT", b"raw text")
    assert request.headers["Content-Type"] is None
    assert request.headers["User-Agent"] == http.USER_AGENT


@pytest.mark.parametrize("method", ["HEAD", "PATCH", "DELETE", "OPTIONS"])
def test_each_method_is_sent(peer, method):
    result = check_with(peer.url, method=method)
    assert (result.status, result.details) == ("ok", "HTTP 200")
    assert peer.received[-1].method == method


def test_basic_auth_right_and_wrong(peer):
    peer.set(auth=("monitor", "s3cret:pw"))
    right = check_with(peer.url, basic_auth={"username": "monitor", "password": "s3cret:pw"})
    assert (right.status, right.details) == ("ok", "HTTP 200")
    assert peer.received[-1].headers["Authorization"] == "Basic bW9uaXRvcjpzM2NyZXQ6cHc="
    wrong = check_with(peer.url, basic_auth={"username": "monitor", "password": "guess"})
    assert (wrong.status, wrong.details) == ("down", "HTTP 401")
    without = check_with(peer.url)
    assert without.details == "HTTP 401"
    assert peer.received[-1].headers["Authorization"] is None


def test_cookies_are_not_carried_from_one_check_to_the_next(peer):
    peer.set(headers={"Set-Cookie": "session=abc; Path=/"})
    check_with(peer.url)
    check_with(peer.url)
    assert peer.received[-1].headers["Cookie"] is None


def test_a_cookie_set_by_a_redirect_is_sent_to_its_target(peer):
    peer.set(path="/login", status=302, headers={"Location": "/home", "Set-Cookie": "sid=42; Path=/"})
    assert check_with(peer.url + "login").details == "HTTP 200"
    assert [(r.path, r.headers["Cookie"]) for r in peer.received] == [("/login", None), ("/home", "sid=42")]


def test_invalid_options_are_down_not_an_error():
    result = check_with("http://127.0.0.1:9/", expected_status="2xx")
    assert result == CheckResult(
        status="down",
        latency_ms=None,
        details="invalid HTTP options: expected_status: Value error, must be status codes or ranges like 200-299,301",
    )


# --- Options: expected status and redirects -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected_status", "status", "details"),
    [
        (201, "201", "ok", "HTTP 201"),
        (404, "404", "ok", "HTTP 404"),
        (204, "200-204, 301", "ok", "HTTP 204"),
        (200, "201-204,301", "down", "HTTP 200 (expected 201-204,301)"),
        (503, "200-399", "down", "HTTP 503"),
    ],
)
def test_expected_status(peer, code, expected_status, status, details):
    peer.set(status=code)
    result = check_with(peer.url, expected_status=expected_status)
    assert (result.status, result.details) == (status, details)
    assert result.latency_ms > 0


def test_a_redirect_not_followed_is_judged_as_it_is(peer):
    peer.set(path="/old", status=301, headers={"Location": "/new"})
    result = check_with(peer.url + "old", follow_redirects=False)
    assert (result.status, result.details) == ("ok", "HTTP 301")
    assert peer.hits == 1
    result = check_with(peer.url + "old", follow_redirects=False, expected_status="200")
    assert (result.status, result.details) == ("down", "HTTP 301 (expected 200)")


def test_at_most_ten_redirects_are_followed(peer):
    for hop in range(11):
        peer.set(path=f"/{hop}", status=302, headers={"Location": f"/{hop + 1}"})
    ten = check_with(peer.url + "1")  # /1 → … → /11: ten redirects, then the 200
    assert (ten.status, ten.details) == ("ok", "HTTP 200")
    eleven = check_with(peer.url + "0")
    assert eleven == CheckResult(status="down", latency_ms=None, details="more than 10 redirects")


def test_a_redirect_loop_is_down(peer):
    peer.set(path="/loop", status=302, headers={"Location": "/loop"})
    assert check_with(peer.url + "loop").details == "more than 10 redirects"


# --- Options: keyword -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "keyword", "mode", "status", "details"),
    [
        ("service ready", "ready", "present", "ok", "HTTP 200"),
        ("service ready", "Ready", "present", "down", 'keyword "Ready" not found'),
        ("all good", "error", "absent", "ok", "HTTP 200"),
        ("an error occurred", "error", "absent", "down", 'keyword "error" found'),
        ('say "hi"', 'say "hello"', "present", "down", 'keyword "say \\"hello\\"" not found'),
    ],
)
def test_keyword(peer, body, keyword, mode, status, details):
    peer.set(body=body)
    result = check_with(peer.url, keyword=keyword, keyword_mode=mode)
    assert (result.status, result.details) == (status, details)
    assert result.latency_ms > 0


def test_keyword_defaults_to_present(peer):
    assert check_with(peer.url, keyword="ok").details == "HTTP 200"  # the peer's body is "ok"


def test_keyword_in_the_charset_the_server_names(peer):
    peer.set(
        body="Café ouvert".encode("iso-8859-1"), headers={"Content-Type": "text/plain; charset=ISO-8859-1"}
    )
    assert check_with(peer.url, keyword="Café").status == "ok"
    peer.set(body="Café ouvert".encode(), headers={"Content-Type": "text/html"})
    assert check_with(peer.url, keyword="Café").status == "ok"  # no charset: UTF-8


def test_the_status_is_judged_before_the_keyword(peer):
    peer.set(status=503, body="ready")
    assert check_with(peer.url, keyword="ready").details == "HTTP 503"


def test_keyword_with_a_redirect_looks_at_the_final_body(peer):
    peer.set(path="/old", status=301, headers={"Location": "/new"}, body="moved: ready")
    peer.set(path="/new", body="fresh")
    assert check_with(peer.url + "old", keyword="fresh").details == "HTTP 200"
    assert check_with(peer.url + "old", keyword="ready").details == 'keyword "ready" not found'
    not_followed = check_with(peer.url + "old", keyword="ready", follow_redirects=False)
    assert (not_followed.status, not_followed.details) == ("ok", "HTTP 301")


# --- Options: JSONPath ----------------------------------------------------------------------------

HEALTH = {
    "status": "ok",
    "count": 42,
    "ratio": 0.5,
    "healthy": True,
    "error": None,
    "items": [{"name": "db", "state": "up"}, {"name": "cache", "state": "down"}],
}


@pytest.fixture
def json_peer(peer):
    import json

    peer.set(body=json.dumps(HEALTH), headers={"Content-Type": "application/json"})
    return peer


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.status", "ok"),
        ("$.count", "42"),
        ("$.ratio", "0.5"),
        ("$.healthy", "true"),
        ("$.error", "null"),
        ("$.items[0].name", "db"),
        ("$.items[?(@.name == 'cache')].state", "down"),
        ("$.items[1]", '{"name":"cache","state":"down"}'),
        ("$.status", None),
        ("$.error", None),  # a match whose value is null still matches
    ],
)
def test_json_path_passing(json_peer, path, expected):
    options = {"json_path": path} if expected is None else {"json_path": path, "json_expected": expected}
    result = check_with(json_peer.url, **options)
    assert (result.status, result.details) == ("ok", "HTTP 200")


@pytest.mark.parametrize(
    ("path", "expected", "details"),
    [
        ("$.status", "degraded", '$.status is "ok", expected "degraded"'),
        ("$.count", "41", '$.count is 42, expected "41"'),
        ("$.healthy", "false", '$.healthy is true, expected "false"'),
        ("$.error", "", '$.error is null, expected ""'),
        ("$.count", '"42"', '$.count is 42, expected "\\"42\\""'),
        ("$.missing", None, "$.missing not found in the response"),
        (
            "$.items[?(@.name == 'queue')].state",
            "up",
            "$.items[?(@.name == 'queue')].state not found in the response",
        ),
    ],
)
def test_json_path_failing(json_peer, path, expected, details):
    options = {"json_path": path} if expected is None else {"json_path": path, "json_expected": expected}
    result = check_with(json_peer.url, **options)
    assert (result.status, result.details) == ("down", details)
    assert result.latency_ms > 0


def test_a_body_that_is_not_json(peer):
    peer.set(body="<html>ok</html>")
    assert check_with(peer.url, json_path="$.status").details == "response is not JSON"
    peer.set(body="")
    assert check_with(peer.url, json_path="$.status").details == "response is not JSON"


def test_json_larger_than_the_read_limit(peer):
    peer.set(body='{"status": "ok", "pad": "' + "x" * (2 * 1024 * 1024) + '"}')
    result = check_with(peer.url, json_path="$.status", json_expected="ok")
    assert result.details == "response is larger than 1 MiB, too large to read as JSON"


def test_a_long_value_is_cut_in_the_details(peer):
    peer.set(body='{"status": "' + "y" * 5000 + '"}')
    result = check_with(peer.url, json_path="$.status", json_expected="ok")
    assert result.status == "down" and len(result.details) <= 200
    assert result.details.startswith('$.status is "yyy') and result.details.endswith('…, expected "ok"')


def test_keyword_and_json_path_together(json_peer):
    assert check_with(json_peer.url, keyword='"db"', json_path="$.status", json_expected="ok").status == "ok"
    failed = check_with(json_peer.url, keyword="maintenance", json_path="$.status", json_expected="ok")
    assert failed.details == 'keyword "maintenance" not found'


# --- Options: TLS verification --------------------------------------------------------------------


def test_verify_tls_false_accepts_a_self_signed_certificate(ca, no_ca_env, recwarn):
    from urllib3.exceptions import InsecureRequestWarning

    with serve_tls(ca) as tls:  # signed by a CA this process does not trust
        assert check_with(tls.url, type="https").details == "certificate is not trusted"
        result = check_with(tls.url, type="https", verify_tls=False)
        assert (result.status, result.details) == ("ok", "HTTP 200")
        # The unverified connection is not reused for a verified check.
        assert check_with(tls.url, type="https").details == "certificate is not trusted"
    with serve_tls(ca, days=-1, dns_names=("wrong.example",), ip_addresses=()) as tls:
        assert check_with(tls.url, type="https", verify_tls=False).details == "HTTP 200"
    assert not [w for w in recwarn if issubclass(w.category, InsecureRequestWarning)]


# --- Big bodies: read no more than needed, memory flat ------------------------------------------

MIB = 1024 * 1024
FIFTY_MB = 50 * 1000 * 1000


def _peak_memory(run) -> tuple[object, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("head", "status", "details"),
    [
        (b"x" * (MIB - 5) + b"ready", "ok", "HTTP 200"),  # ends on the last byte read
        (b"x" * (MIB - 4) + b"ready", "down", 'keyword "ready" not found in the first 1 MiB'),
    ],
)
def test_a_50_mb_body_is_read_to_1_mib_with_flat_memory(peer, head, status, details):
    peer.set(body=head, tail=FIFTY_MB)
    started = time.perf_counter()
    result, peak = _peak_memory(lambda: check_with(peer.url, keyword="ready"))
    elapsed = time.perf_counter() - started
    assert (result.status, result.details) == (status, details)
    assert result.latency_ms < 80  # time to the headers, not to the body
    assert peak < 5 * MIB, peak
    assert elapsed < 3, elapsed
    time.sleep(0.2)
    assert peer.body_bytes_sent < FIFTY_MB / 5  # the check hung up; only socket buffers filled


def test_without_assertions_a_50_mb_body_is_barely_read(peer):
    peer.set(tail=FIFTY_MB)
    result, peak = _peak_memory(lambda: check_with(peer.url))
    assert (result.status, result.details) == ("ok", "HTTP 200")
    assert peak < 2 * MIB, peak
    time.sleep(0.2)
    assert peer.body_bytes_sent < FIFTY_MB / 5


def test_a_50_mb_redirect_body_is_not_read_whole(peer):
    peer.set(path="/old", status=302, headers={"Location": "/new"}, tail=FIFTY_MB)
    peer.set(path="/new", body="ready")
    result, peak = _peak_memory(lambda: check_with(peer.url + "old", keyword="ready"))
    # Memory is the point here; how long the redirect takes (ok or degraded) is the machine's load.
    assert result.status in ("ok", "degraded") and result.details == "HTTP 200"
    assert peak < 5 * MIB, peak


# --- The deadline with options ----------------------------------------------------------------------


def test_the_deadline_covers_a_body_read_for_a_keyword():
    with Trickler("body") as server:
        started = time.perf_counter()
        result = check_with(f"http://127.0.0.1:{server.port}/", timeout_seconds=1, keyword="never")
        elapsed = time.perf_counter() - started
    assert result == CheckResult(status="down", latency_ms=None, details="no complete response within 1 s")
    assert elapsed < 1 + http.DEADLINE_MARGIN_SECONDS + 0.3, elapsed


@pytest.mark.parametrize("method", ["POST", "HEAD", "DELETE"])
def test_the_deadline_covers_every_method(method):
    options = {"method": method, "body": "x" * 1000} if method == "POST" else {"method": method}
    with Trickler("headers") as server:
        started = time.perf_counter()
        result = check_with(f"http://127.0.0.1:{server.port}/", timeout_seconds=1, **options)
        elapsed = time.perf_counter() - started
    assert result == CheckResult(status="down", latency_ms=None, details="no complete response within 1 s")
    assert elapsed < 1 + http.DEADLINE_MARGIN_SECONDS + 0.3, elapsed
