"""Phase-summary narratives as units write them, and the inspection teams' visits."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import Session, col, select

from models import Deliverable, Phase, Unit
from models.enums import FindingCategory
from qinglian.demo.mobilize import DueItem
from qinglian.reporting.narratives import summary_deliverable_kind

NARRATIVE_LEVELS = ("ministry", "province", "city", "county", "institution")

_OPENINGS = {
    "mobilize": "按照上级统一部署，我单位及时成立领导小组和专项活动办公室，召开动员会，"
    "制定实施方案，组织干部集中学习《关于卫生系统领导干部防止利益冲突的若干规定》，"
    "做到文件规定的所有干部人人知晓、人人受教育。",
    "find": "我单位组织适用对象逐人填写《卫生系统领导干部防止利益冲突有关事项报告表》，"
    "对照四个重点问题逐项自查，结合信访举报核查报告内容，梳理需修订的制度清单。",
    "rectify": "针对查找出的问题，我单位逐项制定整改措施，明确责任人和整改时限，"
    "实行台账管理、销号制度；对制度进行保留、修订、废止和新建。",
    "summarize": "专项活动即将结束，我单位对照实施方案逐项检查，接受上级检查组抽查，"
    "认真总结经验做法，形成书面综合情况报告。",
}
_CLOSINGS = (
    "下一步，我们将把防止利益冲突工作纳入日常监督，建立长效机制。",
    "存在的主要问题是个别科室重视不够、报告不够及时，下一步将加强督促检查。",
    "我们将以此次活动为契机，进一步加强党风廉政建设和行风建设。",
)


def narrative_units(session: Session) -> list[tuple[int, str, str]]:
    """Units that write narratives in the demo: every level down to hospitals (not depts)."""
    return [
        (unit_id or 0, code, level.value)
        for unit_id, code, level in session.exec(
            select(Unit.id, Unit.code, Unit.level).order_by(Unit.depth, Unit.code)
        )
        if level.value in NARRATIVE_LEVELS
    ]


def demo_narratives(
    session: Session,
    campaign_id: int,
    phase_keys: tuple[str, ...],
    as_of: date,
    rng: random.Random,
) -> list[dict[str, object]]:
    """Most units write each phase's summary around its deadline; a few are late or silent."""
    units = narrative_units(session)
    phases = {
        phase.key: phase
        for phase in session.exec(select(Phase).where(Phase.campaign_id == campaign_id))
    }
    dues = {
        (unit_id, kind): due
        for unit_id, kind, due in session.exec(
            select(Deliverable.unit_id, Deliverable.kind, Deliverable.due_on).where(
                Deliverable.campaign_id == campaign_id,
                col(Deliverable.kind).in_([summary_deliverable_kind(key) for key in phase_keys]),
            )
        )
    }
    rows: list[dict[str, object]] = []
    for key in phase_keys:
        phase = phases[key]
        for unit_id, code, _level in units:
            luck = rng.random()
            if luck > 0.93:
                continue  # never wrote it: the deliverable stays missing
            due = dues.get((unit_id, summary_deliverable_kind(key)), phase.ends_on)
            slack = rng.randint(-4, 0) if luck < 0.8 else rng.randint(1, 8)
            on = min(max(due + timedelta(days=slack), phase.starts_on), as_of)
            rows.append(
                {
                    "单位编码": code,
                    "阶段": phase.title,
                    "总结内容": f"{_OPENINGS.get(key, '')}{rng.choice(_CLOSINGS)}",
                    "提交日期": on,
                    "提交人": "专项活动办公室",
                }
            )
    return rows


def write_narratives_xlsx(rows: list[dict[str, object]], path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "阶段性总结"
    header = ["单位编码", "阶段", "总结内容", "提交日期", "提交人"]
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header])
    workbook.save(path)


def without_summaries(items: list[DueItem]) -> list[DueItem]:
    """A phase's deliverables except its summary, which units submit as a narrative."""
    return [item for item in items if not item.kind.endswith("_summary")]


INSPECTION_PROBLEMS = (
    ("unapproved_or_paid_post", "个别领导干部兼职未履行审批手续"),
    ("recusal_not_observed", "药品招标采购中应回避人员未回避"),
    ("concealment", "《报告表》填报不全，漏报配偶经商情况"),
)


def demo_inspection_rows(
    visits: list[tuple[str, bool]], inspected_from: date, rng: random.Random
) -> list[dict[str, object]]:
    """The teams' findings per visited unit (code, lagging): lagging units score lower."""
    rows: list[dict[str, object]] = []
    for number, (code, lagging) in enumerate(visits):
        on = inspected_from + timedelta(days=number % 5)
        score = round(rng.uniform(62, 80) if lagging else rng.uniform(82, 97), 1)
        base = {
            "单位编码": code,
            "检查日期": on,
            "检查人": f"卫生部第{number % 3 + 1}检查组",
            "得分": score,
        }
        problems = [p for p in INSPECTION_PROBLEMS if rng.random() < (0.5 if lagging else 0.12)]
        if not problems:
            rows.append(base | {"问题类别": None, "问题描述": None})
        for category, text in problems:
            rows.append(base | {"问题类别": FindingCategory(category).label, "问题描述": text})
    return rows


def write_inspection_xlsx(rows: list[dict[str, object]], path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "检查结果"
    header = ["单位编码", "检查日期", "检查人", "得分", "问题类别", "问题描述"]
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header])
    workbook.save(path)
