"""Reading an exchange file (XLSX, or CSV in the encodings offices use) into a :class:`TableRead`.

Offices hand us what Excel, WPS and other systems export. Everything here turns what such a
file can contain into values or bilingual errors; no openpyxl, zipfile or codec exception
reaches the caller.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from openpyxl import load_workbook

from qinglian.core.errors import QinglianError
from qinglian.exchange.table import ColumnSpec, TableRead, build_table, header_lookup

ZIP_MAGIC = b"PK\x03\x04"
# OLE2 compound file: a real .xls, or an encrypted .xlsx (Excel wraps those in OLE2 too).
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_SCAN_ROWS = 10
_CSV_DELIMITERS = (",", "\t", ";")


def read_rows(path: Path, columns: Sequence[ColumnSpec], *, sheet: str | None = None) -> TableRead:
    """Read one table from an XLSX or CSV file; rows entirely empty are skipped."""
    lookup = header_lookup(columns)
    data = _read_bytes(path)
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(path, columns, lookup, sheet)
    if data.startswith(_OLE2_MAGIC):
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
    return _read_csv(path, data, columns, lookup)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
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


def _read_xlsx(
    path: Path,
    columns: Sequence[ColumnSpec],
    lookup: Mapping[str, ColumnSpec],
    sheet: str | None,
) -> TableRead:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl surfaces damage as any of a dozen exception types
        raise _unreadable_xlsx(path) from exc
    try:
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
                return build_table(
                    path.name,
                    worksheet.title,
                    worksheet.iter_rows(values_only=True),
                    columns,
                    lookup,
                )
            except QinglianError as problem:
                first_problem = first_problem or problem
        assert first_problem is not None
        raise first_problem
    except QinglianError:
        raise
    except Exception as exc:  # a truncated part only shows up while rows are streamed
        raise _unreadable_xlsx(path) from exc
    finally:
        workbook.close()


def _unreadable_xlsx(path: Path) -> QinglianError:
    return QinglianError(
        f"{path.name}: 无法读取 Excel 文件（文件已损坏、不完整或不是 .xlsx 格式）",
        f"{path.name}: cannot read the Excel file (damaged, truncated or not .xlsx)",
    )


def _read_csv(
    path: Path, data: bytes, columns: Sequence[ColumnSpec], lookup: Mapping[str, ColumnSpec]
) -> TableRead:
    text = _decode(path, data)
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


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export: UTF-16 with a BOM, tab separated.
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        encodings = ()
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise QinglianError(
        f"{path.name}: 不是可识别的表格文件（既不是 .xlsx，也不是 UTF-8 或 GB18030 编码的 CSV）",
        f"{path.name}: not a recognisable table (neither .xlsx nor a UTF-8 or GB18030 CSV)",
    )
