"""Complaints (信访举报), their candidate cadres, verification cases (调查核实) and the audit trail.

Confidentiality (保密纪律) is built into the tables: the complaint text and the complainant's
contact are stored only as Fernet ciphertext (``content_enc``, ``contact_enc``); duplicates are
found through a keyed digest, never by decrypting; the receipt code of an anonymous complainant
is kept only as its sha256. The accused's name and unit as written are kept in clear because
matching needs them, but no ``repr``/``str`` of a complaint shows them, nor any ciphertext.

A complaint names a person (被反映人), or only a unit: a complaint about the unit as a whole
(its 作风), stored with an empty ``accused_name_raw`` and the unit it names. Two complaints of
one matter arriving by two channels are linked by a person (:class:`ComplaintLink`); the later
one then points at the matter's first complaint (``same_matter_of_id``) and is counted once.
No Prefect here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    LargeBinary,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from models.campaign import utcnow
from models.enums import (
    AuditAction,
    CaseOutcome,
    CaseStatus,
    ComplaintChannel,
    ComplaintStatus,
    CrossCheckResult,
    FindingCategory,
    LinkStatus,
)


class Complaint(SQLModel, table=True):
    """One complaint as received; see the module docstring for what is never kept in clear."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "intake_key"),
        Index("ix_complaint_campaign_digest", "campaign_id", "content_digest"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    external_ref: str | None = Field(default=None, max_length=64, description="编号")
    # What makes a re-imported row the same row (None for complaints entered by hand).
    intake_key: str | None = Field(default=None, max_length=64)
    channel: ComplaintChannel
    received_on: date
    anonymous: bool = False
    receipt_code_hash: str | None = Field(default=None, max_length=64, index=True)
    accused_name_raw: str = Field(max_length=100, repr=False)
    accused_unit_raw: str = Field(default="", max_length=300, repr=False)
    accused_name_norm: str = Field(default="", max_length=100, index=True, repr=False)
    accused_unit_norm: str = Field(default="", max_length=300, repr=False)
    title_hint: str = Field(default="", max_length=20, repr=False)
    accused_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    alleged_category: FindingCategory | None = None
    alleged_category_raw: str = Field(default="", max_length=100, repr=False)
    content_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False), repr=False)
    contact_enc: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True), repr=False
    )
    content_digest: str = Field(max_length=64, repr=False)
    status: ComplaintStatus = Field(default=ComplaintStatus.received, index=True)
    duplicate_of_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    # The first complaint of the matter, once a person confirmed a link (ComplaintLink) to it.
    same_matter_of_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    matched_cadre_id: int | None = Field(default=None, foreign_key="cadre.id", index=True)
    match_score: float | None = None
    match_reason: str = Field(default="", max_length=500, repr=False)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )

    def __repr_args__(self) -> Any:
        # pydantic builds repr(), str() and rich's repr from this: only non-identifying fields.
        for name in ("id", "campaign_id", "channel", "status", "duplicate_of_id"):
            yield name, getattr(self, name, None)

    @property
    def about_unit(self) -> bool:
        """A complaint about a unit as a whole: it names no person (被反映人 empty)."""
        return not self.accused_name_raw

    def __repr__(self) -> str:
        return f"Complaint({', '.join(f'{k}={v!r}' for k, v in self.__repr_args__())})"

    def __str__(self) -> str:
        return f"举报件 #{self.id}（{self.status}）"


class ComplaintCandidate(SQLModel, table=True):
    """A cadre a complaint may be about, ranked by score; the reason never quotes the text."""

    __table_args__ = (UniqueConstraint("complaint_id", "rank"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    cadre_id: int = Field(foreign_key="cadre.id", index=True)
    score: float
    reason: str = Field(default="", max_length=200)
    rank: int


class VerificationCase(SQLModel, table=True):
    """调查核实 of one complaint, at the cadre's managing unit (干部管理权限).

    A complaint about a unit as a whole has no cadre: its case names the accused unit and sits
    at the level above it (the accused unit itself at the top of the tree), as a unit's
    leadership is managed there and the text never goes to the unit complained about.
    """

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    complaint_id: int = Field(foreign_key="complaint.id", unique=True)
    finding_id: int | None = Field(default=None, foreign_key="finding.id", index=True)
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id", index=True)
    accused_unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    managing_unit_id: int = Field(foreign_key="unit.id", index=True)
    alleged_category: FindingCategory | None = None
    check_result: CrossCheckResult
    status: CaseStatus = Field(default=CaseStatus.open, index=True)
    outcome: CaseOutcome | None = None
    outcome_reason: str = Field(default="", max_length=2000)
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    opened_on: date
    # The case of the same matter this one was merged into (status ``merged``).
    merged_into_id: int | None = Field(default=None, foreign_key="verificationcase.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ComplaintLink(SQLModel, table=True):
    """Two complaints that may be one matter received by two channels, for a person to decide.

    Proposed by the rule of :mod:`qinglian.complaints.linking` (same accused, same category,
    received within 30 days, different channels), once per pair: ``complaint_id`` is the
    smaller id. Nothing here quotes either complaint.
    """

    __table_args__ = (
        UniqueConstraint("complaint_id", "other_id"),
        CheckConstraint("complaint_id < other_id", name="ck_complaintlink_ordered"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    other_id: int = Field(foreign_key="complaint.id", index=True)
    status: LinkStatus = Field(default=LinkStatus.proposed, index=True)
    proposed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    reason: str = Field(default="", max_length=500)


class AuditEvent(SQLModel, table=True):
    """Who did what to which complaint or case, when; ``detail`` never holds plaintext."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=100)
    action: AuditAction
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="verificationcase.id", index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
