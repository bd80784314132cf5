"""The escalation ladder and lagging units: parametrised tables over pure rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from qinglian.campaigns.templates import CampaignTemplate, get_template
from qinglian.rules.ladder import (
    DEFAULT_LADDER,
    Audience,
    Ladder,
    LadderConfig,
    LadderStep,
    LaggingThresholds,
    UnitLoad,
    default_ladder,
    due_steps,
    earliest_open_deadline,
    is_lagging,
    lagging_units,
)

DUE = date(2012, 9, 14)


def _keys(deadline: date, done_on: date | None, as_of: date, ladder: Ladder) -> list[str]:
    return [step.key for step in due_steps(deadline, done_on, as_of, ladder)]


def _day(offset: int) -> date:
    return DUE + timedelta(days=offset)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-10, []),
        (-4, []),
        (-3, ["before"]),  # N=3 days before → the unit's office
        (-1, ["before"]),
        (0, ["before", "due"]),  # the deadline day itself → the office again
        (1, ["before", "due", "overdue"]),  # the day after → the unit head
        (6, ["before", "due", "overdue"]),
        (7, ["before", "due", "overdue", "parent"]),  # 7 days overdue → parent office
        (13, ["before", "due", "overdue", "parent"]),
        (14, ["before", "due", "overdue", "parent", "discipline"]),  # 14 → 纪检
        (200, ["before", "due", "overdue", "parent", "discipline"]),
    ],
)
def test_default_ladder_by_as_of(offset: int, expected: list[str]) -> None:
    assert _keys(DUE, None, _day(offset), DEFAULT_LADDER) == expected


@pytest.mark.parametrize(
    ("done", "as_of", "expected"),
    [
        (-5, 20, []),  # done before the deadline: nothing, ever
        (0, 0, []),  # done on the deadline day: the "due" reminder is moot
        (3, 20, []),  # done late: no further steps once it is done
        (3, 2, ["before", "due", "overdue"]),  # replaying the past: not done yet on as_of
        (30, 14, ["before", "due", "overdue", "parent", "discipline"]),
    ],
)
def test_done_items_climb_no_further(done: int, as_of: int, expected: list[str]) -> None:
    assert _keys(DUE, _day(done), _day(as_of), DEFAULT_LADDER) == expected


@pytest.mark.parametrize(
    ("sweeps", "expected_first_seen"),
    [
        # every day: each step the day it comes
        (
            list(range(-5, 16)),
            {"before": -3, "due": 0, "overdue": 1, "parent": 7, "discipline": 14},
        ),
        # skipped sweeps: a missed step is caught up at the next sweep, still exactly once
        (
            [-10, -2, 3, 9, 20],
            {"before": -2, "due": 3, "overdue": 3, "parent": 9, "discipline": 20},
        ),
        ([20], {"before": 20, "due": 20, "overdue": 20, "parent": 20, "discipline": 20}),
    ],
)
def test_skipped_sweeps_send_each_step_once(
    sweeps: list[int], expected_first_seen: dict[str, int]
) -> None:
    sent: dict[str, int] = {}
    for offset in sweeps:
        for key in _keys(DUE, None, _day(offset), DEFAULT_LADDER):
            sent.setdefault(key, offset)  # the outbox's unique key: queued once
    assert sent == expected_first_seen


@pytest.mark.parametrize(
    ("before", "parent", "discipline", "as_of", "expected"),
    [
        (5, 3, 10, -5, ["before"]),
        (5, 3, 10, -6, []),
        (0, 7, 14, -1, []),  # before_days=0: no early reminder
        (0, 7, 14, 0, ["due"]),
        (3, 2, 4, 2, ["before", "due", "overdue", "parent"]),
        (3, 2, 4, 4, ["before", "due", "overdue", "parent", "discipline"]),
        (3, 30, 60, 29, ["before", "due", "overdue"]),
    ],
)
def test_n_and_m_days(
    before: int, parent: int, discipline: int, as_of: int, expected: list[str]
) -> None:
    ladder = default_ladder(
        before_days=before, parent_after_days=parent, discipline_after_days=discipline
    )
    assert _keys(DUE, None, _day(as_of), ladder) == expected


def test_audiences_follow_the_design() -> None:
    audiences = {step.key: step.audience for step in DEFAULT_LADDER.steps}
    assert audiences == {
        "before": Audience.office,
        "due": Audience.office,
        "overdue": Audience.head,
        "parent": Audience.parent_office,
        "discipline": Audience.discipline,
    }
    assert earliest_open_deadline(DEFAULT_LADDER, DUE) == _day(3)


def _template(**extra: object) -> CampaignTemplate:
    base = get_template("coi-2012").model_dump(exclude={"ladder", "lagging"})
    return CampaignTemplate.model_validate({**base, **extra})


@pytest.mark.parametrize(
    ("section", "as_of", "expected"),
    [
        (None, 7, ["before", "due", "overdue", "parent"]),
        (
            {"parent_after_days": 3, "discipline_after_days": 5},
            3,
            ["before", "due", "overdue", "parent"],
        ),
        (
            {"parent_after_days": 3, "discipline_after_days": 5},
            5,
            ["before", "due", "overdue", "parent", "discipline"],
        ),
        ({"before_days": 0}, -1, []),
        (
            {
                "steps": [
                    {"key": "week", "offset_days": -7, "audience": "office", "title": "一周提醒"},
                    {"key": "late", "offset_days": 2, "audience": "parent_office", "title": "上报"},
                ]
            },
            2,
            ["week", "late"],
        ),
    ],
)
def test_per_campaign_override_in_the_template(
    section: dict[str, object] | None, as_of: int, expected: list[str]
) -> None:
    template = _template(ladder=section)
    ladder = template.ladder.ladder() if template.ladder else DEFAULT_LADDER
    assert _keys(DUE, None, _day(as_of), ladder) == expected


@pytest.mark.parametrize(
    "section",
    [
        {"parent_after_days": 10, "discipline_after_days": 5},
        {"parent_after_days": 1},
        {"before_days": -1},
        {"steps": []},
        {
            "steps": [
                {"key": "a", "offset_days": 2, "audience": "office", "title": "x"},
                {"key": "b", "offset_days": 1, "audience": "head", "title": "y"},
            ]
        },
        {
            "steps": [
                {"key": "a", "offset_days": 1, "audience": "office", "title": "x"},
                {"key": "a", "offset_days": 2, "audience": "head", "title": "y"},
            ]
        },
        {"steps": [{"key": "a", "offset_days": 1, "audience": "mayor", "title": "x"}]},
        {
            "parent_after_days": 5,
            "steps": [{"key": "a", "offset_days": 1, "audience": "office", "title": "x"}],
        },
        {"unknown": 1},
    ],
)
def test_invalid_ladders_are_refused(section: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _template(ladder=section)


def test_templates_without_the_sections_still_load() -> None:
    assert get_template("coi-2012").ladder is None
    assert get_template("conduct-2023").lagging is None
    assert LadderConfig().ladder() == DEFAULT_LADDER


LAGGING = LaggingThresholds()


@pytest.mark.parametrize(
    ("overdue", "findings", "thresholds", "expected"),
    [
        (0, 0, LAGGING, False),
        (2, 4, LAGGING, False),
        (3, 0, LAGGING, True),  # ≥ 3 overdue items
        (0, 5, LAGGING, True),  # ≥ 5 open findings
        (1, 1, LaggingThresholds(overdue_items=1, open_findings=9), True),
        (5, 1, LaggingThresholds(overdue_items=6, open_findings=2), False),
    ],
)
def test_is_lagging(
    overdue: int, findings: int, thresholds: LaggingThresholds, expected: bool
) -> None:
    assert (
        is_lagging(UnitLoad(overdue_items=overdue, open_findings=findings), thresholds) is expected
    )


def test_lagging_units_heaviest_first() -> None:
    loads = {
        1: UnitLoad(overdue_items=3, open_findings=0),
        2: UnitLoad(overdue_items=9, open_findings=1),
        3: UnitLoad(overdue_items=0, open_findings=7),
        4: UnitLoad(overdue_items=1, open_findings=1),
        5: UnitLoad(overdue_items=3, open_findings=2),
    }
    assert lagging_units(loads, LAGGING) == [2, 5, 1, 3]
    assert lagging_units({}, LAGGING) == []


def test_lagging_thresholds_in_the_template() -> None:
    template = _template(lagging={"overdue_items": 1, "open_findings": 2})
    assert template.lagging == LaggingThresholds(overdue_items=1, open_findings=2)
    with pytest.raises(ValidationError):
        _template(lagging={"overdue_items": 0})


def test_steps_are_values() -> None:
    step = LadderStep(key="x", offset_days=-2, audience=Audience.office, title="提醒")
    assert step.day(DUE) == _day(-2)
    with pytest.raises(ValidationError):
        Ladder(steps=())
