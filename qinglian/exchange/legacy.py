"""Reading an Excel 97–2003 workbook (.xls) or a WPS spreadsheet (.et) through calamine.

Told by content, never by name. An OLE2 compound file holding a BIFF ``Workbook`` stream (or
Excel 5's ``Book``) is a workbook, which is what Excel 97–2003 and WPS (for .et) write; one
holding ``EncryptionInfo`` is an .xlsx under a password; any other (a Word .doc renamed .et …)
is not a spreadsheet. ``compound_file`` reads the container strictly and ``xls_guard`` bounds
what calamine will build before calamine reads a byte.

Cells come out as openpyxl gives them for an .xlsx: ``None`` for an empty cell, an error as
its literal (``#N/A``), numbers, dates and text as they are; each row starts at column A. So
an importer finds the same rows, and reports the same row errors, whichever format it got.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from python_calamine import CalamineWorkbook

from qinglian.core.errors import QinglianError
from qinglian.exchange.compound_file import DamagedCompoundFile, read_compound_file
from qinglian.exchange.xls_guard import (
    MAX_LEGACY_BYTES,
    DamagedWorkbook,
    EncryptedWorkbook,
    SheetScan,
    WorkbookTooLarge,
    scan_workbook,
)

# Streams that say what else a compound file is, for the refusal.
_OTHER_DOCUMENTS = (
    ("WordDocument", "Word 文档", "a Word document"),
    ("PowerPoint Document", "PowerPoint 演示文稿", "a PowerPoint presentation"),
    ("VisioDocument", "Visio 绘图", "a Visio drawing"),
    ("__substg1.0_0037001F", "Outlook 邮件", "an Outlook message"),
)


@dataclass(frozen=True, slots=True)
class LegacySheet:
    """What a worksheet's values do not show, for the report-form inspection; from 0."""

    title: str
    has_values: bool
    # (first row, first column, last row, last column) of each merged range
    merged: tuple[tuple[int, int, int, int], ...]
    # (row, column) of each formula saved without a result (or with an empty one)
    empty_formulas: tuple[tuple[int, int], ...]


class LegacyWorkbook:
    """An old workbook, read whole by calamine after ``xls_guard`` let it through."""

    def __init__(self, name: str, workbook: CalamineWorkbook, scans: dict[str, SheetScan]):
        self._name, self._workbook, self._scans = name, workbook, scans

    @property
    def sheet_names(self) -> list[str]:
        return list(self._scans)

    @property
    def worksheets(self) -> list[str]:
        """The titles of the worksheets, in order (not of charts, macro sheets or modules)."""
        return [title for title, scan in self._scans.items() if scan.worksheet]

    def rows(self, title: str) -> Iterator[tuple[Any, ...]]:
        """The sheet's rows from row 1, each from column A, with its error values restored."""
        return self._rows(title, self._sheet(title))

    def inspect(self) -> list[LegacySheet]:
        """Every worksheet's values, merged ranges and formulas without a result."""
        found: list[LegacySheet] = []
        for title in self.worksheets:
            sheet = self._sheet(title)
            merged = tuple(
                (first[0], first[1], last[0], last[1])
                for first, last in sheet.merged_cell_ranges or ()
            )
            has_values = any(value is not None for row in self._rows(title, sheet) for value in row)
            found.append(LegacySheet(title, has_values, merged, self._scans[title].empty_formulas))
        return found

    def close(self) -> None:
        self._workbook.close()

    def _rows(self, title: str, sheet: Any) -> Iterator[tuple[Any, ...]]:
        start = sheet.start
        if start is None:  # an empty sheet (calamine's row iterator cannot start on one)
            return
        lead = [None] * start[1]
        errors: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for (row, column), literal in self._scans[title].errors.items():
            errors[row].append((column, literal))
        for number, values in enumerate(sheet.iter_rows()):
            cells = lead + [None if value == "" else value for value in values]
            for column, literal in errors.get(number, ()):
                if column < len(cells):
                    cells[column] = literal
            yield tuple(cells)

    def _sheet(self, title: str) -> Any:
        if title not in self._scans:
            raise QinglianError(
                f"{self._name}: 没有名为「{title}」的工作表（现有：{'、'.join(self._scans)}）",
                f"{self._name}: no sheet named {title!r} (sheets: {', '.join(self._scans)})",
            )
        try:
            return self._workbook.get_sheet_by_name(title)
        except Exception as exc:  # calamine reports a sheet it cannot give as any of its errors
            raise unreadable(self._name) from exc


def open_legacy(name: str, data: bytes) -> LegacyWorkbook:
    """The workbook in ``data`` (the file ``name``, whole), or one bilingual refusal."""
    check_legacy_size(name, len(data))
    try:
        container = read_compound_file(data)
        stream = container.workbook_stream()
        if stream is None:
            raise _not_a_workbook(name, container.names)
        scans = scan_workbook(stream)
    except DamagedCompoundFile:
        raise damaged(name) from None
    except DamagedWorkbook:
        raise unreadable(name) from None
    except EncryptedWorkbook:
        raise encrypted(name) from None
    except WorkbookTooLarge as limit:
        raise limit.error(name) from None
    del stream
    workbook = _calamine(name, data)
    titles = list(workbook.sheet_names)  # in the order of the scans, decoded by calamine
    if len(titles) != len(scans) or len(set(titles)) != len(titles):
        # calamine keeps sheets by title: of two sheets with one title it gives the last.
        raise unreadable(name)
    return LegacyWorkbook(name, workbook, dict(zip(titles, scans, strict=True)))


def check_legacy_size(name: str, size: int) -> None:
    """Refuse a file too large to be read whole (by us, then by calamine)."""
    if size > MAX_LEGACY_BYTES:
        raise QinglianError(
            f"{name}: 文件有 {size:,} 字节，超过旧版 .xls/.et 工作簿的上限"
            f" {MAX_LEGACY_BYTES:,} 字节；请另存为 .xlsx 后导入",
            f"{name}: {size:,} bytes, more than the limit of {MAX_LEGACY_BYTES:,} bytes"
            " for an old .xls/.et workbook; save it as .xlsx and import that",
        )


def _calamine(name: str, data: bytes) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # CalamineError, PasswordError … for whatever it cannot parse
        raise unreadable(name) from exc
    except BaseException as exc:
        # A bug in calamine surfaces as pyo3's PanicException, which is no Exception.
        if type(exc).__name__ != "PanicException":
            raise
        raise unreadable(name) from None


def encrypted(name: str) -> QinglianError:
    return QinglianError(
        f"{name}: 这是旧版 .xls 文件或加密的 Excel 文件，请用 Excel/WPS 另存为"
        " .xlsx（不加密）或 CSV 后再导入",
        f"{name}: an old .xls or an encrypted Excel file; save it as an unencrypted"
        " .xlsx or CSV and import that",
    )


def damaged(name: str) -> QinglianError:
    return QinglianError(
        f"{name}: 文件看起来是旧版 .xls/.et 或加密的 Excel 文件，但已损坏，无法读取",
        f"{name}: looks like an old .xls/.et or an encrypted Excel file, but is damaged;"
        " cannot read it",
    )


def unreadable(name: str) -> QinglianError:
    return QinglianError(
        f"{name}: 无法读取 Excel 文件（文件已损坏、不完整或不是 .xls/.et 格式）",
        f"{name}: cannot read the Excel file (damaged, truncated or not .xls/.et)",
    )


def _not_a_workbook(name: str, streams: frozenset[str]) -> QinglianError:
    if {"EncryptionInfo", "EncryptedPackage"} & streams:
        return encrypted(name)
    what_zh, what_en = next(
        ((zh, en) for stream, zh, en in _OTHER_DOCUMENTS if stream in streams),
        ("其他 Office 文件", "another kind of Office file"),
    )
    return QinglianError(
        f"{name}: 不是表格文件（这是{what_zh}，不是 Excel/WPS 工作簿），拒绝读取",
        f"{name}: not a spreadsheet (it is {what_en}, not an Excel/WPS workbook); refused",
    )
