"""The cross-check (比对): each matched complaint's allegation against the cadre's declaration.

:func:`cross_check` records a suspected-concealment finding where the allegation was not
declared, and opens a :class:`VerificationCase` at the cadre's managing unit (干部管理权限).

A complaint about a unit as a whole has no declaration to compare: its case (check result
``unit_complaint``) opens at the level above the unit, where the unit's leadership is managed
and where the text does not reach the unit complained about; at the top of the tree, at the
unit itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import utcnow
from models.complaint import Complaint, VerificationCase
from models.enums import (
    CATEGORY_LABELS,
    AuditAction,
    CaseStatus,
    ComplaintStatus,
    CrossCheckResult,
    FindingCategory,
    FindingSource,
    FindingStatus,
)
from models.finding import Finding
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.complaints.audit import SYSTEM, audit_event, write_audit
from qinglian.complaints.store import insert_returning_ids
from qinglian.complaints.views import CrossCheckCounts
from qinglian.core.sql import chunked, insert_ignoring_duplicates
from qinglian.declarations.facts import current_forms
from qinglian.declarations.findings import finding_fingerprint, record_findings
from qinglian.rules.allegations import Assessment, assess_allegation
from qinglian.rules.detection import FormFacts


def cross_check(*, session: Session, campaign_id: int, as_of: date) -> CrossCheckCounts:
    """Compare each matched complaint's allegation with the cadre's current declaration.

    Alleged but not declared (or no form at all): a complaint-sourced ``concealment`` finding
    (one per cadre and alleged category; its summary names the category, nothing of the text).
    Alleged and declared: the self-declared finding of that category, if the rules found one,
    is linked; no new finding. Either way one verification case per complaint is opened at the
    cadre's managing unit. A complaint about a unit opens its case at the unit's managing level
    (:func:`unit_case_office`). Copies, and complaints a person confirmed as the same matter as
    another, are skipped: the matter has one case. A re-run changes nothing.
    """
    get_campaign(session=session, campaign_id=campaign_id)
    counts = CrossCheckCounts()
    session.flush()
    pending: list[tuple[int, int, FindingCategory | None]] = []
    about_units: list[tuple[int, int, FindingCategory | None]] = []
    for (
        complaint_id,
        cadre_id,
        unit_id,
        name,
        alleged,
        original,
        matter,
    ) in session.connection().execute(
        select(
            Complaint.id,
            Complaint.matched_cadre_id,
            Complaint.accused_unit_id,
            Complaint.accused_name_raw,
            Complaint.alleged_category,
            Complaint.duplicate_of_id,
            Complaint.same_matter_of_id,
        )
        .where(
            col(Complaint.campaign_id) == campaign_id,
            col(Complaint.status) == ComplaintStatus.matched,
        )
        .order_by(col(Complaint.id))
    ):
        if original is not None or matter is not None:
            continue
        category = FindingCategory(alleged) if alleged else None
        if cadre_id is not None:
            pending.append((complaint_id, cadre_id, category))
        elif not name and unit_id is not None:
            about_units.append((complaint_id, unit_id, category))
    if not pending and not about_units:
        return counts
    with_case = _complaints_with_cases(session, [row[0] for row in (*pending, *about_units)])
    pending = [row for row in pending if row[0] not in with_case]
    about_units = [row for row in about_units if row[0] not in with_case]
    cadre_ids = sorted({cadre_id for _, cadre_id, _ in pending})
    cadres = _cadre_units(session, cadre_ids)
    forms = current_forms(session=session, campaign_id=campaign_id, cadre_ids=cadre_ids)

    assessments: list[tuple[int, int, FindingCategory | None, Assessment]] = []
    for complaint_id, cadre_id, alleged in pending:
        assessment = assess_allegation(alleged, forms.get(cadre_id), as_of)
        assessments.append((complaint_id, cadre_id, alleged, assessment))
        setattr(counts, assessment.result.value, getattr(counts, assessment.result.value) + 1)
    counts.complaints = len(assessments)

    concealment = _concealment_findings(session, campaign_id, assessments, cadres, forms, as_of)
    counts.findings_created = concealment.created
    declared = _declared_findings(session, campaign_id, assessments, forms, as_of)

    now = utcnow()
    case_rows: list[dict[str, Any]] = []
    for complaint_id, cadre_id, alleged, assessment in assessments:
        if assessment.suspects_concealment:
            finding_id = concealment.ids[(cadre_id, _concealment_key(alleged))]
        else:
            finding_id = declared.get((cadre_id, alleged)) if alleged else None
            counts.findings_linked += finding_id is not None
        case_rows.append(
            _case_row(
                campaign_id,
                complaint_id,
                alleged,
                assessment.result,
                cadres[cadre_id][1],
                as_of,
                now,
                finding_id=finding_id,
                cadre_id=cadre_id,
            )
        )
    offices = unit_case_office(session, sorted({unit_id for _, unit_id, _ in about_units}))
    for complaint_id, unit_id, alleged in about_units:
        case_rows.append(
            _case_row(
                campaign_id,
                complaint_id,
                alleged,
                CrossCheckResult.unit_complaint,
                offices[unit_id],
                as_of,
                now,
                accused_unit_id=unit_id,
            )
        )
    counts.unit_complaint = len(about_units)
    counts.complaints += len(about_units)
    if not case_rows:
        return counts
    case_ids = insert_returning_ids(session, VerificationCase, case_rows, key="complaint_id")
    counts.cases_opened = len(case_ids)
    for chunk in chunked([row["complaint_id"] for row in case_rows]):
        session.execute(
            update(Complaint)
            .where(col(Complaint.id).in_(chunk))
            .values(status=ComplaintStatus.cross_checked)
        )
    # One event per complaint for the step: the check, its result and the case it opened.
    events = [
        audit_event(
            campaign_id,
            AuditAction.cross_checked,
            SYSTEM,
            now,
            complaint_id=row["complaint_id"],
            case_id=case_id,
            detail={
                "result": row["check_result"].value,
                "finding_id": row["finding_id"],
                "alleged_category": row["alleged_category"].value
                if row["alleged_category"]
                else None,
                "case_opened_at": row["managing_unit_id"],
                "cadre_id": row["cadre_id"],
                "unit_id": row["accused_unit_id"],
                "as_of": as_of.isoformat(),
            },
        )
        for case_id, row in zip(case_ids, case_rows, strict=True)
    ]
    write_audit(session, events)
    session.flush()
    return counts


def _case_row(
    campaign_id: int,
    complaint_id: int,
    alleged: FindingCategory | None,
    result: CrossCheckResult,
    managing_unit_id: int,
    as_of: date,
    now: Any,
    *,
    finding_id: int | None = None,
    cadre_id: int | None = None,
    accused_unit_id: int | None = None,
) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "complaint_id": complaint_id,
        "finding_id": finding_id,
        "cadre_id": cadre_id,
        "accused_unit_id": accused_unit_id,
        "managing_unit_id": managing_unit_id,
        "alleged_category": alleged,
        "check_result": result,
        "status": CaseStatus.open,
        "outcome": None,
        "outcome_reason": "",
        "decided_by": None,
        "decided_at": None,
        "opened_on": as_of,
        "merged_into_id": None,
        "created_at": now,
    }


def unit_case_office(session: Session, unit_ids: Sequence[int]) -> dict[int, int]:
    """unit id → the unit whose discipline office verifies complaints about it as a whole.

    The level above (a unit's leadership is managed there, 干部管理权限, and the complaint does
    not reach the unit it is about); the unit itself where nothing is above it. A department's
    complaints go to its institution, as its head's do.
    """
    found: dict[int, int] = {}
    for chunk in chunked(unit_ids):
        query = select(Unit.id, Unit.parent_id).where(col(Unit.id).in_(chunk))
        for unit_id, parent_id in session.connection().execute(query):
            found[unit_id] = parent_id or unit_id
    return found


def _complaints_with_cases(session: Session, complaint_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in chunked(complaint_ids):
        found.update(
            session.connection()
            .execute(
                select(VerificationCase.complaint_id).where(
                    col(VerificationCase.complaint_id).in_(chunk)
                )
            )
            .scalars()
        )
    return found


def _cadre_units(session: Session, cadre_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """cadre id → (unit id, managing unit id)."""
    found: dict[int, tuple[int, int]] = {}
    for chunk in chunked(cadre_ids):
        query = select(Cadre.id, Cadre.unit_id, Cadre.managing_unit_id).where(
            col(Cadre.id).in_(chunk)
        )
        for cadre_id, unit_id, managing_unit_id in session.connection().execute(query):
            found[cadre_id] = (unit_id, managing_unit_id)
    return found


def _concealment_key(alleged: FindingCategory | None) -> str:
    if alleged is None:
        return "complaint-alleged:unspecified"
    return f"complaint-alleged:{alleged.value}"


def _concealment_summary(alleged: FindingCategory | None, assessment: Assessment) -> str:
    if assessment.result is CrossCheckResult.no_form:
        what = f"“{CATEGORY_LABELS[alleged]}”" if alleged else "有关问题"
        return f"信访举报反映{what}，本人未填报报告表，涉嫌隐瞒不报"
    if alleged is FindingCategory.concealment:
        return "信访举报反映涉嫌弄虚作假、隐瞒不报"
    assert alleged is not None
    return f"信访举报反映的“{CATEGORY_LABELS[alleged]}”未在报告表中申报，涉嫌隐瞒不报"


@dataclass(slots=True)
class _Concealment:
    ids: dict[tuple[int, str], int]
    created: int


def _concealment_findings(
    session: Session,
    campaign_id: int,
    assessments: Sequence[tuple[int, int, FindingCategory | None, Assessment]],
    cadres: dict[int, tuple[int, int]],
    forms: dict[int, FormFacts],
    as_of: date,
) -> _Concealment:
    """Insert the suspected-concealment findings not held yet; their ids by (cadre, key)."""
    now = utcnow()
    wanted: dict[str, dict[str, Any]] = {}
    by_key: dict[tuple[int, str], str] = {}
    for _, cadre_id, alleged, assessment in assessments:
        if not assessment.suspects_concealment:
            continue
        key = _concealment_key(alleged)
        fingerprint = finding_fingerprint(
            campaign_id, cadre_id, FindingSource.complaint, FindingCategory.concealment, key
        )
        by_key[(cadre_id, key)] = fingerprint
        form = forms.get(cadre_id)
        wanted.setdefault(
            fingerprint,
            {
                "campaign_id": campaign_id,
                "cadre_id": cadre_id,
                "unit_id": cadres[cadre_id][0],
                "source": FindingSource.complaint,
                "category": FindingCategory.concealment,
                "status": FindingStatus.verifying,
                "summary": _concealment_summary(alleged, assessment),
                "evidence": {
                    "alleged_category": alleged.value if alleged else None,
                    "missing_form": form is None,
                    "declaration_id": form.declaration_id if form else None,
                    "declaration_version": form.version if form else None,
                },
                "fingerprint": fingerprint,
                "found_on": as_of,
                "created_at": now,
            },
        )
    existing = _findings_by_fingerprint(session, campaign_id, list(wanted))
    new = [row for fingerprint, row in wanted.items() if fingerprint not in existing]
    for chunk in chunked(new, 5000):
        session.connection().execute(
            insert_ignoring_duplicates(session, Finding, ["campaign_id", "fingerprint"]),
            list(chunk),
        )
    # A finding recorded earlier and still open is now being verified.
    reopened = [
        finding_id for finding_id, status in existing.values() if status is FindingStatus.open
    ]
    for chunk in chunked(reopened):
        session.execute(
            update(Finding).where(col(Finding.id).in_(chunk)).values(status=FindingStatus.verifying)
        )
    ids = {fingerprint: finding_id for fingerprint, (finding_id, _) in existing.items()}
    if new:
        ids.update(
            {
                fingerprint: finding_id
                for fingerprint, (finding_id, _) in _findings_by_fingerprint(
                    session, campaign_id, [row["fingerprint"] for row in new]
                ).items()
            }
        )
    return _Concealment(ids={key: ids[fp] for key, fp in by_key.items()}, created=len(new))


def _declared_findings(
    session: Session,
    campaign_id: int,
    assessments: Sequence[tuple[int, int, FindingCategory | None, Assessment]],
    forms: dict[int, FormFacts],
    as_of: date,
) -> dict[tuple[int, FindingCategory], int]:
    """(cadre, category) → the self-declared finding a declared allegation links to.

    The detection rules' findings are recorded here if detection has not run yet (the same
    fingerprints detection uses, so nothing is ever recorded twice).
    """
    hits_by_cadre: dict[int, dict[str, Any]] = {}
    for _, cadre_id, alleged, assessment in assessments:
        if assessment.result is not CrossCheckResult.declared or not assessment.hits:
            continue
        assert alleged is not None
        entry = hits_by_cadre.setdefault(cadre_id, {"form": forms[cadre_id], "hits": {}})
        for hit in assessment.hits:
            entry["hits"][(hit.category, hit.key)] = hit
    if not hits_by_cadre:
        return {}
    record_findings(
        session=session,
        campaign_id=campaign_id,
        hits_by_form=[
            (entry["form"], list(entry["hits"].values())) for entry in hits_by_cadre.values()
        ],
        found_on=as_of,
    )
    fingerprints: dict[str, tuple[int, FindingCategory]] = {}
    for cadre_id, entry in hits_by_cadre.items():
        for category, key in entry["hits"]:
            fingerprint = finding_fingerprint(
                campaign_id, cadre_id, FindingSource.self_declared, category, key
            )
            fingerprints[fingerprint] = (cadre_id, category)
    linked: dict[tuple[int, FindingCategory], int] = {}
    found = _findings_by_fingerprint(session, campaign_id, list(fingerprints))
    for fingerprint, (finding_id, _) in sorted(found.items(), key=lambda item: item[1][0]):
        linked.setdefault(fingerprints[fingerprint], finding_id)
    return linked


def _findings_by_fingerprint(
    session: Session, campaign_id: int, fingerprints: Sequence[str]
) -> dict[str, tuple[int, FindingStatus]]:
    found: dict[str, tuple[int, FindingStatus]] = {}
    for chunk in chunked(fingerprints):
        query = select(Finding.fingerprint, Finding.id, Finding.status).where(
            col(Finding.campaign_id) == campaign_id, col(Finding.fingerprint).in_(chunk)
        )
        for fingerprint, finding_id, status in session.connection().execute(query):
            found[fingerprint] = (finding_id, FindingStatus(status))
    return found
