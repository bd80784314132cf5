"""What a returned workbook is, and whose: chosen by its sheets, then by its header row.

- **报告表** (report forms): a sheet named after a form section (``基本情况`` …, see
  :mod:`qinglian.declarations.columns`), or a CSV named ``基本情况.csv``;
- **上报事项** (deliveries), **整改台账** (the rectification ledger), **阶段性总结** (phase
  summaries): a sheet (or CSV) so named, else the first sheet whose header row has the required
  columns of one of them (:data:`DELIVERY_COLUMNS`, :data:`RECTIFICATION_COLUMNS`,
  :data:`NARRATIVE_COLUMNS`).

The workbook is read through the importers' own guarded reader (:mod:`qinglian.exchange`), so
every limit on cells, rows and sizes holds here too. Which units it is for: the 单位编码 of
its rows; for 报告表 also the units of the cadres its 工号 name; for 整改台账 the units of the
findings it names.
"""

from __future__ import annotations

import html
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session, col, select

from models.finding import Finding
from models.unit import Unit
from qinglian.campaigns.import_deliveries import DELIVERY_COLUMNS
from qinglian.core.errors import QinglianError
from qinglian.core.sql import chunked
from qinglian.declarations.columns import BASICS, section_for_sheet
from qinglian.declarations.form_checks import load_cadres
from qinglian.exchange.cells import parse_code, parse_int
from qinglian.exchange.reading import ZIP_MAGIC, read_file_bytes, read_rows
from qinglian.exchange.table import ColumnSpec, TableRead
from qinglian.exchange.xlsx_guard import WorkbookTooLarge, open_workbook
from qinglian.rectification.import_ledger import RECTIFICATION_COLUMNS
from qinglian.reporting.import_narratives import NARRATIVE_COLUMNS

_WORKBOOK_PART_MAX = 1024 * 1024
# <sheet name="基本情况" sheetId="1" r:id="rId1"/>, the prefix optional.
_SHEET_NAME = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?sheet\s[^>]*?\bname\s*=\s*(?:"([^"]*)"|'([^']*)')"""
)


class WorkbookKind(StrEnum):
    forms = "forms"
    deliveries = "deliveries"
    rectification = "rectification"
    narratives = "narratives"


KIND_LABELS: dict[WorkbookKind, tuple[str, str]] = {
    WorkbookKind.forms: ("报告表", "report forms"),
    WorkbookKind.deliveries: ("上报事项", "deliveries"),
    WorkbookKind.rectification: ("整改台账", "rectification ledger"),
    WorkbookKind.narratives: ("阶段性总结", "phase summaries"),
}
_TABLES: dict[WorkbookKind, tuple[ColumnSpec, ...]] = {
    WorkbookKind.deliveries: DELIVERY_COLUMNS,
    WorkbookKind.rectification: RECTIFICATION_COLUMNS,
    WorkbookKind.narratives: NARRATIVE_COLUMNS,
}
# Sheet (or CSV stem) names that say which table a sheet is, compared folded.
_HINTS: dict[WorkbookKind, tuple[str, ...]] = {
    WorkbookKind.deliveries: ("上报事项", "deliveries", "delivery"),
    WorkbookKind.rectification: ("整改台账", "整改", "rectification"),
    WorkbookKind.narratives: ("阶段性总结", "总结", "summaries", "summary", "narratives"),
}


@dataclass(frozen=True, slots=True)
class Recognised:
    """A workbook told apart: its kind, the sheet that says so, and the units it is for.

    ``unit_ids`` are the units its rows name (a code that names no unit is the importer's to
    report, row by row).
    """

    path: Path
    kind: WorkbookKind
    sheet: str | None
    unit_ids: frozenset[int]


def recognise(session: Session, path: Path) -> Recognised:
    """The kind of the workbook or CSV at ``path`` and its units; refused when it is none."""
    is_workbook = read_file_bytes(path, len(ZIP_MAGIC)).startswith(ZIP_MAGIC)
    sheets = _sheet_names(path) if is_workbook else [path.stem]
    forms_sheet = next((name for name in sheets if section_for_sheet(name) is BASICS), None)
    if forms_sheet is None and any(section_for_sheet(name) for name in sheets):
        forms_sheet = next(name for name in sheets if section_for_sheet(name))
    if forms_sheet is not None:
        return _forms(session, path, forms_sheet if is_workbook else None)
    for kind, hints in _HINTS.items():
        for name in sheets:
            if any(_fold(hint) in _fold(name) for hint in hints):
                table = read_rows(path, _TABLES[kind], sheet=name if is_workbook else None)
                return _table(session, path, kind, table)
    for kind, columns in _TABLES.items():
        try:
            table = read_rows(path, columns)
        except QinglianError:
            continue
        return _table(session, path, kind, table)
    kinds_zh = "、".join(zh for zh, _ in KIND_LABELS.values())
    kinds_en = ", ".join(en for _, en in KIND_LABELS.values())
    raise QinglianError(
        f"{path.name}：无法识别是哪种工作簿（可接受：{kinds_zh}；请使用下发的模板，不要改动工作表名和表头）",
        f"{path.name}: not a workbook the intake knows ({kinds_en}); use the template as sent, "
        "with its sheet names and headers",
    )


def _sheet_names(path: Path) -> list[str]:
    """The workbook's sheet titles, in order: read off ``xl/workbook.xml`` when it is small
    and plain (it always is), else through the guarded reader, which explains a bad file."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("xl/workbook.xml")
            data = archive.read(info) if info.file_size <= _WORKBOOK_PART_MAX else b""
        if data and b"<!" not in data:
            return [
                html.unescape((found[1] or found[2]).decode("utf-8"))
                for found in _SHEET_NAME.finditer(data)
            ]
    # NotImplementedError: zipfile's answer to a compression method it lacks. The guarded
    # reader below then explains the file.
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        pass
    try:
        workbook = open_workbook(path)
    except WorkbookTooLarge as limit:
        raise limit.error(path.name) from None
    except Exception as exc:  # openpyxl reports damage as any of a dozen exception types
        raise QinglianError(
            f"{path.name}：无法读取 Excel 文件（文件已损坏、不完整或不是 .xlsx 格式）",
            f"{path.name}: cannot read the Excel file (damaged, truncated or not .xlsx)",
        ) from exc
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _forms(session: Session, path: Path, sheet: str | None) -> Recognised:
    if sheet is not None and section_for_sheet(sheet) is not BASICS:
        # Section sheets without 基本情况: the importer says what is missing.
        return Recognised(path, WorkbookKind.forms, sheet, frozenset())
    table = read_rows(path, BASICS.columns, sheet=sheet)
    codes = _codes(table, "unit_code")
    staff_nos = sorted(_codes(table, "staff_no"))
    cadres = load_cadres(session, staff_nos)
    unit_ids = _units_of_codes(session, codes) | {cadre.unit_id for cadre in cadres.values()}
    return Recognised(path, WorkbookKind.forms, table.sheet, frozenset(unit_ids))


def _table(session: Session, path: Path, kind: WorkbookKind, table: TableRead) -> Recognised:
    if kind is WorkbookKind.rectification:
        finding_ids = sorted(_finding_ids(table))
        unit_ids: set[int] = set()
        for chunk in chunked(finding_ids):
            unit_ids.update(
                session.exec(select(Finding.unit_id).where(col(Finding.id).in_(chunk))).all()
            )
        return Recognised(path, kind, table.sheet, frozenset(unit_ids))
    unit_ids = _units_of_codes(session, _codes(table, "unit_code"))
    return Recognised(path, kind, table.sheet, frozenset(unit_ids))


def _codes(table: TableRead, key: str) -> set[str]:
    found = set()
    for _, record in table.rows:
        try:
            code = parse_code(record.get(key))
        except ValueError:
            continue  # the importer reports the cell
        if code:
            found.add(code)
    return found


def _finding_ids(table: TableRead) -> set[int]:
    found = set()
    for _, record in table.rows:
        try:
            value = parse_int(record.get("finding_id"))
        except ValueError:
            continue
        if value is not None:
            found.add(value)
    return found


def _units_of_codes(session: Session, codes: Iterable[str]) -> set[int]:
    wanted = sorted(set(codes))
    found: set[int] = set()
    for chunk in chunked(wanted):
        found.update(
            unit_id
            for unit_id in session.exec(select(Unit.id).where(col(Unit.code).in_(chunk)))
            if unit_id is not None
        )
    return found


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-/、,，;；:：.。()（）\[\]【】·•0-9]+", "", text)
