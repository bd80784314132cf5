"""Inspection sampling, results and the year-end assessment (qinglian.inspection, its importer
and `qinglian inspect`), on SQLite and PostgreSQL.

The factory tree has only three units an inspection team could visit, so these tests graft a
few more provinces, cities, counties, hospitals and their departments (科室) onto it, through
the same units importer. Departments are never sampled: a department is seen within its
hospital's visit.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, update
from sqlmodel import Session, SQLModel, col, select
from typer.testing import Result

from models import Cadre, Campaign, Deliverable, Finding, Level, Unit, UnitKind
from models.enums import FindingCategory, FindingSource, FindingStatus, RectificationStatus
from models.inspection import InspectionSample, InspectionVisit, ProblemIn
from models.rectification import RectificationItem
from qinglian.campaigns.launch import launch_campaign
from qinglian.cli.inspect import parse_problem
from qinglian.core.errors import ImportRejected, NotFoundError, QinglianError
from qinglian.inspection.assessment import assessment_rows, composite_score
from qinglian.inspection.assessment_xlsx import HEADER_ROW, write_assessment_xlsx
from qinglian.inspection.import_results import import_inspection_results
from qinglian.inspection.results import RECTIFY_WITHIN_DAYS, record_inspection
from qinglian.inspection.samples import draw_inspection_sample, list_inspection_samples
from qinglian.org.import_cadres import import_cadres
from qinglian.org.import_units import import_units
from qinglian.oversight.lagging import find_lagging_units
from qinglian.rectification.progress import update_rectification_status
from qinglian.rules.sampling import SamplingError, allocate
from tests.databases import DATABASES
from tests.factories import (
    FB,
    FB_OBSTETRICS,
    FB_SUPERVISION,
    JS,
    LYG,
    MOH,
    UNITS,
    Qinglian,
    assert_one_error,
    qinglian_cli,
    write_cadres,
    write_units,
)

AS_OF = date(2012, 12, 1)
INSPECTED = date(2012, 12, 5)

# Grafted onto the factory tree (卫生部 → 江苏 → 连云港 → 连妇保 → 产科, 院监察室).
ZJ, NJ, HZ = "ZJ", "JS-NJ", "ZJ-HZ"
DONGHAI, GUANYUN, JIANGNING, YUHANG = "JS-LYG-DH", "JS-LYG-GY", "JS-NJ-JN", "ZJ-HZ-YH"
DH_HOSPITAL, HZ_HOSPITAL = "JS-LYG-DH-RM", "ZJ-HZ-YY"
DH_PHARMACY, DH_MEDICAL, HZ_EQUIPMENT = "JS-LYG-DH-RM-YJK", "JS-LYG-DH-RM-YWK", "ZJ-HZ-YY-SBK"
_ADMIN, _MEDICAL = "卫生行政部门", "公立医疗卫生单位"
MORE_UNITS: tuple[dict[str, Any], ...] = tuple(
    {"单位编码": code, "单位名称": name, "层级": level, "类型": kind, "上级单位编码": parent}
    for code, name, level, kind, parent in (
        (ZJ, "浙江省卫生厅", "省", _ADMIN, MOH),
        (NJ, "南京市卫生局", "市", _ADMIN, JS),
        (HZ, "杭州市卫生局", "市", _ADMIN, ZJ),
        (DONGHAI, "东海县卫生局", "县", _ADMIN, LYG),
        (GUANYUN, "灌云县卫生局", "县", _ADMIN, LYG),
        (JIANGNING, "南京市江宁区卫生局", "县", _ADMIN, NJ),
        (YUHANG, "杭州市余杭区卫生局", "县", _ADMIN, HZ),
        (DH_HOSPITAL, "东海县人民医院", "单位", _MEDICAL, DONGHAI),
        (HZ_HOSPITAL, "杭州市第一人民医院", "单位", _MEDICAL, HZ),
        (DH_PHARMACY, "药剂科", "科室", _MEDICAL, DH_HOSPITAL),
        (DH_MEDICAL, "医务科", "科室", _MEDICAL, DH_HOSPITAL),
        (HZ_EQUIPMENT, "设备科", "科室", _MEDICAL, HZ_HOSPITAL),
    )
)
STRATA: dict[Level, set[str]] = {
    Level.province: {JS, ZJ},
    Level.city: {LYG, NJ, HZ},
    Level.county: {DONGHAI, GUANYUN, JIANGNING, YUHANG},
    Level.institution: {FB, DH_HOSPITAL, HZ_HOSPITAL},
}
POPULATION = {code for codes in STRATA.values() for code in codes}  # the 12 a sample is drawn from
DEPARTMENTS = {FB_OBSTETRICS, FB_SUPERVISION, DH_PHARMACY, DH_MEDICAL, HZ_EQUIPMENT}
BELOW_ROOT = POPULATION | DEPARTMENTS  # 17 units, all of them in the assessment
# In the world below, these delivered everything on time: one of each stratum at least, so
# every stratum has lagging units and others. The departments owe too few items to lag.
ON_TIME = {JS, LYG, NJ, DONGHAI, JIANGNING, HZ_HOSPITAL}
LAGGING = {MOH} | (POPULATION - ON_TIME)
HEADERS = ["单位编码", "检查日期", "检查人", "得分", "问题类别", "问题描述", "工号"]


@dataclass
class World:
    campaign_id: int
    ids: dict[str, int]


def _counts(session: Session) -> dict[str, int]:
    """Rows per table: what a refused call is compared on."""
    session.expire_all()
    return {
        name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in SQLModel.metadata.tables.items()
    }


def _visits(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    return [
        (v.sample_id, v.unit_id, v.score, v.inspected_on, v.inspector, v.problems, v.note)
        for v in session.exec(select(InspectionVisit).order_by(col(InspectionVisit.id)))
    ]


@pytest.fixture
def unit_files(tmp_path: Path) -> tuple[Path, Path]:
    """The factory tree's file, then a second file grafting MORE_UNITS onto it."""
    return (
        write_units(tmp_path / "units.xlsx"),
        write_units(tmp_path / "more-units.xlsx", MORE_UNITS),
    )


@pytest.fixture
def world(session: Session, tmp_path: Path, unit_files: tuple[Path, Path]) -> World:
    """coi-2012 on 卫生部 over the grafted tree; the ON_TIME units delivered everything on time.

    On AS_OF the LAGGING units lag: 卫生部 and every unit below it that delivered nothing.
    """
    for path in unit_files:
        import_units(session=session, path=path)
    import_cadres(session=session, path=write_cadres(tmp_path / "cadres.xlsx"))
    campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code=MOH)
    ids = {code: unit_id for unit_id, code in session.exec(select(Unit.id, Unit.code))}
    assert set(ids) == {MOH} | BELOW_ROOT
    session.execute(
        update(Deliverable)
        .where(col(Deliverable.unit_id).in_([ids[code] for code in ON_TIME]))
        .values(submitted_on=Deliverable.due_on)
    )
    session.commit()
    assert campaign.id is not None
    return World(campaign.id, ids)


def _sample(session: Session, world: World, size: int = 6, seed: int = 7, **kw: Any) -> Any:
    sample = draw_inspection_sample(
        session=session,
        campaign_id=world.campaign_id,
        size=size,
        seed=seed,
        as_of=kw.pop("as_of", AS_OF),
        **kw,
    )
    session.commit()
    return sample


# --- sampling ------------------------------------------------------------------------------


def test_sample_is_stratified_weighted_and_kept(session: Session, world: World) -> None:
    lagging = {
        unit.code
        for unit in find_lagging_units(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    }
    assert lagging == LAGGING  # the root lags too, but it inspects: never drawn

    sample = _sample(session, world)

    assert sample.created and (sample.size, sample.seed, sample.drawn_on) == (6, 7, AS_OF)
    codes = [visit.unit_code for visit in sample.visits]
    assert len(set(codes)) == 6 and set(codes) <= POPULATION  # never the root: it inspects
    # proportional to the strata (2/3/4/3 of 12), largest remainder: 1/2/2/1, higher first
    assert [visit.stratum for visit in sample.visits] == [
        Level.province,
        Level.city,
        Level.city,
        Level.county,
        Level.county,
        Level.institution,
    ]
    strata = {level: len(codes) for level, codes in STRATA.items()}
    assert Counter(visit.stratum for visit in sample.visits) == allocate(strata, 6)
    for visit in sample.visits:
        assert visit.unit_code in STRATA[visit.stratum]
        assert visit.lagging is (visit.unit_code in lagging)
        assert visit.weight == (3.0 if visit.lagging else 1.0)
        assert visit.score is None

    before = _counts(session)
    again = _sample(session, world, as_of=AS_OF + timedelta(days=30))  # another day, same draw
    assert not again.created
    assert again.id == sample.id and again.visits == sample.visits
    assert _counts(session) == before

    other = _sample(session, world, size=len(POPULATION), seed=7)
    assert other.created and other.id != sample.id
    assert {visit.unit_code for visit in other.visits} == POPULATION
    assert [
        s.id for s in list_inspection_samples(session=session, campaign_id=world.campaign_id)
    ] == [
        sample.id,
        other.id,
    ]

    heavier = _sample(session, world, seed=8, lagging_weight=10)
    assert {visit.weight for visit in heavier.visits if visit.lagging} <= {10.0}
    assert {visit.weight for visit in heavier.visits if not visit.lagging} <= {1.0}


def test_same_seed_same_units_in_a_fresh_database(session: Session, world: World) -> None:
    first = [visit.unit_code for visit in _sample(session, world, seed=2012).visits]
    session.execute(InspectionVisit.__table__.delete())  # type: ignore[attr-defined]
    session.execute(InspectionSample.__table__.delete())  # type: ignore[attr-defined]
    session.commit()
    assert [visit.unit_code for visit in _sample(session, world, seed=2012).visits] == first


def test_departments_are_never_drawn(session: Session, world: World) -> None:
    """Teams visit bureaus and institutions; a department (科室) is seen within its hospital."""
    below = session.exec(select(Unit.code).where(col(Unit.code) != MOH)).all()
    assert set(below) == BELOW_ROOT and len(below) == 17  # 5 of them departments

    for size in range(1, len(POPULATION) + 1):
        for seed in (1, 2012):
            # however heavily lagging units weigh, a department is never among them
            sample = _sample(session, world, size=size, seed=seed, lagging_weight=50)
            assert len(sample.visits) == size
            assert {visit.unit_code for visit in sample.visits} <= POPULATION
            assert Level.department not in {visit.stratum for visit in sample.visits}
    everyone = _sample(session, world, size=len(POPULATION), seed=3)
    assert {visit.unit_code for visit in everyone.visits} == POPULATION
    drawn = set(session.exec(select(InspectionVisit.unit_id)).all())
    assert not drawn & {world.ids[code] for code in DEPARTMENTS}

    # one more than the 12 bureaus and institutions: the 17 units below counted departments in
    before = _counts(session)
    with pytest.raises(SamplingError) as raised:
        draw_inspection_sample(
            session=session, campaign_id=world.campaign_id, size=13, seed=1, as_of=AS_OF
        )
    assert raised.value.zh == "抽查数量 13 超过可抽查的单位数 12"
    assert "larger than the 12 unit(s)" in raised.value.en
    session.rollback()
    assert _counts(session) == before

    # a hospital's own campaign has only departments below it: nothing to draw
    hospital, _ = launch_campaign(session=session, template_key="coi-2012", root_code=FB)
    session.commit()
    assert hospital.id is not None
    before = _counts(session)
    with pytest.raises(SamplingError) as raised:
        draw_inspection_sample(
            session=session, campaign_id=hospital.id, size=1, seed=1, as_of=AS_OF
        )
    assert "超过可抽查的单位数 0" in raised.value.zh
    session.rollback()
    assert _counts(session) == before


@pytest.mark.parametrize(
    ("size", "seed", "zh"),
    [
        (13, 1, "抽查数量 13 超过可抽查的单位数 12"),
        (0, 1, "至少为 1"),
        (3, -1, "抽查种子"),
        (3, 2**63, "抽查种子"),
    ],
)
def test_sample_refused_writes_nothing(
    session: Session, world: World, size: int, seed: int, zh: str
) -> None:
    before = _counts(session)
    with pytest.raises(SamplingError) as raised:
        draw_inspection_sample(
            session=session, campaign_id=world.campaign_id, size=size, seed=seed, as_of=AS_OF
        )
    assert zh in raised.value.zh and raised.value.en
    session.rollback()
    assert _counts(session) == before


def test_sample_of_an_unknown_campaign(session: Session, world: World) -> None:
    with pytest.raises(NotFoundError, match="999"):
        draw_inspection_sample(session=session, campaign_id=999, size=1, seed=1, as_of=AS_OF)


# --- results -------------------------------------------------------------------------------

PROBLEMS = [
    ProblemIn(
        category=FindingCategory.unapproved_or_paid_post,
        summary="副院长在  市医学会兼职并领取报酬，未经批准",
        staff_no="FB003",
    ),
    ProblemIn(category=FindingCategory.concealment, summary="部分科室《报告表》漏报亲属从业情况"),
]


def _sample_everyone(session: Session, world: World) -> Any:
    """All twelve bureaus and institutions: 连妇保 and 连云港市卫生局 among them."""
    sample = _sample(session, world, size=len(POPULATION))
    assert {visit.unit_code for visit in sample.visits} == POPULATION
    return sample


def _record(session: Session, world: World, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "session": session,
        "campaign_id": world.campaign_id,
        "unit_code": FB,
        "score": 82.5,
        "inspected_on": INSPECTED,
        "inspector": "卫生部第三检查组",
        "problems": PROBLEMS,
        "note": "",
    }
    result = record_inspection(**{**arguments, **overrides})
    session.commit()
    return result


def test_record_makes_confirmed_findings_with_rectification_items(
    session: Session, world: World
) -> None:
    _sample_everyone(session, world)
    result = _record(session, world)

    assert (result.first, result.changed) == (True, True)
    assert (result.findings_created, result.findings_existing, result.items_created) == (2, 0, 2)
    assert (result.visit.score, result.visit.problems) == (82.5, 2)
    assert result.visit.inspector == "卫生部第三检查组"
    findings = session.exec(select(Finding).order_by(col(Finding.id))).all()
    assert [f.source for f in findings] == [FindingSource.inspection] * 2
    assert [f.category for f in findings] == [
        FindingCategory.unapproved_or_paid_post,
        FindingCategory.concealment,
    ]
    assert {f.unit_id for f in findings} == {world.ids[FB]}
    assert findings[0].summary == "副院长在 市医学会兼职并领取报酬，未经批准"
    cadre = session.exec(select(Cadre).where(Cadre.staff_no == "FB003")).one()
    assert (findings[0].cadre_id, findings[1].cadre_id) == (cadre.id, None)
    assert {f.found_on for f in findings} == {INSPECTED}
    # confirmed, then moved on to rectifying by its new item
    assert {f.status for f in findings} == {FindingStatus.rectifying}
    items = session.exec(select(RectificationItem).order_by(col(RectificationItem.id))).all()
    assert [item.finding_id for item in items] == [f.id for f in findings]
    assert {item.due_on for item in items} == {INSPECTED + timedelta(days=RECTIFY_WITHIN_DAYS)}
    assert {item.status for item in items} == {RectificationStatus.planned}
    assert items[0].managing_unit_id == cadre.managing_unit_id
    assert items[1].managing_unit_id == world.ids[LYG]  # no cadre: the unit's parent


def test_recording_again_changes_nothing(session: Session, world: World) -> None:
    _sample_everyone(session, world)
    _record(session, world)
    before, visits = _counts(session), _visits(session)

    again = _record(session, world)
    assert (again.first, again.changed, again.findings_created, again.items_created) == (
        False,
        False,
        0,
        0,
    )
    assert again.findings_existing == 2
    assert _counts(session) == before and _visits(session) == visits

    # a corrected score changes the visit only; the same problems stay the same findings
    corrected = _record(session, world, score=85)
    assert (corrected.first, corrected.changed, corrected.findings_created) == (False, True, 0)
    assert _counts(session) == before
    assert corrected.visit.score == 85


def test_a_problem_listed_twice_is_one_finding(session: Session, world: World) -> None:
    _sample_everyone(session, world)
    result = _record(session, world, problems=[PROBLEMS[1], PROBLEMS[1]])
    assert (result.findings_created, result.visit.problems) == (1, 1)


def test_record_for_a_department_cadre_of_the_inspected_unit(
    session: Session, world: World
) -> None:
    _sample_everyone(session, world)
    problem = ProblemIn(
        category=FindingCategory.recusal_not_observed, summary="设备采购未回避", staff_no="FB101"
    )
    result = _record(session, world, problems=[problem])
    assert result.findings_created == 1
    finding = session.exec(select(Finding)).one()
    assert finding.unit_id == world.ids[FB]  # the inspected unit; the cadre sits in 产科


UNSAMPLED = "<a unit below the root but not in the sample>"


def _sample_leaving_one_out(session: Session, world: World) -> str:
    """Eleven of the twelve: allocated 2/3/3/3, so whatever the seed one county is left out."""
    sampled = {visit.unit_code for visit in _sample(session, world, size=11, seed=3).visits}
    (unsampled,) = POPULATION - sampled
    assert {FB, LYG} <= sampled and unsampled in STRATA[Level.county]
    return unsampled


def _outside_unit(session: Session) -> None:
    session.add(Unit(code="BJ", name="北京市卫生局", level=Level.city, kind=UnitKind.health_admin))
    session.flush()
    unit = session.exec(select(Unit).where(Unit.code == "BJ")).one()
    unit.path = f"/{unit.id}/"
    session.commit()


@pytest.mark.parametrize(
    ("overrides", "error", "zh"),
    [
        pytest.param(
            {"unit_code": "NOPE"}, NotFoundError, "没有单位编码「NOPE」", id="unknown-unit"
        ),
        pytest.param({"unit_code": "BJ"}, NotFoundError, "不在专项活动", id="outside-campaign"),
        pytest.param({"unit_code": MOH}, NotFoundError, "抽查名单", id="root-not-sampled"),
        pytest.param({"unit_code": UNSAMPLED}, NotFoundError, "抽查名单", id="not-in-sample"),
        pytest.param(
            {"unit_code": FB_OBSTETRICS, "problems": []},
            NotFoundError,
            "抽查名单",
            id="department-never-sampled",
        ),
        pytest.param({"score": 101}, QinglianError, "超出范围", id="score-above-100"),
        pytest.param({"score": -0.5}, QinglianError, "超出范围", id="score-negative"),
        pytest.param({"score": math.nan}, QinglianError, "0 到 100", id="score-nan"),
        pytest.param({"inspected_on": date(2012, 7, 1)}, QinglianError, "早于", id="too-early"),
        pytest.param(
            {"problems": [ProblemIn(category=FindingCategory.concealment, summary="  ")]},
            QinglianError,
            "没有描述",
            id="empty-problem",
        ),
        pytest.param(
            {"problems": [PROBLEMS[1], PROBLEMS[0].model_copy(update={"staff_no": "X9"})]},
            NotFoundError,
            "没有工号「X9」",
            id="unknown-cadre",
        ),
        pytest.param(
            {"problems": [PROBLEMS[0].model_copy(update={"staff_no": "LYG001"})]},
            QinglianError,
            "不属于被检查单位",
            id="cadre-of-another-unit",
        ),
        pytest.param({"inspector": "检" * 101}, QinglianError, "检查人过长", id="long-inspector"),
    ],
)
def test_record_refused_writes_nothing(
    session: Session, world: World, overrides: dict[str, Any], error: type[Exception], zh: str
) -> None:
    _outside_unit(session)
    unsampled = _sample_leaving_one_out(session, world)
    before, visits = _counts(session), _visits(session)
    if overrides.get("unit_code") == UNSAMPLED:
        overrides = {**overrides, "unit_code": unsampled}
    with pytest.raises(error) as raised:
        _record(session, world, **overrides)
    assert zh in raised.value.zh and raised.value.en  # type: ignore[attr-defined]
    session.rollback()
    assert _counts(session) == before and _visits(session) == visits


# --- the assessment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((1.0, 1.0, 1.0, 100.0), 100.0),
        ((0.0, 0.0, 0.0, 0.0), 0.0),
        ((1.0, 0.5, 1.0, 80.0), 0.3 * 100 + 0.3 * 50 + 0.2 * 100 + 0.2 * 80),
        ((0.5, 0.5, 0.0, None), round((15 + 15 + 0) / 0.8, 1)),  # not inspected: 30/30/20 → 100
        ((1.0, 1.0, 1.0, None), 100.0),
        ((0.9, 0.8, 0.25, 60.0), 27.0 + 24.0 + 5.0 + 12.0),
    ],
)
def test_composite_score(parts: tuple[float, float, float, float | None], expected: float) -> None:
    assert composite_score(*parts) == pytest.approx(expected, abs=0.05)


def test_assessment_rows_and_workbook(session: Session, world: World, tmp_path: Path) -> None:
    _sample_everyone(session, world)
    _record(session, world)
    _record(session, world, unit_code=LYG, score=95, problems=[])
    item = session.exec(select(RectificationItem).order_by(col(RectificationItem.id))).first()
    assert item is not None and item.id is not None
    update_rectification_status(
        session=session,
        item_id=item.id,
        status=RectificationStatus.done,
        changed_on=date(2012, 12, 20),
    )
    session.commit()
    as_of = date(2012, 12, 31)

    rows = assessment_rows(session=session, campaign_id=world.campaign_id, as_of=as_of)

    by_code = {row.unit_code: row for row in rows}
    assert set(by_code) == BELOW_ROOT  # departments are assessed, though never inspected
    assert {by_code[code].inspection_score for code in DEPARTMENTS} == {None}
    fb, lyg, js = by_code[FB], by_code[LYG], by_code[JS]
    assert (fb.findings, fb.rectification_items, fb.rectified) == (2, 2, 1)
    assert fb.rectification_rate == 0.5
    assert fb.inspection_score == 82.5 and fb.lagging
    assert fb.composite == composite_score(fb.completeness, fb.timeliness, 0.5, 82.5)
    assert fb.expected > 0 and fb.completeness < 1
    # every deliverable on time, but 王局长's own form never came in; nothing to rectify
    assert (lyg.expected, lyg.received, lyg.on_time) == (16, 15, 15)
    assert (lyg.completeness, lyg.timeliness, lyg.rectification_rate) == (15 / 16, 15 / 16, 1.0)
    assert (lyg.inspection_score, lyg.lagging) == (95.0, False)
    assert lyg.composite == composite_score(15 / 16, 15 / 16, 1.0, 95.0) == 95.2
    # no cadres, everything on time, not inspected: full marks on the other three parts
    assert (js.completeness, js.timeliness, js.inspection_score, js.composite) == (
        1.0,
        1.0,
        None,
        100.0,
    )
    assert [row.level.rank for row in rows] == sorted(row.level.rank for row in rows)
    # a replay earlier in the year sees neither the item done nor the inspection
    early = {
        row.unit_code: row
        for row in assessment_rows(
            session=session, campaign_id=world.campaign_id, as_of=date(2012, 12, 2)
        )
    }
    assert early[FB].inspection_score is None and early[FB].findings == 0

    out = tmp_path / "out" / "年终考核.xlsx"
    assert write_assessment_xlsx(rows, out) == out
    assert [path.name for path in out.parent.iterdir()] == [out.name]  # no temporary left
    sheet = load_workbook(out).active
    assert sheet is not None and sheet.title == "年终考核"
    values = [list(row) for row in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]
    assert values[0] == [
        "单位编码",
        "单位名称",
        "层级",
        "报送完整率",
        "按时率",
        "问题数",
        "已整改",
        "整改率",
        "抽查得分",
        "工作滞后",
        "综合得分",
        "名次",
    ]
    table = {row[0]: row[:-1] for row in values[1:-1]}
    assert table[FB][1:] == [
        "连云港市妇幼保健院",
        "单位",
        pytest.approx(fb.completeness),
        pytest.approx(fb.timeliness),
        2,
        1,
        0.5,
        82.5,
        "是",
        fb.composite,
    ]
    assert table[JS][8] is None and table[JS][9] == "否"
    assert sheet.freeze_panes == "C4"
    assert sheet.auto_filter.ref == f"A3:L{len(rows) + 3}"
    assert sheet["D4"].number_format == "0.0%" and sheet["H4"].number_format == "0.0%"
    assert sheet["K4"].number_format == "0.0"
    assert sheet.column_dimensions["B"].width >= len("连云港市妇幼保健院") * 2


def test_assessment_file_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "a.xlsx"
    out.write_bytes(b"old")
    write_assessment_xlsx([], out)
    sheet = load_workbook(out).active
    # the title, the as-of line, the header and an empty 合计 row
    assert sheet is not None and sheet.max_row == HEADER_ROW + 1
    with pytest.raises(QinglianError, match="无法写入"):
        write_assessment_xlsx([], out / "below-a-file.xlsx")


# --- the importer --------------------------------------------------------------------------


def _write(path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> Path:
    if path.suffix == ".xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = "抽查结果"
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
        workbook.save(path)
        return path
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return path


GOOD_ROWS: list[list[Any]] = [
    [FB, "2012-12-05", "第三检查组", 82.5, "兼职取酬", "副院长在市医学会兼职取酬", "FB003"],
    # score, date and inspector left blank below the first row, as a merged cell reads
    [FB, None, None, None, "隐瞒不报", "部分科室漏报亲属从业", None],
    [LYG, "2012年12月6日", "第三检查组", "95分", None, None, None],
]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_import_records_every_unit_and_is_a_no_op_again(
    session: Session, world: World, tmp_path: Path, suffix: str
) -> None:
    _sample_everyone(session, world)
    path = _write(tmp_path / f"results{suffix}", GOOD_ROWS)

    report = import_inspection_results(
        session=session, campaign_id=world.campaign_id, path=path, as_of=AS_OF + timedelta(30)
    )
    session.commit()

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert (report.findings_created, report.items_created) == (2, 2)
    visits = {v.unit_id: v for v in session.exec(select(InspectionVisit))}
    fb, lyg = visits[world.ids[FB]], visits[world.ids[LYG]]
    assert (fb.score, fb.inspected_on, fb.inspector, fb.problems) == (
        82.5,
        date(2012, 12, 5),
        "第三检查组",
        2,
    )
    assert (lyg.score, lyg.inspected_on, lyg.problems) == (95.0, date(2012, 12, 6), 0)
    categories = {f.category for f in session.exec(select(Finding))}
    assert categories == {FindingCategory.unapproved_or_paid_post, FindingCategory.concealment}

    before = _counts(session)
    again = import_inspection_results(
        session=session, campaign_id=world.campaign_id, path=path, as_of=AS_OF + timedelta(30)
    )
    session.commit()
    assert (again.created, again.updated, again.unchanged, again.findings_created) == (0, 0, 2, 0)
    assert _counts(session) == before


BAD_ROWS: list[tuple[list[Any], str, str]] = [
    ([JS + "X", "2012-12-05", "", 80, None, None, None], "单位编码", "不存在"),
    ([UNSAMPLED, "2012-12-05", "", 80, None, None, None], "单位编码", "抽查名单"),
    # a department is never sampled: its problems are recorded under its hospital
    ([FB_SUPERVISION, "2012-12-05", "", 80, None, None, None], "单位编码", "抽查名单"),
    ([FB, "2012-12-05", "", "八十", None, None, None], "得分", "不是数字"),
    ([FB, "2012-12-05", "", 120, None, None, None], "得分", "超出范围"),
    ([FB, "2013-02-30", "", 80, None, None, None], "检查日期", "无法识别的日期"),
    ([FB, "2013-06-01", "", 80, None, None, None], "检查日期", "晚于今天"),
    ([FB, "2012-12-05", "", 80, "台账不全", "制度台账缺失", None], "问题类别", "无法识别"),
    ([FB, "2012-12-05", "", 80, "隐瞒不报", None, None], "问题描述", "须填写问题描述"),
    ([FB, "2012-12-05", "", 80, "隐瞒不报", "漏报", "NOPE"], "工号", "不存在"),
    ([FB, "2012-12-05", "", 80, "隐瞒不报", "漏报", "LYG001"], "工号", "不属于被检查单位"),
    ([FB, "2012-12-05", "", None, None, None, None], "得分", "须填写得分"),
    ([FB, "2012-12-05", "", "#N/A", None, None, None], "得分", "Excel 错误值"),
]


_BAD_IDS = [b[2] + b[1] + ("-科室" if b[0][0] in DEPARTMENTS else "") for b in BAD_ROWS]


@pytest.mark.parametrize(("row", "column", "zh"), BAD_ROWS, ids=_BAD_IDS)
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_import_refuses_the_whole_file(
    session: Session,
    world: World,
    tmp_path: Path,
    suffix: str,
    row: list[Any],
    column: str,
    zh: str,
) -> None:
    unsampled = _sample_leaving_one_out(session, world)
    row = [unsampled if cell == UNSAMPLED else cell for cell in row]
    path = _write(tmp_path / f"bad{suffix}", [GOOD_ROWS[2], row])  # a valid row, then the bad
    before, visits = _counts(session), _visits(session)
    with pytest.raises(ImportRejected) as raised:
        import_inspection_results(
            session=session, campaign_id=world.campaign_id, path=path, as_of=date(2013, 1, 10)
        )
    session.rollback()
    errors = raised.value.errors
    assert errors, raised.value
    error = errors[-1]
    sheet = "抽查结果" if suffix == ".xlsx" else error.sheet
    assert (error.file, error.sheet, error.row, error.column) == (path.name, sheet, 3, column)
    assert zh in error.zh and error.en
    shown = str(error)
    assert path.name in shown and "第3行" in shown and f"「{column}」" in shown
    assert _counts(session) == before and _visits(session) == visits


def test_import_refuses_disagreeing_rows_and_repeated_problems(
    session: Session, world: World, tmp_path: Path
) -> None:
    _sample_everyone(session, world)
    path = _write(
        tmp_path / "bad.xlsx",
        [
            [FB, "2012-12-05", "甲组", 80, "隐瞒不报", "漏报", None],
            [FB, "2012-12-06", "乙组", 81, "隐瞒不报", "漏报", None],
        ],
    )
    with pytest.raises(ImportRejected) as raised:
        import_inspection_results(
            session=session, campaign_id=world.campaign_id, path=path, as_of=date(2013, 1, 10)
        )
    found = {(error.row, error.column): error.zh for error in raised.value.errors}
    assert "前后不一致（第2行为「2012-12-05」）" in found[(3, "检查日期")]
    assert "第2行为「80」" in found[(3, "得分")]
    assert "第2行为「甲组」" in found[(3, "检查人")]
    assert "重复" in found[(3, "问题描述")]


# --- the command ---------------------------------------------------------------------------


def inspect(cli: Qinglian, *args: str | Path) -> Result:
    return cli("inspect", *args)  # the real root: its usage errors are one line too


def inspect_ok(cli: Qinglian, *args: str | Path) -> Result:
    result = inspect(cli, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture(params=DATABASES)
def cli(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    unit_files: tuple[Path, Path],
) -> Iterator[Qinglian]:
    with qinglian_cli(request.param, tmp_path, monkeypatch) as harness:
        for path in unit_files:
            harness.ok("units", "import", path)
        harness.ok("cadres", "import", write_cadres(tmp_path / "cadres.xlsx"))
        harness.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH)
        yield harness


def test_cli_end_to_end(cli: Qinglian, tmp_path: Path) -> None:
    with cli.session() as session:
        campaign = str(session.exec(select(Campaign.id)).one())

    everyone = str(len(POPULATION))
    drawn = inspect_ok(
        cli, "sample", campaign, "--size", everyone, "--seed", "7", "--as-of", "2012-12-01"
    )
    names = {row["单位编码"]: row["单位名称"] for row in (*UNITS, *MORE_UNITS)}
    for code in POPULATION:
        assert names[code] in drawn.stdout
    for name in ("产科", "院监察室", "药剂科", "医务科", "设备科"):  # departments: never drawn
        assert name not in drawn.stdout
    assert "种子 seed 7" in drawn.stdout
    with cli.session() as session:
        visited = session.exec(
            select(Unit.code).join(InspectionVisit, col(InspectionVisit.unit_id) == Unit.id)
        ).all()
        assert sorted(visited) == sorted(POPULATION)
    before = cli.counts()
    again = inspect_ok(cli, "sample", campaign, "--size", everyone, "--seed", "7")
    assert "未重复创建" in again.stderr and cli.counts() == before

    recorded = inspect_ok(
        cli,
        "record",
        campaign,
        "--unit",
        FB,
        "--score",
        "82.5",
        "--problem",
        "兼职取酬:副院长在市医学会兼职取酬",
        "--problem",
        "隐瞒不报：部分科室漏报亲属从业",
        "--inspector",
        "第三检查组",
        "--on",
        "2012-12-05",
    )
    assert "新增问题线索 2 条" in recorded.stdout
    with cli.session() as session:
        sources = session.exec(select(Finding.source)).all()
        assert sources == [FindingSource.inspection] * 2
        assert len(session.exec(select(RectificationItem)).all()) == 2

    path = _write(tmp_path / "results.xlsx", [GOOD_ROWS[2]])
    imported = inspect_ok(cli, "import", campaign, path, "--as-of", "2012-12-31")
    assert "新登记 1 个单位" in imported.stdout

    listed = inspect_ok(cli, "list", campaign)
    assert "82.5" in listed.stdout and "95" in listed.stdout

    out = tmp_path / "考核.xlsx"
    written = inspect_ok(cli, "assessment", campaign, "--out", out, "--as-of", "2012-12-31")
    assert f"{len(BELOW_ROOT)} 个单位" in written.stdout  # departments assessed all the same
    sheet = load_workbook(out).active
    # the title and as-of lines, the header, a row per unit, the 合计/平均 row
    assert sheet is not None and sheet.max_row == HEADER_ROW + len(BELOW_ROOT) + 1


def test_cli_sample_without_seed_prints_how_to_repeat(cli: Qinglian) -> None:
    result = inspect_ok(cli, "sample", "1", "--size", "2")
    seed = result.stdout.split("--seed ")[1].split()[0]
    before = cli.counts()
    inspect_ok(cli, "sample", "1", "--size", "2", "--seed", seed)
    assert cli.counts() == before


@pytest.mark.parametrize(
    ("args", "zh"),
    [
        (["sample", "1", "--size", "4", "--seed", "abc"], "随机种子应为 0 到"),
        (["sample", "1", "--size", "4", "--seed", "-3"], "随机种子应为 0 到"),
        (["sample", "1", "--size", "four"], "抽查数量应为"),
        (["sample", "1", "--size", "13", "--seed", "1"], "超过可抽查的单位数 12"),
        (["sample", "x1", "--size", "2"], "专项活动编号应为"),
        (["sample", "9", "--size", "2"], "没有编号为 9 的专项活动"),
        (["sample", "1", "--size", "2", "--as-of", "2012-13-01"], "无法识别的日期"),
        (["record", "1", "--unit", "NOPE", "--score", "80"], "没有单位编码「NOPE」"),
        (["record", "1", "--unit", FB_OBSTETRICS, "--score", "80"], "抽查名单"),
        (["record", "1", "--unit", FB, "--score", "abc"], "不是数字"),
        (["record", "1", "--unit", FB, "--score", "120"], "超出范围"),
        (["record", "1", "--unit", FB, "--score", "80", "--problem", "无冒号"], "类别:描述"),
        (
            ["record", "1", "--unit", FB, "--score", "80", "--problem", "台账:缺"],
            "无法识别的问题类别",
        ),
        (["assessment", "1", "--out", "x.csv"], ".xlsx"),
    ],
)
def test_cli_refusals_are_one_bilingual_line(cli: Qinglian, args: list[str], zh: str) -> None:
    inspect_ok(cli, "sample", "1", "--size", "12", "--seed", "1", "--as-of", "2012-12-01")
    before = cli.counts()
    line = assert_one_error(inspect(cli, *args))
    assert zh in line
    assert cli.counts() == before


def test_cli_sample_larger_than_the_population_leaves_departments_out(cli: Qinglian) -> None:
    before = cli.counts()
    line = assert_one_error(inspect(cli, "sample", "1", "--size", "13", "--seed", "1"))
    # 17 units below 卫生部, 5 of them departments: 12 can be drawn
    assert "抽查数量 13 超过可抽查的单位数 12" in line
    assert "larger than the 12 unit(s)" in line
    assert cli.counts() == before


def test_cli_import_lists_the_bad_rows(cli: Qinglian, tmp_path: Path) -> None:
    inspect_ok(cli, "sample", "1", "--size", "12", "--seed", "1", "--as-of", "2012-12-01")
    path = _write(
        tmp_path / "bad.csv", [GOOD_ROWS[0], [FB, "2012-12-05", "", 120, None, None, None]]
    )
    before = cli.counts()
    result = inspect(cli, "import", "1", path, "--as-of", "2012-12-31")
    assert result.exit_code == 1
    assert "未导入任何数据" in result.stderr
    assert "bad.csv" in result.stderr and "第3行" in result.stderr and "「得分」" in result.stderr
    assert cli.counts() == before


def test_parse_problem() -> None:
    problem = parse_problem(" 隐瞒不报 ： 漏报: 亲属从业 ")
    assert (problem.category, problem.summary) == (FindingCategory.concealment, "漏报: 亲属从业")
    with pytest.raises(QinglianError):
        parse_problem(":只有描述")
