"""The README's threshold table, boundary by boundary, with default and custom thresholds."""

from __future__ import annotations

import pytest

from shared import status
from shared.thresholds import Thresholds, resolve

DEFAULT = Thresholds()  # ok_ms 80, degraded_ms 200, ping_count 5, ssl 30/14 days
CUSTOM = Thresholds(ok_ms=20, degraded_ms=50, ping_count=4, ssl_ok_days=60, ssl_warning_days=7)


def test_defaults_are_the_documented_ones():
    assert DEFAULT == Thresholds(ok_ms=80, degraded_ms=200, ping_count=5, ssl_ok_days=30, ssl_warning_days=14)


@pytest.mark.parametrize(
    ("latency_ms", "thresholds", "expected"),
    [
        (0, DEFAULT, "ok"),
        (80, DEFAULT, "ok"),
        (80.001, DEFAULT, "degraded"),
        (200, DEFAULT, "degraded"),
        (200.001, DEFAULT, "down"),
        (5000, DEFAULT, "down"),
        (20, CUSTOM, "ok"),
        (20.001, CUSTOM, "degraded"),
        (50, CUSTOM, "degraded"),
        (50.001, CUSTOM, "down"),
        (80, CUSTOM, "down"),
    ],
)
def test_from_latency(latency_ms, thresholds, expected):
    assert status.from_latency(latency_ms, thresholds) == expected


@pytest.mark.parametrize(
    ("replies", "sent", "avg_ms", "thresholds", "expected"),
    [
        (5, 5, 1.0, DEFAULT, "ok"),
        (3, 5, 1.0, DEFAULT, "ok"),
        (2, 5, 1.0, DEFAULT, "down"),  # fewer than half, however fast the survivors were
        (1, 5, 1.0, DEFAULT, "down"),
        (0, 5, None, DEFAULT, "down"),
        (2, 4, 1.0, CUSTOM, "ok"),  # exactly half is not "fewer than half"
        (1, 4, 1.0, CUSTOM, "down"),
        (1, 2, 1.0, DEFAULT, "ok"),
        (1, 1, 1.0, DEFAULT, "ok"),
        (0, 0, None, DEFAULT, "down"),  # nothing sent proves nothing
        (5, 5, 80, DEFAULT, "ok"),
        (5, 5, 80.001, DEFAULT, "degraded"),
        (3, 5, 200, DEFAULT, "degraded"),
        (3, 5, 200.001, DEFAULT, "down"),
        (4, 4, 20, CUSTOM, "ok"),
        (4, 4, 20.001, CUSTOM, "degraded"),
        (2, 4, 50, CUSTOM, "degraded"),
        (2, 4, 50.001, CUSTOM, "down"),
        (5, 5, None, DEFAULT, "down"),  # no average to judge
    ],
)
def test_from_ping(replies, sent, avg_ms, thresholds, expected):
    assert status.from_ping(replies, sent, avg_ms, thresholds) == expected


@pytest.mark.parametrize(
    ("code", "latency_ms", "thresholds", "expected"),
    [
        (200, 10, DEFAULT, "ok"),
        (204, 80, DEFAULT, "ok"),
        (301, 10, DEFAULT, "ok"),
        (399, 10, DEFAULT, "ok"),
        (400, 10, DEFAULT, "down"),
        (404, 10, DEFAULT, "down"),
        (500, 10, DEFAULT, "down"),
        (503, 1, CUSTOM, "down"),
        (200, 80.001, DEFAULT, "degraded"),
        (200, 200, DEFAULT, "degraded"),
        (200, 200.001, DEFAULT, "down"),
        (399, 200.001, DEFAULT, "down"),
        (200, 20, CUSTOM, "ok"),
        (200, 20.001, CUSTOM, "degraded"),
        (200, 50, CUSTOM, "degraded"),
        (200, 50.001, CUSTOM, "down"),
    ],
)
def test_from_http(code, latency_ms, thresholds, expected):
    assert status.from_http(code, latency_ms, thresholds) == expected


@pytest.mark.parametrize(
    ("days", "thresholds", "expected"),
    [
        (365, DEFAULT, "ok"),
        (30, DEFAULT, "ok"),
        (29, DEFAULT, "degraded"),
        (14, DEFAULT, "degraded"),
        (13, DEFAULT, "down"),
        (0, DEFAULT, "down"),
        (-1, DEFAULT, "down"),
        (60, CUSTOM, "ok"),
        (59, CUSTOM, "degraded"),
        (7, CUSTOM, "degraded"),
        (6, CUSTOM, "down"),
        (-1, CUSTOM, "down"),
        (0, Thresholds(ssl_ok_days=0, ssl_warning_days=0), "ok"),  # expires today still counts
        (-1, Thresholds(ssl_ok_days=0, ssl_warning_days=0), "down"),  # expired is always down
    ],
)
def test_from_ssl_days(days, thresholds, expected):
    assert status.from_ssl_days(days, thresholds) == expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "unknown"),
        (["ok", "ok"], "ok"),
        (["ok", "degraded", "ok"], "degraded"),
        (["degraded", "down", "ok"], "down"),
        (["unknown", "ok"], "ok"),
    ],
)
def test_worst(statuses, expected):
    assert status.worst(statuses) == expected


@pytest.mark.parametrize(
    ("overrides", "defaults", "expected"),
    [
        (None, DEFAULT, DEFAULT),
        ({}, CUSTOM, CUSTOM),
        ({name: None for name in DEFAULT.as_dict()}, DEFAULT, DEFAULT),  # None means "use default"
        ({"ok_ms": 10}, DEFAULT, Thresholds(ok_ms=10)),
        ({"ok_ms": 0}, DEFAULT, Thresholds(ok_ms=0)),  # 0 is a value, not "unset"
        ({"degraded_ms": 500, "ping_count": None}, CUSTOM, Thresholds(20, 500, 4, 60, 7)),
        (CUSTOM.as_dict(), DEFAULT, CUSTOM),
        ({"ssl_warning_days": 3, "unrelated": 1}, DEFAULT, Thresholds(ssl_warning_days=3)),
    ],
)
def test_resolve(overrides, defaults, expected):
    assert resolve(overrides, defaults) == expected


def test_changing_a_default_moves_monitors_without_an_override():
    overrides = {"ok_ms": 30, "degraded_ms": None}
    assert resolve(overrides, Thresholds(degraded_ms=300)).degraded_ms == 300
    assert resolve(overrides, Thresholds(degraded_ms=400)).degraded_ms == 400
    assert resolve(overrides, Thresholds(ok_ms=99)).ok_ms == 30


@pytest.mark.parametrize(
    ("measured", "overrides", "expected"),
    [
        (100, None, "degraded"),  # default 80/200
        (100, {"ok_ms": 150}, "ok"),  # a custom ok_ms widens "ok"
        (100, {"degraded_ms": 90}, "down"),
    ],
)
def test_resolved_thresholds_drive_the_verdict(measured, overrides, expected):
    assert status.from_latency(measured, resolve(overrides, DEFAULT)) == expected


@pytest.mark.parametrize(
    "code, expected_ranges, verdict",
    [
        (404, ((404, 404),), "ok"),
        (200, ((201, 204), (301, 301)), "down"),
        (301, ((201, 204), (301, 301)), "ok"),
    ],
)
def test_from_http_with_expected_status(code, expected_ranges, verdict):
    assert status.from_http(code, 10, DEFAULT, expected_ranges) == verdict
