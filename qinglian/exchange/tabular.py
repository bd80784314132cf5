"""Exchange files (XLSX, CSV): read rows under Chinese or English headers, parse cells, quarantine.

Offices hand us what Excel, WPS and other systems export. Everything here turns what such a
file can contain into values or bilingual errors; no openpyxl, zipfile or codec exception
reaches the caller.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from openpyxl import load_workbook
from pydantic import BaseModel

from qinglian.core.errors import ImportRejected, QinglianError, RowError

T = TypeVar("T")

# Excel's error literals (and the newer dynamic-array ones); exported CSV carries them as text.
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#EXTERNAL!",
        "#PYTHON!",
    }
)

_ZIP_MAGIC = b"PK\x03\x04"
# OLE2 compound file: a real .xls, or an encrypted .xlsx (Excel wraps those in OLE2 too).
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_SCAN_ROWS = 10
_CSV_DELIMITERS = (",", "\t", ";")
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_BLANK = " \t\r\n\u3000\xa0" + _INVISIBLE
_EDGE_BLANKS = re.compile(rf"^[\s{_INVISIBLE}]+|[\s{_INVISIBLE}]+$")
# Day 0 of Excel's 1900 date system, shifted for its phantom 1900-02-29 (serial 60).
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column an importer understands: its field key, Chinese header and accepted aliases."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def label(self) -> str:
        return f"{self.header}({self.key})"


@dataclass(frozen=True, slots=True)
class TableRead:
    """The rows of one sheet, keyed by column key, numbered as Excel shows them."""

    file: str
    sheet: str
    # key -> header text exactly as written in the file, in file order
    columns: dict[str, str]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def header_of(self, key: str, specs: Sequence[ColumnSpec] = ()) -> str:
        """The header the user wrote for ``key`` (or the Chinese one when the column is absent)."""
        if key in self.columns:
            return self.columns[key]
        return next((spec.header for spec in specs if spec.key == key), key)


class ImportReport(BaseModel):
    """What one import did: counts per outcome, and the rows it quarantined."""

    file: str
    sheet: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = []
    rejected_file: Path | None = None

    @property
    def rejected_rows(self) -> int:
        return len({error.row for error in self.rejected})


# --- reading -------------------------------------------------------------------------------


def read_rows(path: Path, columns: Sequence[ColumnSpec], *, sheet: str | None = None) -> TableRead:
    """Read one table from an XLSX or CSV file; rows entirely empty are skipped."""
    lookup = _header_lookup(columns)
    data = _read_bytes(path)
    if data.startswith(_ZIP_MAGIC):
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
                return _table(
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
        return _table(path.name, path.stem or "CSV", reader, columns, lookup)
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


def _table(
    file: str,
    sheet: str,
    rows: Iterable[Sequence[Any]],
    columns: Sequence[ColumnSpec],
    lookup: Mapping[str, ColumnSpec],
) -> TableRead:
    numbered = enumerate(rows, start=1)
    header, positions = _find_header(file, sheet, numbered, columns, lookup)
    table = TableRead(file=file, sheet=sheet, columns={key: header[i] for key, i in positions})
    for number, values in numbered:
        record: dict[str, Any] = {}
        empty = True
        for key, index in positions:
            value = values[index] if index < len(values) else None
            if isinstance(value, str) and not value.strip(_BLANK):
                value = None
            if value is not None:
                empty = False
            record[key] = value
        if not empty:
            table.rows.append((number, record))
    return table


def _find_header(
    file: str,
    sheet: str,
    numbered: Iterator[tuple[int, Sequence[Any]]],
    columns: Sequence[ColumnSpec],
    lookup: Mapping[str, ColumnSpec],
) -> tuple[list[str], list[tuple[str, int]]]:
    """The header is the first row naming a known column (title rows above it are skipped)."""
    scanned = 0
    for number, values in numbered:
        cells = [_cell_text(value) for value in values]
        if not any(cells):
            continue
        positions: dict[str, int] = {}
        for index, cell in enumerate(cells):
            spec = lookup.get(_normalise_header(cell))
            if spec is None:
                continue
            if spec.key in positions:
                raise QinglianError(
                    f"{file} [{sheet}]: 第{number}行的列「{spec.header}」出现了两次",
                    f"{file} [{sheet}]: column {spec.key!r} appears twice in row {number}",
                )
            positions[spec.key] = index
        if positions:
            _require(file, sheet, positions, columns)
            return cells, sorted(positions.items(), key=lambda item: item[1])
        scanned += 1
        if scanned >= _HEADER_SCAN_ROWS:
            break
    if scanned == 0:
        raise QinglianError(
            f"{file} [{sheet}]: 表格是空的", f"{file} [{sheet}]: the table is empty"
        )
    _require(file, sheet, {}, columns)
    raise QinglianError(
        f"{file} [{sheet}]: 找不到表头（应有列：{'、'.join(spec.header for spec in columns)}）",
        f"{file} [{sheet}]: no header row found "
        f"(expected: {', '.join(spec.label for spec in columns)})",
    )


def _require(
    file: str, sheet: str, positions: Mapping[str, int], columns: Sequence[ColumnSpec]
) -> None:
    missing = [spec for spec in columns if spec.required and spec.key not in positions]
    if not missing:
        return
    expected_zh = "、".join(spec.header + ("*" if spec.required else "") for spec in columns)
    expected_en = ", ".join(
        f"{spec.header} ({spec.key}){'*' if spec.required else ''}" for spec in columns
    )
    raise QinglianError(
        f"{file} [{sheet}]: 缺少必填列{''.join(f'「{spec.header}」' for spec in missing)}"
        f"（应有列：{expected_zh}；*为必填）",
        f"{file} [{sheet}]: missing required column(s) "
        f"{', '.join(f'{spec.header} ({spec.key})' for spec in missing)} "
        f"(expected: {expected_en}; * = required)",
    )


def _header_lookup(columns: Sequence[ColumnSpec]) -> dict[str, ColumnSpec]:
    lookup: dict[str, ColumnSpec] = {}
    for spec in columns:
        for name in (spec.header, spec.key, *spec.aliases):
            normalised = _normalise_header(name)
            other = lookup.setdefault(normalised, spec)
            if other is not spec:
                raise ValueError(f"header {name!r} is claimed by {other.key!r} and {spec.key!r}")
    return lookup


def _normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(rf"[\s_\-*{_INVISIBLE}]+", "", text)


def _cell_text(value: Any) -> str:
    return parse_text(value)


# --- cell parsers --------------------------------------------------------------------------


def is_excel_error(value: Any) -> bool:
    """True for an Excel error literal such as ``#N/A`` or ``#REF!``."""
    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


def excel_error_keys(record: Mapping[str, Any]) -> list[str]:
    """The keys of a row whose cells hold an Excel error value."""
    return [key for key, value in record.items() if is_excel_error(value)]


def excel_error_reason(value: Any) -> tuple[str, str]:
    """The bilingual reason for a cell holding an Excel error value."""
    shown = str(value).strip()
    return (
        f"单元格是 Excel 错误值 {shown}，请修正公式或填写实际值",
        f"the cell holds the Excel error {shown}; fix the formula or enter the value",
    )


def parse_text(value: Any) -> str:
    """A cell as clean text: stripped (full-width spaces too); empty for ``None``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        # Excel stores 320700 typed into a general cell as 320700.0.
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return _EDGE_BLANKS.sub("", str(value))


def parse_code(value: Any) -> str:
    """A code or staff number: clean text with full-width letters and digits folded."""
    return unicodedata.normalize("NFKC", parse_text(value)).strip()


def parse_date(value: Any) -> date | None:
    """A date written as 2012-08-09, 2012/8/9, 2012.8.9, 2012年8月9日 or an Excel serial."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise _bad_date(value)
    if isinstance(value, int | float):
        return _from_excel_serial(value)
    text = unicodedata.normalize("NFKC", parse_text(value))
    if not text:
        return None
    match = re.fullmatch(
        r"(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?)"
        r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",
        text,
    )
    if match:
        year, month, day = match.group(1), match.group(2) or match.group(4), match.group(3)
        day = day or match.group(5)
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise _bad_date(value) from None
    if re.fullmatch(r"(19|20)\d{6}", text):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise _bad_date(value) from None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _from_excel_serial(float(text))
    raise _bad_date(value)


def _from_excel_serial(serial: float) -> date:
    if not math.isfinite(serial) or serial < 1 or serial >= _EXCEL_MAX_SERIAL + 1:
        raise ValueError(
            f"日期序号 {serial:g} 超出 Excel 日期范围（1 – {_EXCEL_MAX_SERIAL}）"
            f" / date serial {serial:g} is outside Excel's range (1 – {_EXCEL_MAX_SERIAL})"
        )
    days = int(serial)
    if days == 60:
        raise ValueError(
            "日期序号 60 是 Excel 虚构的 1900-02-29 / serial 60 is Excel's non-existent 1900-02-29"
        )
    if days < 60:
        days += 1  # serials before the phantom leap day are one day behind
    return _EXCEL_EPOCH + timedelta(days=days)


def _bad_date(value: Any) -> ValueError:
    return ValueError(
        f"无法识别的日期「{value}」，请写成 2012-08-09、2012/8/9 或 2012年8月9日"
        f" / unrecognised date {str(value)!r}; write 2012-08-09, 2012/8/9 or 2012年8月9日"
    )


_TRUE = frozenset({"是", "y", "yes", "true", "t", "1", "1.0", "√", "✓", "✔", "对"})
_FALSE = frozenset({"否", "n", "no", "false", "f", "0", "0.0", "×", "✗", "✘", "不是", "错"})


def parse_bool(value: Any) -> bool | None:
    """是/否, Y/N, yes/no, true/false, 1/0 or √/×; ``None`` when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = unicodedata.normalize("NFKC", parse_text(value)).casefold()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(
        f"无法识别的是/否值「{value}」，请填写“是”或“否” / unrecognised yes/no value "
        f"{str(value)!r}; write 是 or 否 (yes or no)"
    )


def parse_int(value: Any) -> int | None:
    """A whole number (3, 3.0, "３", "1,200"); ``None`` when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad_int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _bad_int(value)
    text = unicodedata.normalize("NFKC", parse_text(value)).replace(",", "")
    if not text:
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d+\.0*", text):
        return int(text.split(".")[0])
    raise _bad_int(value)


def _bad_int(value: Any) -> ValueError:
    return ValueError(f"「{value}」不是整数 / {str(value)!r} is not a whole number")


# --- row errors ----------------------------------------------------------------------------


def split_reason(message: str) -> tuple[str, str]:
    """Split a parser's "中文 / English" message into its two halves."""
    zh, separator, en = message.partition(" / ")
    return (zh, en) if separator else (message, message)


class RowCells:
    """One row being parsed: cell values out, every problem kept as a :class:`RowError`.

    Excel error values are reported for every known column up front, so a parser never
    mistakes ``#N/A`` for a value.
    """

    def __init__(
        self, table: TableRead, specs: Sequence[ColumnSpec], number: int, record: dict[str, Any]
    ) -> None:
        self.table = table
        self.specs = specs
        self.number = number
        self.record = record
        self.errors: list[RowError] = []
        self._broken = set(excel_error_keys(record))
        for key in self._broken:
            self.fail(key, *excel_error_reason(record[key]))

    def has(self, key: str) -> bool:
        """Whether the file has this column at all."""
        return key in self.record

    def get(self, key: str, parser: Callable[[Any], T], default: T) -> T:
        """The parsed cell, or ``default`` when the column is absent or the cell is bad."""
        if key not in self.record or key in self._broken:
            return default
        try:
            return parser(self.record[key])
        except ValueError as exc:
            self.fail(key, *split_reason(str(exc)))
            return default

    def fail(self, key: str, zh: str, en: str) -> None:
        self.errors.append(
            RowError(
                file=self.table.file,
                sheet=self.table.sheet,
                row=self.number,
                column=self.table.header_of(key, self.specs),
                zh=zh,
                en=en,
            )
        )

    def failed(self, key: str) -> bool:
        """Whether this column already has a problem in this row."""
        column = self.table.header_of(key, self.specs)
        return any(error.column == column for error in self.errors)


class _InTree(Protocol):
    path: str


U = TypeVar("U", bound=_InTree)


def campaign_unit(
    cells: RowCells, units: Mapping[str, U], root_path: str, key: str = "unit_code"
) -> U | None:
    """The row's unit (by 单位编码), which must exist and lie in the campaign's tree."""
    code = cells.get(key, parse_code, "")
    if not code:
        if not cells.failed(key):
            cells.fail(key, "单位编码不能为空", "the unit code is empty")
        return None
    unit = units.get(code)
    if unit is None:
        cells.fail(
            key,
            f"单位编码「{code}」不存在（请先导入单位）",
            f"no unit with code {code!r} (import the units first)",
        )
        return None
    if not unit.path.startswith(root_path):
        cells.fail(
            key,
            f"单位「{code}」不在本专项活动的范围内（不属于牵头单位的下级）",
            f"unit {code!r} is outside this campaign's tree",
        )
        return None
    return unit


# --- quarantine ----------------------------------------------------------------------------


class ParsedRow(Protocol):
    """A row an importer has parsed: its cells carry the row's errors."""

    cells: RowCells


def check_rows(path: Path, rows: Sequence[ParsedRow], *, skip_invalid: bool) -> list[RowError]:
    """Every row's errors; any at all reject the whole file (nothing written) unless skipping."""
    errors = [error for row in rows for error in row.cells.errors]
    if errors and not skip_invalid:
        raise ImportRejected(path.name, errors)
    return errors


def quarantine(
    path: Path,
    table: TableRead,
    rows: Sequence[ParsedRow],
    errors: Sequence[RowError],
    redact: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Path | None:
    """Write the rejected rows beside the input (``redact`` strips secrets first), if any."""
    if not errors:
        return None
    rejected = {
        row.cells.number: redact(row.cells.record) if redact else row.cells.record
        for row in rows
        if row.cells.errors
    }
    return write_rejected(path, table, rejected, errors)


def rejected_path(path: Path) -> Path:
    """Where the rejected rows of ``path`` go: ``<stem>.rejected.csv`` beside it."""
    return path.with_name(f"{path.stem}.rejected.csv")


def write_rejected(
    path: Path,
    table: TableRead,
    records: Mapping[int, Mapping[str, Any]],
    errors: Sequence[RowError],
) -> Path:
    """Write the rejected rows, with their reasons, as a CSV that Excel opens (UTF-8 with BOM)."""
    by_row: dict[int, list[RowError]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error)
    target = rejected_path(path)
    keys = list(table.columns)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*(table.columns[key] for key in keys), "行号", "列", "原因", "reason"])
        for row in sorted(by_row):
            record = records.get(row, {})
            row_errors = by_row[row]
            writer.writerow(
                [
                    *(_export_cell(record.get(key)) for key in keys),
                    row,
                    "、".join(dict.fromkeys(error.column for error in row_errors)),
                    "；".join(error.zh for error in row_errors),
                    "; ".join(error.en for error in row_errors),
                ]
            )
    return target


def _export_cell(value: Any) -> str:
    text = parse_text(value)
    # A cell starting with = + - @ is a formula to Excel; quote it so it stays text.
    if text[:1] in {"=", "+", "-", "@"} and not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return "'" + text
    return text
