"""Alerts: turning state changes into notifications, delivered at least once and at most once.

The pieces, in the order an alert travels through them:

- :mod:`shared.alerts.rules` decides which events a state change causes (pure functions).
- :mod:`shared.alerts.outbox` writes those events as ``AlertEvent`` rows in the same transaction as
  the state change, and keeps the delivery bookkeeping (claims, retries, giving up) on those rows.
- :mod:`shared.alerts.message` renders an event as the webhook JSON and the email of API.md.
- :mod:`shared.alerts.transports` sends a rendered event over one channel (webhook, email).

The Celery tasks that drive delivery are in ``worker/alerts.py``. Nothing here imports Celery, so
the agent gateway and the web app can write events and send test alerts without a broker.
"""
