"""Deliverable status on an as-of date, and the DHIS2-style roll-up."""

from datetime import date

import pytest

from models import DeliverableStatus as S
from models import Level
from models.outcome import UnitOutcome, UnitRef
from models.rate import ReportingRate
from qinglian.rules.rollup import roll_up
from qinglian.rules.scope import files_declaration, three_years_before
from qinglian.rules.status import deliverable_status

DUE = date(2012, 7, 31)


@pytest.mark.parametrize(
    ("submitted", "as_of", "expected"),
    [
        (None, date(2012, 7, 20), S.pending),
        (None, DUE, S.pending),  # the deadline day itself is still open
        (None, date(2012, 8, 1), S.missing),
        (date(2012, 7, 25), date(2012, 7, 26), S.on_time),
        (DUE, DUE, S.on_time),
        (date(2012, 8, 2), date(2012, 8, 10), S.late),
        (date(2012, 8, 2), date(2012, 8, 1), S.missing),  # not yet submitted on as_of
        (date(2012, 7, 25), date(2012, 7, 24), S.pending),  # replaying the past
    ],
)
def test_deliverable_status(submitted: date | None, as_of: date, expected: S) -> None:
    assert deliverable_status(DUE, submitted, as_of) is expected


@pytest.mark.parametrize(
    ("statuses", "expected", "received", "rate"),
    [
        ([], 0, 0, 1.0),
        ([S.on_time, S.on_time], 2, 2, 1.0),
        ([S.on_time, S.late, S.missing, S.pending], 4, 2, 2 / 3),  # pending is not yet due
        ([S.on_time, S.missing], 2, 1, 0.5),
        ([S.pending, S.pending], 2, 0, 1.0),  # nothing due yet
        ([S.missing], 1, 0, 0.0),
    ],
)
def test_reporting_rate_of_statuses(
    statuses: list[S], expected: int, received: int, rate: float
) -> None:
    result = ReportingRate.of(statuses)
    assert (result.expected, result.received, result.rate) == (expected, received, rate)


def _ref(unit_id: int, level: Level) -> UnitRef:
    return UnitRef(unit_id=unit_id, code=f"U{unit_id}", name=f"单位{unit_id}", level=level)


def test_roll_up_adds_children_subtrees_and_keeps_levels_apart() -> None:
    dept = roll_up(_ref(3, Level.department), ReportingRate.of([S.missing]), [])
    hospital = roll_up(_ref(2, Level.institution), ReportingRate.of([S.on_time, S.late]), [dept])
    city = roll_up(_ref(1, Level.city), ReportingRate.of([S.on_time, S.pending]), [hospital])

    assert city.subtree == ReportingRate(expected=5, on_time=2, late=1, missing=1, pending=1)
    assert city.units == 3
    assert city.by_level[Level.department].missing == 1
    assert city.by_level[Level.institution].late == 1
    assert city.by_level[Level.city].pending == 1
    assert city.behind == ["单位3"]


def test_units_behind_are_capped() -> None:
    leaves = [
        roll_up(_ref(i, Level.department), ReportingRate.of([S.missing]), []) for i in range(80)
    ]
    parent: UnitOutcome = roll_up(_ref(999, Level.institution), ReportingRate(), leaves)
    assert len(parent.behind) == 50
    assert parent.subtree.missing == 80


@pytest.mark.parametrize(
    ("left_on", "files"),
    [
        (None, True),
        (date(2012, 1, 1), True),
        (date(2009, 7, 16), True),  # exactly three years before the campaign start
        (date(2009, 7, 15), False),
        (date(2005, 3, 1), False),
    ],
)
def test_who_files_a_declaration(left_on: date | None, files: bool) -> None:
    assert files_declaration(left_on, date(2012, 7, 16)) is files


def test_three_years_before_a_leap_day() -> None:
    assert three_years_before(date(2012, 2, 29)) == date(2009, 2, 28)
