"""A unit's own plan (实施方案) adopted for its subtree in a campaign, with its history.

Adopting again adds a version and marks the previous one replaced; the current plan is the one
not replaced. The plan as read is kept (``plan``), and so are the dates it resolved to
(``dues``, ``phases``): what the subtree's deadlines were computed from, so that a later
change of the parent's calendar does not silently move a relative deadline of this plan.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow


class PlanWindow(BaseModel):
    """A phase's window as a plan sets it; an end without a start starts after the phase before."""

    model_config = ConfigDict(frozen=True)

    start_on: date | None = None
    end_on: date | None = None


class LateItem(BaseModel):
    """A deadline of the plan later than the parent's for the same deliverable."""

    model_config = ConfigDict(frozen=True)

    kind: str
    title: str
    due_on: date
    parent_due_on: date


class AdoptedPlan(SQLModel, table=True):
    __tablename__ = "adopted_plan"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    version: int = Field(ge=1)
    source_name: str = Field(max_length=255)
    source_sha256: str = Field(max_length=64)
    # The ExtractedPlan as read (phases, deadlines with their sentences, unplaced sentences).
    plan: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What it resolved to: deliverable kind → ISO date; phase key → [start, end] (ISO or null).
    dues: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    phases: dict[str, list[str | None]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    allow_late: bool = False
    late_reason: str = Field(default="", max_length=2000)
    # The LateItem list when adopted with allow_late (计划时限晚于上级要求), else empty.
    late_items: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    adopted_by: str = Field(max_length=100)
    adopted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    replaced_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )

    def due_dates(self) -> dict[str, date]:
        return {kind: date.fromisoformat(day) for kind, day in self.dues.items()}

    def windows(self) -> dict[str, PlanWindow]:
        return {
            key: PlanWindow(
                start_on=date.fromisoformat(start) if start else None,
                end_on=date.fromisoformat(end) if end else None,
            )
            for key, (start, end) in self.phases.items()
        }

    def late(self) -> list[LateItem]:
        return [LateItem.model_validate(item) for item in self.late_items]
