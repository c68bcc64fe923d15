"""What alerts say: the webhook JSON, a subject that stays one line, escaped HTML, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.alerts.message import (
    Alert,
    CheckLine,
    History,
    html_body,
    one_line,
    subject,
    text_body,
    webhook_payload,
)

T0 = datetime(2026, 1, 26, 10, 30, 0, 123456, tzinfo=UTC)


def alert(**overrides) -> Alert:
    values = {
        "monitor": "API Server",
        "type": "http",
        "target": "https://api.example.com",
        "event": "down",
        "details": "HTTP 503",
        "timestamp": T0,
        "agent": "server",
    }
    return Alert(**{**values, **overrides})


def test_webhook_payload_is_exactly_the_documented_shape():
    assert webhook_payload(alert()) == {
        "monitor": "API Server",
        "type": "http",
        "target": "https://api.example.com",
        "event": "down",
        "details": "HTTP 503",
        "timestamp": "2026-01-26T10:30:00Z",
        "agent": "server",
    }


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "DOWN - API Server - server - http"),
        ({"event": "up"}, "UP - API Server - server - http"),
        ({"event": "degraded", "type": "ping"}, "DEGRADED - API Server - server - ping"),
        ({"event": "ssl_expiring", "type": "ssl", "agent": "eu-1"}, "SSL EXPIRING - API Server - eu-1 - ssl"),
        (
            {"event": "test", "monitor": "OnlineTracker test", "type": "test"},
            "TEST - OnlineTracker test - server - test",
        ),
        ({"monitor": "a\r\nBcc: x@y"}, "DOWN - a Bcc: x@y - server - http"),
        ({"monitor": "a\nb\rc\x00d\x1be\u2028f\x85g"}, "DOWN - a b c d e f g - server - http"),
        ({"monitor": "Сервер 東京 🚀"}, "DOWN - Сервер 東京 🚀 - server - http"),
        ({"agent": "evil\r\nX-Injected: 1"}, "DOWN - API Server - evil X-Injected: 1 - http"),
    ],
)
def test_subject(overrides, expected):
    text = subject(alert(**overrides))
    assert text == expected
    assert "\r" not in text and "\n" not in text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("plain", "plain"), ("  a\r\n\r\n b  ", "a b"), ("tab\there", "tab here"), ("", ""), (None, "")],
)
def test_one_line(raw, clean):
    assert one_line(raw) == clean


def test_html_body_escapes_every_piece_of_user_text():
    body = html_body(
        alert(
            monitor="<script>alert(1)</script>",
            target="https://x/?a=1&b=<i>",
            details='"quoted" & <b>bold</b>',
            agent="<agent>",
            history=History(24, {"down": 1}, [CheckLine(T0, "down", None, "<img src=x>")]),
        )
    )
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&amp;b=&lt;i&gt;" in body and "&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;" in body
    assert "<agent>" not in body and "<img" not in body and "&lt;img src=x&gt;" in body


def test_text_body_keeps_each_field_on_its_line():
    body = text_body(alert(details="line1\nFrom: forged"))
    assert "Details: line1 From: forged" in body
    assert "Time: 2026-01-26T10:30:00Z" in body and "Location: server" in body
    assert "\nFrom:" not in body


def test_unicode_names_survive_both_bodies():
    name = "Сервер 東京 🚀"
    a = alert(monitor=name)
    assert name in text_body(a) and name in html_body(a)


def test_history_summary_in_both_bodies():
    history = History(
        24,
        {"ok": 90, "degraded": 5, "down": 5},
        [CheckLine(T0, "down", None, "HTTP 503"), CheckLine(T0, "ok", 41.7, "HTTP 200")],
    )
    a = alert(history=history)
    summary = "Last 24 hours: 100 checks, 90 ok, 5 degraded, 5 down (95.0 % up)"
    for body in (text_body(a), html_body(a)):
        assert summary in body
        assert "HTTP 503" in body and "42 ms" in body
    assert "Last 24 hours" not in text_body(alert())


def test_history_without_checks():
    a = alert(history=History(24, {}, []))
    assert "Last 24 hours: 0 checks, 0 ok, 0 degraded, 0 down\n" in text_body(a)
    assert History(24, {}).uptime_percent is None
