"""A launched campaign, its phases, and every unit's deliverables with their deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Enum, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import GroupRole, Level


def utcnow() -> datetime:
    return datetime.now(UTC)


class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    template_key: str = Field(max_length=64)
    title: str = Field(max_length=300)
    root_unit_id: int = Field(foreign_key="unit.id", index=True)
    start_on: date
    completed_on: date | None = None  # set when the root's comprehensive report is produced
    report_path: str | None = Field(default=None, max_length=1000)
    # The day a replayed campaign (the demo) stands on: the portal shows it "as of" this day
    # instead of today in China. Unset for a live campaign.
    simulated_as_of: date | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    # How far down a phase's unit runs go (province … department, never the ministry): units
    # below it are rows in their parent run's table. Its value as text, so a new level needs no
    # change of column type; rows from before the column read institution.
    run_depth: Level = Field(
        default=Level.institution,
        sa_column=Column(
            Enum(
                Level,
                native_enum=False,
                length=16,
                values_callable=lambda levels: [level.value for level in levels],
            ),
            nullable=False,
            server_default=Level.institution.value,
        ),
    )


class Phase(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    key: str = Field(max_length=64)
    title: str = Field(max_length=100)
    seq: int
    starts_on: date
    ends_on: date


class DeliverableBase(SQLModel):
    kind: str = Field(max_length=64)
    title: str = Field(max_length=200)
    due_on: date
    submitted_on: date | None = None
    note: str = Field(default="", max_length=2000)


class Deliverable(DeliverableBase, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    phase_id: int = Field(foreign_key="phase.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recorded_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # The unit whose adopted plan (models.adopted_plan) ``due_on`` comes from: its own, or the
    # nearest ancestor's, cascaded down. NULL: the template's cascade from the campaign root.
    due_plan_unit_id: int | None = Field(default=None, foreign_key="unit.id")


class LeadingGroupMember(SQLModel, table=True):
    """A member of a unit's campaign leading group (领导小组)."""

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "role", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: GroupRole
    name: str = Field(max_length=100)
