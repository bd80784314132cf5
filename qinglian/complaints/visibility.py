"""What others may see: a complainant's status by receipt code, and counts only."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import utcnow
from models.complaint import Complaint, ComplaintLink, VerificationCase
from models.enums import (
    AuditAction,
    CaseOutcome,
    CaseStatus,
    ComplaintChannel,
    ComplaintStatus,
    FindingCategory,
    LinkStatus,
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
            Complaint.id,
            Complaint.campaign_id,
            Complaint.status,
            Complaint.duplicate_of_id,
            Complaint.same_matter_of_id,
        ).where(col(Complaint.receipt_code_hash) == code_hash)
    ).first()
    if row is None:
        raise NotFoundError("回执码无效", "unknown receipt code")
    complaint_id, campaign_id, status, original, matter = row
    if original is not None:
        # A copy shares the fate of the complaint it copies.
        status, matter = session.execute(
            select(Complaint.status, Complaint.same_matter_of_id).where(
                col(Complaint.id) == original
            )
        ).one()
    if matter is not None:
        # So does a complaint confirmed as the same matter as another: one matter, one fate.
        status = session.execute(
            select(Complaint.status).where(col(Complaint.id) == matter)
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

    A matter is counted once: exact copies and complaints confirmed as the same matter as
    another are counted apart (``duplicates``, ``same_matter``). A unit's view counts the
    complaints matched to cadres of its subtree and those about its subtree's units as a whole.
    """
    base = select(
        Complaint.status,
        Complaint.channel,
        Complaint.alleged_category,
        Complaint.duplicate_of_id,
        Complaint.same_matter_of_id,
        Complaint.accused_name_raw,
    ).where(col(Complaint.campaign_id) == campaign_id)
    queries = [base]
    if unit_id is not None:
        path = unit_path(session=session, unit_id=unit_id)
        queries = [
            base.join(Cadre, col(Cadre.id) == Complaint.matched_cadre_id)
            .join(Unit, col(Unit.id) == Cadre.unit_id)
            .where(col(Unit.path).startswith(path)),
            base.join(Unit, col(Unit.id) == Complaint.accused_unit_id).where(
                col(Unit.path).startswith(path),
                col(Complaint.accused_name_raw) == "",
                col(Complaint.matched_cadre_id).is_(None),
            ),
        ]
    counts = ComplaintCounts()
    by_status: Counter[ComplaintStatus] = Counter()
    by_channel: Counter[ComplaintChannel] = Counter()
    by_category: Counter[str] = Counter()
    rows = [row for query in queries for row in session.execute(query)]
    for status, channel, category, duplicate_of_id, matter, name in rows:
        if duplicate_of_id is not None:
            counts.duplicates += 1
            continue
        if matter is not None:
            counts.same_matter += 1
            continue
        counts.total += 1
        counts.about_units += not name
        by_status[ComplaintStatus(status)] += 1
        by_channel[ComplaintChannel(channel)] += 1
        by_category[FindingCategory(category).value if category else "unspecified"] += 1
    counts.by_status = dict(by_status)
    counts.by_category = dict(by_category)
    if unit_id is None:
        counts.by_channel = dict(by_channel)
        counts.links_proposed = session.execute(
            select(func.count()).where(
                col(ComplaintLink.campaign_id) == campaign_id,
                col(ComplaintLink.status) == LinkStatus.proposed,
            )
        ).scalar_one()
    cases = select(VerificationCase.status, VerificationCase.outcome, func.count()).where(
        col(VerificationCase.campaign_id) == campaign_id
    )
    case_queries = [cases]
    if unit_id is not None:
        path = unit_path(session=session, unit_id=unit_id)
        case_queries = [
            cases.join(Cadre, col(Cadre.id) == VerificationCase.cadre_id)
            .join(Unit, col(Unit.id) == Cadre.unit_id)
            .where(col(Unit.path).startswith(path)),
            cases.join(Unit, col(Unit.id) == VerificationCase.accused_unit_id).where(
                col(Unit.path).startswith(path), col(VerificationCase.cadre_id).is_(None)
            ),
        ]
    outcomes: Counter[CaseOutcome] = Counter()
    grouped = [
        row
        for query in case_queries
        for row in session.execute(
            query.group_by(col(VerificationCase.status), col(VerificationCase.outcome))
        )
    ]
    for status, outcome, number in grouped:
        if CaseStatus(status) is CaseStatus.open:
            counts.cases_open += number
        elif CaseStatus(status) is CaseStatus.merged:
            counts.cases_merged += number
        else:
            counts.cases_closed += number
        if outcome is not None:
            outcomes[CaseOutcome(outcome)] += number
    counts.outcomes = dict(outcomes)
    return counts
