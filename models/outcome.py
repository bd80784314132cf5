"""Small pydantic models that cross Prefect flow and task boundaries (ids, names, counts)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.enums import DeliverableStatus, Level
from models.rate import ReportingRate


class UnitRef(BaseModel):
    unit_id: int
    code: str
    name: str
    level: Level


class PhaseContext(BaseModel):
    campaign_id: int
    campaign_title: str
    phase_id: int
    phase_key: str
    phase_title: str
    phase_ends_on: date
    activities: list[str] = Field(default_factory=list)
    root: UnitRef
    run_depth: Level = Level.institution


class UnitRunInput(BaseModel):
    """What a unit's flow run needs; names are here so the run is named before it starts.

    The unit's figures are not parameters (they hold cadres' names): the run reads them from
    its phase pass (``pass_id``), computed before any unit run starts.
    """

    pass_id: int
    campaign_id: int
    phase_id: int
    phase_key: str
    phase_title: str
    activities: list[str] = Field(default_factory=list)
    unit: UnitRef
    as_of: date
    run_depth: Level = Level.institution


class UnitForms(BaseModel):
    """A unit's own declarations on ``as_of`` and the problems found in them."""

    rate: ReportingRate
    missing: list[str] = Field(default_factory=list, description="工号 姓名 of overdue forms")
    findings: dict[str, int] = Field(default_factory=dict, description="by category")
    new_findings: int = Field(default=0, description="found in the forms on the pass's day")


class UnitRectification(BaseModel):
    """A unit's own rectification items on ``as_of``: counts by status, and how many overdue."""

    by_status: dict[str, int] = Field(default_factory=dict)
    overdue: int = 0


class UnitOutcome(BaseModel):
    """A unit's result handed to its parent: its own rate, its subtree's, and by level."""

    unit: UnitRef
    own: ReportingRate
    subtree: ReportingRate
    by_level: dict[Level, ReportingRate] = Field(default_factory=dict)
    units: int = 1
    forms_own: ReportingRate | None = None
    forms: ReportingRate | None = Field(default=None, description="declarations of the subtree")
    findings: dict[str, int] = Field(default_factory=dict, description="subtree, by category")
    new_findings: int = Field(default=0, description="subtree, found on the pass's day")
    behind: list[str] = Field(
        default_factory=list, description="names of units behind: anything missing (capped)"
    )
    rectification: dict[str, int] = Field(
        default_factory=dict, description="subtree's rectification items by status"
    )
    rectification_overdue: int = 0
    behind_groups: dict[str, int] = Field(
        default_factory=dict, description="units behind in the subtree, by province · city"
    )


class DeliverableView(BaseModel):
    """A unit's deliverable as it stands on ``as_of``."""

    kind: str
    title: str
    due_on: date
    submitted_on: date | None
    status: DeliverableStatus


class UnitResult(BaseModel):
    """Everything a phase pass knows of one unit: its own figures and its subtree's outcome."""

    unit: UnitRef
    parent_id: int | None
    group: str = Field(default="", description="「省 · 市」 the unit sits in, for grouping")
    province: str = Field(default="", description="the province the unit sits in (or is)")
    children: list[int] = Field(default_factory=list, description="child unit ids, by code")
    deliverables: list[DeliverableView] = Field(default_factory=list)
    forms: UnitForms | None = None
    rectification: UnitRectification | None = None
    outcome: UnitOutcome
