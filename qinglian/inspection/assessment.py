"""The year-end assessment (年终考核): every unit's figures side by side, and its composite score.

The table serves the year-end assessment and the selection of model units (评先评优). A unit
is flagged lagging by the template's thresholds
(:func:`qinglian.oversight.escalation.find_lagging_units`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.enums import FindingStatus, Level
from models.finding import Finding
from models.inspection import InspectionVisit
from qinglian.campaigns.lookup import get_campaign
from qinglian.inspection.exposure import EXPOSED_ON
from qinglian.oversight.lagging import find_lagging_units
from qinglian.oversight.tracking import UnitProgress, campaign_progress
from qinglian.rectification.rollup import items_found_by
from qinglian.rectification.status import RectificationState, rectification_state

_DONE = (RectificationState.done, RectificationState.verified)


class AssessmentRow(BaseModel):
    """One unit's line in the year-end assessment table (年终考核)."""

    unit_id: int
    unit_code: str
    unit_name: str
    level: Level
    expected: int  # own deliverables and declaration forms asked for
    received: int
    due: int  # of those, due by as_of (or already in)
    on_time: int
    completeness: float  # 报送完整率 received / expected
    timeliness: float  # 按时率 on time / due
    findings: int  # 问题数: the unit's findings, dismissed ones left out
    rectification_items: int
    rectified: int  # 已整改: items done or verified by as_of
    rectification_rate: float  # 整改率 rectified / items (1 when there is nothing to rectify)
    inspection_score: float | None  # 抽查得分: the latest recorded, None if never inspected
    exposures: int = 0  # 通报曝光: findings publicly exposed by as_of (seed 004, 纳入年终考核)
    lagging: bool  # 工作滞后或问题较多 on as_of
    composite: float  # 综合得分, 0–100 (see composite_score)


# 综合得分 weights, out of 100: reporting completeness, timeliness, rectification, inspection.
WEIGHT_COMPLETENESS = 30
WEIGHT_TIMELINESS = 30
WEIGHT_RECTIFICATION = 20
WEIGHT_INSPECTION = 20
# 公开曝光 纳入年终考核: points taken off the composite per problem publicly exposed by the year end.
EXPOSURE_DEDUCTION = 5


def composite_score(
    completeness: float,
    timeliness: float,
    rectification: float,
    inspection: float | None,
    *,
    exposures: int = 0,
) -> float:
    """综合得分 on 0–100, one decimal: a weighted mean of the four parts.

    Weights: 报送完整率 30, 按时率 30, 整改率 20, 抽查得分 20 (the score, 0–100, counts as
    its fraction of 100). A unit with nothing to rectify has a rectification rate of 100%.
    A unit that was not inspected is scored on the other three parts alone (their weights
    scaled up to 100), so being left out of the sample neither helps nor hurts it. Each of
    the unit's problems publicly exposed (公开曝光) takes :data:`EXPOSURE_DEDUCTION` points off,
    down to 0.
    """
    parts = [
        (WEIGHT_COMPLETENESS, completeness),
        (WEIGHT_TIMELINESS, timeliness),
        (WEIGHT_RECTIFICATION, rectification),
    ]
    if inspection is not None:
        parts.append((WEIGHT_INSPECTION, inspection / 100))
    total = sum(weight for weight, _ in parts)
    score = 100 * sum(weight * value for weight, value in parts) / total
    return round(max(0.0, score - EXPOSURE_DEDUCTION * exposures), 1)


def assessment_rows(*, session: Session, campaign_id: int, as_of: date) -> list[AssessmentRow]:
    """Every unit below the campaign's root as of ``as_of``, ranked within its level.

    Completeness is received of expected for the unit's own deliverables and its cadres'
    declaration forms (at the year end nothing is pending, so this is the reporting rate);
    timeliness is on time of those due. Findings and rectification items count as found and
    done by ``as_of``; the inspection score is the latest recorded by then; exposures are the
    unit's findings publicly exposed by then (:mod:`qinglian.inspection.exposure`).
    """
    get_campaign(session=session, campaign_id=campaign_id)
    progress = campaign_progress(session=session, campaign_id=campaign_id, as_of=as_of)
    findings = _findings_per_unit(session, campaign_id, as_of)
    items = _items_per_unit(session, campaign_id, as_of)
    scores = _latest_scores(session, campaign_id, as_of)
    exposures = _exposures_per_unit(session, campaign_id, as_of)
    lagging = {
        unit.unit_id
        for unit in find_lagging_units(session=session, campaign_id=campaign_id, as_of=as_of)
    }
    rows = []
    for node in _below(progress):
        rate = node.own + node.forms_own if node.forms_own is not None else node.own
        total_items, rectified = items.get(node.unit_id, (0, 0))
        completeness = rate.received / rate.expected if rate.expected else 1.0
        rectification = rectified / total_items if total_items else 1.0
        score = scores.get(node.unit_id)
        exposed = exposures.get(node.unit_id, 0)
        rows.append(
            AssessmentRow(
                unit_id=node.unit_id,
                unit_code=node.code,
                unit_name=node.name,
                level=node.level,
                expected=rate.expected,
                received=rate.received,
                due=rate.due,
                on_time=rate.on_time,
                completeness=completeness,
                timeliness=rate.on_time_rate,
                findings=findings.get(node.unit_id, 0),
                rectification_items=total_items,
                rectified=rectified,
                rectification_rate=rectification,
                inspection_score=score,
                exposures=exposed,
                lagging=node.unit_id in lagging,
                composite=composite_score(
                    completeness, rate.on_time_rate, rectification, score, exposures=exposed
                ),
            )
        )
    rows.sort(key=lambda row: (row.level.rank, -row.composite, row.unit_code))
    return rows


def _below(root: UnitProgress) -> Iterator[UnitProgress]:
    for child in root.children:
        yield child
        yield from _below(child)


def _findings_per_unit(session: Session, campaign_id: int, as_of: date) -> Counter[int]:
    return Counter(
        session.exec(
            select(Finding.unit_id).where(
                col(Finding.campaign_id) == campaign_id,
                col(Finding.status) != FindingStatus.dismissed,
                col(Finding.found_on) <= as_of,
            )
        ).all()
    )


def _exposures_per_unit(session: Session, campaign_id: int, as_of: date) -> Counter[int]:
    exposed_on = Finding.evidence[EXPOSED_ON].as_string()  # type: ignore[index]
    return Counter(
        session.exec(
            select(Finding.unit_id).where(
                col(Finding.campaign_id) == campaign_id,
                col(Finding.status) != FindingStatus.dismissed,
                exposed_on.is_not(None),
                exposed_on <= as_of.isoformat(),  # ISO dates sort as text
            )
        ).all()
    )


def _items_per_unit(session: Session, campaign_id: int, as_of: date) -> dict[int, tuple[int, int]]:
    """Per unit: (rectification items of findings found by ``as_of``, those done by then)."""
    counts: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
    for unit_id, status, due_on, done_on, verified_on in session.exec(
        items_found_by(campaign_id, as_of)
    ):
        counts[unit_id][0] += 1
        if rectification_state(status, due_on, done_on, verified_on, as_of) in _DONE:
            counts[unit_id][1] += 1
    return {unit_id: (total, done) for unit_id, (total, done) in counts.items()}


def _latest_scores(session: Session, campaign_id: int, as_of: date) -> dict[int, float]:
    scores: dict[int, float] = {}
    for unit_id, score in session.exec(
        select(InspectionVisit.unit_id, InspectionVisit.score)
        .where(
            col(InspectionVisit.campaign_id) == campaign_id,
            col(InspectionVisit.score).is_not(None),
            col(InspectionVisit.inspected_on) <= as_of,
        )
        .order_by(col(InspectionVisit.inspected_on), col(InspectionVisit.sample_id))
    ):
        if score is not None:
            scores[unit_id] = score  # ordered oldest first: the latest wins
    return scores
