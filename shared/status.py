"""The README's threshold table as pure functions: measurement in, status out.

| Type       | OK                   | Degraded                   | Down                                      |
|------------|----------------------|----------------------------|-------------------------------------------|
| Ping       | latency <= ok_ms     | latency <= degraded_ms     | latency > degraded_ms or < 50 % replies   |
| HTTP/HTTPS | latency <= ok_ms     | latency <= degraded_ms     | latency > degraded_ms or status outside expected_status (default 200-399) |
| SSL        | days >= ssl_ok_days  | days >= ssl_warning_days   | days < ssl_warning_days or expired        |
"""

from __future__ import annotations

from shared.thresholds import Thresholds

OK = "ok"
DEGRADED = "degraded"
DOWN = "down"
UNKNOWN = "unknown"
#: Nothing recorded for three intervals: the location went silent (``shared.staleness``).
STALE = "stale"
#: Inside a maintenance window (``shared.maintenance``): checked, recorded, not alerted, not in uptime.
MAINTENANCE = "maintenance"

#: Worst first; used to colour a history bucket by the worst status seen in it.
SEVERITY = {UNKNOWN: 0, OK: 1, DEGRADED: 2, DOWN: 3}


def from_latency(latency_ms: float, thresholds: Thresholds) -> str:
    """Ping and HTTP: a reply arrived; its latency decides."""
    if latency_ms <= thresholds.ok_ms:
        return OK
    if latency_ms <= thresholds.degraded_ms:
        return DEGRADED
    return DOWN


def from_ping(replies: int, sent: int, avg_latency_ms: float | None, thresholds: Thresholds) -> str:
    """Fewer than half the echoes answered is down whatever the latency of the rest."""
    if sent <= 0 or replies * 2 < sent or avg_latency_ms is None:
        return DOWN
    return from_latency(avg_latency_ms, thresholds)


#: A monitor's ``expected_status`` when it sets none: any answer below 400.
HTTP_OK_RANGES = ((200, 399),)


def from_http(status_code: int, latency_ms: float, thresholds: Thresholds, expected=HTTP_OK_RANGES) -> str:
    """A status outside ``expected`` (ranges of codes) is down whatever the latency."""
    if not any(low <= status_code <= high for low, high in expected):
        return DOWN
    return from_latency(latency_ms, thresholds)


def from_ssl_days(days_left: int, thresholds: Thresholds) -> str:
    """``days_left`` < 0 means expired, which is always down."""
    if days_left < 0:
        return DOWN
    if days_left >= thresholds.ssl_ok_days:
        return OK
    if days_left >= thresholds.ssl_warning_days:
        return DEGRADED
    return DOWN


def worst(statuses) -> str:
    result = UNKNOWN
    for status in statuses:
        if SEVERITY.get(status, 0) > SEVERITY[result]:
            result = status
    return result
