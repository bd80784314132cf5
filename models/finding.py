"""Findings (问题线索) and the rules review (制度清单)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow
from models.enums import FindingCategory, FindingSource, FindingStatus, RuleDecision


class Finding(SQLModel, table=True):
    """A problem clue about one cadre; ``fingerprint`` makes detection idempotent."""

    __table_args__ = (UniqueConstraint("campaign_id", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    source: FindingSource
    category: FindingCategory
    status: FindingStatus = FindingStatus.open
    summary: str = Field(default="", max_length=500)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fingerprint: str = Field(max_length=64)
    found_on: date
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class RuleReviewItem(SQLModel, table=True):
    """One rule in a unit's 制度清单 and what is to become of it, by when."""

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "title"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    title: str = Field(max_length=300)
    decision: RuleDecision
    reason: str = Field(default="", max_length=1000)
    due_on: date | None = None
    done_on: date | None = None
