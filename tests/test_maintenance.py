"""Maintenance windows as pure functions: occurrences in a named zone (across DST), coverage, overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import maintenance
from shared.maintenance import Window


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def recurring(recurrence: dict, monitor_ids=(1,), all_monitors=False, id=1) -> Window:
    return Window(id, all_monitors, frozenset(monitor_ids), recurrence=recurrence)


def one_off(start, end, monitor_ids=(1,), all_monitors=False, id=1) -> Window:
    return Window(id, all_monitors, frozenset(monitor_ids), start, end)


BERLIN_SUNDAY_0230 = {
    "weekdays": ["sun"],
    "time": "02:30",
    "duration_minutes": 60,
    "timezone": "Europe/Berlin",
}
BERLIN_CRON_0230 = {"cron": "30 2 * * 0", "duration_minutes": 60, "timezone": "Europe/Berlin"}
NY_DAILY_0130 = {"cron": "30 1 * * *", "duration_minutes": 90, "timezone": "America/New_York"}


@pytest.mark.parametrize(
    "recurrence,lo,hi,expected",
    [
        # Winter (CET, +01:00): 02:30 local is 01:30 UTC.
        (
            BERLIN_SUNDAY_0230,
            utc(2027, 1, 3),
            utc(2027, 1, 4),
            [(utc(2027, 1, 3, 1, 30), utc(2027, 1, 3, 2, 30))],
        ),
        # Summer (CEST, +02:00): 00:30 UTC.
        (
            BERLIN_SUNDAY_0230,
            utc(2027, 7, 4),
            utc(2027, 7, 5),
            [(utc(2027, 7, 4, 0, 30), utc(2027, 7, 4, 1, 30))],
        ),
        # Spring forward, 2027-03-28: 02:30 does not exist; read with the winter offset (01:30 UTC,
        # i.e. 03:30 CEST), lasting 60 real minutes.
        (
            BERLIN_SUNDAY_0230,
            utc(2027, 3, 28),
            utc(2027, 3, 29),
            [(utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 2, 30))],
        ),
        (
            BERLIN_CRON_0230,
            utc(2027, 3, 28),
            utc(2027, 3, 29),
            [(utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 2, 30))],
        ),
        # Fall back, 2027-10-31: 02:30 happens twice; the window is the first one (CEST, 00:30 UTC), once.
        (
            BERLIN_SUNDAY_0230,
            utc(2027, 10, 31),
            utc(2027, 11, 1),
            [(utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 1, 30))],
        ),
        (
            BERLIN_CRON_0230,
            utc(2027, 10, 31),
            utc(2027, 11, 1),
            [(utc(2027, 10, 31, 0, 30), utc(2027, 10, 31, 1, 30))],
        ),
        # The week around spring forward: the UTC start moves by an hour, the length stays.
        (
            BERLIN_CRON_0230,
            utc(2027, 3, 20),
            utc(2027, 4, 5),
            [
                (utc(2027, 3, 21, 1, 30), utc(2027, 3, 21, 2, 30)),
                (utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 2, 30)),
                (utc(2027, 4, 4, 0, 30), utc(2027, 4, 4, 1, 30)),
            ],
        ),
        # New York: 01:30 daily across fall back (2027-11-07: 01:30 EDT first, 05:30 UTC) and the
        # days around it (EDT -4 before, EST -5 after).
        (
            NY_DAILY_0130,
            utc(2027, 11, 6),
            utc(2027, 11, 9),
            [
                (utc(2027, 11, 6, 5, 30), utc(2027, 11, 6, 7, 0)),
                (utc(2027, 11, 7, 5, 30), utc(2027, 11, 7, 7, 0)),
                (utc(2027, 11, 8, 6, 30), utc(2027, 11, 8, 8, 0)),
            ],
        ),
        # An occurrence that started before lo but is still going is included.
        (
            BERLIN_SUNDAY_0230,
            utc(2027, 1, 3, 2),
            utc(2027, 1, 3, 3),
            [(utc(2027, 1, 3, 1, 30), utc(2027, 1, 3, 2, 30))],
        ),
        # Weekdays in a list, full names accepted by the schema and stored short.
        (
            {"weekdays": ["mon", "wed"], "time": "23:00", "duration_minutes": 120, "timezone": "UTC"},
            utc(2027, 1, 4),
            utc(2027, 1, 8),
            [(utc(2027, 1, 4, 23), utc(2027, 1, 5, 1)), (utc(2027, 1, 6, 23), utc(2027, 1, 7, 1))],
        ),
    ],
    ids=[
        "winter",
        "summer",
        "spring-forward-weekdays",
        "spring-forward-cron",
        "fall-back-weekdays",
        "fall-back-cron",
        "weeks-around-spring-forward",
        "new-york-fall-back",
        "started-before-lo",
        "two-weekdays-utc",
    ],
)
def test_occurrences(recurrence, lo, hi, expected):
    assert maintenance.occurrences(recurring(recurrence), lo, hi) == expected


@pytest.mark.parametrize(
    "window,monitor,at,expected",
    [
        (one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12)), 1, utc(2027, 1, 1, 10), True),  # start inclusive
        (one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12)), 1, utc(2027, 1, 1, 11, 59), True),
        (one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12)), 1, utc(2027, 1, 1, 12), False),  # end exclusive
        (one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12)), 1, utc(2027, 1, 1, 9, 59), False),
        (one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12)), 2, utc(2027, 1, 1, 11), False),  # other monitor
        (one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12), (), True), 99, utc(2027, 1, 1, 11), True),  # all
        (recurring(BERLIN_SUNDAY_0230), 1, utc(2027, 3, 28, 1, 30), True),
        (recurring(BERLIN_SUNDAY_0230), 1, utc(2027, 3, 28, 2, 29), True),
        (recurring(BERLIN_SUNDAY_0230), 1, utc(2027, 3, 28, 2, 30), False),
        (recurring(BERLIN_SUNDAY_0230), 1, utc(2027, 3, 28, 0, 30), False),  # summer-time slot, not yet
        (recurring(BERLIN_SUNDAY_0230), 1, utc(2027, 10, 31, 1, 0), True),
        (recurring(BERLIN_SUNDAY_0230), 1, utc(2027, 10, 31, 1, 45), False),  # the second 02:30: no
        (recurring(BERLIN_SUNDAY_0230), 1, utc(2027, 3, 29, 1, 45), False),  # a Monday
        # A cron every minute with a week-long duration: always on, and cheap to decide.
        (
            recurring({"cron": "* * * * *", "duration_minutes": 10080, "timezone": "UTC"}),
            1,
            utc(2027, 5, 5),
            True,
        ),
        # Starting late Saturday, running 30 h into Monday.
        (
            recurring({"weekdays": ["sat"], "time": "22:00", "duration_minutes": 1800}),
            1,
            utc(2027, 1, 4, 3),
            True,
        ),
        (
            recurring({"weekdays": ["sat"], "time": "22:00", "duration_minutes": 1800}),
            1,
            utc(2027, 1, 4, 4),
            False,
        ),
    ],
)
def test_in_maintenance(window, monitor, at, expected):
    assert maintenance.in_maintenance([window], monitor, at) is expected


def test_in_maintenance_over_several_windows():
    windows = [
        one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12), (1, 2), id=1),
        recurring({"cron": "0 3 * * *", "duration_minutes": 30, "timezone": "UTC"}, (3,), id=2),
    ]
    at = utc(2027, 1, 1, 11)
    assert [m for m in (1, 2, 3, 4) if maintenance.in_maintenance(windows, m, at)] == [1, 2]
    assert maintenance.covered(windows, [1, 2, 3, 4], utc(2027, 1, 1, 3, 10)) == {3}
    assert maintenance.covered(windows, [1, 2, 3, 4], utc(2027, 1, 1, 4)) == set()
    assert maintenance.in_maintenance([], 1, at) is False


def test_upcoming_lists_the_active_occurrence_then_the_next_ones():
    window = recurring(BERLIN_CRON_0230)
    now = utc(2027, 3, 28, 2)  # inside the spring-forward Sunday's window
    assert maintenance.upcoming(window, now, 3) == [
        (utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 2, 30)),
        (utc(2027, 4, 4, 0, 30), utc(2027, 4, 4, 1, 30)),
        (utc(2027, 4, 11, 0, 30), utc(2027, 4, 11, 1, 30)),
    ]
    yearly = recurring({"cron": "0 0 1 1 *", "duration_minutes": 60, "timezone": "UTC"})
    assert maintenance.upcoming(yearly, utc(2027, 6, 1), 2) == [
        (utc(2028, 1, 1), utc(2028, 1, 1, 1)),
        (utc(2029, 1, 1), utc(2029, 1, 1, 1)),
    ]
    past = one_off(utc(2027, 1, 1), utc(2027, 1, 2))
    assert maintenance.upcoming(past, utc(2027, 1, 3)) == []
    assert maintenance.upcoming(past, utc(2026, 1, 3)) == [(utc(2027, 1, 1), utc(2027, 1, 2))]


@pytest.mark.parametrize(
    "a,b,expected",
    [
        (
            one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12), (1,)),
            one_off(utc(2027, 1, 1, 11), utc(2027, 1, 1, 13), (1, 2)),
            True,
        ),
        (
            one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12), (1,)),
            one_off(utc(2027, 1, 1, 12), utc(2027, 1, 1, 13), (1,)),
            False,
        ),  # touching
        (
            one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12), (1,)),
            one_off(utc(2027, 1, 1, 11), utc(2027, 1, 1, 13), (2,)),
            False,
        ),  # other monitors
        (
            one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 12), (), True),
            one_off(utc(2027, 1, 1, 11), utc(2027, 1, 1, 13), (7,)),
            True,
        ),  # all
        (
            one_off(utc(2027, 1, 1, 9), utc(2027, 1, 1, 14), (1,)),
            one_off(utc(2027, 1, 1, 10), utc(2027, 1, 1, 11), (1,)),
            True,
        ),  # inside
        (
            recurring(BERLIN_CRON_0230),
            one_off(utc(2027, 1, 3), utc(2027, 1, 4), (1,)),
            False,
        ),  # recurring: not compared
    ],
)
def test_overlapping(a, b, expected):
    assert maintenance.overlapping(a, b) is expected
    assert maintenance.overlapping(b, a) is expected


@pytest.mark.parametrize("value", ["25:00", "24:00", "12:60", "2:00", "ab:cd", "", "12:00:00"])
def test_bad_times_of_day(value):
    with pytest.raises(ValueError):
        maintenance.parse_time(value)


def test_rollover_of_the_length_is_elapsed_time():
    # 01:00 local on fall-back day plus 3 h of real time ends at 03:00 CET (02:00 UTC), not 04:00.
    window = recurring({"cron": "0 1 31 10 *", "duration_minutes": 180, "timezone": "Europe/Berlin"})
    [(start, end)] = maintenance.occurrences(window, utc(2027, 10, 30), utc(2027, 11, 1))
    assert (start, end) == (utc(2027, 10, 30, 23), utc(2027, 10, 31, 2))
    assert end - start == timedelta(hours=3)


def test_a_cron_that_never_fires_is_never_active_and_never_raises():
    # The API refuses these; a stored one (older data) must still not break recording.
    window = recurring({"cron": "0 0 30 2 *", "duration_minutes": 60, "timezone": "UTC"})
    assert maintenance.in_maintenance([window], 1, utc(2027, 3, 1)) is False
    assert maintenance.occurrences(window, utc(2027, 1, 1), utc(2027, 12, 31)) == []
    assert maintenance.upcoming(window, utc(2027, 1, 1)) == []
