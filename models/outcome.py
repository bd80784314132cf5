"""Small pydantic models that cross Prefect flow and task boundaries (ids, names, counts)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.enums import Level
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


class UnitRunInput(BaseModel):
    """What a unit's flow run needs; names are here so the run is named before it starts."""

    campaign_id: int
    phase_id: int
    phase_key: str
    phase_title: str
    activities: list[str] = Field(default_factory=list)
    unit: UnitRef
    as_of: date


class UnitForms(BaseModel):
    """A unit's own declarations on ``as_of`` and the problems found in them."""

    rate: ReportingRate
    missing: list[str] = Field(default_factory=list, description="工号 姓名 of overdue forms")
    findings: dict[str, int] = Field(default_factory=dict, description="by category")
    new_findings: int = 0


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
    new_findings: int = 0
    behind: list[str] = Field(
        default_factory=list, description="names of units behind: anything missing (capped)"
    )
    rectification: dict[str, int] = Field(
        default_factory=dict, description="subtree's rectification items by status"
    )
    rectification_overdue: int = 0
