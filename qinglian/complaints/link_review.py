"""The human side of linking: the proposals of one matter by two channels, and the decision.

A person confirms a proposed :class:`ComplaintLink` (:func:`confirm_link`) or rejects it with a
reason (:func:`reject_link`); either is final and audited. Confirmed, the two complaints are one
matter: the later joins the matter of the first (``same_matter_of_id``), is counted once, and
the matter has one verification case. When both already had a case, the later one still open
is closed as merged into the other (status ``merged``); a case already decided keeps its
outcome, and an open case of a matter already decided is merged into the decided one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from models.complaint import Complaint, ComplaintLink, VerificationCase
from models.enums import AuditAction, CaseStatus, ComplaintStatus, LinkStatus
from qinglian.complaints.audit import audit_event, require_aware, write_audit
from qinglian.complaints.views import LinkView
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.core.sql import chunked

_REASON_MAX = ComplaintLink.__table__.columns["reason"].type.length  # type: ignore[attr-defined]
_BY_MAX = ComplaintLink.__table__.columns["decided_by"].type.length  # type: ignore[attr-defined]


def list_links(
    *, session: Session, campaign_id: int, status: LinkStatus | None = None
) -> list[LinkView]:
    """The campaign's link proposals (or those of one status): ids, channels, dates, category."""
    query = select(ComplaintLink).where(col(ComplaintLink.campaign_id) == campaign_id)
    if status is not None:
        query = query.where(col(ComplaintLink.status) == status)
    links = list(session.exec(query.order_by(col(ComplaintLink.id))))
    return _views(session, links)


def confirm_link(
    *, session: Session, link_id: int, decided_by: str, decided_at: datetime
) -> LinkView:
    """A person says the two complaints are one matter: counted once, verified once.

    Confirming a confirmed link again changes nothing; a rejected one cannot be confirmed.
    """
    link = _decidable(session, link_id, decided_by, decided_at, LinkStatus.confirmed)
    if link.status is LinkStatus.confirmed:
        return _views(session, [link])[0]
    matter, folded, merged = _join_matters(session, link, decided_by.strip(), decided_at)
    link.status = LinkStatus.confirmed
    link.decided_by = decided_by.strip()
    link.decided_at = decided_at
    session.add(link)
    events = [
        audit_event(
            link.campaign_id,
            AuditAction.link_confirmed,
            link.decided_by,
            decided_at,
            complaint_id=link.other_id,
            detail={
                "link_id": link.id,
                "other_id": link.complaint_id,
                "matter_id": matter,
                "joined": folded,
                "merged_case_id": merged.id if merged else None,
            },
        )
    ]
    if merged is not None:
        events.append(
            audit_event(
                link.campaign_id,
                AuditAction.case_merged,
                link.decided_by,
                decided_at,
                complaint_id=merged.complaint_id,
                case_id=merged.id,
                detail={"merged_into_id": merged.merged_into_id, "link_id": link.id},
            )
        )
    write_audit(session, events)
    session.flush()
    return _views(session, [link])[0]


def reject_link(
    *, session: Session, link_id: int, decided_by: str, decided_at: datetime, reason: str
) -> LinkView:
    """A person says the two complaints are two matters; the pair is never proposed again.

    Rejecting again with the same reason changes nothing; a confirmed link cannot be rejected.
    """
    reason = (reason or "").strip()
    if not reason:
        raise QinglianError(
            "请填写不是同一事项的理由", "give the reason the two are not one matter"
        )
    if len(reason) > _REASON_MAX:
        raise QinglianError(
            f"理由过长（{len(reason)} 个字符，最多 {_REASON_MAX} 个）",
            f"the reason is too long ({len(reason)} characters, at most {_REASON_MAX})",
        )
    link = _decidable(session, link_id, decided_by, decided_at, LinkStatus.rejected)
    if link.status is LinkStatus.rejected:
        if link.reason != reason:
            raise QinglianError(
                f"关联 {link_id} 已判定为不是同一事项，理由不能更改",
                f"link {link_id} is already rejected; its reason cannot change",
            )
        return _views(session, [link])[0]
    link.status = LinkStatus.rejected
    link.decided_by = decided_by.strip()
    link.decided_at = decided_at
    link.reason = reason
    session.add(link)
    write_audit(
        session,
        [
            audit_event(
                link.campaign_id,
                AuditAction.link_rejected,
                link.decided_by,
                decided_at,
                complaint_id=link.other_id,
                detail={"link_id": link.id, "other_id": link.complaint_id},
            )
        ],
    )
    session.flush()
    return _views(session, [link])[0]


def _decidable(
    session: Session, link_id: int, decided_by: str, decided_at: datetime, wanted: LinkStatus
) -> ComplaintLink:
    """The link, checked: it exists, the decider is named, the time is aware, not decided
    otherwise before."""
    link = session.get(ComplaintLink, link_id, populate_existing=True)
    if link is None:
        raise NotFoundError(f"没有编号为 {link_id} 的关联建议", f"no link proposal {link_id}")
    by = (decided_by or "").strip()
    if not by:
        raise QinglianError("请填写确认人", "say who decided")
    if len(by) > _BY_MAX:
        raise QinglianError(
            f"确认人姓名最长 {_BY_MAX} 个字符",
            f"the decider's name is at most {_BY_MAX} characters",
        )
    require_aware(decided_at)
    if link.status not in (LinkStatus.proposed, wanted):
        raise QinglianError(
            f"关联 {link_id} 已判定为「{link.status.label}」，不能更改",
            f"link {link_id} is already {link.status.value}; the decision cannot change",
        )
    return link


def _join_matters(
    session: Session, link: ComplaintLink, decided_by: str, decided_at: datetime
) -> tuple[int, int, VerificationCase | None]:
    """Make the two complaints' matters one: (the matter's first complaint, the one that
    joined it, the case merged if any)."""
    first = _matter_of(session, link.complaint_id)
    second = _matter_of(session, link.other_id)
    if first.id == second.id:
        assert first.id is not None
        return first.id, first.id, None
    cases = {
        case.complaint_id: case
        for case in session.exec(
            select(VerificationCase).where(
                col(VerificationCase.complaint_id).in_([first.id, second.id]),
                col(VerificationCase.status) != CaseStatus.merged,
            )
        )
    }
    merged: VerificationCase | None = None
    if cases:
        # The matter keeps a decided case first, else the case opened first.
        keeping = min(cases.values(), key=lambda case: (case.status is CaseStatus.open, case.id))
        kept = first if keeping.complaint_id == first.id else second
        other = cases.get(second.id if kept is first else first.id)
        if other is not None and other.status is CaseStatus.open:
            merged = _merge_case(session, other, keeping, decided_by, decided_at)
    else:
        kept = min(first, second, key=lambda complaint: (complaint.received_on, complaint.id))
    joining = second if kept is first else first
    assert kept.id is not None and joining.id is not None
    session.execute(
        update(Complaint)
        .where(or_(col(Complaint.id) == joining.id, col(Complaint.same_matter_of_id) == joining.id))
        .values(same_matter_of_id=kept.id)
    )
    if kept.status is ComplaintStatus.closed:
        # The matter is decided already: what joins it is concluded with it.
        _close(session, matter_members(session, kept.id))
    return kept.id, joining.id, merged


def _matter_of(session: Session, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id, populate_existing=True)
    assert complaint is not None
    if complaint.same_matter_of_id is not None:
        complaint = session.get(Complaint, complaint.same_matter_of_id, populate_existing=True)
        assert complaint is not None
    return complaint


def _merge_case(
    session: Session,
    case: VerificationCase,
    into: VerificationCase,
    decided_by: str,
    decided_at: datetime,
) -> VerificationCase:
    case.status = CaseStatus.merged
    case.merged_into_id = into.id
    case.decided_by = decided_by
    case.decided_at = decided_at
    session.add(case)
    session.flush()
    # Cases merged into this one before now follow it: a merged case points at a live one.
    session.execute(
        update(VerificationCase)
        .where(col(VerificationCase.merged_into_id) == case.id)
        .values(merged_into_id=into.id)
    )
    return case


def matter_members(session: Session, complaint_id: int) -> list[int]:
    """The complaint, those confirmed as its matter, and the exact copies of all of them."""
    members = [
        complaint_id,
        *session.execute(
            select(Complaint.id).where(col(Complaint.same_matter_of_id) == complaint_id)
        ).scalars(),
    ]
    copies: list[int] = []
    for chunk in chunked(members):
        copies.extend(
            session.execute(
                select(Complaint.id).where(col(Complaint.duplicate_of_id).in_(chunk))
            ).scalars()
        )
    return [*members, *copies]


def _close(session: Session, complaint_ids: Sequence[int]) -> None:
    for chunk in chunked(list(complaint_ids)):
        session.execute(
            update(Complaint)
            .where(col(Complaint.id).in_(chunk))
            .values(status=ComplaintStatus.closed)
        )


def _views(session: Session, links: Sequence[ComplaintLink]) -> list[LinkView]:
    ids = sorted({i for link in links for i in (link.complaint_id, link.other_id)})
    facts: dict[int, tuple[Any, ...]] = {}
    for chunk in chunked(ids):
        query = select(
            Complaint.id,
            Complaint.channel,
            Complaint.received_on,
            Complaint.alleged_category,
            Complaint.matched_cadre_id,
            Complaint.accused_unit_id,
            Complaint.accused_name_raw,
        ).where(col(Complaint.id).in_(chunk))
        for complaint_id, *rest in session.connection().execute(query):
            facts[complaint_id] = tuple(rest)
    views = []
    for link in links:
        assert link.id is not None
        first, second = facts[link.complaint_id], facts[link.other_id]
        views.append(
            LinkView(
                id=link.id,
                campaign_id=link.campaign_id,
                complaint_id=link.complaint_id,
                other_id=link.other_id,
                status=link.status,
                channels=(first[0], second[0]),
                received_on=(first[1], second[1]),
                alleged_category=first[2],
                cadre_id=first[3],
                accused_unit_id=first[4] if not first[5] else None,
                proposed_at=link.proposed_at,
                decided_by=link.decided_by,
                decided_at=link.decided_at,
                reason=link.reason,
            )
        )
    return views
