"""明查暗访 (seed 004): inspection visits spread across the window, their problems rectified,
the typical case exposed (公开曝光), and the year-end assessment that counts it (纳入年终考核)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from rich.table import Table
from sqlmodel import col, select

from models.enums import FindingCategory, FindingSource, RectificationStatus
from models.finding import Finding
from models.rectification import RectificationItem
from models.unit import Unit
from qinglian.core import db
from qinglian.demo.context import DemoRun
from qinglian.demo.summarize import write_inspection_xlsx
from qinglian.inspection.assessment import assessment_rows
from qinglian.inspection.exposure import EXPOSED_IN, EXPOSED_ON, record_exposure
from qinglian.inspection.import_results import import_inspection_results
from qinglian.inspection.samples import draw_inspection_sample
from qinglian.rectification.progress import update_rectification_status
from qinglian.reporting.artifacts import percent

ROUNDS = 4  # 不打招呼、不定时间: four rounds across the window
VISITS_PER_ROUND = 2
_SEED = 2023
# The first visit of these rounds finds a problem; the rest find one by chance.
_CERTAIN = {0: 0, 2: 1}
_PROBLEMS = (
    (FindingCategory.concealment, "虚报、瞒报门诊统计数据，报喜不报忧"),
    (FindingCategory.recusal_not_observed, "药品耗材采购中应回避人员未回避"),
    (FindingCategory.relative_business, "利用职务便利为亲属推销医疗器械"),
)
EXPOSED_IN_TEXT = "区卫生系统通报（区卫发〔2023〕{n}号）；《XX日报》“作风建设曝光台”"


@dataclass(frozen=True)
class Visit:
    day: date
    unit_code: str
    unit_name: str
    inspector: str
    score: float
    problems: int


def inspection_rounds(run: DemoRun, starts_on: date, ends_on: date) -> list[Visit]:
    """Visits in ``ROUNDS`` rounds spread over ``starts_on``..``ends_on``; each recorded as the
    office would (an inspection sample drawn, then the teams' results imported as a file)."""
    span = (ends_on - starts_on).days
    visits: list[Visit] = []
    for number in range(ROUNDS):
        drawn_on = starts_on + timedelta(days=span * (2 * number + 1) // (2 * ROUNDS))
        with db.session_scope() as session:
            sample = draw_inspection_sample(
                session=session,
                campaign_id=run.campaign_id,
                size=VISITS_PER_ROUND,
                seed=_SEED + number,
                as_of=drawn_on,
            )
        rows: list[dict[str, object]] = []
        for index, visit in enumerate(sample.visits):
            day = min(drawn_on + timedelta(days=index + 1), ends_on)
            kind = "暗访" if number % 2 else "明查"
            score = round(run.rng.uniform(64, 78) if visit.lagging else run.rng.uniform(80, 96), 1)
            base = {
                "单位编码": visit.unit_code,
                "检查日期": day,
                "检查人": f"区卫生局第{index + 1}督查组（{kind}）",
                "得分": score,
            }
            chance = run.rng.random()
            problem = _PROBLEMS[(number + index) % len(_PROBLEMS)]
            found = [problem] if _CERTAIN.get(number) == index or chance < 0.25 else []
            for category, text in found:
                rows.append(base | {"问题类别": category.label, "问题描述": text})
            if not found:
                rows.append(base)
            visits.append(
                Visit(day, visit.unit_code, visit.unit_name, str(base["检查人"]), score, len(found))
            )
        path = run.folder / f"inspection_round_{number + 1}.xlsx"
        write_inspection_xlsx(rows, path)
        with db.session_scope() as session:
            import_inspection_results(
                session=session,
                campaign_id=run.campaign_id,
                path=path,
                as_of=max(visit.day for visit in visits),
            )
    return visits


def rectify_and_expose(run: DemoRun, ends_on: date) -> list[tuple[str, str, date, str]]:
    """督促整改: most problems rectified before their deadline; 公开曝光: the falsified figures
    (弄虚作假) named in the district's bulletin and the press. Returns (unit, problem, day, where)."""
    exposed: list[tuple[str, str, date, str]] = []
    with db.session_scope() as session:
        items = session.exec(
            select(RectificationItem)
            .join(Finding, col(Finding.id) == RectificationItem.finding_id)
            .where(
                RectificationItem.campaign_id == run.campaign_id,
                Finding.source == FindingSource.inspection,
            )
            .order_by(col(RectificationItem.id))
        ).all()
        for item in items:
            if item.done_on is None and run.rng.random() < 0.75:
                assert item.id is not None
                update_rectification_status(
                    session=session,
                    item_id=item.id,
                    status=RectificationStatus.done,
                    changed_on=min(item.due_on - timedelta(days=run.rng.randint(2, 12)), ends_on),
                    evidence="整改报告、告诫谈话记录及修订后的制度",
                )
        typical = session.exec(
            select(Finding, Unit.name)
            .join(Unit, col(Unit.id) == Finding.unit_id)
            .where(
                Finding.campaign_id == run.campaign_id,
                Finding.source == FindingSource.inspection,
                Finding.category == FindingCategory.concealment,
            )
            .order_by(col(Finding.id))
        ).all()
        for number, (finding, unit_name) in enumerate(typical, start=1):
            assert finding.id is not None
            record_exposure(
                session=session,
                campaign_id=run.campaign_id,
                finding_id=finding.id,
                exposed_on=min(finding.found_on + timedelta(days=14), ends_on),
                exposed_in=EXPOSED_IN_TEXT.format(n=20 + number),
            )
            exposed.append(
                (
                    unit_name,
                    finding.summary,
                    date.fromisoformat(finding.evidence[EXPOSED_ON]),
                    finding.evidence[EXPOSED_IN],
                )
            )
    return exposed


def visits_table(visits: list[Visit], starts_on: date, ends_on: date) -> Table:
    table = Table(
        "日期 day",
        "单位 unit",
        "督查组 team",
        "得分 score",
        "问题 problems",
        title=f"明查暗访（{len(visits)} 次，{starts_on} 至 {ends_on}）/ inspection visits",
    )
    for visit in sorted(visits, key=lambda v: (v.day, v.unit_code)):
        table.add_row(
            str(visit.day),
            visit.unit_name,
            visit.inspector,
            f"{visit.score:.1f}",
            str(visit.problems or ""),
        )
    return table


def assessment_table(run: DemoRun, as_of: date) -> Table:
    """The year-end assessment (年终考核) as the workbook has it, exposures counted."""
    with db.session_scope() as session:
        rows = assessment_rows(session=session, campaign_id=run.campaign_id, as_of=as_of)
    table = Table(
        "单位",
        "报送完整率",
        "按时率",
        "问题数",
        "整改率",
        "抽查得分",
        "通报曝光",
        "综合得分",
        title=f"年终考核（截至 {as_of}，公开曝光纳入考核）/ year-end assessment",
    )
    for row in rows:
        if row.level.value == "department":
            continue
        table.add_row(
            row.unit_name,
            percent(row.completeness),
            percent(row.timeliness),
            str(row.findings),
            percent(row.rectification_rate),
            "" if row.inspection_score is None else f"{row.inspection_score:.1f}",
            str(row.exposures or ""),
            f"{row.composite:.1f}",
        )
    return table
