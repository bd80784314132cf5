"""What leaves the complaints package: counts and views; only a case's detail carries the text."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, SecretStr

from models.enums import (
    CaseOutcome,
    CaseStatus,
    ComplaintChannel,
    ComplaintStatus,
    CrossCheckResult,
    FindingCategory,
)


class MatchCounts(BaseModel):
    """What one matching run did; ``comparisons`` is how many cadre scores were computed."""

    complaints: int = 0
    matched: int = 0
    ambiguous: int = 0
    unmatched: int = 0
    unknown_units: int = 0
    widened: int = 0
    linked_duplicates: int = 0
    comparisons: int = 0


class CrossCheckCounts(BaseModel):
    """What one cross-check run did (a re-run finds nothing left to do)."""

    complaints: int = 0
    concealment_suspected: int = 0
    no_form: int = 0
    declared: int = 0
    unspecified: int = 0
    findings_created: int = 0
    findings_linked: int = 0
    cases_opened: int = 0


class CaseView(BaseModel):
    """A verification case without anything of the complaint's text or its complainant."""

    id: int
    campaign_id: int
    complaint_id: int
    finding_id: int | None
    cadre_id: int
    managing_unit_id: int
    alleged_category: FindingCategory | None
    check_result: CrossCheckResult
    status: CaseStatus
    outcome: CaseOutcome | None
    outcome_reason: str
    decided_by: str | None
    decided_at: datetime | None
    opened_on: date


class ComplaintCopy(BaseModel):
    """One received copy of a complaint, decrypted for the discipline office."""

    complaint_id: int
    channel: ComplaintChannel
    received_on: date
    anonymous: bool
    content: SecretStr
    contact: SecretStr | None


class CaseDetail(CaseView):
    """The case as the verifying discipline office reads it; secrets stay masked in reprs."""

    accused_name: str = Field(repr=False)
    accused_unit: str = Field(repr=False)
    complaint: ComplaintCopy
    duplicates: list[ComplaintCopy] = []


class CandidateView(BaseModel):
    cadre_id: int
    score: float
    reason: str
    rank: int


class ReviewItem(BaseModel):
    """A complaint waiting for a person to say who it is about (no text, no complainant)."""

    complaint_id: int
    status: ComplaintStatus
    channel: ComplaintChannel
    received_on: date
    accused_name: str = Field(repr=False)
    accused_unit: str = Field(repr=False)
    match_reason: str
    candidates: list[CandidateView]


class ComplaintCounts(BaseModel):
    """Counts only; duplicates are counted once (in ``duplicates``, not in ``total``).

    For a unit's view (``unit_id`` given) the channels are left out: in a small unit a count by
    channel could point at the complainant.
    """

    total: int = 0
    duplicates: int = 0
    by_status: dict[ComplaintStatus, int] = {}
    by_channel: dict[ComplaintChannel, int] = {}
    by_category: dict[str, int] = {}
    cases_open: int = 0
    cases_closed: int = 0
    outcomes: dict[CaseOutcome, int] = {}
