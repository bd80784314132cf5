"""Rectification (整改纠正): one item per confirmed finding, its extensions and verifications.

The measure, the responsible person, the deadline (限期整改) and the evidence are the unit's;
verification is the managing unit's (干部管理权限). History is kept: every extension and every
verification is a row of its own, nothing is overwritten.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow
from models.enums import RectificationStatus, VerificationOutcome


class RectificationItemBase(SQLModel):
    measure: str = Field(default="", max_length=1000, description="整改措施")
    responsible: str = Field(default="", max_length=100, description="责任人")
    due_on: date = Field(description="整改时限: the current deadline, extensions included")
    evidence: str = Field(default="", max_length=2000, description="整改证据")
    status: RectificationStatus = RectificationStatus.planned
    done_on: date | None = None


class RectificationItem(RectificationItemBase, table=True):
    __table_args__ = (UniqueConstraint("finding_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    finding_id: int = Field(foreign_key="finding.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    managing_unit_id: int = Field(foreign_key="unit.id", index=True)
    original_due_on: date
    verified_on: date | None = None
    verified_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class RectificationItemUpdate(SQLModel):
    measure: str | None = Field(default=None, max_length=1000)
    responsible: str | None = Field(default=None, max_length=100)
    evidence: str | None = Field(default=None, max_length=2000)


class RectificationItemPublic(RectificationItemBase):
    id: int
    campaign_id: int
    finding_id: int
    unit_id: int
    managing_unit_id: int
    original_due_on: date
    verified_on: date | None
    verified_by: str | None


class RectificationExtension(SQLModel, table=True):
    """One granted extension (延期): the deadline it moved, why, and who granted it."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="rectificationitem.id", index=True)
    old_due_on: date
    new_due_on: date
    reason: str = Field(max_length=1000)
    granted_by: str = Field(max_length=100)
    granted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class RectificationVerification(SQLModel, table=True):
    """One verification (验收) of a finished item by the managing unit."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="rectificationitem.id", index=True)
    outcome: VerificationOutcome
    verified_by: str = Field(max_length=100)
    verified_on: date
    note: str = Field(default="", max_length=2000)
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
