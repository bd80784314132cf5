"""Verification cases (核实): the outcome a discipline office records, and reading a case.

:func:`record_verification` closes a case with its outcome and moves its finding on. Only
:func:`read_case`, for the verifying discipline office, returns the complaint's text and the
complainant's contact; anyone else gets :class:`AccessDenied`.

A case about a unit as a whole has no cadre and no finding: it is read and closed like any
other. A case merged into another of the same matter (status ``merged``, see
:mod:`qinglian.complaints.link_review`) takes no outcome of its own: the other case's decides
for every complaint of the matter.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import SecretStr
from sqlalchemy import update
from sqlmodel import Session, col, select

from models.campaign import utcnow
from models.complaint import Complaint, VerificationCase
from models.enums import (
    AuditAction,
    CaseOutcome,
    CaseStatus,
    ComplaintStatus,
    FindingCategory,
    FindingSource,
    FindingStatus,
)
from models.finding import Finding
from qinglian.complaints import crypto
from qinglian.complaints.audit import audit_event, require_aware, write_audit
from qinglian.complaints.link_review import matter_members
from qinglian.complaints.views import CaseDetail, CaseView, ComplaintCopy
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.rules.text import normalise_text


class AccessDenied(QinglianError):
    """A reader who is not the verifying discipline office asked for a complaint's content."""

    def __init__(self) -> None:
        super().__init__(
            "无权查阅该核实案件（仅限负责核实的纪检监察部门）",
            "not permitted to read this verification case (the verifying discipline office only)",
        )


_OUTCOME_REASON_MAX = VerificationCase.__table__.columns["outcome_reason"].type.length  # type: ignore[attr-defined]


def record_verification(
    *,
    session: Session,
    case_id: int,
    outcome: CaseOutcome | str,
    reason: str,
    decided_by: str,
    decided_at: datetime,
) -> CaseView:
    """Close a case with its outcome (属实 / 部分属实 / 不属实) and move its finding on.

    A suspected-concealment finding becomes ``confirmed`` when any of its cases is
    substantiated or partly so (the reason kept in its evidence), ``dismissed`` when all of
    them are closed unsubstantiated. A linked self-declared finding is confirmed by a
    substantiated case and left as it is otherwise: the declaration stands on its own.
    Recording the same decision again changes nothing; a different one is refused.
    """
    case = session.get(VerificationCase, case_id, populate_existing=True)
    if case is None:
        raise NotFoundError(f"没有编号为 {case_id} 的核实案件", f"no verification case {case_id}")
    outcome = _parse_outcome(outcome)
    reason = (reason or "").strip()
    if not reason:
        raise QinglianError("请填写核实结论的理由", "give the reason for the outcome")
    if len(reason) > _OUTCOME_REASON_MAX:
        raise QinglianError(
            f"理由过长（{len(reason)} 个字符，最多 {_OUTCOME_REASON_MAX} 个）",
            f"the reason is too long ({len(reason)} characters, at most {_OUTCOME_REASON_MAX})",
        )
    if not decided_by.strip():
        raise QinglianError("请填写核实人", "say who decided")
    require_aware(decided_at)
    if case.status is CaseStatus.merged:
        raise QinglianError(
            f"核实案件 {case_id} 已并入核实案件 {case.merged_into_id}（同一事项），请在该案件登记结论",
            f"verification case {case_id} was merged into case {case.merged_into_id} (the same "
            "matter): record the outcome there",
        )
    if case.status is CaseStatus.closed:
        if case.outcome is outcome and case.outcome_reason == reason:
            return _case_view(case)
        raise QinglianError(
            f"核实案件 {case_id} 已办结（{case.outcome.label if case.outcome else ''}），不能更改结论",
            f"verification case {case_id} is already closed; its outcome cannot change",
        )
    case.status = CaseStatus.closed
    case.outcome = outcome
    case.outcome_reason = reason
    case.decided_by = decided_by.strip()
    case.decided_at = decided_at
    session.add(case)
    session.flush()
    finding_change = _settle_finding(session, case) if case.finding_id is not None else None
    # The complaint, its copies, and every complaint confirmed as the same matter.
    complaint_ids = matter_members(session, case.complaint_id)
    session.execute(
        update(Complaint)
        .where(col(Complaint.id).in_(complaint_ids))
        .values(status=ComplaintStatus.closed)
    )
    write_audit(
        session,
        [
            audit_event(
                case.campaign_id,
                AuditAction.verified,
                case.decided_by,
                decided_at,
                complaint_id=case.complaint_id,
                case_id=case.id,
                detail={
                    "outcome": outcome.value,
                    "finding_id": case.finding_id,
                    "finding_status": finding_change,
                    "complaints_closed": len(complaint_ids),
                },
            )
        ],
    )
    session.flush()
    return _case_view(case)


def _parse_outcome(value: CaseOutcome | str) -> CaseOutcome:
    if isinstance(value, CaseOutcome):
        return value
    text = re.sub(r"\s+", "", normalise_text(str(value))).casefold()
    for outcome in CaseOutcome:
        if text in (outcome.value, outcome.label):
            return outcome
    raise QinglianError(
        f"无法识别的核实结论「{value}」，应为：属实、部分属实、不属实",
        f"unrecognised outcome {str(value)!r}; expected substantiated, partly or unsubstantiated",
    )


def _settle_finding(session: Session, case: VerificationCase) -> str | None:
    finding = session.get(Finding, case.finding_id, populate_existing=True)
    if finding is None:
        return None
    # A merged case has no outcome of its own: the case it was merged into decides.
    cases = list(
        session.exec(
            select(VerificationCase).where(
                VerificationCase.finding_id == finding.id,
                col(VerificationCase.status) != CaseStatus.merged,
            )
        )
    )
    closed = [c for c in cases if c.status is CaseStatus.closed]
    upheld = [c for c in closed if c.outcome in (CaseOutcome.substantiated, CaseOutcome.partly)]
    evidence = dict(finding.evidence)
    evidence["verification"] = [
        {
            "case_id": c.id,
            "outcome": c.outcome.value if c.outcome else None,
            "reason": c.outcome_reason,
            "decided_on": c.decided_at.date().isoformat() if c.decided_at else None,
        }
        for c in sorted(closed, key=lambda c: c.id or 0)
    ]
    finding.evidence = evidence
    deciding = finding.status in (
        FindingStatus.open,
        FindingStatus.verifying,
        FindingStatus.dismissed,
    )
    if upheld and deciding:
        finding.status = FindingStatus.confirmed
        if finding.source is FindingSource.complaint:
            finding.category = FindingCategory.concealment
    elif finding.source is FindingSource.complaint and deciding and len(closed) == len(cases):
        finding.status = FindingStatus.dismissed
    elif finding.source is FindingSource.complaint and deciding:
        finding.status = FindingStatus.verifying
    session.add(finding)
    return finding.status.value


def _case_view(case: VerificationCase) -> CaseView:
    return CaseView.model_validate(case, from_attributes=True)


def list_cases(
    *, session: Session, campaign_id: int, office_unit_id: int, status: CaseStatus | None = None
) -> list[CaseView]:
    """The cases a discipline office verifies (those at its unit); no text, no complainant."""
    query = select(VerificationCase).where(
        col(VerificationCase.campaign_id) == campaign_id,
        col(VerificationCase.managing_unit_id) == office_unit_id,
    )
    if status is not None:
        query = query.where(col(VerificationCase.status) == status)
    return [_case_view(case) for case in session.exec(query.order_by(col(VerificationCase.id)))]


def read_case(
    *, session: Session, case_id: int, office_unit_id: int, reader: str = "discipline office"
) -> CaseDetail:
    """The case with the complaint decrypted, for the discipline office at its managing unit.

    Anyone else gets :class:`AccessDenied`, which says nothing about the case (not even
    whether it exists). Every reading is audited.
    """
    case = session.get(VerificationCase, case_id, populate_existing=True)
    if case is None or case.managing_unit_id != office_unit_id:
        if case is not None:
            write_audit(
                session,
                [
                    audit_event(
                        case.campaign_id,
                        AuditAction.case_read_denied,
                        reader,
                        utcnow(),
                        complaint_id=case.complaint_id,
                        case_id=case.id,
                        detail={"office_unit_id": office_unit_id},
                    )
                ],
            )
            # The refusal is recorded even though the caller's work is rolled back with it.
            session.commit()
        raise AccessDenied()
    complaint = session.get(Complaint, case.complaint_id, populate_existing=True)
    assert complaint is not None
    duplicates = list(
        session.exec(
            select(Complaint)
            .where(col(Complaint.duplicate_of_id) == complaint.id)
            .order_by(col(Complaint.id))
        )
    )
    # The same matter told by another channel is verified here too (the same accused, so the
    # same managing unit): this office reads it with the case.
    assert complaint.id is not None
    known = {complaint.id, *(duplicate.id for duplicate in duplicates)}
    others = [i for i in matter_members(session, complaint.id) if i not in known]
    same_matter = (
        list(
            session.exec(
                select(Complaint).where(col(Complaint.id).in_(others)).order_by(col(Complaint.id))
            )
        )
        if others
        else []
    )
    detail = CaseDetail(
        **_case_view(case).model_dump(),
        accused_name=complaint.accused_name_raw,
        accused_unit=complaint.accused_unit_raw,
        complaint=_copy(complaint),
        duplicates=[_copy(duplicate) for duplicate in duplicates],
        same_matter=[_copy(other) for other in same_matter],
    )
    write_audit(
        session,
        [
            audit_event(
                case.campaign_id,
                AuditAction.case_read,
                reader,
                utcnow(),
                complaint_id=case.complaint_id,
                case_id=case.id,
                detail={
                    "office_unit_id": office_unit_id,
                    "copies": 1 + len(duplicates) + len(same_matter),
                },
            )
        ],
    )
    session.flush()
    return detail


def _copy(complaint: Complaint) -> ComplaintCopy:
    assert complaint.id is not None
    return ComplaintCopy(
        complaint_id=complaint.id,
        channel=complaint.channel,
        received_on=complaint.received_on,
        anonymous=complaint.anonymous,
        content=SecretStr(crypto.decrypt(complaint.content_enc)),
        contact=SecretStr(crypto.decrypt(complaint.contact_enc)) if complaint.contact_enc else None,
    )
