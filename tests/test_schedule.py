"""Offsets, slots and dispatch windows: the scheduling rules, table-driven."""

from __future__ import annotations

import pytest

from shared import schedule
from worker.dispatch import due_checks


@pytest.mark.parametrize(
    "monitor_id,interval,expected",
    [
        (0, 60, 0.0),
        (1, 60, 37.082),
        (2, 60, 14.164),
        (3, 60, 51.246),
        (1, 10, 6.180),
        (1000, 86400, 0.0339887 * 86400),
    ],
)
def test_offsets_follow_the_golden_ratio(monitor_id, interval, expected):
    assert schedule.offset_for(monitor_id, interval) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("monitors,interval", [(100, 60), (2000, 60), (500, 300)])
def test_offsets_spread_evenly(monitors, interval):
    """No second of the interval gets much more than its fair share of checks."""
    per_second = [0] * interval
    for m in range(1, monitors + 1):
        per_second[int(schedule.offset_for(m, interval))] += 1
    assert max(per_second) <= 2 * (monitors / interval) + 1


@pytest.mark.parametrize(
    "start,end,expected",
    [
        (0, 60, [37.082]),
        (37.082, 37.083, [37.082]),  # start is inclusive
        (0, 37.082, []),  # end is exclusive
        (0, 180, [37.082, 97.082, 157.082]),
        (100, 100, []),
        (100, 90, []),
    ],
)
def test_slots_between(start, end, expected):
    assert schedule.slots_between(1, 60, start, end) == pytest.approx(expected, abs=0.001)


def test_consecutive_windows_cover_every_slot_once():
    slots = []
    watermark = None
    for now in range(1000, 1600, 5):
        start, end = schedule.dispatch_window(watermark, now, 10, 30)
        slots += schedule.slots_between(1, 60, start, end)
        watermark = end
    assert slots == sorted(set(slots))
    assert len(slots) == 10  # windows cover 1000 … 1605 s (10 s lookahead)


@pytest.mark.parametrize(
    "watermark,now,expected",
    [
        (None, 1000, (1000, 1010)),  # first dispatch: from now
        (1005, 1000, (1005, 1010)),  # on time: continue where the last one stopped
        (500, 1000, (970, 1010)),  # beat was down: older slots are missed, not burst
        (1020, 1000, (1020, 1020)),  # clock went back: nothing enqueued twice
    ],
)
def test_dispatch_window(watermark, now, expected):
    assert schedule.dispatch_window(watermark, now, 10, 30) == expected


@pytest.mark.parametrize(
    "slot,interval,grace,expected", [(100, 60, 90, 190), (100, 300, 90, 400), (100, 10, 90, 190)]
)
def test_check_expiry(slot, interval, grace, expected):
    assert schedule.check_expiry(slot, interval, grace) == expected


def test_due_checks_are_in_slot_order():
    due = due_checks([(1, 60), (2, 60), (3, 10)], 0, 60)
    assert [d[1] for d in due] == sorted(d[1] for d in due)
    assert {d[0] for d in due} == {1, 2, 3} and len([d for d in due if d[0] == 3]) == 6


@pytest.mark.parametrize("now", [0.0, 899.999, 900.0, 1e9 + 0.5])
def test_next_slot_is_at_or_after_now(now):
    slot = schedule.next_slot(7, 60, now)
    assert now <= slot < now + 60
    assert round((slot - schedule.offset_for(7, 60)) / 60, 6).is_integer()
