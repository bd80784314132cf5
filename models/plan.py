"""A unit's own plan (实施方案) as extracted from the document it wrote: pydantic, no table.

Every extracted item keeps the sentence it came from, so an office can see why a date was read
the way it was; a date that could not be placed is listed with the reason, never guessed.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DateWindow(BaseModel):
    """The plan's overall window (从7月开始，12月底结束)."""

    model_config = ConfigDict(frozen=True)

    start_on: date | None = None
    end_on: date | None = None
    sentence: str


class ExtractedPhase(BaseModel):
    """A phase of the template, as the plan dates it.

    ``start_on`` is None when the plan gives only the end (（2012年12月底以前）): the phase then
    starts the day after the previous one ends. Both are None when the plan names the phase
    without a legible date (分为思想发动、学习讨论…五个阶段; (XX月10日一XX月29日)).
    """

    model_config = ConfigDict(frozen=True)

    key: str
    title: str = Field(description="the phase's name as the plan writes it")
    start_on: date | None = None
    end_on: date | None = None
    sentence: str


class RelativeRule(BaseModel):
    """A deadline counted from an event: 一周内 (7 calendar days), 三个工作日内 (3 working days)."""

    model_config = ConfigDict(frozen=True)

    anchor: Literal["phase_end", "deliverable"]
    anchor_key: str = Field(description="the phase key or the deliverable key counted from")
    days: int = Field(ge=0, le=366)
    working_days: bool = False


class ExtractedDeadline(BaseModel):
    """A template deliverable and when the plan wants it: a date, a rule relative to an event,
    or both (a rule resolved against a phase end the plan itself gives)."""

    model_config = ConfigDict(frozen=True)

    deliverable_key: str
    phase_key: str = Field(description="the template phase the deliverable belongs to")
    due_on: date | None = None
    relative: RelativeRule | None = None
    sentence: str

    @model_validator(mode="after")
    def _dated(self) -> ExtractedDeadline:
        if self.due_on is None and self.relative is None:
            raise ValueError("a deadline needs a date or a relative rule")
        return self


class UnplacedSentence(BaseModel):
    """A sentence that looks like it carries a date, but whose date was not used, and why."""

    model_config = ConfigDict(frozen=True)

    sentence: str
    reason_zh: str
    reason_en: str


class UnknownPhase(BaseModel):
    """A phase the plan names that the template does not have (check_plan refuses it)."""

    model_config = ConfigDict(frozen=True)

    title: str
    sentence: str


class ExtractedPlan(BaseModel):
    """What a plan document says, matched to a template; checked by ``check_plan``."""

    template_key: str
    year: int
    window: DateWindow | None = None
    phases: list[ExtractedPhase] = Field(default_factory=list)
    deadlines: list[ExtractedDeadline] = Field(default_factory=list)
    unplaced: list[UnplacedSentence] = Field(default_factory=list)
    unknown_phases: list[UnknownPhase] = Field(default_factory=list)
    phase_titles: dict[str, str] = Field(
        default_factory=dict, description="the template's phases in order, key → title"
    )
