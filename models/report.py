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
    """A unit named for what it lacks (lagging, or a plan later than its parent's), and why.

    ``code`` tells the report's own unit from the units it supervises (a unit never supervises
    itself). ``branch_code``/``branch_name`` name the report's direct child whose subtree holds
    the unit (the unit itself when it is one): the parent a long list is grouped under, as each
    level supervises the next (一级抓一级).
    """

    name: str
    reason: str
    code: str = ""
    branch_code: str = ""
    branch_name: str = ""
    overdue_items: int = 0
    open_findings: int = 0


class InspectionLine(BaseModel):
    """An inspected unit (检查组抽查) and its result, if recorded."""

    name: str
    score: float | None = None
    problems: int = 0


class BurnDownPoint(BaseModel):
    """Rectification items still open (not done or verified) on a day.

    ``open_items`` counts them all; ``inspection_open`` those of them the inspection phase found
    (检查发现), and ``inspection_found`` every item it had found by that day, open or done: the
    burn-down shows them as a series of their own, so findings that arrive late in the campaign
    do not read as a relapse of the units' own rectification.
    """

    day: date
    open_items: int
    inspection_open: int = 0
    inspection_found: int = 0

    @property
    def own_open(self) -> int:
        """Open items of the self-check, complaints and rules review (自查自纠等)."""
        return self.open_items - self.inspection_open


# The outbox's item keys start with their kind (qinglian.oversight.open_items), in report words.
REMINDER_KINDS = {"d": "材料报送", "r": "整改事项", "rr": "制度清理"}
OTHER_REMINDER_KIND = "其他事项"


class Reminders(BaseModel):
    """The ladder's reminders (催办) about items already overdue when reminded, in the subtree.

    Counted as distinct items and units, never as messages: one item climbs several steps and
    one digest carries many items. ``by_kind`` is items per kind (材料报送, 整改事项, 制度清理);
    ``messages`` the digests that carried them, a secondary figure.
    """

    items: int = 0
    units: int = 0
    by_kind: dict[str, int] = Field(default_factory=dict)
    messages: int = 0


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
    # Category label → source label → count: every findings table says where they came from.
    findings_by_category_source: dict[str, dict[str, int]] = Field(default_factory=dict)
    cases_by_outcome: dict[str, int] = Field(default_factory=dict)
    rectification_by_status: dict[str, int] = Field(default_factory=dict)
    rectification_overdue: int = 0
    burn_down: list[BurnDownPoint] = Field(default_factory=list)
    rules_by_decision: dict[str, int] = Field(default_factory=dict)
    reminders: Reminders = Field(default_factory=Reminders)
    lagging: list[LaggingLine] = Field(default_factory=list)
    # Units whose adopted plan sets deadlines later than their parent's (计划时限晚于上级要求).
    late_plans: list[LaggingLine] = Field(default_factory=list)
    inspections: list[InspectionLine] = Field(default_factory=list)
    children: list[ChildLine] = Field(default_factory=list)
    narratives: list[NarrativeLine] = Field(default_factory=list)
