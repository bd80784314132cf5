"""The other templates' demo tree, a district (seeds 003 and 004), and what its units deliver."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from models import Deliverable, Unit
from models.campaign import Phase
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.campaigns.templates import CampaignTemplate
from qinglian.demo.mobilize import DueItem
from qinglian.demo.tree import DemoUnit, person_name

ROOT = "XXQ"
# Units that behave badly all year, so the rates mean something: one is late, one is silent.
LATE_UNITS = frozenset({"XXQ-ZY"})
SILENT_UNITS = frozenset({"XXQ-SQ"})
NARRATIVE_LEVELS = ("county", "institution")
# What a unit writes as 说明 when it records these deliverables: the evidence of the work.
DELIVERY_NOTES = {
    "public_commitment": "整改方案、服务承诺及落实情况已于{on}在{name}门户网站「政务公开·服务承诺」"
    "栏目、门诊大厅公示栏公开，接受社会监督",
    "complaints_intake": "已向社会公布投诉举报电话和电子信箱，专人受理",
    "inspection_visits": "配合区卫生局督查组明查暗访，发现问题已限期整改",
}


@dataclass(frozen=True)
class PhaseDay:
    """A phase of the campaign as launched, and the day its run is taken."""

    key: str
    title: str
    starts_on: date
    ends_on: date
    run_on: date


def district_units() -> list[DemoUnit]:
    """XX区卫生局 → its hospitals, township health centre and community centre → departments."""
    units = [DemoUnit(ROOT, "XX区卫生局", "county", "health_admin", None, "区卫生局")]
    for code, name, departments in (
        ("RM", "XX区人民医院", ("内科", "外科", "药剂科")),
        ("ZY", "XX区中医院", ("针灸科", "药剂科")),
        ("FY", "XX区妇幼保健院", ("妇产科",)),
        ("WSY", "XX镇卫生院", ("全科",)),
        ("SQ", "XX街道社区卫生服务中心", ()),
    ):
        hospital = f"{ROOT}-{code}"
        units.append(DemoUnit(hospital, name, "institution", "public_medical", ROOT))
        units.extend(
            DemoUnit(
                f"{hospital}-D{index:02d}",
                f"{name}{department}",
                "department",
                "public_medical",
                hospital,
            )
            for index, department in enumerate(departments, start=1)
        )
    return units


def phase_days(session: Session, campaign_id: int, template: CampaignTemplate) -> list[PhaseDay]:
    """The campaign's phases in order, each run three days after it ends (never after the
    campaign's end); a phase that writes the report is run on the day the root's report is due."""
    root = campaign_root(
        session=session, campaign=get_campaign(session=session, campaign_id=campaign_id)
    )
    report_due = dict(
        session.exec(
            select(Deliverable.kind, Deliverable.due_on).where(
                Deliverable.campaign_id == campaign_id, Deliverable.unit_id == root.id
            )
        ).all()
    )
    days = []
    for phase in session.exec(
        select(Phase).where(Phase.campaign_id == campaign_id).order_by(col(Phase.seq))
    ):
        run_on = min(phase.ends_on + timedelta(days=3), template.end)
        report = template.phase(phase.key).report_deliverable
        if report is not None and report in report_due:
            run_on = max(report_due[report], phase.starts_on)
        days.append(PhaseDay(phase.key, phase.title, phase.starts_on, phase.ends_on, run_on))
    return days


def district_deliveries(
    items: list[DueItem], phase: PhaseDay, names: Mapping[str, str], rng: random.Random
) -> list[dict[str, object]]:
    """Most units on time; 中医院 late, the community centre mostly silent, a few slips."""
    rows: list[dict[str, object]] = []
    for item in items:
        if item.unit_code in SILENT_UNITS and rng.random() < 0.6:
            continue
        if rng.random() < 0.05:
            continue  # forgotten: missing
        late = item.unit_code in LATE_UNITS or rng.random() < 0.1
        slack = rng.randint(1, 6) if late else rng.randint(-6, 0)
        on = min(max(phase.starts_on, item.due_on + timedelta(days=slack)), phase.run_on)
        row: dict[str, object] = {"单位编码": item.unit_code, "事项": item.title, "完成日期": on}
        note = DELIVERY_NOTES.get(item.kind)
        if note:
            row["说明"] = note.format(on=on.isoformat(), name=names.get(item.unit_code, ""))
        if item.kind == "leading_group":
            row.update(
                {
                    "组长": person_name(rng),
                    "副组长": "、".join(person_name(rng) for _ in range(2)),
                    "成员": "、".join(person_name(rng) for _ in range(3)),
                    "办公室": "纪检监察室" if item.unit_code == ROOT else "院办公室",
                }
            )
        rows.append(row)
    return rows


def district_narratives(
    session: Session,
    root_path: str,
    phase: PhaseDay,
    dues: Mapping[str, date],
    rng: random.Random,
) -> list[dict[str, object]]:
    """The phase summary (阶段性总结) of the bureau and each institution, around each one's
    deadline (``dues`` by unit code); the late unit is late, the silent one silent."""
    rows: list[dict[str, object]] = []
    for code, level in session.exec(
        select(Unit.code, Unit.level)
        .where(col(Unit.path).startswith(root_path))
        .order_by(Unit.depth, Unit.code)
    ):
        if level.value not in NARRATIVE_LEVELS or code in SILENT_UNITS:
            continue
        slack = rng.randint(1, 5) if code in LATE_UNITS else rng.randint(-3, 0)
        on = max(dues.get(code, phase.ends_on) + timedelta(days=slack), phase.starts_on)
        rows.append(
            {
                "单位编码": code,
                "阶段": phase.title,
                "总结内容": f"按照区卫生局统一部署，我单位认真开展{phase.title}阶段各项工作，"
                "对照方案逐项落实，存在的问题已列入下一阶段整改。",
                "提交日期": min(on, phase.run_on),
                "提交人": "活动办公室",
            }
        )
    return rows
