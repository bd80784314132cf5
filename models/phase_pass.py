"""A phase pass: one computation of a phase on a day, split into subtrees that can resume.

A phase run computes the phase set-based, subtree by subtree (by default one per province),
and stores each subtree's per-unit results here in one transaction. The unit runs in the
Prefect UI read and publish these rows; the phase rolls up from them. A re-run of a phase
that did not finish resumes its pass (finished subtrees are not computed again); a re-run of
a finished one starts the pass's next generation.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow


class PhasePass(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "phase_key", "as_of"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    phase_key: str = Field(max_length=64)
    as_of: date
    generation: int = Field(default=1, description="how many times the pass was started afresh")
    runs_down_to: str = Field(default="institution", max_length=16, description="run depth")
    finished: bool = False
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class PhaseSubtree(SQLModel, table=True):
    """One subtree of a pass: computed (its results stored), then published (its runs made)."""

    __table_args__ = (UniqueConstraint("pass_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    pass_id: int = Field(foreign_key="phasepass.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    units: int = 0
    computed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    published_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class PhaseUnitResult(SQLModel, table=True):
    """A unit's figures for the phase on the pass's day: its own, and rolled up (JSON)."""

    __table_args__ = (UniqueConstraint("pass_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    pass_id: int = Field(foreign_key="phasepass.id", index=True)
    subtree_id: int = Field(foreign_key="phasesubtree.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
