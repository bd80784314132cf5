"""Recording an inspection's result: the visit's score, and each problem as a finding to rectify.

Each problem an inspection finds becomes a confirmed finding (source ``inspection``) with a
rectification item due :data:`RECTIFY_WITHIN_DAYS` days after the inspection. Recording the
same result again changes nothing. Persistence functions are keyword-only, take the session
first, flush but never commit, and never import Prefect.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.enums import FindingSource, FindingStatus
from models.finding import Finding
from models.inspection import InspectionVisit, InspectionVisitPublic, ProblemIn
from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.declarations.findings import finding_fingerprint
from qinglian.inspection.samples import visit_public
from qinglian.inspection.values import check_score, normalise_summary
from qinglian.org.units import get_unit_by_code
from qinglian.rectification.creation import create_rectification_items

# 限期整改: an inspection's problems are due for rectification this many days after it.
RECTIFY_WITHIN_DAYS = 30
_COLUMNS = InspectionVisit.__table__.columns  # type: ignore[attr-defined]
_MAX_INSPECTOR: int = _COLUMNS["inspector"].type.length
_MAX_NOTE: int = _COLUMNS["note"].type.length
_MAX_SUMMARY: int = Finding.__table__.columns["summary"].type.length  # type: ignore[attr-defined]


class InspectionResult(BaseModel):
    """What recording one unit's inspection did."""

    visit: InspectionVisitPublic
    first: bool  # no result had been recorded for this visit before
    changed: bool  # the visit's score, date, inspector, problem count or note changed
    findings_created: int = 0
    findings_existing: int = 0
    items_created: int = 0


def record_inspection(
    *,
    session: Session,
    campaign_id: int,
    unit_code: str,
    score: float,
    inspected_on: date,
    inspector: str = "",
    problems: Sequence[ProblemIn] = (),
    note: str = "",
    due_on: date | None = None,
) -> InspectionResult:
    """Record a sampled unit's inspection: its score, and each problem as a confirmed finding.

    Each new finding gets a rectification item due ``due_on`` (by default
    :data:`RECTIFY_WITHIN_DAYS` days after the inspection), managed by the cadre's managing
    unit or the inspected unit's parent. A problem is the same problem when its unit, cadre,
    category and description are, so recording the same result again changes nothing.
    Everything is checked before anything is written.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    root = campaign_root(session=session, campaign=campaign)
    unit = get_unit_by_code(session=session, code=unit_code.strip())
    assert unit.id is not None
    if not unit.path.startswith(root.path):
        raise NotFoundError(
            f"单位 {unit.code}（{unit.name}）不在专项活动 {campaign_id} 的范围内",
            f"unit {unit.code} is not part of campaign {campaign_id}",
        )
    visit = session.exec(
        select(InspectionVisit)
        .where(
            col(InspectionVisit.campaign_id) == campaign_id,
            col(InspectionVisit.unit_id) == unit.id,
        )
        .order_by(col(InspectionVisit.sample_id).desc())
    ).first()
    if visit is None:
        raise NotFoundError(
            f"单位 {unit.code}（{unit.name}）不在专项活动 {campaign_id} 的抽查名单中"
            "（请先抽取：qinglian inspect sample）",
            f"unit {unit.code} is not in any inspection sample of campaign {campaign_id}"
            " (draw one first: qinglian inspect sample)",
        )
    score = check_score(score)
    if inspected_on < campaign.start_on:
        raise QinglianError(
            f"检查日期 {inspected_on.isoformat()} 早于专项活动开始日期 {campaign.start_on.isoformat()}",
            f"the inspection date {inspected_on.isoformat()} is before the campaign started"
            f" ({campaign.start_on.isoformat()})",
        )
    inspector = normalise_summary(inspector)
    note = note.strip()
    _check_length(inspector, _MAX_INSPECTOR, "检查人", "the inspector")
    _check_length(note, _MAX_NOTE, "备注", "the note")
    due = due_on or inspected_on + timedelta(days=RECTIFY_WITHIN_DAYS)
    if due < inspected_on:
        raise QinglianError(
            f"整改时限 {due.isoformat()} 早于检查日期 {inspected_on.isoformat()}",
            f"the rectification deadline {due.isoformat()} is before the inspection"
            f" ({inspected_on.isoformat()})",
        )
    rows = _problem_rows(session, campaign_id, unit, visit, problems, inspected_on, inspector)

    existing: set[str] = set()
    if rows:
        existing.update(
            session.exec(
                select(Finding.fingerprint).where(
                    col(Finding.campaign_id) == campaign_id,
                    col(Finding.fingerprint).in_(list(rows)),
                )
            ).all()
        )
    new = [Finding(**row) for fingerprint, row in rows.items() if fingerprint not in existing]
    session.add_all(new)
    session.flush()
    items = create_rectification_items(
        session=session,
        campaign_id=campaign_id,
        items={finding.id: {"due_on": due} for finding in new if finding.id is not None},
    )

    first = visit.score is None
    values = {
        "score": score,
        "inspected_on": inspected_on,
        "inspector": inspector,
        "problems": len(rows),
        "note": note,
    }
    changed = any(getattr(visit, key) != value for key, value in values.items())
    if changed:
        for key, value in values.items():
            setattr(visit, key, value)
        session.add(visit)
        session.flush()
    return InspectionResult(
        visit=visit_public(visit, unit.code, unit.name),
        first=first,
        changed=changed,
        findings_created=len(new),
        findings_existing=len(rows) - len(new),
        items_created=items,
    )


def _problem_rows(
    session: Session,
    campaign_id: int,
    unit: Unit,
    visit: InspectionVisit,
    problems: Sequence[ProblemIn],
    inspected_on: date,
    inspector: str,
) -> dict[str, dict[str, object]]:
    """The findings the problems make, by fingerprint (a problem listed twice counts once)."""
    rows: dict[str, dict[str, object]] = {}
    for number, problem in enumerate(problems, start=1):
        summary = normalise_summary(problem.summary)
        if not summary:
            raise QinglianError(f"第{number}个问题没有描述", f"problem {number} has no description")
        _check_length(summary, _MAX_SUMMARY, f"第{number}个问题的描述", f"problem {number}")
        cadre_id = _cadre(session, unit, problem.staff_no) if problem.staff_no else None
        category = problem.category
        fingerprint = finding_fingerprint(
            campaign_id, cadre_id, FindingSource.inspection, category, f"{unit.id}\x1f{summary}"
        )
        rows.setdefault(
            fingerprint,
            {
                "campaign_id": campaign_id,
                "cadre_id": cadre_id,
                "unit_id": unit.id,
                "source": FindingSource.inspection,
                "category": category,
                "status": FindingStatus.confirmed,
                "summary": summary,
                "evidence": {
                    "sample_id": visit.sample_id,
                    "visit_id": visit.id,
                    "inspected_on": inspected_on.isoformat(),
                    "inspector": inspector,
                },
                "fingerprint": fingerprint,
                "found_on": inspected_on,
            },
        )
    return rows


def _cadre(session: Session, unit: Unit, staff_no: str) -> int:
    """The cadre with this 工号, who must belong to the inspected unit or a unit below it."""
    wanted = unicodedata.normalize("NFKC", staff_no).strip()
    found = session.exec(
        select(Cadre.id, Unit.path)
        .join(Unit, col(Unit.id) == Cadre.unit_id)
        .where(col(Cadre.staff_no) == wanted)
    ).first()
    if found is None:
        raise NotFoundError(f"没有工号「{wanted}」的干部", f"no cadre with staff number {wanted!r}")
    cadre_id, path = found
    if not path.startswith(unit.path):
        raise QinglianError(
            f"工号「{wanted}」的干部不属于被检查单位 {unit.code}（{unit.name}）",
            f"the cadre {wanted!r} does not belong to the inspected unit {unit.code}",
        )
    assert cadre_id is not None
    return cadre_id


def _check_length(text: str, limit: int, zh: str, en: str) -> None:
    if len(text) > limit:
        raise QinglianError(
            f"{zh}过长（{len(text)} 个字符，最多 {limit} 个）",
            f"{en} is too long ({len(text)} characters, at most {limit})",
        )
