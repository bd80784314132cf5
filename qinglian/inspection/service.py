"""Inspection sampling (检查组抽查), inspection results, and the year-end assessment (年终考核).

The inspection teams of the campaign's root unit spot-check the units below it. A sample is
drawn by :func:`qinglian.rules.sampling.draw_sample`, weighted toward the units lagging on the
day (:func:`qinglian.escalation.find_lagging_units`), and kept: the same campaign, size and
seed return the same sample. Each problem an inspection finds becomes a confirmed finding
(source ``inspection``) with a rectification item due :data:`RECTIFY_WITHIN_DAYS` days after
the inspection. Recording the same result again changes nothing.

The assessment table puts every unit's figures side by side for the year-end assessment and
the selection of model units (评先评优). Persistence functions are keyword-only, take the
session first, flush but never commit, and never import Prefect.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from pydantic import BaseModel
from sqlalchemy import insert
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import Campaign
from models.enums import FindingCategory, FindingSource, FindingStatus, Level
from models.finding import Finding
from models.inspection import (
    InspectionSample,
    InspectionVisit,
    InspectionVisitPublic,
    ProblemIn,
    SamplePublic,
)
from models.rectification import RectificationItem
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.declarations.findings import finding_fingerprint
from qinglian.exchange.tabular import parse_text
from qinglian.org.units import get_unit_by_code
from qinglian.oversight.escalation import find_lagging_units
from qinglian.oversight.tracking import UnitProgress, campaign_progress
from qinglian.rectification.items import (
    RectificationState,
    create_rectification_items,
    rectification_state,
)
from qinglian.rules.normalise import parse_alleged_category
from qinglian.rules.sampling import (
    DEFAULT_LAGGING_WEIGHT,
    SampleCandidate,
    SamplingError,
    draw_sample,
)

# 限期整改: an inspection's problems are due for rectification this many days after it.
RECTIFY_WITHIN_DAYS = 30
LARGEST_SEED = 2**63 - 1  # the seed column is a BIGINT
_SPACES = re.compile(r"[\s\u3000\xa0]+")
_COLUMNS = InspectionVisit.__table__.columns  # type: ignore[attr-defined]
_MAX_INSPECTOR: int = _COLUMNS["inspector"].type.length
_MAX_NOTE: int = _COLUMNS["note"].type.length
_MAX_SUMMARY: int = Finding.__table__.columns["summary"].type.length  # type: ignore[attr-defined]
_DONE = (RectificationState.done, RectificationState.verified)


class InspectionResult(BaseModel):
    """What recording one unit's inspection did."""

    visit: InspectionVisitPublic
    first: bool  # no result had been recorded for this visit before
    changed: bool  # the visit's score, date, inspector, problem count or note changed
    findings_created: int = 0
    findings_existing: int = 0
    items_created: int = 0


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
    lagging: bool  # 工作滞后或问题较多 on as_of
    composite: float  # 综合得分, 0–100 (see composite_score)


# --- sampling ------------------------------------------------------------------------------


def draw_inspection_sample(
    *,
    session: Session,
    campaign_id: int,
    size: int,
    seed: int,
    as_of: date,
    lagging_weight: float = DEFAULT_LAGGING_WEIGHT,
) -> SamplePublic:
    """Draw (once) ``size`` units of the campaign below its root, lagging ones weighted.

    The population is every unit of the campaign's tree except the root, whose inspection
    teams do the inspecting, and except departments (科室), seen within their hospital's visit; the lagging units are those of ``as_of``. Drawing again with the
    same size and seed returns the sample already drawn (``created=False``), as it was drawn.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    if not 0 <= seed <= LARGEST_SEED:
        raise SamplingError(
            f"抽查种子须为 0 到 {LARGEST_SEED} 之间的整数，而不是 {seed}",
            f"the seed must be a whole number from 0 to {LARGEST_SEED}, not {seed}",
        )
    existing = session.exec(
        select(InspectionSample).where(
            col(InspectionSample.campaign_id) == campaign_id,
            col(InspectionSample.size) == size,
            col(InspectionSample.seed) == seed,
        )
    ).first()
    if existing is not None:
        return _sample_public(session, existing, created=False)
    root = _root(session, campaign)
    lagging = {
        unit.unit_id
        for unit in find_lagging_units(session=session, campaign_id=campaign_id, as_of=as_of)
    }
    population = [
        SampleCandidate(unit_id, Level(level), unit_id in lagging)
        for unit_id, level in session.exec(
            select(Unit.id, Unit.level).where(
                col(Unit.path).startswith(root.path),
                col(Unit.id) != root.id,
                # Teams visit bureaus and institutions; a department is seen within its hospital.
                col(Unit.level) != Level.department,
            )
        )
        if unit_id is not None
    ]
    drawn = draw_sample(population, size, seed, lagging_weight)
    sample = InspectionSample(campaign_id=campaign_id, size=size, seed=seed, drawn_on=as_of)
    session.add(sample)
    session.flush()
    session.execute(
        insert(InspectionVisit),
        [
            {
                "sample_id": sample.id,
                "campaign_id": campaign_id,
                "unit_id": unit.unit_id,
                "stratum": unit.stratum,
                "lagging": unit.lagging,
                "weight": unit.weight,
                "score": None,
                "inspected_on": None,
                "inspector": "",
                "problems": 0,
                "note": "",
            }
            for unit in drawn
        ],
    )
    session.flush()
    return _sample_public(session, sample, created=True)


def list_inspection_samples(*, session: Session, campaign_id: int) -> list[SamplePublic]:
    """The campaign's samples, the first drawn first, each with its visits."""
    get_campaign(session=session, campaign_id=campaign_id)
    samples = session.exec(
        select(InspectionSample)
        .where(col(InspectionSample.campaign_id) == campaign_id)
        .order_by(col(InspectionSample.id))
    ).all()
    return [_sample_public(session, sample, created=False) for sample in samples]


def _sample_public(session: Session, sample: InspectionSample, *, created: bool) -> SamplePublic:
    assert sample.id is not None
    rows = session.exec(
        select(InspectionVisit, Unit.code, Unit.name)
        .join(Unit, col(Unit.id) == InspectionVisit.unit_id)
        .where(col(InspectionVisit.sample_id) == sample.id)
    ).all()
    visits = sorted(
        (_visit_public(visit, code, name) for visit, code, name in rows),
        key=lambda visit: (Level(visit.stratum).rank, visit.unit_code),
    )
    return SamplePublic(
        id=sample.id,
        campaign_id=sample.campaign_id,
        size=sample.size,
        seed=sample.seed,
        drawn_on=sample.drawn_on,
        created=created,
        visits=visits,
    )


def _visit_public(visit: InspectionVisit, code: str, name: str) -> InspectionVisitPublic:
    return InspectionVisitPublic.model_validate(
        {**visit.model_dump(), "unit_code": code, "unit_name": name}
    )


def _root(session: Session, campaign: Campaign) -> Unit:
    root = session.get(Unit, campaign.root_unit_id)
    if root is None:
        raise NotFoundError(
            f"专项活动 {campaign.id} 的牵头单位不存在", f"campaign {campaign.id} has no root unit"
        )
    return root


# --- results -------------------------------------------------------------------------------


def check_score(score: float) -> float:
    """An inspection score: a finite number from 0 to 100."""
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise QinglianError(
            f"抽查得分须为 0 到 100 之间的数，而不是「{score}」",
            f"the score must be a number from 0 to 100, not {score!r}",
        )
    if not 0 <= score <= 100:
        raise QinglianError(
            f"抽查得分 {score:g} 超出范围（应在 0 到 100 之间）",
            f"the score {score:g} is out of range (0 to 100)",
        )
    return float(score)


def parse_score(value: Any) -> float:
    """得分 as written: 85, 85.5, "85分", "８５"; a number from 0 to 100."""
    if isinstance(value, bool):
        raise _bad_score(value)
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", parse_text(value)).removesuffix("分").strip()
        if not text:
            raise ValueError("得分不能为空 / the score is empty")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise _bad_score(value)
        number = float(text)
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise ValueError(
            f"得分 {parse_text(value)} 超出范围（应在 0 到 100 之间）"
            f" / the score {parse_text(value)} is out of range (0 to 100)"
        )
    return number


def _bad_score(value: Any) -> ValueError:
    return ValueError(
        f"得分「{parse_text(value)}」不是数字（应为 0 到 100 之间的数）"
        f" / the score {parse_text(value)!r} is not a number (expected 0 to 100)"
    )


def parse_problem_category(value: Any) -> FindingCategory:
    """问题类别: a category's label, a short form (隐瞒不报, 兼职取酬 …) or its value."""
    raw = parse_text(value)
    if not raw:
        raise ValueError("问题类别不能为空 / the problem category is empty")
    category = parse_alleged_category(raw)
    if category is None:
        raise ValueError(
            f"无法识别的问题类别「{raw}」（可选：{'；'.join(c.label for c in FindingCategory)}）"
            f" / unknown problem category {raw!r} (expected one of:"
            f" {', '.join(c.value for c in FindingCategory)})"
        )
    return category


def normalise_summary(text: str) -> str:
    """A problem's description as stored and compared: inner whitespace runs single."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


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
    root = _root(session, campaign)
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
        visit=_visit_public(visit, unit.code, unit.name),
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


# --- the year-end assessment ---------------------------------------------------------------

# 综合得分 weights, out of 100: reporting completeness, timeliness, rectification, inspection.
WEIGHT_COMPLETENESS = 30
WEIGHT_TIMELINESS = 30
WEIGHT_RECTIFICATION = 20
WEIGHT_INSPECTION = 20


def composite_score(
    completeness: float, timeliness: float, rectification: float, inspection: float | None
) -> float:
    """综合得分 on 0–100, one decimal: a weighted mean of the four parts.

    Weights: 报送完整率 30, 按时率 30, 整改率 20, 抽查得分 20 (the score, 0–100, counts as
    its fraction of 100). A unit with nothing to rectify has a rectification rate of 100%.
    A unit that was not inspected is scored on the other three parts alone (their weights
    scaled up to 100), so being left out of the sample neither helps nor hurts it.
    """
    parts = [
        (WEIGHT_COMPLETENESS, completeness),
        (WEIGHT_TIMELINESS, timeliness),
        (WEIGHT_RECTIFICATION, rectification),
    ]
    if inspection is not None:
        parts.append((WEIGHT_INSPECTION, inspection / 100))
    total = sum(weight for weight, _ in parts)
    return round(100 * sum(weight * value for weight, value in parts) / total, 1)


def assessment_rows(*, session: Session, campaign_id: int, as_of: date) -> list[AssessmentRow]:
    """Every unit below the campaign's root as of ``as_of``, ranked within its level.

    Completeness is received of expected for the unit's own deliverables and its cadres'
    declaration forms (at the year end nothing is pending, so this is the reporting rate);
    timeliness is on time of those due. Findings and rectification items count as found and
    done by ``as_of``; the inspection score is the latest recorded by then.
    """
    get_campaign(session=session, campaign_id=campaign_id)
    progress = campaign_progress(session=session, campaign_id=campaign_id, as_of=as_of)
    findings = _findings_per_unit(session, campaign_id, as_of)
    items = _items_per_unit(session, campaign_id, as_of)
    scores = _latest_scores(session, campaign_id, as_of)
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
                lagging=node.unit_id in lagging,
                composite=composite_score(completeness, rate.on_time_rate, rectification, score),
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


def _items_per_unit(session: Session, campaign_id: int, as_of: date) -> dict[int, tuple[int, int]]:
    """Per unit: (rectification items of findings found by ``as_of``, those done by then)."""
    counts: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
    for unit_id, status, due_on, done_on in session.exec(
        select(
            RectificationItem.unit_id,
            RectificationItem.status,
            RectificationItem.due_on,
            RectificationItem.done_on,
        )
        .join(Finding, col(Finding.id) == RectificationItem.finding_id)
        .where(
            col(RectificationItem.campaign_id) == campaign_id,
            col(Finding.found_on) <= as_of,
        )
    ):
        counts[unit_id][0] += 1
        if rectification_state(status, due_on, done_on, as_of) in _DONE:
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


# --- the assessment workbook ---------------------------------------------------------------

ASSESSMENT_SHEET = "年终考核"
_PERCENT = "0.0%"
_SCORE = "0.0"
_COUNT = "0"
# (header, number format or None for text, minimum width)
_ASSESSMENT_COLUMNS: tuple[tuple[str, str | None, int], ...] = (
    ("单位编码", None, 12),
    ("单位名称", None, 20),
    ("层级", None, 6),
    ("报送完整率", _PERCENT, 10),
    ("按时率", _PERCENT, 10),
    ("问题数", _COUNT, 8),
    ("已整改", _COUNT, 8),
    ("整改率", _PERCENT, 10),
    ("抽查得分", _SCORE, 10),
    ("工作滞后", None, 10),
    ("综合得分", _SCORE, 10),
)
_MAX_WIDTH = 60


def write_assessment_xlsx(rows: Sequence[AssessmentRow], path: Path) -> Path:
    """Write the assessment table as an .xlsx, atomically (a reader never sees half a file).

    Chinese headers, percentages as percent-formatted numbers (so Excel can sort and sum
    them), the header frozen and filtered, columns wide enough for their contents.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = ASSESSMENT_SHEET
    sheet.append([header for header, _, _ in _ASSESSMENT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in rows:
        sheet.append(
            [
                row.unit_code,
                row.unit_name,
                row.level.label,
                row.completeness,
                row.timeliness,
                row.findings,
                row.rectified,
                row.rectification_rate,
                row.inspection_score,
                "是" if row.lagging else "否",
                row.composite,
            ]
        )
    widths = [max(minimum, _display_width(header)) for header, _, minimum in _ASSESSMENT_COLUMNS]
    for cells in sheet.iter_rows(min_row=2):
        for index, cell in enumerate(cells):
            number_format = _ASSESSMENT_COLUMNS[index][1]
            if number_format is not None:
                cell.number_format = number_format
            elif cell.value is not None:
                widths[index] = max(widths[index], _display_width(str(cell.value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, _MAX_WIDTH)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(_ASSESSMENT_COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{max(sheet.max_row, 1)}"
    return _save_atomically(workbook, path)


def _display_width(text: str) -> int:
    """Columns a text takes in Excel: a CJK character is about two Latin ones wide."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _save_atomically(workbook: Workbook, path: Path) -> Path:
    """Save beside ``path`` under a temporary name, then rename over it."""
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.stem}.", suffix=".xlsx.tmp"
        )
        os.close(handle)
        temporary = Path(name)
        workbook.save(temporary)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise QinglianError(
            f"无法写入 {path}（{exc.strerror or exc}）",
            f"cannot write {path} ({exc.strerror or exc})",
        ) from exc
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise
    return path
