"""What the written comprehensive report (书面综合情况报告) says, as plain data.

Collected from the database for one unit's subtree (``qinglian.reporting.document.data``) and rendered to
Markdown, Word and PDF (``qinglian.reporting.document``). Labels are already Chinese; there is no
complaint text and no complainant here, only counts.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from models.rate import ReportingRate


class PhaseLine(BaseModel):
    """One phase of the campaign as the unit's subtree lived it."""

    title: str
    starts_on: date
    ends_on: date
    deliverables: ReportingRate


class ChildLine(BaseModel):
    """A direct child unit's figures, for the per-child table and the reporting-rate chart."""

    name: str
    level_label: str
    deliverables: ReportingRate
    forms: ReportingRate | None = None
    findings: int = 0
    rectification_items: int = 0
    rectified: int = 0
    lagging: bool = False


class LaggingLine(BaseModel):
    """A lagging unit (工作滞后或问题较多) in the subtree, and why."""

    name: str
    reason: str


class InspectionLine(BaseModel):
    """An inspected unit (检查组抽查) and its result, if recorded."""

    name: str
    score: float | None = None
    problems: int = 0


class BurnDownPoint(BaseModel):
    """Rectification items still open (not done or verified) on a day."""

    day: date
    open_items: int


class NarrativeLine(BaseModel):
    """A phase summary's narrative as the unit wrote it (阶段性总结)."""

    phase_title: str
    text: str
    submitted_on: date | None = None


class ReportData(BaseModel):
    """Everything the report about one unit's subtree says."""

    campaign_title: str
    basis: str = ""
    unit_name: str
    unit_code: str
    parent_name: str | None = None  # the office the report goes up to (主送)
    as_of: date
    units: int
    cadres: int
    phases: list[PhaseLine] = Field(default_factory=list)
    leading_group: list[str] = Field(default_factory=list)  # "组长：张三" lines, root unit only
    deliverables: ReportingRate = Field(default_factory=ReportingRate)
    forms: ReportingRate | None = None
    # The unit's own missing reports (not its children's): who is named as behind.
    own_deliverables_missing: int = 0
    own_forms_missing: int = 0
    # Label → count, labels in Chinese, in display order.
    findings_by_category: dict[str, int] = Field(default_factory=dict)
    findings_by_source: dict[str, int] = Field(default_factory=dict)
    cases_by_outcome: dict[str, int] = Field(default_factory=dict)
    rectification_by_status: dict[str, int] = Field(default_factory=dict)
    rectification_overdue: int = 0
    burn_down: list[BurnDownPoint] = Field(default_factory=list)
    rules_by_decision: dict[str, int] = Field(default_factory=dict)
    escalations: int = 0  # ladder steps sent about the subtree's overdue items
    lagging: list[LaggingLine] = Field(default_factory=list)
    # Units whose adopted plan sets deadlines later than their parent's (计划时限晚于上级要求).
    late_plans: list[LaggingLine] = Field(default_factory=list)
    inspections: list[InspectionLine] = Field(default_factory=list)
    children: list[ChildLine] = Field(default_factory=list)
    narratives: list[NarrativeLine] = Field(default_factory=list)
