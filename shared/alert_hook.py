"""Where a recorded state change meets the alert outbox; used by the worker, web and the gateway alike.

``write_events`` runs inside the recording transaction (the outbox pattern). Sending the events to
the ``alerts`` queue after the commit is the process layer's part (``worker.alert_queue.enqueue``):
this schema package imports no app.
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
