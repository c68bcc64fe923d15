"""Hand committed alert events to the ``alerts`` queue: the one way web, the gateway, beat and the
checks do it.

Importing this module is cheap: Celery and ``celeryconfig`` are loaded at the first call that has
events to send, so web and the gateway load them only when a state change needs an alert. Sending is
a shortcut only: the outbox's periodic sweep delivers whatever it misses (``worker.alerts``).
"""

from __future__ import annotations


def enqueue(event_ids: list[int]) -> None:
    """Call after the transaction that wrote ``event_ids`` committed; an empty list does nothing."""
    if event_ids:
        from worker.alerts import enqueue as enqueue_alerts

        enqueue_alerts(event_ids)
