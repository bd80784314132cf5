"""Import what units delivered in a phase (上报事项) from an XLSX or CSV file.

Columns: 单位编码, 事项 (the deliverable's key or its Chinese title), 完成日期, 说明, and for the
leading group 组长, 副组长, 成员 (names separated by 、 , ；) and 办公室 (where the office sits).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models import Deliverable, GroupRole, LeadingGroupMember, Unit
from qinglian.campaigns.launch import record_delivery, record_leading_group
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.clock import today_in_china
from qinglian.core.sql import chunked
from qinglian.exchange.cells import parse_code, parse_date, parse_identifier, parse_text
from qinglian.exchange.pipeline import run_import
from qinglian.exchange.report import ImportReport
from qinglian.exchange.row_checks import flag_repeats
from qinglian.exchange.rows import CellsRow, RowCells
from qinglian.exchange.table import ColumnSpec, TableRead

DELIVERY_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("unit_code", "单位编码", ("unit", "unit code", "单位代码"), required=True),
    ColumnSpec("item", "事项", ("deliverable", "item", "上报事项", "事项名称"), required=True),
    ColumnSpec(
        "submitted_on", "完成日期", ("date", "submitted on", "提交日期", "上报日期"), required=True
    ),
    ColumnSpec("note", "说明", ("note", "备注")),
    ColumnSpec("leaders", "组长", ("leader", "leaders")),
    ColumnSpec("deputies", "副组长", ("deputy", "deputies")),
    ColumnSpec("members", "成员", ("member", "members")),
    ColumnSpec("office", "办公室", ("office", "办公室设在")),
)
_NAME_SEPARATORS = re.compile(r"[、,，;；/\n]+")


@dataclass
class _Row(CellsRow):
    unit: Unit | None = None
    deliverable: Deliverable | None = None
    submitted_on: date | None = None
    note: str = ""
    group: dict[GroupRole, list[str]] = field(default_factory=dict)
    office: str = ""


def split_names(value: Any) -> list[str]:
    """「施庆喜、邵亚玲」→ two names. Spaces inside a name (顾  扬) are padding, not separators."""
    parts = _NAME_SEPARATORS.split(parse_text(value))
    return list(dict.fromkeys(re.sub(r"\s+", "", part) for part in parts if part.strip()))


def import_deliveries(
    *,
    session: Session,
    campaign_id: int,
    path: Path,
    skip_invalid: bool = False,
    as_of: date | None = None,
) -> ImportReport:
    """Record each row's deliverable as submitted; all or nothing unless ``skip_invalid``.

    ``as_of`` (the simulated day; today in China by default) is the date no delivery can be after.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    as_of = as_of or today_in_china()

    def apply(rows: list[_Row], report: ImportReport) -> None:
        for row in rows:
            if _unchanged(session, campaign_id, row):
                report.unchanged += 1
                continue
            _apply(session, campaign_id, row, as_of)
            report.updated += 1

    return run_import(
        path,
        DELIVERY_COLUMNS,
        validate=lambda table: _validate(session, table, campaign_id, campaign.start_on, as_of),
        apply=apply,
        report_type=ImportReport,
        skip_invalid=skip_invalid,
    )


def _validate(
    session: Session, table: TableRead, campaign_id: int, start_on: date, as_of: date
) -> list[_Row]:
    codes = sorted({parse_code(record.get("unit_code")) for _, record in table.rows})
    units = {
        unit.code: unit
        for chunk in chunked(codes)
        for unit in session.exec(select(Unit).where(col(Unit.code).in_(chunk)))
    }
    deliverables: dict[int, list[Deliverable]] = defaultdict(list)
    unit_ids = [unit.id for unit in units.values()]
    for chunk in chunked(unit_ids):
        for item in session.exec(
            select(Deliverable).where(
                Deliverable.campaign_id == campaign_id, col(Deliverable.unit_id).in_(chunk)
            )
        ):
            deliverables[item.unit_id].append(item)

    rows = []
    for number, record in table.rows:
        row = _Row(cells=RowCells(table, DELIVERY_COLUMNS, number, record))
        _parse(row, units, deliverables, start_on, as_of)
        rows.append(row)
    flag_repeats(
        rows,
        lambda row: (
            (row.unit.id or 0, row.deliverable.id or 0) if row.unit and row.deliverable else None
        ),
        "item",
        "同一单位的同一事项重复出现",
        "the same unit and item appear twice",
    )
    return rows


def _parse(
    row: _Row,
    units: dict[str, Unit],
    deliverables: dict[int, list[Deliverable]],
    start_on: date,
    as_of: date,
) -> None:
    cells = row.cells
    code = cells.get("unit_code", parse_identifier, "")
    item = cells.get("item", parse_text, "")
    row.submitted_on = cells.get("submitted_on", parse_date, None)
    row.note = cells.get("note", parse_text, "")
    if not code:
        if not cells.failed("unit_code"):
            cells.fail("unit_code", "单位编码不能为空", "the unit code is empty")
    elif code not in units:
        cells.fail("unit_code", f"没有单位编码「{code}」", f"no unit with code {code!r}")
    else:
        row.unit = units[code]
    if not item:
        cells.fail("item", "事项不能为空", "the item is empty")
    elif row.unit is not None:
        options = deliverables.get(row.unit.id or 0, [])
        row.deliverable = next((d for d in options if item in (d.kind, d.title)), None)
        if row.deliverable is None:
            cells.fail(
                "item",
                f"单位 {code} 在本专项活动中没有事项「{item}」",
                f"unit {code} has no item {item!r} in this campaign",
            )
    if row.submitted_on is None and not cells.failed("submitted_on"):
        cells.fail("submitted_on", "完成日期不能为空", "the date is empty")
    elif row.submitted_on is not None and row.submitted_on < start_on:
        cells.fail(
            "submitted_on",
            f"日期早于专项活动开始日期 {start_on}",
            f"the date is before the campaign start {start_on}",
        )
    elif row.submitted_on is not None and row.submitted_on > as_of:
        cells.fail("submitted_on", "日期晚于今天", "the date is in the future")
    if row.deliverable is not None and row.deliverable.kind == "leading_group":
        row.group = {
            GroupRole.leader: cells.get("leaders", split_names, []),
            GroupRole.deputy: cells.get("deputies", split_names, []),
            GroupRole.member: cells.get("members", split_names, []),
        }
        row.office = cells.get("office", parse_text, "")
        if not row.group[GroupRole.leader]:
            cells.fail("leaders", "领导小组须填写组长", "a leading group needs a leader")
        if not row.office:
            cells.fail("office", "须填写办公室设在何处", "say where the campaign office sits")


def _unchanged(session: Session, campaign_id: int, row: _Row) -> bool:
    assert row.deliverable is not None and row.unit is not None
    same = row.deliverable.submitted_on == row.submitted_on and (
        not row.note or row.deliverable.note == row.note
    )
    if not same or not row.group:
        return same
    members = session.exec(
        select(LeadingGroupMember).where(
            LeadingGroupMember.campaign_id == campaign_id,
            LeadingGroupMember.unit_id == row.unit.id,
        )
    ).all()
    current = {role: [m.name for m in members if m.role == role] for role in GroupRole}
    return (
        all(sorted(current[role]) == sorted(row.group[role]) for role in GroupRole)
        and row.deliverable.detail.get("office") == row.office
    )


def _apply(session: Session, campaign_id: int, row: _Row, as_of: date) -> None:
    assert row.unit is not None and row.deliverable is not None and row.submitted_on
    if row.group:
        record_leading_group(
            session=session,
            campaign_id=campaign_id,
            unit_code=row.unit.code,
            submitted_on=row.submitted_on,
            office=row.office,
            leaders=row.group[GroupRole.leader],
            deputies=row.group[GroupRole.deputy],
            members=row.group[GroupRole.member],
            as_of=as_of,
        )
    else:
        record_delivery(
            session=session,
            campaign_id=campaign_id,
            unit_code=row.unit.code,
            kind=row.deliverable.kind,
            submitted_on=row.submitted_on,
            note=row.note,
            as_of=as_of,
        )
