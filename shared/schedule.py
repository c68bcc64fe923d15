"""When each monitor is due: pure functions of its id, its interval and the clock.

Each monitor has a fixed offset inside its interval derived from its id with the golden ratio, so
consecutive ids land far apart and any number of monitors spreads evenly over the interval (no
burst at :00). A check of monitor ``m`` is due at every epoch second ``t`` with
``t ≡ offset(m) (mod interval)``. The server's dispatcher and the agent use the same rule.
"""

from __future__ import annotations

import math

GOLDEN = 0.6180339887498949


def offset_for(monitor_id: int, interval_seconds: int) -> float:
    """Seconds into each interval at which this monitor is checked, in [0, interval)."""
    frac = (monitor_id * GOLDEN) % 1.0
    return frac * interval_seconds


def slots_between(monitor_id: int, interval_seconds: int, start: float, end: float) -> list[float]:
    """Every slot (epoch seconds) of the monitor with ``start <= slot < end``."""
    if end <= start:
        return []
    offset = offset_for(monitor_id, interval_seconds)
    k = math.ceil((start - offset) / interval_seconds)
    slots = []
    slot = k * interval_seconds + offset
    while slot < end:
        if slot >= start:
            slots.append(round(slot, 3))
        k += 1
        slot = k * interval_seconds + offset
    return slots


def next_slot(monitor_id: int, interval_seconds: int, now: float) -> float:
    """The first slot at or after ``now``."""
    offset = offset_for(monitor_id, interval_seconds)
    return math.ceil((now - offset) / interval_seconds) * interval_seconds + offset


def dispatch_window(
    watermark: float | None, now: float, lookahead: float, max_catchup: float
) -> tuple[float, float]:
    """The span of slots the next dispatch enqueues.

    It starts where the last dispatch stopped (so a late or restarted dispatcher leaves no gap and
    enqueues nothing twice), but never further back than ``max_catchup`` seconds (slots that old
    are missed, not run in a burst), and reaches ``lookahead`` seconds ahead of now. The very first
    dispatch starts at now: there is nothing to catch up on.
    """
    start = now if watermark is None else max(watermark, now - max_catchup)
    end = now + lookahead
    return start, max(start, end)


def check_expiry(slot: float, interval_seconds: int, grace: float) -> float:
    """A check that could not start by this time is dropped instead of piling up: within its own
    interval (so it never overlaps the next slot's check by much), but at least ``grace``
    seconds after its slot so a redelivered task from a crashed worker still runs."""
    return slot + max(interval_seconds, grace)
