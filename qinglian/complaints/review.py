"""The human side of matching: the queue of complaints waiting for a person, and the decision.

:func:`assign_complaint` is the human decision on who an ``ambiguous`` or ``unmatched``
complaint is about; matching never undoes it. Once assigned, the complaint's links to the same
matter received by another channel are proposed, as matching proposes them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.complaint import Complaint, ComplaintCandidate
from models.enums import AuditAction, ComplaintStatus
from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.complaints.audit import audit_event, require_aware, write_audit
from qinglian.complaints.linking import propose_links
from qinglian.complaints.views import CandidateView, ReviewItem
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.core.sql import chunked


def assign_complaint(
    *,
    session: Session,
    complaint_id: int,
    cadre_id: int,
    decided_by: str,
    decided_at: datetime,
) -> None:
    """A person's decision on who an ambiguous (or unmatched) complaint is about."""
    complaint = session.get(Complaint, complaint_id, populate_existing=True)
    if complaint is None:
        raise NotFoundError(f"没有编号为 {complaint_id} 的举报件", f"no complaint {complaint_id}")
    if complaint.status in (ComplaintStatus.cross_checked, ComplaintStatus.closed):
        raise QinglianError(
            "该举报件已进入核实，不能再改变对应的干部",
            "the complaint is already being verified; its cadre can no longer change",
        )
    cadre_path = session.exec(
        select(Unit.path).join(Cadre, col(Cadre.unit_id) == Unit.id).where(Cadre.id == cadre_id)
    ).first()
    campaign = get_campaign(session=session, campaign_id=complaint.campaign_id)
    root = campaign_root(session=session, campaign=campaign).path
    if cadre_path is None or not cadre_path.startswith(root):
        raise NotFoundError(
            f"本专项活动范围内没有编号为 {cadre_id} 的干部", f"no cadre {cadre_id} in this campaign"
        )
    require_aware(decided_at)
    previous = complaint.status
    complaint.status = ComplaintStatus.matched
    complaint.matched_cadre_id = cadre_id
    complaint.match_score = None
    complaint.match_reason = "人工认定"
    session.add(complaint)
    write_audit(
        session,
        [
            audit_event(
                complaint.campaign_id,
                AuditAction.assigned,
                decided_by,
                decided_at,
                complaint_id=complaint_id,
                detail={"cadre_id": cadre_id, "from": previous.value},
            )
        ],
    )
    session.flush()
    propose_links(
        session=session,
        campaign_id=complaint.campaign_id,
        complaint_ids=[complaint_id],
        actor=decided_by,
    )


def list_review_queue(*, session: Session, campaign_id: int) -> list[ReviewItem]:
    """The complaints waiting for a person (ambiguous, unmatched), with their candidates."""
    query = (
        select(Complaint)
        .where(
            col(Complaint.campaign_id) == campaign_id,
            col(Complaint.status).in_([ComplaintStatus.ambiguous, ComplaintStatus.unmatched]),
            col(Complaint.duplicate_of_id).is_(None),
        )
        .order_by(col(Complaint.id))
    )
    complaints = list(session.exec(query))
    candidates: defaultdict[int, list[CandidateView]] = defaultdict(list)
    for chunk in chunked([complaint.id for complaint in complaints]):
        rows = session.exec(
            select(ComplaintCandidate)
            .where(col(ComplaintCandidate.complaint_id).in_(chunk))
            .order_by(col(ComplaintCandidate.complaint_id), col(ComplaintCandidate.rank))
        )
        for row in rows:
            candidates[row.complaint_id].append(
                CandidateView(
                    cadre_id=row.cadre_id, score=row.score, reason=row.reason, rank=row.rank
                )
            )
    return [
        ReviewItem(
            complaint_id=complaint.id,
            status=complaint.status,
            channel=complaint.channel,
            received_on=complaint.received_on,
            accused_name=complaint.accused_name_raw,
            accused_unit=complaint.accused_unit_raw,
            match_reason=complaint.match_reason,
            candidates=candidates.get(complaint.id, []),
        )
        for complaint in complaints
        if complaint.id is not None
    ]
