"""Import the organisational tree (单位) from an XLSX or CSV file: validate all, then upsert."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from models.enums import Level
from models.unit import Unit
from qinglian.exchange.cells import parse_identifier, parse_name, parse_text
from qinglian.exchange.pipeline import run_upsert
from qinglian.exchange.report import ImportReport
from qinglian.exchange.row_checks import check_length, flag_repeats
from qinglian.exchange.rows import CellsRow, RowCells
from qinglian.exchange.table import ColumnSpec, TableRead
from qinglian.org.unit_cells import (
    parse_aliases,
    parse_email,
    parse_kind,
    parse_level,
    parse_mobile,
    parse_target_name,
)

UNIT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("code", "单位编码", ("unit code", "unit_code", "单位代码", "编码"), required=True),
    ColumnSpec("name", "单位名称", ("unit name", "unit", "名称"), required=True),
    ColumnSpec("aliases", "简称", ("alias", "short name", "short names", "别名")),
    ColumnSpec("level", "层级", ("level", "级别", "unit level"), required=True),
    ColumnSpec("kind", "类型", ("type", "unit kind", "unit type", "单位类型"), required=True),
    ColumnSpec(
        "parent_code", "上级单位编码", ("parent", "parent code", "上级编码", "上级单位代码")
    ),
    ColumnSpec("office_email", "办公室邮箱", ("office email", "email", "邮箱")),
    ColumnSpec("office_webhook", "办公室Webhook", ("webhook", "office webhook", "通知目标")),
    ColumnSpec("head", "负责人", ("unit head", "负责人姓名")),
    ColumnSpec("discipline_email", "纪检邮箱", ("discipline email", "纪检组邮箱")),
    # Mobile numbers, to @-mention the responsible person in WeCom/DingTalk groups: personal
    # data, never shown back (not in an error, a log, the portal or a listing).
    ColumnSpec("office_mobile", "办公室联系人手机", ("office mobile", "办公室手机", "联系人手机")),
    ColumnSpec("head_mobile", "负责人手机", ("head mobile", "负责人手机号")),
)

_TEXT_FIELDS = ("name", "office_email", "office_webhook", "head", "discipline_email")
# Widths come from the table, so PostgreSQL never meets a value it would refuse.
_COLUMNS = Unit.__table__.columns  # type: ignore[attr-defined]
_MAX_LENGTH: dict[str, int] = {key: _COLUMNS[key].type.length for key in ("code", *_TEXT_FIELDS)}


@dataclass
class _UnitRow(CellsRow):
    code: str
    parent_code: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> Level | None:
        return self.values.get("level")

    @property
    def ok(self) -> bool:
        return not self.cells.errors


def import_units(*, session: Session, path: Path, skip_invalid: bool = False) -> ImportReport:
    """Upsert the units of a file by code; all or nothing unless ``skip_invalid``."""
    existing = {unit.code: unit for unit in session.exec(select(Unit)).all()}

    return run_upsert(
        path,
        UNIT_COLUMNS,
        validate=lambda table: _validate(table, existing),
        upsert=lambda rows: _apply(session, rows, existing),
        skip_invalid=skip_invalid,
        redact=_without_urls,
    )


def _validate(table: TableRead, existing: Mapping[str, Unit]) -> list[_UnitRow]:
    """Parse and check every row against the file and the units already in the database."""
    code_by_id = {unit.id: code for code, unit in existing.items()}
    rows = [
        _parse_row(table, number, record, existing, code_by_id) for number, record in table.rows
    ]
    duplicates = _check_duplicates(rows)
    in_file = {row.code: row for row in rows if row.code and row.code not in duplicates}
    _check_parents(rows, in_file, duplicates, existing)
    in_cycle = _check_cycles(rows, in_file, existing, code_by_id)
    _check_levels(rows, in_file, existing, in_cycle)
    _reject_orphans(rows, in_file, duplicates)
    return rows


def _parse_row(
    table: TableRead,
    number: int,
    record: dict[str, Any],
    existing: Mapping[str, Unit],
    code_by_id: Mapping[int | None, str],
) -> _UnitRow:
    cells = RowCells(table, UNIT_COLUMNS, number, record)
    code = cells.get("code", parse_identifier, "")
    if not code and not cells.failed("code"):
        cells.fail("code", "单位编码不能为空", "the unit code is empty")
    name = cells.get("name", parse_name, "")
    if not name and not cells.failed("name"):
        cells.fail("name", "单位名称不能为空", "the unit name is empty")
    values: dict[str, Any] = {
        "name": name,
        "level": cells.get("level", parse_level, None),
        "kind": cells.get("kind", parse_kind, None),
    }
    optional = {
        "aliases": parse_aliases,
        "office_email": parse_email,
        "office_webhook": parse_target_name,
        "head": lambda value: parse_name(value) or None,
        "discipline_email": parse_email,
        "office_mobile": parse_mobile,
        "head_mobile": parse_mobile,
    }
    for key, parser in optional.items():
        # An absent column keeps what the database has; an empty cell clears it.
        if cells.has(key):
            values[key] = cells.get(key, parser, None)
    for key, text in [("code", code), *((key, values.get(key)) for key in _TEXT_FIELDS)]:
        if isinstance(text, str):
            check_length(cells, key, text, _MAX_LENGTH[key], "内容")
    if cells.has("parent_code"):
        parent_code = cells.get("parent_code", parse_identifier, "")
    else:
        unit = existing.get(code)
        parent_code = code_by_id.get(unit.parent_id, "") if unit is not None else ""
    return _UnitRow(cells=cells, code=code, parent_code=parent_code, values=values)


def _check_duplicates(rows: Sequence[_UnitRow]) -> set[str]:
    return flag_repeats(
        rows,
        lambda row: row.code or None,
        "code",
        "单位编码「{row.code}」重复",
        "unit code {row.code!r} is duplicated",
    )


def _check_parents(
    rows: Sequence[_UnitRow],
    in_file: Mapping[str, _UnitRow],
    duplicates: set[str],
    existing: Mapping[str, Unit],
) -> None:
    for row in rows:
        parent = row.parent_code
        if parent and parent not in in_file and parent not in duplicates and parent not in existing:
            row.cells.fail(
                "parent_code",
                f"上级单位编码「{parent}」在本文件和数据库中都不存在",
                f"parent unit code {parent!r} is neither in this file nor in the database",
            )


def _check_cycles(
    rows: Sequence[_UnitRow],
    in_file: Mapping[str, _UnitRow],
    existing: Mapping[str, Unit],
    code_by_id: Mapping[int | None, str],
) -> set[str]:
    """Codes whose parent chain loops, the file's parents overriding the database's."""

    def parent_of(code: str) -> str | None:
        if code in in_file:
            return in_file[code].parent_code or None
        unit = existing.get(code)
        return code_by_id.get(unit.parent_id) if unit is not None else None

    done: set[str] = set()
    in_cycle: set[str] = set()
    for start in in_file:
        chain: list[str] = []
        on_chain: set[str] = set()
        current: str | None = start
        while current is not None and current not in done:
            if current in on_chain:
                loop = chain[chain.index(current) :]
                in_cycle.update(loop)
                shown = " → ".join([*loop, current])
                for code in loop:
                    if code in in_file:
                        in_file[code].cells.fail(
                            "parent_code",
                            f"上级单位编码形成循环：{shown}",
                            f"the parent codes form a cycle: {shown}",
                        )
                break
            chain.append(current)
            on_chain.add(current)
            current = parent_of(current)
        done.update(chain)
    return in_cycle


def _check_levels(
    rows: Sequence[_UnitRow],
    in_file: Mapping[str, _UnitRow],
    existing: Mapping[str, Unit],
    in_cycle: set[str],
) -> None:
    children: dict[int, list[Unit]] = defaultdict(list)
    for unit in existing.values():
        if unit.parent_id is not None:
            children[unit.parent_id].append(unit)
    for row in rows:
        level = row.level
        if level is None or row.code in in_cycle:
            continue
        parent_level = _level_of(row.parent_code, in_file, existing)
        if parent_level is not None and parent_level.rank >= level.rank:
            row.cells.fail(
                "parent_code",
                f"上级单位「{row.parent_code}」的层级（{parent_level.label}）"
                f"必须高于本单位（{level.label}）",
                f"the parent {row.parent_code!r} ({parent_level.value}) must be at a higher "
                f"level than this unit ({level.value})",
            )
        unit = existing.get(row.code)
        if unit is None or unit.id is None:
            continue
        for child in children[unit.id]:
            stays = child.code not in in_file
            if stays and child.level.rank <= level.rank:
                row.cells.fail(
                    "level",
                    f"数据库中的下级单位「{child.code}」是{child.level.label}级，"
                    f"本单位不能改为{level.label}级",
                    f"the database has child unit {child.code!r} at level {child.level.value}; "
                    f"this unit cannot become {level.value}",
                )
                break


def _level_of(
    code: str, in_file: Mapping[str, _UnitRow], existing: Mapping[str, Unit]
) -> Level | None:
    if not code:
        return None
    if code in in_file:
        return in_file[code].level
    unit = existing.get(code)
    return unit.level if unit is not None else None


def _reject_orphans(
    rows: Sequence[_UnitRow], in_file: Mapping[str, _UnitRow], duplicates: set[str]
) -> None:
    """A row below an invalid row cannot go in either: its parent would be missing or stale."""
    status: dict[str, bool] = {}
    for row in rows:
        chain: list[_UnitRow] = []
        current: _UnitRow | None = row
        broken = False
        while current is not None:
            if current.code in status:
                broken = not status[current.code]
                break
            if not current.ok:
                broken = True
                break
            chain.append(current)
            parent = current.parent_code
            if parent in duplicates:
                broken = True
                break
            current = in_file.get(parent) if parent else None
        for member in reversed(chain):
            # The first link in the chain fails, each one below it then follows.
            if broken:
                member.cells.fail("parent_code", "上级单位所在行无效", "the parent row is invalid")
            if member.code and member.code not in duplicates:
                status[member.code] = not broken


def _apply(
    session: Session, rows: Sequence[_UnitRow], existing: dict[str, Unit]
) -> tuple[int, int, int]:
    created: list[Unit] = []
    changed: set[str] = set()
    units: dict[str, Unit] = {}
    for row in rows:
        unit = existing.get(row.code)
        if unit is None:
            unit = Unit(code=row.code, **row.values)
            created.append(unit)
        else:
            for key, value in row.values.items():
                if getattr(unit, key) != value:
                    setattr(unit, key, value)
                    changed.add(row.code)
        units[row.code] = unit
    # New units need their ids before anyone can point at them.
    session.add_all(created)
    session.flush()
    for row in rows:
        unit = units[row.code]
        parent = units.get(row.parent_code) or existing.get(row.parent_code)
        parent_id = parent.id if parent is not None else None
        if unit.parent_id != parent_id:
            unit.parent_id = parent_id
            changed.add(row.code)
    _update_paths([*existing.values(), *created])
    session.flush()
    news = {unit.code for unit in created}
    updated = len(changed - news)
    return len(created), updated, len(rows) - len(created) - updated


def _update_paths(units: Sequence[Unit]) -> None:
    """Recompute materialised paths top down, so a moved unit carries its whole subtree."""
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit)
    stack: list[tuple[Unit, str, int]] = [(root, "/", 0) for root in children[None]]
    while stack:
        unit, prefix, depth = stack.pop()
        path = f"{prefix}{unit.id}/"
        if unit.path != path:
            unit.path = path
        if unit.depth != depth:
            unit.depth = depth
        stack.extend((child, path, depth + 1) for child in children[unit.id])


def _without_urls(record: dict[str, Any]) -> dict[str, Any]:
    """A rejected row without its webhook URL: the quarantine file must hold no secret."""
    if "://" in parse_text(record.get("office_webhook")):
        return {**record, "office_webhook": None}
    return record
