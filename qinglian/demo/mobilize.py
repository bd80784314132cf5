"""The mobilisation phase as it really went: what each demo unit delivered, and when."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import Session, col, select

from models import Deliverable, Unit
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.demo.tree import person_name


@dataclass(frozen=True)
class DueItem:
    unit_code: str
    kind: str
    title: str
    due_on: date


def due_items(session: Session, campaign_id: int, phase_key: str) -> list[DueItem]:
    """Every unit's deliverables of a phase with the deadline the cascade gave it."""
    phase = get_phase(
        session=session,
        campaign=get_campaign(session=session, campaign_id=campaign_id),
        key=phase_key,
    )
    rows = session.exec(
        select(Unit.code, Deliverable.kind, Deliverable.title, Deliverable.due_on)
        .join(Unit, col(Unit.id) == Deliverable.unit_id)
        .where(Deliverable.phase_id == phase.id)
        .order_by(Unit.code, Deliverable.due_on, Deliverable.id)
    ).all()
    return [DueItem(*row) for row in rows]


def demo_deliveries(
    items: list[DueItem], start_on: date, rng: random.Random
) -> list[dict[str, object]]:
    """Most units on time, some late, some never: the mobilisation phase as it really went."""
    behaviour: dict[str, float] = {}
    meetings: dict[str, date] = {}
    rows: list[dict[str, object]] = []
    for item in items:
        # A unit is diligent, sluggish or absent across the whole phase.
        mood = behaviour.setdefault(item.unit_code, rng.random())
        if mood > 0.93 and rng.random() < 0.8:
            continue  # never submitted: shows as missing
        if item.kind == "mobilization_report" and item.unit_code in meetings:
            on = meetings[item.unit_code] + timedelta(days=rng.randint(2, 9))
        else:
            slack = rng.randint(-5, 0) if mood < 0.8 else rng.randint(1, 6)
            on = max(start_on, item.due_on + timedelta(days=slack))
        if item.kind == "mobilization_meeting":
            meetings[item.unit_code] = on
        row: dict[str, object] = {"单位编码": item.unit_code, "事项": item.title, "完成日期": on}
        if item.kind == "leading_group":
            row.update(_leading_group(item.unit_code, rng))
        rows.append(row)
    return rows


def _leading_group(unit_code: str, rng: random.Random) -> dict[str, object]:
    if unit_code == "JS-LYG-FB":  # as published in seed 002 (连妇保〔2012〕88号)
        return {
            "组长": "施庆喜、邵亚玲",
            "副组长": "程学亮、顾扬、王泰康",
            "成员": "潘菁、许成、彭润民、丁贤、卢云",
            "办公室": "院监察室",
        }
    office = "纪检监察室" if unit_code.count("-") < 2 else "监察室"
    return {
        "组长": person_name(rng),
        "副组长": "、".join(person_name(rng) for _ in range(2)),
        "成员": "、".join(person_name(rng) for _ in range(4)),
        "办公室": office,
    }


def write_deliveries_xlsx(rows: list[dict[str, object]], path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "上报事项"
    header = ["单位编码", "事项", "完成日期", "说明", "组长", "副组长", "成员", "办公室"]
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column, "") for column in header])
    workbook.save(path)
