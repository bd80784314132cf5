"""Deadline rules: the Chinese working-day calendar and the cascade down the tree."""

from datetime import date

import pytest

from qinglian.rules.deadlines import cascade_deadline, relative_deadline, root_deadline
from qinglian.rules.workdays import is_working_day, previous_working_day, subtract_working_days


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2012, 8, 10), True),  # Friday
        (date(2012, 8, 11), False),  # Saturday
        (date(2012, 9, 29), True),  # Saturday made a working day for National Day (调休)
        (date(2012, 10, 1), False),  # National Day
        (date(2012, 10, 5), False),  # Friday inside the Golden Week
        (date(2012, 6, 22), False),  # Dragon Boat Festival (a Friday)
        (date(2012, 12, 31), True),  # Monday
        (date(2013, 1, 5), True),  # Saturday made a working day for New Year
    ],
)
def test_working_days_follow_the_official_calendar(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2012, 8, 10), 0, date(2012, 8, 10)),
        (date(2012, 8, 10), 2, date(2012, 8, 8)),
        (date(2012, 8, 13), 1, date(2012, 8, 10)),  # Monday back over a weekend
        (date(2012, 8, 12), 0, date(2012, 8, 10)),  # a Sunday rolls back to Friday first
        (date(2012, 10, 8), 1, date(2012, 9, 29)),  # over the Golden Week to the make-up Saturday
        (date(2012, 10, 8), 2, date(2012, 9, 28)),
        (date(2012, 10, 9), 4, date(2012, 9, 27)),
    ],
)
def test_subtract_working_days(day: date, count: int, expected: date) -> None:
    assert subtract_working_days(day, count) == expected


@pytest.mark.parametrize(
    ("root", "depth", "per_level", "not_before", "expected"),
    [
        # coi-2012: forms collected by 08-10 at the root; every level two working days earlier.
        (date(2012, 8, 10), 0, 2, None, date(2012, 8, 10)),
        (date(2012, 8, 10), 1, 2, None, date(2012, 8, 8)),
        (date(2012, 8, 10), 2, 2, None, date(2012, 8, 6)),
        (date(2012, 8, 10), 3, 2, None, date(2012, 8, 2)),
        (date(2012, 8, 10), 3, 2, date(2012, 8, 6), date(2012, 8, 6)),  # clamped to phase start
        (date(2012, 8, 10), 4, 2, date(2012, 8, 4), date(2012, 8, 6)),  # …its first working day
        (date(2012, 10, 8), 1, 1, None, date(2012, 9, 29)),  # holidays and 调休 count
        (date(2012, 8, 10), 5, 0, None, date(2012, 8, 10)),  # a template may not cascade
    ],
)
def test_cascade_deadline(
    root: date, depth: int, per_level: int, not_before: date | None, expected: date
) -> None:
    assert cascade_deadline(root, depth, per_level, not_before=not_before) == expected


def test_children_are_always_due_before_their_parents() -> None:
    dues = [cascade_deadline(date(2012, 12, 10), depth, 2) for depth in range(6)]
    assert dues == sorted(dues, reverse=True)
    assert len(set(dues)) == len(dues)


@pytest.mark.parametrize(
    ("template_date", "start", "expected"),
    [
        (date(2012, 8, 10), date(2012, 7, 16), date(2012, 8, 10)),  # the template's own start
        (date(2012, 8, 10), date(2012, 7, 23), date(2012, 8, 17)),  # a week later
        (date(2012, 8, 10), date(2012, 7, 17), date(2012, 8, 10)),  # lands on Saturday → Friday
    ],
)
def test_root_deadline_shifts_with_the_campaign_start(
    template_date: date, start: date, expected: date
) -> None:
    assert root_deadline(template_date, date(2012, 7, 16), start) == expected


def test_written_report_is_due_a_week_after_the_meeting() -> None:
    assert relative_deadline(date(2012, 7, 25), 7) == date(2012, 8, 1)


def test_previous_working_day_of_a_working_day_is_itself() -> None:
    assert previous_working_day(date(2012, 8, 9)) == date(2012, 8, 9)
