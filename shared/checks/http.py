"""HTTP/HTTPS check: one GET, judged on the status code and the time to the response headers.

TLS is always verified. A private CA is trusted through the bundle named by ``ONLINETRACKER_CA_BUNDLE``
(then ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``), see :func:`shared.checks.ca_bundle`.
"""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import urlsplit

import requests

from shared import status
from shared.checks import CheckResult, CheckSpec, ca_bundle, describe_connection_error, timed_out

#: Enough of the body to let a small page's connection go back to the pool for reuse; anything
#: larger is cut off, so a monitor pointed at a big download costs neither memory nor bandwidth.
MAX_BODY_BYTES = 64 * 1024
USER_AGENT = "OnlineTracker-check/1"

_local = threading.local()


def run(spec: CheckSpec) -> CheckResult:
    url = normalise_url(spec.target, spec.type)
    host = urlsplit(url).hostname or spec.target
    started = time.perf_counter()
    try:
        response = session().get(
            url,
            timeout=spec.timeout_seconds,
            allow_redirects=True,
            stream=True,
            verify=ca_bundle() or True,
        )
    except requests.Timeout:
        return CheckResult(status="down", latency_ms=None, details=timed_out(spec.timeout_seconds))
    except (requests.RequestException, OSError) as exc:
        details = describe_connection_error(exc, host, spec.timeout_seconds)
        return CheckResult(status="down", latency_ms=None, details=details)
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    _drain(response)
    return CheckResult(
        status=status.from_http(response.status_code, latency_ms, spec.thresholds),
        latency_ms=latency_ms,
        details=f"HTTP {response.status_code}",
    )


def normalise_url(target: str, check_type: str) -> str:
    """Users type "example.com" as often as a URL; the monitor's type supplies the missing scheme."""
    target = target.strip()
    if "://" in target:
        return target
    scheme = "https" if check_type == "https" else "http"
    return f"{scheme}://{target}"


def session() -> requests.Session:
    """One Session per thread (and per process: a forked worker must not reuse its parent's sockets).

    Reusing it keeps connections alive between checks of the same host, so the latency measured is
    the server's, not a fresh TCP/TLS handshake every time.
    """
    current = getattr(_local, "session", None)
    if current is None or _local.pid != os.getpid():
        current = requests.Session()
        current.headers["User-Agent"] = USER_AGENT
        _local.session, _local.pid = current, os.getpid()
    return current


def _drain(response: requests.Response) -> None:
    """Read up to MAX_BODY_BYTES, then close; a fully read body returns its connection to the pool."""
    read = 0
    try:
        for chunk in response.iter_content(chunk_size=16 * 1024):
            read += len(chunk)
            if read > MAX_BODY_BYTES:
                break
    except (requests.RequestException, OSError):
        # The verdict was made on the status line; a body cut short does not change it.
        pass
    finally:
        response.close()
