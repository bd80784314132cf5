"""Reading an exchange file (XLSX, or CSV in the encodings offices use) into a :class:`TableRead`.

Offices hand us what Excel, WPS and other systems export. Everything here turns what such a
file can contain into values or bilingual errors; no openpyxl, zipfile or codec exception
reaches the caller. A workbook is read within the limits of ``xlsx_guard`` (no cell, row or
sheet can take more memory than they allow); a CSV's encoding is told by ``encodings``.
"""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from qinglian.core.errors import QinglianError
from qinglian.exchange.encodings import decode_csv
from qinglian.exchange.table import ColumnSpec, TableRead, build_table, header_lookup
from qinglian.exchange.xlsx_guard import MAX_COLUMNS, WorkbookTooLarge, open_workbook

ZIP_MAGIC = b"PK\x03\x04"
# OLE2 compound file: a real .xls, or an encrypted .xlsx (Excel wraps those in OLE2 too).
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_SCAN_ROWS = 10
_CSV_DELIMITERS = (",", "\t", ";")
# A CSV is read whole: 256 MiB is over a million declaration rows, far past a province.
MAX_CSV_BYTES = 256 * 1024 * 1024


def read_rows(path: Path, columns: Sequence[ColumnSpec], *, sheet: str | None = None) -> TableRead:
    """Read one table from an XLSX or CSV file; rows entirely empty are skipped."""
    lookup = header_lookup(columns)
    head = read_file_bytes(path, len(_OLE2_MAGIC))
    if head.startswith(ZIP_MAGIC):
        return _read_xlsx(path, columns, lookup, sheet)
    if head.startswith(_OLE2_MAGIC):
        raise QinglianError(
            f"{path.name}: 这是旧版 .xls 文件或加密的 Excel 文件，请用 Excel/WPS 另存为"
            " .xlsx（不加密）或 CSV 后再导入",
            f"{path.name}: an old .xls or an encrypted Excel file; save it as an unencrypted"
            " .xlsx or CSV and import that",
        )
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raise QinglianError(
            f"{path.name}: 不是有效的 .xlsx 文件（文件可能已损坏或只是改了扩展名）",
            f"{path.name}: not a valid .xlsx file (damaged, or only renamed to .xlsx)",
        )
    return _read_csv(path, read_file_bytes(path), columns, lookup)


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
        if sheet is not None:
            if sheet not in workbook.sheetnames:
                raise QinglianError(
                    f"{path.name}: 没有名为「{sheet}」的工作表（现有：{'、'.join(workbook.sheetnames)}）",
                    f"{path.name}: no sheet named {sheet!r} (sheets: {', '.join(workbook.sheetnames)})",
                )
            candidates = [workbook[sheet]]
        else:
            candidates = list(workbook.worksheets)
        if not candidates:
            raise QinglianError(
                f"{path.name}: 没有工作表", f"{path.name}: the workbook has no worksheet"
            )
        first_problem: QinglianError | None = None
        for worksheet in candidates:
            if hasattr(worksheet, "reset_dimensions"):
                # Some exporters declare a wrong <dimension>; read what is really there.
                worksheet.reset_dimensions()
            try:
                rows = worksheet.iter_rows(values_only=True)
                return build_table(
                    path.name,
                    worksheet.title,
                    _within_columns(path.name, worksheet.title, rows),
                    columns,
                    lookup,
                )
            except WorkbookTooLarge as limit:
                raise limit.error(path.name, worksheet.title) from None
            except QinglianError as problem:
                first_problem = first_problem or problem
        assert first_problem is not None
        raise first_problem


def check_workbook(path: Path) -> None:
    """Refuse a workbook past the limits of ``xlsx_guard`` (or damaged), keeping none of it.

    For a reader that opens the parts of a workbook itself: afterwards no part is a zip bomb,
    though a worksheet may still hold up to ``xlsx_guard.MAX_SHEET_BYTES`` of XML.
    """
    with _workbook(path) as workbook:
        for worksheet in workbook.worksheets:
            try:
                # A sheet's first read has the whole sheet scanned.
                next(iter(worksheet.iter_rows(max_row=1, values_only=True)), None)
            except WorkbookTooLarge as limit:
                raise limit.error(path.name, worksheet.title) from None


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
