"""Where a recorded state change meets the alert outbox; used by the worker and the gateway alike.

``write_events`` runs inside the recording transaction (the outbox pattern); ``enqueue`` runs
after it committed, and is only a shortcut: the periodic sweep delivers whatever it misses.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.alerts import outbox


def write_events(session, transitions: Iterable) -> list[int]:
    """Stage the alert events of ``(monitor, transition)`` pairs; returns their ids."""
    transitions = list(transitions)
    if not transitions:
        return []
    settings = outbox.rules_settings(session)
    ids: list[int] = []
    for monitor, transition in transitions:
        ids += outbox.on_transition(session, monitor, transition, settings)
    return ids


def enqueue(event_ids: list[int]) -> None:
    if event_ids:
        from worker.alerts import enqueue as enqueue_alerts

        enqueue_alerts(event_ids)
