"""Reading an exchange file (XLSX, XLS, WPS .et, or CSV in the encodings offices use) into a
:class:`TableRead`.

Offices hand us what Excel, WPS and other systems export. Everything here turns what such a
file can contain into values or bilingual errors; no openpyxl, calamine, zipfile or codec
exception reaches the caller. The format is told by the file's first bytes, never its name: a
zip is an .xlsx (whatever it is called, a WPS .et saved as one too), an OLE2 compound file an
old .xls or .et (``legacy``), anything else a CSV. A workbook is read within the limits of
``xlsx_guard`` or ``xls_guard`` (no cell, row or sheet can take more memory than they allow);
a CSV's encoding is told by ``encodings``.
"""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from qinglian.core.errors import QinglianError
from qinglian.exchange.compound_file import OLE2_MAGIC
from qinglian.exchange.encodings import decode_csv
from qinglian.exchange.legacy import (
    LegacySheet,
    LegacyWorkbook,
    check_legacy_size,
    open_legacy,
)
from qinglian.exchange.legacy import unreadable as legacy_unreadable
from qinglian.exchange.table import ColumnSpec, TableRead, build_table, header_lookup
from qinglian.exchange.xls_guard import MAX_LEGACY_BYTES
from qinglian.exchange.xlsx_guard import MAX_COLUMNS, WorkbookTooLarge, open_workbook

ZIP_MAGIC = b"PK\x03\x04"
# Names that promise a workbook: a file so named that is neither zip nor OLE2 is refused.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".et"})
_LEGACY_SUFFIXES = frozenset({".xls", ".et"})
_HEADER_SCAN_ROWS = 10
_CSV_DELIMITERS = (",", "\t", ";")
# A CSV is read whole: 256 MiB is over a million declaration rows, far past a province.
MAX_CSV_BYTES = 256 * 1024 * 1024


def read_rows(path: Path, columns: Sequence[ColumnSpec], *, sheet: str | None = None) -> TableRead:
    """Read one table from an XLSX, XLS, WPS .et or CSV file; rows entirely empty are skipped."""
    lookup = header_lookup(columns)
    kind = workbook_format(path)
    if kind == "xlsx":
        return _read_xlsx(path, columns, lookup, sheet)
    if kind == "legacy":
        with _legacy(path) as workbook:
            titles = _chosen(path, sheet, workbook.sheet_names, workbook.worksheets)
            return _first_table(path, columns, lookup, titles, workbook.rows)
    _refuse_false_workbook(path)
    return _read_csv(path, read_file_bytes(path), columns, lookup)


def workbook_format(path: Path) -> Literal["xlsx", "legacy"] | None:
    """What the file's first bytes say it is: a zip (an .xlsx, or an .et saved as one), an
    OLE2 compound file (an old .xls or .et, or something else that ``legacy`` refuses), or
    neither."""
    head = read_file_bytes(path, len(OLE2_MAGIC))
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE2_MAGIC):
        return "legacy"
    return None


def head_rows(path: Path, sheet: str, count: int) -> list[tuple[Any, ...]]:
    """The first ``count`` rows of a workbook's sheet, each from column A."""
    if workbook_format(path) == "legacy":
        with _legacy(path) as legacy:
            return [row for _, row in zip(range(count), legacy.rows(sheet), strict=False)]
    with _workbook(path) as workbook:
        if sheet not in workbook.sheetnames:
            return []
        worksheet = workbook[sheet]
        if hasattr(worksheet, "reset_dimensions"):
            worksheet.reset_dimensions()
        try:
            return list(worksheet.iter_rows(max_row=count, values_only=True))
        except WorkbookTooLarge as limit:
            raise limit.error(path.name, sheet) from None


def legacy_sheets(path: Path) -> list[LegacySheet]:
    """An old workbook's worksheets: values, merged ranges, formulas without a result."""
    with _legacy(path) as workbook:
        return workbook.inspect()


def read_file_bytes(path: Path, size: int = -1) -> bytes:
    """The file's first ``size`` bytes, or all of them (a regular file of bounded size only)."""
    try:
        _check_regular(path, whole=size < 0)
        with path.open("rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise QinglianError(
            f"{path.name}: 文件不存在（{path}）", f"{path.name}: no such file ({path})"
        ) from None
    except IsADirectoryError:
        raise QinglianError(
            f"{path.name}: 这是目录，不是文件", f"{path.name}: is a directory, not a file"
        ) from None
    except OSError as exc:
        raise QinglianError(
            f"{path.name}: 无法读取文件（{exc.strerror}）",
            f"{path.name}: cannot read the file ({exc.strerror})",
        ) from exc


def _check_regular(path: Path, *, whole: bool) -> None:
    """Refuse what is not a regular file before opening it: a FIFO would block the open and
    /dev/zero never ends. A file read whole (a CSV) must also fit ``MAX_CSV_BYTES``."""
    info = path.stat()
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(info.st_mode):
        raise QinglianError(
            f"{path.name}: 不是普通文件（可能是管道、设备或套接字），拒绝读取",
            f"{path.name}: not a regular file (a pipe, a device or a socket); refused",
        )
    if whole and info.st_size > MAX_CSV_BYTES:
        raise QinglianError(
            f"{path.name}: 文件有 {info.st_size:,} 字节，超过 CSV 的上限 {MAX_CSV_BYTES:,} 字节，"
            "请分成几个文件导入",
            f"{path.name}: {info.st_size:,} bytes, more than a CSV's limit of"
            f" {MAX_CSV_BYTES:,} bytes; split it into several files",
        )


def _read_xlsx(
    path: Path,
    columns: Sequence[ColumnSpec],
    lookup: Mapping[str, ColumnSpec],
    sheet: str | None,
) -> TableRead:
    with _workbook(path) as workbook:
        worksheets = [worksheet.title for worksheet in workbook.worksheets]
        titles = _chosen(path, sheet, workbook.sheetnames, worksheets)

        def rows(title: str) -> Iterator[tuple[Any, ...]]:
            worksheet = workbook[title]
            if hasattr(worksheet, "reset_dimensions"):
                # Some exporters declare a wrong <dimension>; read what is really there.
                worksheet.reset_dimensions()
            return _within_columns(path.name, title, worksheet.iter_rows(values_only=True))

        return _first_table(path, columns, lookup, titles, rows)


def _chosen(
    path: Path, sheet: str | None, sheet_names: Sequence[str], worksheets: Sequence[str]
) -> list[str]:
    """The sheet asked for, or every worksheet to try in order; refused when there is none."""
    if sheet is not None:
        if sheet not in sheet_names:
            raise QinglianError(
                f"{path.name}: 没有名为「{sheet}」的工作表（现有：{'、'.join(sheet_names)}）",
                f"{path.name}: no sheet named {sheet!r} (sheets: {', '.join(sheet_names)})",
            )
        return [sheet]
    if not worksheets:
        raise QinglianError(
            f"{path.name}: 没有工作表", f"{path.name}: the workbook has no worksheet"
        )
    return list(worksheets)


def _first_table(
    path: Path,
    columns: Sequence[ColumnSpec],
    lookup: Mapping[str, ColumnSpec],
    titles: Sequence[str],
    rows: Callable[[str], Iterable[Sequence[Any]]],
) -> TableRead:
    """The table of the first sheet that has one; else the first sheet's problem."""
    first_problem: QinglianError | None = None
    for title in titles:
        try:
            return build_table(path.name, title, rows(title), columns, lookup)
        except WorkbookTooLarge as limit:
            raise limit.error(path.name, title) from None
        except QinglianError as problem:
            first_problem = first_problem or problem
    assert first_problem is not None
    raise first_problem


def check_workbook(path: Path) -> None:
    """Refuse a workbook past the limits of ``xlsx_guard`` or ``xls_guard`` (or damaged),
    keeping none of it.

    For a reader that opens the parts of an .xlsx itself: afterwards no part is a zip bomb,
    though a worksheet may still hold up to ``xlsx_guard.MAX_SHEET_BYTES`` of XML.
    """
    if workbook_format(path) == "legacy":
        with _legacy(path):
            return
    with _workbook(path) as workbook:
        for worksheet in workbook.worksheets:
            try:
                # A sheet's first read has the whole sheet scanned.
                next(iter(worksheet.iter_rows(max_row=1, values_only=True)), None)
            except WorkbookTooLarge as limit:
                raise limit.error(path.name, worksheet.title) from None


@contextmanager
def _legacy(path: Path) -> Iterator[LegacyWorkbook]:
    """The old workbook, guarded, read whole; its damage becomes a bilingual error."""
    check_legacy_size(path.name, path.stat().st_size)
    workbook = open_legacy(path.name, read_file_bytes(path, MAX_LEGACY_BYTES + 1))
    try:
        yield workbook
    except QinglianError:
        raise
    except Exception as exc:  # calamine's errors while a sheet is handed over
        raise legacy_unreadable(path.name) from exc
    finally:
        workbook.close()


def _refuse_false_workbook(path: Path) -> None:
    """A file named like a workbook that is neither zip nor OLE2: renamed, or a web page or
    a text export that a system saved under a workbook's name."""
    suffix = path.suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES:
        return
    start = read_file_bytes(path, 512).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<meta")):
        raise QinglianError(
            f"{path.name}: 这是网页（HTML/XML）文件，只是扩展名为 {suffix}；"
            "请用 Excel/WPS 打开后另存为 .xlsx 再导入",
            f"{path.name}: a web page (HTML/XML) that only carries the name {suffix}; open it"
            " in Excel/WPS and save it as .xlsx",
        )
    if suffix in _LEGACY_SUFFIXES:
        raise QinglianError(
            f"{path.name}: 不是 Excel/WPS 工作簿（{suffix} 文件应为 Excel 97–2003 或 WPS 表格"
            "格式；文件可能已损坏或只是改了扩展名）",
            f"{path.name}: not an Excel/WPS workbook (a {suffix} file is in the Excel 97–2003"
            " or WPS format; this one is damaged, or only renamed)",
        )
    raise QinglianError(
        f"{path.name}: 不是有效的 .xlsx 文件（文件可能已损坏或只是改了扩展名）",
        f"{path.name}: not a valid .xlsx file (damaged, or only renamed to .xlsx)",
    )


@contextmanager
def _workbook(path: Path) -> Iterator[Workbook]:
    """The workbook, guarded; its damage and limits become bilingual errors; closed after."""
    try:
        workbook = open_workbook(path)
    except WorkbookTooLarge as limit:
        raise limit.error(path.name) from None
    except Exception as exc:  # openpyxl surfaces damage as any of a dozen exception types
        raise _unreadable_xlsx(path) from exc
    try:
        yield workbook
    except QinglianError:
        raise
    except WorkbookTooLarge as limit:
        raise limit.error(path.name) from None
    except Exception as exc:  # a truncated part only shows up while rows are streamed
        raise _unreadable_xlsx(path) from exc
    finally:
        workbook.close()


def _within_columns(
    file: str, sheet: str, rows: Iterable[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    """The rows, refused at the first that reaches past Excel's last column (openpyxl reads on
    to ZZZ, the 18,278th)."""
    for number, values in enumerate(rows, start=1):
        if len(values) > MAX_COLUMNS:
            cell = f"{get_column_letter(len(values))}{number}"
            raise QinglianError(
                f"{file} [{sheet}]: 第{number}行的单元格 {cell} 超出 Excel 的最后一列 XFD"
                f"（{MAX_COLUMNS:,} 列），拒绝读取（文件已损坏或被人为构造）",
                f"{file} [{sheet}]: cell {cell} in row {number} lies past column XFD (Excel's"
                f" {MAX_COLUMNS:,} columns); refused (a damaged or crafted file)",
            )
        yield values


def _unreadable_xlsx(path: Path) -> QinglianError:
    return QinglianError(
        f"{path.name}: 无法读取 Excel 文件（文件已损坏、不完整或不是 .xlsx 格式）",
        f"{path.name}: cannot read the Excel file (damaged, truncated or not .xlsx)",
    )


def _read_csv(
    path: Path, data: bytes, columns: Sequence[ColumnSpec], lookup: Mapping[str, ColumnSpec]
) -> TableRead:
    text = decode_csv(path.name, data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(_CSV_DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    # An oversized cell is a problem of its row (the importer says which column), not a reason
    # to refuse the whole file: lift csv's 128 K-character field limit to the file's size.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return build_table(path.name, path.stem or "CSV", reader, columns, lookup)
    except csv.Error as exc:
        raise QinglianError(
            f"{path.name}: 不是有效的 CSV 表格（{exc}）",
            f"{path.name}: not a valid CSV table ({exc})",
        ) from exc
