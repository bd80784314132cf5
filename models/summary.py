"""Phase summaries (阶段性总结): computed figures per unit, and the narrative the unit writes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow
from models.enums import CaseOutcome, FindingSource, Level, RuleDecision
from models.rate import ReportingRate

NARRATIVE_MAX_CHARS = 20_000  # about ten pages of a 阶段性总结; anything longer is not a summary

SOURCE_LABELS = {
    FindingSource.self_declared.value: "个人报告自查",
    FindingSource.complaint.value: "信访举报",
    FindingSource.inspection.value: "检查组抽查",
    FindingSource.rule_review.value: "制度清理",
}
CASE_LABELS = {outcome.value: outcome.label for outcome in CaseOutcome} | {"open": "核实中"}
RULE_LABELS = {decision.value: decision.label for decision in RuleDecision} | {"undecided": "待定"}


class SummaryFigures(BaseModel):
    """What a unit (own) or its subtree did, as counts; adds up the tree."""

    deliverables: ReportingRate = PydanticField(default_factory=ReportingRate)
    forms: ReportingRate = PydanticField(default_factory=ReportingRate)
    findings_by_category: dict[str, int] = PydanticField(default_factory=dict)
    findings_by_source: dict[str, int] = PydanticField(default_factory=dict)
    cases_by_outcome: dict[str, int] = PydanticField(default_factory=dict)  # + "open"
    rectification_by_status: dict[str, int] = PydanticField(default_factory=dict)
    rectification_overdue: int = 0
    rules_by_decision: dict[str, int] = PydanticField(default_factory=dict)  # + "undecided"
    escalations: int = 0  # ladder steps queued about the unit's overdue items

    @property
    def findings(self) -> int:
        return sum(self.findings_by_category.values())

    @property
    def rectification_items(self) -> int:
        return sum(self.rectification_by_status.values())

    @property
    def rectified(self) -> int:
        return self.rectification_by_status.get("done", 0) + self.rectification_by_status.get(
            "verified", 0
        )

    def __add__(self, other: SummaryFigures) -> SummaryFigures:
        return SummaryFigures(
            deliverables=self.deliverables + other.deliverables,
            forms=self.forms + other.forms,
            findings_by_category=_sum(self.findings_by_category, other.findings_by_category),
            findings_by_source=_sum(self.findings_by_source, other.findings_by_source),
            cases_by_outcome=_sum(self.cases_by_outcome, other.cases_by_outcome),
            rectification_by_status=_sum(
                self.rectification_by_status, other.rectification_by_status
            ),
            rectification_overdue=self.rectification_overdue + other.rectification_overdue,
            rules_by_decision=_sum(self.rules_by_decision, other.rules_by_decision),
            escalations=self.escalations + other.escalations,
        )

    @classmethod
    def total(cls, items: Iterable[SummaryFigures]) -> SummaryFigures:
        result = cls()
        for item in items:
            result = result + item
        return result


def _sum(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    total: Counter[str] = Counter(left)
    total.update(right)
    return dict(total)


class UnitSummary(BaseModel):
    """A unit's phase summary: own and subtree figures, lagging children, its children's."""

    unit_id: int
    code: str
    name: str
    level: Level
    own: SummaryFigures
    subtree: SummaryFigures
    lagging: bool = False
    lagging_children: list[str] = PydanticField(default_factory=list)
    children: list[UnitSummary] = PydanticField(default_factory=list)


class PhaseSummary(SQLModel, table=True):
    """One unit's 阶段性总结 for one phase: figures as last computed, and its own narrative.

    ``figures`` is recomputed by each phase run (idempotent); the narrative is the unit's and
    only it changes it. Submitting the narrative is the unit's ``<phase>_summary`` deliverable.
    """

    __table_args__ = (UniqueConstraint("campaign_id", "phase_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    phase_id: int = Field(foreign_key="phase.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    lagging_children: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    computed_as_of: date | None = None
    narrative: str = Field(default="", sa_column=Column(Text, nullable=False))
    narrative_by: str = Field(default="", max_length=100)
    submitted_on: date | None = None
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
