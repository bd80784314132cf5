"""Import in-scope cadres (适用对象) from an XLSX or CSV file: validate all, then upsert."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.enums import Level
from models.unit import Unit
from qinglian.core.clock import today_in_china
from qinglian.core.sql import chunked
from qinglian.exchange.cells import (
    parse_bool,
    parse_date,
    parse_identifier,
    parse_name,
    parse_text,
    shown_text,
)
from qinglian.exchange.pipeline import run_upsert
from qinglian.exchange.report import ImportReport
from qinglian.exchange.row_checks import check_date_window, check_length, flag_repeats
from qinglian.exchange.rows import CellsRow, RowCells
from qinglian.exchange.table import ColumnSpec, TableRead
from qinglian.exchange.unit_lookup import known_unit

CADRE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("staff_no", "工号", ("staff no", "staff number", "employee no", "人员编号"), True),
    ColumnSpec("name", "姓名", ("cadre name", "full name"), required=True),
    ColumnSpec("unit_code", "单位编码", ("unit", "unit code", "单位代码"), required=True),
    ColumnSpec("post", "职务", ("position", "title")),
    ColumnSpec("rank", "职级", ("grade", "级别")),
    ColumnSpec(
        "scope_category",
        "适用类别",
        ("category", "scope", "scope category", "类别", "适用对象类别"),
        required=True,
    ),
    ColumnSpec(
        "managing_unit_code",
        "管理单位编码",
        ("managing unit", "managing unit code", "管理单位", "干部管理单位编码"),
    ),
    ColumnSpec("retired", "是否离退休", ("retired", "离退休", "是否退休")),
    ColumnSpec("left_on", "离任日期", ("left on", "left date", "离职日期", "离退休日期")),
)

_TEXT_FIELDS = ("staff_no", "name", "post", "rank")
# Widths come from the table, so PostgreSQL never meets a value it would refuse.
_COLUMNS = Cadre.__table__.columns  # type: ignore[attr-defined]
_MAX_LENGTH: dict[str, int] = {key: _COLUMNS[key].type.length for key in _TEXT_FIELDS}
_DEFAULTS: dict[str, Any] = {"post": "", "rank": "", "retired": False, "left_on": None}
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}


class UnitRef(NamedTuple):
    """What cadre validation needs to know about a unit."""

    id: int
    level: Level
    parent_id: int | None


def parse_scope_category(value: Any) -> int:
    """适用类别 1–4, also written 一/二/三/四, 第1类 or 第一类."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", parse_text(value)))
    if not text:
        raise ValueError("适用类别不能为空 / the scope category is empty")
    core = re.sub(r"^第|类$|^类别", "", text)
    core = re.sub(r"\.0+$", "", core)
    number = _CHINESE_DIGITS.get(core) or (int(core) if core.isdigit() else None)
    if number is None or not 1 <= number <= 4:
        raise ValueError(
            f"适用类别「{shown_text(value)}」无效，应为 1–4（第一类至第四类）"
            f" / invalid scope category '{shown_text(value)}'; expected 1–4"
        )
    return number


def default_managing_unit_id(unit: UnitRef, scope_category: int) -> int:
    """干部管理权限 when the file leaves it empty.

    Department heads are managed by the institution the department belongs to; other
    category 4 cadres by their own unit; everyone else (a unit's leadership) by the level
    above, or by their own unit at the root.
    """
    if unit.level is Level.department:
        return unit.parent_id or unit.id
    if scope_category == 4:
        return unit.id
    return unit.parent_id or unit.id


@dataclass
class _CadreRow(CellsRow):
    staff_no: str
    values: dict[str, Any] = field(default_factory=dict)


def import_cadres(
    *,
    session: Session,
    path: Path,
    skip_invalid: bool = False,
    as_of: date | None = None,
) -> ImportReport:
    """Upsert the cadres of a file by staff number; all or nothing unless ``skip_invalid``.

    ``as_of`` is "today" for refusing dates in the future.
    """
    units = {
        code: UnitRef(id=unit_id, level=level, parent_id=parent_id)
        for unit_id, code, level, parent_id in session.exec(
            select(Unit.id, Unit.code, Unit.level, Unit.parent_id)
        ).all()
    }
    as_of = as_of or today_in_china()

    return run_upsert(
        path,
        CADRE_COLUMNS,
        validate=lambda table: _validate(table, units, as_of=as_of),
        upsert=lambda rows: _apply(session, rows),
        skip_invalid=skip_invalid,
    )


def _validate(table: TableRead, units: Mapping[str, UnitRef], *, as_of: date) -> list[_CadreRow]:
    """Parse and check every row against the file and the units in the database."""
    rows = [_parse_row(table, number, record, units, as_of) for number, record in table.rows]
    flag_repeats(
        rows,
        lambda row: row.staff_no or None,
        "staff_no",
        "工号「{row.staff_no}」重复",
        "staff number {row.staff_no!r} is duplicated",
    )
    return rows


def _parse_row(
    table: TableRead,
    number: int,
    record: dict[str, Any],
    units: Mapping[str, UnitRef],
    as_of: date,
) -> _CadreRow:
    cells = RowCells(table, CADRE_COLUMNS, number, record)
    staff_no = cells.get("staff_no", parse_identifier, "")
    if not staff_no and not cells.failed("staff_no"):
        cells.fail("staff_no", "工号不能为空", "the staff number is empty")
    name = cells.get("name", parse_name, "")
    if not name and not cells.failed("name"):
        cells.fail("name", "姓名不能为空", "the name is empty")
    category = cells.get("scope_category", parse_scope_category, 0)
    values: dict[str, Any] = {"name": name, "scope_category": category}
    optional = {
        "post": parse_name,
        "rank": parse_name,
        "retired": lambda value: bool(parse_bool(value)),
        "left_on": parse_date,
    }
    for key, parser in optional.items():
        # An absent column keeps what the database has; an empty cell clears it.
        if cells.has(key):
            values[key] = cells.get(key, parser, _DEFAULTS[key])
    for key in _TEXT_FIELDS:
        text = staff_no if key == "staff_no" else values.get(key, "")
        check_length(cells, key, text, _MAX_LENGTH[key], "内容")
    left_on = values.get("left_on")
    if left_on is not None:
        check_date_window(cells, "left_on", left_on, "离任日期", "leaving date", as_of=as_of)
    unit = _unit(cells, "unit_code", units)
    if (
        unit is None
        and not cells.failed("unit_code")
        and not cells.get("unit_code", parse_identifier, "")
    ):
        cells.fail("unit_code", "单位编码不能为空", "the unit code is empty")
    managing = _unit(cells, "managing_unit_code", units)
    if unit is not None:
        values["unit_id"] = unit.id
        if managing is not None:
            values["managing_unit_id"] = managing.id
        elif category and not cells.failed("managing_unit_code"):
            # An empty cell (or no column): the managing unit follows from the rules.
            values["managing_unit_id"] = default_managing_unit_id(unit, category)
    return _CadreRow(cells=cells, staff_no=staff_no, values=values)


def _unit(cells: RowCells, key: str, units: Mapping[str, UnitRef]) -> UnitRef | None:
    code = cells.get(key, parse_identifier, "")
    if not code:
        return None
    return known_unit(cells, key, code, units)


def _apply(session: Session, rows: Sequence[_CadreRow]) -> tuple[int, int, int]:
    existing = {cadre.staff_no: cadre for cadre in _load(session, [row.staff_no for row in rows])}
    new: list[dict[str, Any]] = []
    updated = 0
    for row in rows:
        cadre = existing.get(row.staff_no)
        if cadre is None:
            new.append({"staff_no": row.staff_no, **_DEFAULTS, **row.values})
            continue
        changes = {key: value for key, value in row.values.items() if getattr(cadre, key) != value}
        if changes:
            for key, value in changes.items():
                setattr(cadre, key, value)
            updated += 1
    if new:
        # Core executemany: an ORM unit of work per row is ten times slower here.
        session.exec(insert(Cadre), params=new)
    session.flush()
    return len(new), updated, len(rows) - len(new) - updated


def _load(session: Session, staff_nos: Sequence[str]) -> Iterator[Cadre]:
    for chunk in chunked(staff_nos):
        yield from session.exec(select(Cadre).where(col(Cadre.staff_no).in_(chunk)))
