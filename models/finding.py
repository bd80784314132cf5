"""Findings (问题线索) and the rules review (制度清单)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow


class FindingSource(StrEnum):
    self_declared = "self_declared"
    complaint = "complaint"
    inspection = "inspection"
    rule_review = "rule_review"


class FindingCategory(StrEnum):
    relative_business = "relative_business"
    relative_foreign_post = "relative_foreign_post"
    concurrent_leadership = "concurrent_leadership"
    unapproved_or_paid_post = "unapproved_or_paid_post"
    post_retirement_employment = "post_retirement_employment"
    recusal_not_observed = "recusal_not_observed"
    concealment = "concealment"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    FindingCategory.relative_business: "亲属在管辖范围内从事药品、医疗器械销售等营利性活动",
    FindingCategory.relative_foreign_post: "亲属在管辖范围内外资合资医药企业担任外方委派高级职务",
    FindingCategory.concurrent_leadership: "兼任管辖范围内医疗卫生单位领导职务",
    FindingCategory.unapproved_or_paid_post: "未经批准兼职或兼职领取报酬",
    FindingCategory.post_retirement_employment: "离职退休三年内违规从业",
    FindingCategory.recusal_not_observed: "应回避未回避",
    FindingCategory.concealment: "弄虚作假、隐瞒不报",
}


class FindingStatus(StrEnum):
    open = "open"
    verifying = "verifying"
    confirmed = "confirmed"
    dismissed = "dismissed"
    rectifying = "rectifying"
    rectified = "rectified"
    closed = "closed"


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


class RuleDecision(StrEnum):
    keep = "keep"
    revise = "revise"
    abolish = "abolish"
    draft_new = "draft_new"

    @property
    def label(self) -> str:
        return {"keep": "保留", "revise": "修订", "abolish": "废止", "draft_new": "新建"}[
            self.value
        ]


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
