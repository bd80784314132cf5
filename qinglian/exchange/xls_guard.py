"""An old workbook's BIFF records scanned before calamine reads them, against limits on cells,
text and size: no .xls or .et can make calamine take more memory than they allow.

calamine reads a whole .xls when it opens it and keeps every sheet as a dense grid: a 6 KB
file with one cell in A1 and one in IV65536 becomes 16 million cells (½ GB); a DIMENSIONS
record can make it reserve room for billions; and each cell showing a shared string gets its
own copy of the string. So the workbook stream is walked first, record by record as calamine
walks it (its ``xls.rs``), and refused when the grids or the text it would build go past a
limit. The walk also keeps what calamine does not hand over: error values (calamine reads
``#N/A`` as an empty cell) and formulas saved without a result.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field

from qinglian.exchange.biff_records import (
    DamagedWorkbook,
    bound_sheet,
    records,
    shared_string_lengths,
    u16,
    u32,
)
from qinglian.exchange.xlsx_guard import MAX_CELL_CHARS, MAX_COLUMNS, MIB, WorkbookTooLarge

MAX_LEGACY_BYTES = 128 * MIB  # the file: read whole, by us and by calamine
MAX_LEGACY_CELLS = 4 * MIB  # the grids of all sheets together (65,536 rows × 64 columns)
MAX_LEGACY_TEXT = 64 * MIB  # characters in all cells together, each shared string per use

_BOF, _EOF = 0x0809, 0x000A
_FILEPASS, _CODEPAGE, _BOUNDSHEET, _SST = 0x002F, 0x0042, 0x0085, 0x00FC
_DIMENSIONS, _FORMULA, _STRING = 0x0200, 0x0006, 0x0207
_LABEL, _RSTRING, _LABELSST, _BOOLERR = 0x0204, 0x00D6, 0x00FD, 0x0205
_MULRK, _MULBLANK = 0x00BD, 0x00BE
# Records holding one cell at (row, column): NUMBER, RK, BLANK and the ones above.
_ONE_CELL = frozenset({0x0203, 0x027E, 0x0201, _LABEL, _RSTRING, _LABELSST, _BOOLERR, _FORMULA})
_SPANS = frozenset({_MULRK, _MULBLANK})  # one row, from a first column to a last
_CELLS = _ONE_CELL | _SPANS
_TEXTS = frozenset({_LABEL, _RSTRING})
_SHEET_RECORDS = _CELLS | {_BOF, _EOF, _DIMENSIONS, _STRING}
_PAIR = struct.Struct("<HH")
_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}
_WORKSHEET = 0x00  # BoundSheet8.dt; 1 is a macro sheet, 2 a chart, 6 a VBA module


class EncryptedWorkbook(Exception):
    """The workbook is protected by a password (a FILEPASS record): its records are ciphered."""


@dataclass(frozen=True, slots=True)
class SheetScan:
    """What one sheet holds that calamine does not hand over; rows and columns from 0."""

    title: str
    worksheet: bool
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    empty_formulas: tuple[tuple[int, int], ...] = ()


@dataclass
class _Totals:
    cells: int = 0
    text: int = 0


@dataclass
class _Box:
    """The rectangle calamine's grid spans: from the first row and column to the last."""

    top: int = -1
    bottom: int = -1
    left: int = 0
    right: int = 0

    def add(self, row: int, first: int, last: int) -> None:
        if self.top < 0:
            self.top, self.bottom, self.left, self.right = row, row, first, last
            return
        self.top, self.bottom = min(self.top, row), max(self.bottom, row)
        self.left, self.right = min(self.left, first), max(self.right, last)

    @property
    def area(self) -> int:
        return 0 if self.top < 0 else (self.bottom - self.top + 1) * (self.right - self.left + 1)


def scan_workbook(stream: bytes) -> tuple[SheetScan, ...]:
    """Every sheet of the BIFF workbook ``stream``, in the workbook's order.

    Raises ``WorkbookTooLarge`` past a limit, ``EncryptedWorkbook`` or ``DamagedWorkbook``.
    """
    codepage, biff8 = 1200, True
    bound: list[tuple[int, int, str]] = []
    shared = array("H")
    for kind, data, more in records(stream):
        if kind == _FILEPASS:
            raise EncryptedWorkbook()
        if kind == _BOF and len(data) >= 2:
            biff8 = u16(data, 0) in (0x0600, 0)
        elif kind == _CODEPAGE and len(data) >= 2:
            codepage = u16(data, 0)
        elif kind == _BOUNDSHEET:
            bound.append(bound_sheet(data, biff8, codepage))
        elif kind == _SST:
            shared = shared_string_lengths(data, more)
        elif kind == _EOF:
            break
    totals = _Totals()
    return tuple(
        _scan_sheet(stream, position, title, kind == _WORKSHEET, shared, totals)
        for position, kind, title in bound
    )


def _scan_sheet(
    stream: bytes,
    position: int,
    title: str,
    worksheet: bool,
    shared: array[int],
    totals: _Totals,
) -> SheetScan:
    """One sheet's records, from its BOF to its EOF (records of a chart inside it included:
    older calamine reads them as the sheet's). A loop over offsets with the grid's corners in
    locals: a sheet can hold a million cells, and this runs before every read."""
    end = len(stream)
    if position >= end:
        raise DamagedWorkbook(f"sheet {title!r} starts past the end of the stream")
    top = bottom = -1
    left = right = text = 0
    formulas = _Box()  # calamine keeps the formulas' text in a grid of its own
    errors: dict[tuple[int, int], str] = {}
    empty: list[tuple[int, int]] = []
    string_result: tuple[int, int] | None = None  # a formula whose text comes in a STRING
    depth, started = 0, False
    pair, strings = _PAIR.unpack_from, len(shared)
    while position < end:
        if end - position < 4:
            raise DamagedWorkbook("a record header is cut short")
        kind, size = pair(stream, position)
        start, position = position + 4, position + 4 + size
        if position > end:
            raise DamagedWorkbook(f"record {kind:#06x} runs past the end of the stream")
        if kind not in _SHEET_RECORDS:
            continue
        if kind in _CELLS:
            if size < 6:
                raise DamagedWorkbook(f"a cell record of sheet {title!r} is cut short")
            row, first = pair(stream, start)
            last = first if kind not in _SPANS else pair(stream, position - 4)[1]
            if last < first:
                raise DamagedWorkbook(f"a cell record of sheet {title!r} spans no column")
            if last >= MAX_COLUMNS:
                raise _past_last_column(title, row, last)
            if top < 0:
                top, bottom, left, right = row, row, first, last
            else:
                # Comparisons, not min() and max(): this runs once per cell record.
                if row < top:
                    top = row
                elif row > bottom:
                    bottom = row
                if first < left:
                    left = first
                if last > right:
                    right = last
            if string_result is not None:
                if depth == 0:
                    empty.append(string_result)  # its STRING never came
                string_result = None
            if kind == _LABELSST:
                if size >= 10:
                    index = u32(stream, start + 6)
                    text += shared[index] if index < strings else 0
                continue
            if kind in _TEXTS and size >= 8:
                chars = u16(stream, start + 6)
                _check_cell_text(chars, title, row, first)
                text += chars
            elif kind == _BOOLERR and size >= 8 and stream[start + 7] == 1 and depth == 0:
                errors[(row, first)] = _ERRORS.get(stream[start + 6], "#VALUE!")
            elif kind == _FORMULA:
                formulas.add(row, first, first)
                result = _formula_result(stream[start:position], title)
                if depth == 0:
                    if result == "string":
                        string_result = (row, first)
                    elif result == "empty":
                        empty.append((row, first))
                    elif result is not None:
                        errors[(row, first)] = result
        elif kind == _BOF:
            depth, started = depth + started, True
        elif kind == _EOF:
            if depth == 0:
                break
            depth -= 1
        elif kind == _DIMENSIONS:
            _check_dimensions(stream[start:position], title)
        elif kind == _STRING:
            chars = u16(stream, start) if size >= 2 else 0
            _check_cell_text(chars, title)
            text += chars
            if string_result is not None and depth == 0 and chars == 0:
                empty.append(string_result)
            string_result = None
    if string_result is not None and depth == 0:
        empty.append(string_result)
    grid = 0 if top < 0 else (bottom - top + 1) * (right - left + 1)
    totals.cells += grid + formulas.area
    if totals.cells > MAX_LEGACY_CELLS:
        raise _too_many_cells(title)
    totals.text += text
    if totals.text > MAX_LEGACY_TEXT:
        raise _in_sheet(
            title,
            f"各单元格的文字合计超过 {MAX_LEGACY_TEXT:,} 个字符（共享字符串每用一次计一次）",
            f"the cells hold more than {MAX_LEGACY_TEXT:,} characters of text together"
            " (a shared string counted at each use)",
        )
    return SheetScan(title, worksheet, errors, tuple(empty))


def _formula_result(data: bytes, title: str) -> str | None:
    """A formula's saved result: "string" (its text follows), "empty", an error literal, or
    ``None`` for a number or a yes/no."""
    if len(data) < 20:
        raise DamagedWorkbook(f"a formula of sheet {title!r} is cut short")
    if data[12:14] != b"\xff\xff":
        return None
    kind = data[6]
    if kind == 0x00:
        return "string"
    if kind == 0x02:
        return _ERRORS.get(data[8], "#VALUE!")
    if kind == 0x03:
        return "empty"
    return None


def _check_dimensions(data: bytes, title: str) -> None:
    """The grid a DIMENSIONS record makes calamine reserve, computed as calamine computes it
    (with its 32-bit arithmetic, so a last row before the first wraps to four billion)."""
    if len(data) == 14:
        first_row, after_row, first_col, after_col = struct.unpack_from("<IIHH", data)
    elif len(data) == 10:
        first_row, after_row, first_col, after_col = struct.unpack_from("<HHHH", data)
    else:
        raise DamagedWorkbook(f"the DIMENSIONS of sheet {title!r} are not 10 or 14 bytes")
    if first_col > 0xFF or after_col < first_col:
        first_col = 0
    if after_row >= 1 and after_col >= 1:
        rows = (after_row - 1 - first_row) % 2**32 + 1
        columns = (after_col - 1 - first_col) % 2**32 + 1
        if rows * columns > MAX_LEGACY_CELLS:
            raise _too_many_cells(title)


def _check_cell_text(chars: int, title: str, row: int = -1, column: int = 0) -> None:
    if chars <= MAX_CELL_CHARS:
        return
    where_zh = f"第{row + 1}行 {_cell(row, column)} 单元格的内容" if row >= 0 else "有单元格的内容"
    where_en = f"cell {_cell(row, column)} in row {row + 1}" if row >= 0 else "a cell"
    raise _in_sheet(
        title,
        f"{where_zh}超过 Excel 每格 {MAX_CELL_CHARS:,} 个字符的上限",
        f"{where_en} holds more than Excel's {MAX_CELL_CHARS:,} characters per cell",
    )


def _too_many_cells(title: str) -> WorkbookTooLarge:
    return _in_sheet(
        title,
        f"各工作表的单元格区域合计超过 {MAX_LEGACY_CELLS:,} 个单元格",
        f"the sheets' cell ranges span more than {MAX_LEGACY_CELLS:,} cells together",
    )


def _past_last_column(title: str, row: int, column: int) -> WorkbookTooLarge:
    cell = _cell(row, column)
    return _in_sheet(
        title,
        f"第{row + 1}行的单元格 {cell} 超出 Excel 的最后一列 XFD（{MAX_COLUMNS:,} 列）",
        f"cell {cell} in row {row + 1} lies past column XFD (Excel's {MAX_COLUMNS:,} columns)",
    )


def _in_sheet(title: str, zh: str, en: str) -> WorkbookTooLarge:
    limit = WorkbookTooLarge(zh, en, in_sheet=True)
    limit.sheet = title
    return limit


def _cell(row: int, column: int) -> str:
    letters, index = "", column + 1
    while index:  # not openpyxl's get_column_letter, which stops at column 18,278
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters}{row + 1}"
