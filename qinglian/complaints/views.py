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
    LinkStatus,
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
    # Complaints naming no person, matched to the unit they name (counted in ``matched`` too).
    about_units: int = 0
    # New proposals that two complaints are one matter received by two channels.
    links_proposed: int = 0


class CrossCheckCounts(BaseModel):
    """What one cross-check run did (a re-run finds nothing left to do)."""

    complaints: int = 0
    concealment_suspected: int = 0
    no_form: int = 0
    declared: int = 0
    unspecified: int = 0
    unit_complaint: int = 0
    findings_created: int = 0
    findings_linked: int = 0
    cases_opened: int = 0


class CaseView(BaseModel):
    """A verification case without anything of the complaint's text or its complainant.

    A case about a unit as a whole has no ``cadre_id`` and names the ``accused_unit_id``; a
    case merged into another of the same matter (status ``merged``) says which.
    """

    id: int
    campaign_id: int
    complaint_id: int
    finding_id: int | None
    cadre_id: int | None
    accused_unit_id: int | None = None
    managing_unit_id: int
    alleged_category: FindingCategory | None
    check_result: CrossCheckResult
    status: CaseStatus
    outcome: CaseOutcome | None
    outcome_reason: str
    decided_by: str | None
    decided_at: datetime | None
    opened_on: date
    merged_into_id: int | None = None


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
    # Complaints a person confirmed as the same matter (ComplaintLink), with their copies.
    same_matter: list[ComplaintCopy] = []


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
    """Counts only; a matter is counted once.

    ``total`` counts matters: an exact copy (``duplicates``) and a complaint a person confirmed
    as the same matter as another (``same_matter``) are not in it. ``about_units`` are the
    complaints of ``total`` about a unit as a whole (反映单位). For a unit's view (``unit_id``
    given) the channels are left out: in a small unit a count by channel could point at the
    complainant; the proposals waiting for a person are the campaign office's.
    """

    total: int = 0
    duplicates: int = 0
    same_matter: int = 0
    about_units: int = 0
    links_proposed: int = 0
    by_status: dict[ComplaintStatus, int] = {}
    by_channel: dict[ComplaintChannel, int] = {}
    by_category: dict[str, int] = {}
    cases_open: int = 0
    cases_closed: int = 0
    cases_merged: int = 0
    outcomes: dict[CaseOutcome, int] = {}

    def headline(self) -> str:
        """收到举报N件（其中经确认为同一事项M件）…, in Chinese then English."""
        received = self.total + self.same_matter
        return (
            f"收到举报 {received} 件（其中经确认为同一事项 {self.same_matter} 件），"
            f"按 {self.total} 件计，其中反映单位 {self.about_units} 件；"
            f"另有重复件 {self.duplicates} 件不重复计数 / "
            f"{received} complaints received ({self.same_matter} confirmed as the same matter "
            f"as another), counted as {self.total}, {self.about_units} of them about a unit; "
            f"{self.duplicates} exact copies not counted again"
        )


class LinkView(BaseModel):
    """A proposed or decided link of two complaints as one matter: ids, channels, dates only."""

    id: int
    campaign_id: int
    complaint_id: int
    other_id: int
    status: LinkStatus
    channels: tuple[ComplaintChannel, ComplaintChannel]
    received_on: tuple[date, date]
    alleged_category: FindingCategory | None
    cadre_id: int | None
    accused_unit_id: int | None
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str

    @property
    def days_apart(self) -> int:
        return abs((self.received_on[1] - self.received_on[0]).days)
