"""The escalation ladder (督办阶梯) and lagging units (工作滞后或问题较多). Pure: values in, values out.

A ladder is campaign data: each step says how many days after a deadline it comes (negative
before it, 0 on the day) and who is told. The default (DESIGN §6): the unit's office a few days
before and on the deadline; the unit head the day after; the parent unit's campaign office
(一级抓一级) after N days overdue; the discipline-inspection group (纪检) after M days.

:func:`due_steps` returns *every* step whose day has come, not only today's, so a sweep that was
skipped for a few days still catches up; the outbox sends each (item, step) once, by key.

A *lagging* unit is over the template's thresholds (:class:`LaggingThresholds`); a unit merely
*behind* (anything missing or overdue) is the phase roll-up's notion (:mod:`qinglian.rules.rollup`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.enums import LabelledEnum, labelled

STEP_KEY_PATTERN = r"^[a-z][a-z0-9_]*$"


class Audience(LabelledEnum):
    """Who a step tells, relative to the unit whose item it is."""

    office = "office"
    head = "head"
    parent_office = "parent_office"
    discipline = "discipline"


AUDIENCE_LABELS = labelled(
    Audience,
    {
        Audience.office: "本单位专项活动办公室",
        Audience.head: "单位负责人",
        Audience.parent_office: "上级专项活动办公室",
        Audience.discipline: "纪检监察组织",
    },
)


class LadderStep(BaseModel):
    """One rung: ``offset_days`` after the deadline (negative: before), tell ``audience``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=STEP_KEY_PATTERN, max_length=32)
    offset_days: int = Field(ge=-90, le=366)
    audience: Audience
    title: str = Field(min_length=1, max_length=50)

    def day(self, deadline: date) -> date:
        """The day this step comes for an item due on ``deadline``."""
        return deadline + timedelta(days=self.offset_days)


class Ladder(BaseModel):
    """The steps of a campaign's ladder, earliest first; keys are unique."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: tuple[LadderStep, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Ladder:
        keys = [step.key for step in self.steps]
        if len(set(keys)) != len(keys):
            raise ValueError("ladder step keys must be unique")
        offsets = [step.offset_days for step in self.steps]
        if offsets != sorted(offsets):
            raise ValueError("ladder steps must be listed earliest first (by offset_days)")
        return self

    @property
    def first_offset(self) -> int:
        return self.steps[0].offset_days

    def step(self, key: str) -> LadderStep:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)


def default_ladder(
    *, before_days: int = 3, parent_after_days: int = 7, discipline_after_days: int = 14
) -> Ladder:
    """DESIGN §6: before (``before_days``; 0 leaves it out) and on the deadline → office;
    the day after → head; ``parent_after_days`` overdue → parent office;
    ``discipline_after_days`` overdue → discipline-inspection group."""
    if not 1 < parent_after_days < discipline_after_days:
        raise ValueError("need 1 < parent_after_days < discipline_after_days")
    steps: list[LadderStep] = []
    if before_days > 0:
        steps.append(
            LadderStep(
                key="before",
                offset_days=-before_days,
                audience=Audience.office,
                title=f"{before_days}天后到期提醒",
            )
        )
    steps += [
        LadderStep(key="due", offset_days=0, audience=Audience.office, title="今日到期提醒"),
        LadderStep(key="overdue", offset_days=1, audience=Audience.head, title="逾期督办"),
        LadderStep(
            key="parent",
            offset_days=parent_after_days,
            audience=Audience.parent_office,
            title=f"逾期{parent_after_days}天，提请上级督办",
        ),
        LadderStep(
            key="discipline",
            offset_days=discipline_after_days,
            audience=Audience.discipline,
            title=f"逾期{discipline_after_days}天，移送纪检监察组织",
        ),
    ]
    return Ladder(steps=tuple(steps))


DEFAULT_LADDER = default_ladder()


class LadderConfig(BaseModel):
    """The optional ``ladder`` section of a campaign template.

    Either the default ladder's three numbers, or a full list of ``steps`` instead.
    """

    model_config = ConfigDict(extra="forbid")

    before_days: int = Field(default=3, ge=0, le=90)
    parent_after_days: int = Field(default=7, ge=2, le=366)
    discipline_after_days: int = Field(default=14, ge=3, le=366)
    steps: list[LadderStep] | None = None

    @model_validator(mode="after")
    def _check(self) -> LadderConfig:
        if self.steps is not None:
            fields = {"before_days", "parent_after_days", "discipline_after_days"}
            if self.model_fields_set & fields:
                raise ValueError("give either 'steps' or the default ladder's day counts, not both")
            Ladder(steps=tuple(self.steps))
        elif self.discipline_after_days <= self.parent_after_days:
            raise ValueError("discipline_after_days must come after parent_after_days")
        return self

    def ladder(self) -> Ladder:
        if self.steps is not None:
            return Ladder(steps=tuple(self.steps))
        return default_ladder(
            before_days=self.before_days,
            parent_after_days=self.parent_after_days,
            discipline_after_days=self.discipline_after_days,
        )


def due_steps(
    deadline: date, done_on: date | None, as_of: date, ladder: Ladder
) -> list[LadderStep]:
    """Every step whose day has come by ``as_of`` for an item due on ``deadline``.

    Nothing once the item is done by ``as_of`` (a completion dated later has not happened yet
    in a replayed campaign): a step missed while the item was open is moot once it is done.
    """
    if done_on is not None and done_on <= as_of:
        return []
    return list(ladder.steps[: steps_reached(ladder, (as_of - deadline).days)])


def steps_reached(ladder: Ladder, days_past_deadline: int) -> int:
    """How many of the ladder's steps have come when ``days_past_deadline`` (may be < 0)."""
    return bisect_right(_offsets(ladder), days_past_deadline)


@lru_cache(maxsize=64)
def _offsets(ladder: Ladder) -> tuple[int, ...]:
    return tuple(step.offset_days for step in ladder.steps)


def earliest_open_deadline(ladder: Ladder, as_of: date) -> date:
    """Items due after this day have no step yet on ``as_of`` (a bound for set-based queries)."""
    return as_of - timedelta(days=ladder.first_offset)


# --- lagging units -------------------------------------------------------------------------


class LaggingThresholds(BaseModel):
    """The optional ``lagging`` section of a campaign template: either threshold suffices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    overdue_items: int = Field(default=3, ge=1, description="overdue items of every kind")
    open_findings: int = Field(default=5, ge=1, description="findings not yet rectified")


class UnitLoad(BaseModel):
    """What weighs on one unit on ``as_of``."""

    model_config = ConfigDict(frozen=True)

    overdue_items: int = 0
    open_findings: int = 0


def is_lagging(load: UnitLoad, thresholds: LaggingThresholds) -> bool:
    """Over either threshold: overdue items of every kind, or findings not yet rectified."""
    return (
        load.overdue_items >= thresholds.overdue_items
        or load.open_findings >= thresholds.open_findings
    )


def lagging_units(loads: Mapping[int, UnitLoad], thresholds: LaggingThresholds) -> list[int]:
    """Ids of the lagging units, the heaviest first (overdue items, then open findings, then id)."""
    lagging = [unit_id for unit_id, load in loads.items() if is_lagging(load, thresholds)]
    return sorted(lagging, key=lambda u: (-loads[u].overdue_items, -loads[u].open_findings, u))
