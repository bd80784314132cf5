"""Validating inspection result rows: each row's cells, then each unit's rows together."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import Campaign
from models.enums import FindingCategory
from models.finding import Finding
from models.inspection import InspectionVisit, ProblemIn
from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root
from qinglian.core.sql import chunked
from qinglian.exchange.cells import parse_code, parse_date, parse_identifier, parse_text
from qinglian.exchange.row_checks import check_date_window, check_length
from qinglian.exchange.rows import CellsRow, RowCells
from qinglian.exchange.table import ColumnSpec, TableRead
from qinglian.exchange.unit_lookup import campaign_unit
from qinglian.inspection.values import normalise_summary, parse_problem_category, parse_score

INSPECTION_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "unit_code",
        "单位编码",
        ("unit", "unit code", "单位代码", "被检查单位编码"),
        required=True,
    ),
    ColumnSpec(
        "inspected_on",
        "检查日期",
        ("date", "inspected on", "inspection date", "检查时间", "抽查日期"),
        required=True,
    ),
    ColumnSpec("inspector", "检查人", ("inspector", "inspected by", "检查组", "检查人员")),
    ColumnSpec("score", "得分", ("score", "抽查得分", "检查得分", "分数"), required=True),
    ColumnSpec("category", "问题类别", ("category", "problem category", "类别")),
    ColumnSpec(
        "summary",
        "问题描述",
        ("problem", "description", "summary", "问题", "存在问题", "问题内容"),
    ),
    ColumnSpec("staff_no", "工号", ("staff no", "staff number", "干部工号", "人员工号")),
    ColumnSpec("note", "备注", ("note", "notes", "remark", "说明")),
)
# What one unit's rows must agree on, and how the column is named in an error.
_SHARED = {
    "score": ("得分", "score"),
    "inspected_on": ("检查日期", "inspection date"),
    "inspector": ("检查人", "inspector"),
    "note": ("备注", "note"),
}
_MAX_SUMMARY: int = Finding.__table__.columns["summary"].type.length  # type: ignore[attr-defined]
_VISIT_COLUMNS = InspectionVisit.__table__.columns  # type: ignore[attr-defined]
_MAX = {
    "inspector": _VISIT_COLUMNS["inspector"].type.length,
    "note": _VISIT_COLUMNS["note"].type.length,
}


class _UnitRef(NamedTuple):
    id: int
    path: str


@dataclass
class ResultRow(CellsRow):
    """One row of the results file: its unit, what the unit's rows share, its problem."""

    unit_code: str = ""
    shared: dict[str, Any] = field(default_factory=dict)
    problem: ProblemIn | None = None


def by_unit(rows: Sequence[ResultRow]) -> dict[str, list[ResultRow]]:
    """The rows of each unit (by 单位编码), in file order."""
    grouped: dict[str, list[ResultRow]] = defaultdict(list)
    for row in rows:
        grouped[row.unit_code].append(row)
    return dict(grouped)


def validate_results(
    session: Session, table: TableRead, campaign: Campaign, as_of: date
) -> list[ResultRow]:
    """Parse every row, then check each unit's rows together."""
    root_path = campaign_root(session=session, campaign=campaign).path
    units = {
        code: _UnitRef(unit_id, unit_path)
        for unit_id, code, unit_path in session.exec(select(Unit.id, Unit.code, Unit.path))
        if unit_id is not None
    }
    sampled = set(
        session.exec(
            select(InspectionVisit.unit_id).where(col(InspectionVisit.campaign_id) == campaign.id)
        ).all()
    )
    staff = {
        parse_code(record.get("staff_no"))
        for _, record in table.rows
        if parse_code(record.get("staff_no"))
    }
    cadres = _cadres(session, sorted(staff))
    rows = [
        _parse_row(table, number, record, campaign, as_of, units, root_path, sampled, cadres)
        for number, record in table.rows
    ]
    _check_units(rows)
    return rows


def _cadres(session: Session, staff_nos: Sequence[str]) -> dict[str, str]:
    """工号 → the path of the cadre's unit."""
    found: dict[str, str] = {}
    for chunk in chunked(staff_nos):
        for staff_no, unit_path in session.exec(
            select(Cadre.staff_no, Unit.path)
            .join(Unit, col(Unit.id) == Cadre.unit_id)
            .where(col(Cadre.staff_no).in_(chunk))
        ):
            found[staff_no] = unit_path
    return found


def _parse_row(
    table: TableRead,
    number: int,
    record: dict[str, Any],
    campaign: Campaign,
    as_of: date,
    units: Mapping[str, _UnitRef],
    root_path: str,
    sampled: set[int],
    cadres: Mapping[str, str],
) -> ResultRow:
    cells = RowCells(table, INSPECTION_COLUMNS, number, record)
    row = ResultRow(cells=cells)
    unit = _unit(cells, units, root_path, sampled, campaign)
    row.unit_code = _code_or_blank(record.get("unit_code"))

    if record.get("score") is not None:
        score = cells.get("score", parse_score, None)
        if score is not None:
            row.shared["score"] = score

    inspected_on = cells.get("inspected_on", parse_date, None)
    if inspected_on is not None and check_date_window(
        cells,
        "inspected_on",
        inspected_on,
        "检查日期",
        "inspection date",
        start_on=campaign.start_on,
        as_of=as_of,
    ):
        row.shared["inspected_on"] = inspected_on

    for key in ("inspector", "note"):
        text = normalise_summary(cells.get(key, parse_text, ""))
        if check_length(cells, key, text, _MAX[key], *_SHARED[key]) and text:
            row.shared[key] = text

    row.problem = _problem(cells, unit, cadres)
    return row


def _unit(
    cells: RowCells,
    units: Mapping[str, _UnitRef],
    root_path: str,
    sampled: set[int],
    campaign: Campaign,
) -> _UnitRef | None:
    unit = campaign_unit(cells, units, root_path)
    if unit is None:
        return None
    if unit.id not in sampled:
        code = parse_identifier(cells.record.get("unit_code"))
        cells.fail(
            "unit_code",
            f"单位「{code}」不在专项活动 {campaign.id} 的抽查名单中",
            f"unit {code!r} is not in any inspection sample of campaign {campaign.id}",
        )
        return None
    return unit


def _problem(cells: RowCells, unit: _UnitRef | None, cadres: Mapping[str, str]) -> ProblemIn | None:
    has_category = cells.record.get("category") is not None
    has_summary = cells.record.get("summary") is not None
    staff_no = cells.get("staff_no", parse_identifier, "")
    if not has_category and not has_summary:
        if staff_no:
            cells.fail(
                "staff_no",
                "填写了工号却没有问题：请填写问题类别和问题描述",
                "a staff number without a problem: fill in the category and description",
            )
        return None
    category: FindingCategory | None = None
    if has_category:
        category = cells.get("category", parse_problem_category, None)
    else:
        cells.fail("category", "有问题描述时须填写问题类别", "a problem needs its category")
    summary = normalise_summary(cells.get("summary", parse_text, ""))
    if not has_summary:
        cells.fail("summary", "有问题类别时须填写问题描述", "a problem needs its description")
    else:
        check_length(cells, "summary", summary, _MAX_SUMMARY, "问题描述", "description")
    if staff_no:
        cadre_path = cadres.get(staff_no)
        if cadre_path is None:
            cells.fail(
                "staff_no",
                f"工号「{staff_no}」不存在（请先导入干部）",
                f"no cadre with staff number {staff_no!r} (import the cadres first)",
            )
        elif unit is not None and not cadre_path.startswith(unit.path):
            cells.fail(
                "staff_no",
                f"工号「{staff_no}」的干部不属于被检查单位",
                f"the cadre {staff_no!r} does not belong to the inspected unit",
            )
    if cells.errors or category is None:
        return None
    return ProblemIn(category=category, summary=summary, staff_no=staff_no or None)


def _check_units(rows: Sequence[ResultRow]) -> None:
    """One unit's rows agree on its score, date, inspector and note; no problem is listed twice."""
    for unit_rows in by_unit([row for row in rows if row.unit_code]).values():
        first_seen: dict[str, tuple[Any, int]] = {}
        for row in unit_rows:
            for key, value in row.shared.items():
                seen = first_seen.setdefault(key, (value, row.number))
                if seen[0] != value:
                    zh, en = _SHARED[key]
                    row.cells.fail(
                        key,
                        f"同一单位的{zh}前后不一致（第{seen[1]}行为「{_shown(seen[0])}」）",
                        f"this unit's {en} differs from row {seen[1]} ({_shown(seen[0])})",
                    )
        for key in ("score", "inspected_on"):
            if key not in first_seen and not any(row.cells.failed(key) for row in unit_rows):
                zh, en = _SHARED[key]
                unit_rows[0].cells.fail(
                    key, f"须填写{zh}（本单位各行均为空）", f"the {en} is missing on every row"
                )
        problems: dict[tuple[str, str, str], int] = {}
        for row in unit_rows:
            if row.problem is None:
                continue
            key = (
                row.problem.category.value,
                unicodedata.normalize("NFKC", row.problem.summary),
                row.problem.staff_no or "",
            )
            other = problems.setdefault(key, row.number)
            if other != row.number:
                row.cells.fail(
                    "summary",
                    f"同一单位的问题重复（另见第{other}行）",
                    f"the same problem is listed twice for this unit (see row {other})",
                )


def _code_or_blank(value: Any) -> str:
    """The row's 单位编码 for grouping its unit's rows; blank when refused (said already)."""
    try:
        return parse_identifier(value)
    except ValueError:
        return ""


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
