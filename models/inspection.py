"""Inspection sampling (检查组抽查): a drawn sample of units and the result of each visit.

A sample is keyed by (campaign, size, seed): drawing it again returns the same sample. Each
sampled unit gets one visit row, whose result (score, date, inspector, problem count) is
filled in when the inspection team reports; the problems themselves become findings.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow
from models.enums import FindingCategory, Level


class InspectionSampleBase(SQLModel):
    size: int = Field(ge=1, description="how many units were drawn")
    # BigInteger: a seed is whatever number the office wrote down, not a row id.
    seed: int = Field(sa_column=Column(BigInteger, nullable=False))
    drawn_on: date = Field(description="the as-of day the lagging units were read on")


class InspectionSample(InspectionSampleBase, table=True):
    __table_args__ = (UniqueConstraint("campaign_id", "size", "seed"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class InspectionVisitBase(SQLModel):
    stratum: Level
    lagging: bool = False
    weight: float = 1.0
    score: float | None = Field(default=None, ge=0, le=100, description="抽查得分, 0–100")
    inspected_on: date | None = None
    inspector: str = Field(default="", max_length=100, description="检查人 or 检查组")
    problems: int = Field(default=0, ge=0, description="problems found at the last recording")
    note: str = Field(default="", max_length=2000)


class InspectionVisit(InspectionVisitBase, table=True):
    __table_args__ = (UniqueConstraint("sample_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="inspectionsample.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)


class InspectionVisitPublic(InspectionVisitBase):
    id: int
    sample_id: int
    unit_id: int
    unit_code: str
    unit_name: str


class SamplePublic(InspectionSampleBase):
    """A sample and its units; ``created`` is False when an earlier draw was returned."""

    id: int
    campaign_id: int
    created: bool = True
    visits: list[InspectionVisitPublic] = Field(default_factory=list)


class ProblemIn(SQLModel):
    """A problem the inspection team found at a unit; it becomes a confirmed finding."""

    category: FindingCategory
    summary: str = Field(max_length=500, description="问题描述")
    staff_no: str | None = Field(default=None, max_length=64, description="工号, if a cadre's")
