"""What others may see: a complainant's status by receipt code, and counts only."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import utcnow
from models.complaint import Complaint, VerificationCase
from models.enums import (
    AuditAction,
    CaseOutcome,
    CaseStatus,
    ComplaintChannel,
    ComplaintStatus,
    FindingCategory,
)
from models.unit import Unit
from qinglian.complaints.audit import audit_event, write_audit
from qinglian.complaints.parsing import receipt_hash
from qinglian.complaints.views import ComplaintCounts
from qinglian.core.errors import NotFoundError
from qinglian.org.units import unit_path

_PUBLIC_STATUS = {
    ComplaintStatus.received: "已受理 / received",
    ComplaintStatus.matched: "办理中 / being handled",
    ComplaintStatus.ambiguous: "办理中 / being handled",
    ComplaintStatus.unmatched: "办理中 / being handled",
    ComplaintStatus.cross_checked: "办理中 / being handled",
    ComplaintStatus.closed: "已办结 / concluded",
}


def complaint_status_by_receipt(*, session: Session, receipt_code: str) -> str:
    """The status of a complaint by its receipt code, and nothing else (bilingual).

    The stages of the investigation collapse into "being handled": a complainant learns that
    the complaint is alive, not whom it was matched to or what the check found.
    """
    code_hash = receipt_hash(receipt_code or "")
    row = session.execute(
        select(
            Complaint.id, Complaint.campaign_id, Complaint.status, Complaint.duplicate_of_id
        ).where(col(Complaint.receipt_code_hash) == code_hash)
    ).first()
    if row is None:
        raise NotFoundError("回执码无效", "unknown receipt code")
    complaint_id, campaign_id, status, original = row
    if original is not None:
        # A copy shares the fate of the complaint it copies.
        status = session.execute(
            select(Complaint.status).where(col(Complaint.id) == original)
        ).scalar_one()
    write_audit(
        session,
        [
            audit_event(
                campaign_id,
                AuditAction.receipt_lookup,
                "complainant",
                utcnow(),
                complaint_id=complaint_id,
                detail={},
            )
        ],
    )
    session.flush()
    return _PUBLIC_STATUS[ComplaintStatus(status)]


def complaint_counts(
    *, session: Session, campaign_id: int, unit_id: int | None = None
) -> ComplaintCounts:
    """How many complaints and cases, for the campaign or for a unit's subtree: counts only.

    A unit's view counts the complaints matched to cadres of its subtree.
    """
    base = select(
        Complaint.status,
        Complaint.channel,
        Complaint.alleged_category,
        Complaint.duplicate_of_id,
    ).where(col(Complaint.campaign_id) == campaign_id)
    if unit_id is not None:
        path = unit_path(session=session, unit_id=unit_id)
        base = (
            base.join(Cadre, col(Cadre.id) == Complaint.matched_cadre_id)
            .join(Unit, col(Unit.id) == Cadre.unit_id)
            .where(col(Unit.path).startswith(path))
        )
    counts = ComplaintCounts()
    by_status: Counter[ComplaintStatus] = Counter()
    by_channel: Counter[ComplaintChannel] = Counter()
    by_category: Counter[str] = Counter()
    for status, channel, category, duplicate_of_id in session.execute(base):
        if duplicate_of_id is not None:
            counts.duplicates += 1
            continue
        counts.total += 1
        by_status[ComplaintStatus(status)] += 1
        by_channel[ComplaintChannel(channel)] += 1
        by_category[FindingCategory(category).value if category else "unspecified"] += 1
    counts.by_status = dict(by_status)
    counts.by_category = dict(by_category)
    if unit_id is None:
        counts.by_channel = dict(by_channel)
    cases = select(VerificationCase.status, VerificationCase.outcome, func.count()).where(
        col(VerificationCase.campaign_id) == campaign_id
    )
    if unit_id is not None:
        cases = (
            cases.join(Cadre, col(Cadre.id) == VerificationCase.cadre_id)
            .join(Unit, col(Unit.id) == Cadre.unit_id)
            .where(col(Unit.path).startswith(unit_path(session=session, unit_id=unit_id)))
        )
    outcomes: Counter[CaseOutcome] = Counter()
    for status, outcome, number in session.execute(
        cases.group_by(col(VerificationCase.status), col(VerificationCase.outcome))
    ):
        if CaseStatus(status) is CaseStatus.open:
            counts.cases_open += number
        else:
            counts.cases_closed += number
        if outcome is not None:
            outcomes[CaseOutcome(outcome)] += number
    counts.outcomes = dict(outcomes)
    return counts
