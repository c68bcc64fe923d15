"""Retention: old results and rollups go, in batches; recent ones and longer-kept rollups stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from shared import recording, retention
from shared.checks import CheckResult as Outcome
from shared.db import make_engine, session_factory
from shared.models import AgentNonce, CheckResult, Monitor, Rollup

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_purge_keeps_what_each_view_needs(any_db_url, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 7)  # several batches even with a few rows
    engine = make_engine(any_db_url)
    sessions = session_factory(engine)
    with sessions() as session:
        monitor = Monitor(name="m", type="http", target="http://127.0.0.1/")
        session.add(monitor)
        session.commit()
        ages = [timedelta(hours=h) for h in (1, 24, 6 * 24)] + [
            timedelta(days=d) for d in (8, 10, 20, 40, 500, 900)
        ]
        for i, age in enumerate(ages * 3):
            recording.record(
                session, monitor, f"r{i}", NOW - age - timedelta(minutes=i), Outcome("ok", 10.0, "HTTP 200")
            )
        session.add(AgentNonce(nonce="a" * 32, seen_at=NOW - timedelta(hours=1)))
        session.add(AgentNonce(nonce="b" * 32, seen_at=NOW - timedelta(minutes=1)))
        session.commit()

        removed = retention.purge(session, NOW, timedelta(days=7))

        assert removed["results"] == 18  # 6 ages past 7 days, 3 results each
        oldest = session.scalar(select(func.min(CheckResult.checked_at)))
        assert NOW - oldest < timedelta(days=7)
        for resolution, keep in retention.ROLLUP_KEEP.items():
            starts = session.scalars(select(Rollup.bucket_start).where(Rollup.resolution == resolution)).all()
            assert starts and all(NOW - s <= keep for s in starts), resolution
        # The daily rollups still hold the year: 40 and 500 days back survive, 900 does not.
        daily = session.scalars(select(Rollup.bucket_start).where(Rollup.resolution == 86400)).all()
        assert any(NOW - s > timedelta(days=400) for s in daily)
        assert session.scalars(select(AgentNonce.nonce)).all() == ["b" * 32]
    engine.dispose()


def test_purge_removes_old_alert_events_pending_agents_and_sign_in_state(any_db_url, monkeypatch):
    """Review finding 9: alert events and connection requests used to be kept for ever."""
    from shared.models import AlertDelivery, AlertEvent, AuthFailure, PendingAgent

    monkeypatch.setattr(retention, "BATCH", 3)
    engine = make_engine(any_db_url)
    sessions = session_factory(engine)

    def event(session, age: timedelta, state: str = "sent") -> None:
        row = AlertEvent(
            event="down", monitor_name="m", monitor_type="http", target="t", created_at=NOW - age
        )
        session.add(row)
        session.flush()
        session.add(AlertDelivery(event_id=row.id, channel_name="Webhook", kind="webhook", state=state))

    with sessions() as session:
        for _ in range(7):
            event(session, timedelta(days=31))
        event(session, timedelta(days=29))
        event(session, timedelta(days=40), state="pending")
        session.add(
            PendingAgent(
                uuid="0" * 36, first_seen_at=NOW - timedelta(days=9), last_seen_at=NOW - timedelta(days=8)
            )
        )
        session.add(
            PendingAgent(
                uuid="1" * 36, first_seen_at=NOW - timedelta(days=9), last_seen_at=NOW - timedelta(hours=1)
            )
        )
        session.add(AuthFailure(scope="login-user", key="x", at=NOW - timedelta(days=2)))
        session.commit()
        removed = retention.purge(session, NOW, timedelta(days=7))
        assert removed["alert_events"] == 7 and removed["pending_agents"] == 1
        left = session.scalars(select(AlertEvent.created_at).order_by(AlertEvent.created_at)).all()
        assert [round((NOW - at) / timedelta(days=1)) for at in left] == [40, 29]  # pending one kept
        assert session.scalars(select(PendingAgent.uuid)).all() == ["1" * 36]
    engine.dispose()
