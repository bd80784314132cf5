"""Old workbooks for the tests: real BIFF8 from xlwt, and BIFF records written by hand.

xlwt writes an .xls as Excel 97–2003 does (a compound file holding a ``Workbook`` stream of
BIFF8 records, text in the shared-string table, whole numbers as RK, errors as BOOLERR). WPS
saves its .et in the same format, so an .et here is xlwt's file under that name. The hostile
files are built record by record (``biff_workbook``) in a minimal compound file
(``compound_file``), so that one record or one FAT entry can say what no writer would.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import xlwt
from openpyxl import load_workbook

# Excel's error literals and their BIFF codes (xlwt's own table has some wrong).
ERROR_CODES = {
    "#NULL!": 0x00,
    "#DIV/0!": 0x07,
    "#VALUE!": 0x0F,
    "#REF!": 0x17,
    "#NAME?": 0x1D,
    "#NUM!": 0x24,
    "#N/A": 0x2A,
}
_DATE = xlwt.easyxf(num_format_str="YYYY-MM-DD")
_DATETIME = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM:SS")
_TIME = xlwt.easyxf(num_format_str="HH:MM:SS")

Rows = Sequence[Sequence[Any]]


def write_xls(path: Path, sheets: Mapping[str, Rows]) -> Path:
    """Each sheet's rows from A1 as Excel 97–2003 saves them (``None`` leaves a cell empty;
    an error literal such as "#N/A" is written as that error)."""
    book = xlwt.Workbook(encoding="utf-8")
    for title, rows in sheets.items():
        sheet = book.add_sheet(title)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                _write(sheet, row, column, value)
    book.save(str(path))
    return path


def xls_copy(source: Path, target: Path) -> Path:
    """The .xlsx ``source`` saved as .xls: values, errors, formulas (without results, as a
    program writes them) and merged ranges, sheet by sheet."""
    workbook = load_workbook(source)
    book = xlwt.Workbook(encoding="utf-8")
    for worksheet in workbook.worksheets:
        sheet = book.add_sheet(worksheet.title)
        for row in worksheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and value.startswith("="):
                    sheet.write(cell.row - 1, cell.column - 1, xlwt.Formula(value[1:]))
                else:
                    _write(sheet, cell.row - 1, cell.column - 1, value)
        for merged in worksheet.merged_cells.ranges:
            sheet.merge(
                merged.min_row - 1, merged.max_row - 1, merged.min_col - 1, merged.max_col - 1
            )
    book.save(str(target))
    return target


def _write(sheet: Any, row: int, column: int, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, str) and value in ERROR_CODES:
        sheet.row(row).set_cell_error(column, ERROR_CODES[value])
    elif isinstance(value, datetime):
        sheet.write(row, column, value, _DATETIME if value.time() != time() else _DATE)
    elif isinstance(value, date):
        sheet.write(row, column, value, _DATE)
    elif isinstance(value, time):
        sheet.write(row, column, value, _TIME)
    else:
        sheet.write(row, column, value)


# --- BIFF8 records written by hand ---------------------------------------------------------

BOF, EOF, CONTINUE, FILEPASS, BOUNDSHEET, SST = 0x0809, 0x000A, 0x003C, 0x002F, 0x0085, 0x00FC
DIMENSIONS, NUMBER, LABEL, LABELSST, FORMULA = 0x0200, 0x0203, 0x0204, 0x00FD, 0x0006


def record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def number(row: int, column: int, value: float) -> bytes:
    return record(NUMBER, struct.pack("<HHHd", row, column, 0, value))


def label(row: int, column: int, text: str, *, chars: int | None = None) -> bytes:
    """A LABEL cell; ``chars`` declares another length than the text has."""
    encoded = text.encode("utf-16-le")
    count = len(text) if chars is None else chars
    return record(LABEL, struct.pack("<HHHHB", row, column, 0, count, 1) + encoded)


def shared_label(row: int, column: int, index: int) -> bytes:
    return record(LABELSST, struct.pack("<HHHI", row, column, 0, index))


def formula(row: int, column: int, result: bytes) -> bytes:
    """A FORMULA cell whose saved result is the 8 bytes ``result`` and whose formula is 1."""
    tokens = bytes([0x1E, 1, 0])  # PtgInt 1
    data = struct.pack("<HHH", row, column, 0) + result + struct.pack("<HI", 0, 0)
    return record(FORMULA, data + struct.pack("<H", len(tokens)) + tokens)


def error_result(code: int) -> bytes:
    return bytes([0x02, 0, code, 0, 0, 0, 0xFF, 0xFF])


EMPTY_RESULT = bytes([0x03, 0, 0, 0, 0, 0, 0xFF, 0xFF])


def dimensions(first_row: int, after_row: int, first_col: int, after_col: int) -> bytes:
    return record(DIMENSIONS, struct.pack("<IIHHH", first_row, after_row, first_col, after_col, 0))


def shared_strings(strings: Iterable[str]) -> bytes:
    """An SST record with its CONTINUE records; a long string runs on into the next record,
    which then starts with its flags byte, as Excel writes it."""
    items = list(strings)
    chunks: list[bytes] = [struct.pack("<II", len(items), len(items))]
    room = 8224 - 8
    for text in items:
        encoded = text.encode("utf-16-le")
        head = struct.pack("<HB", len(text), 1)
        if room < len(head) + 2:
            chunks.append(b"")
            room = 8224
        chunks[-1] += head
        room -= len(head)
        while encoded:
            take = min(len(encoded), room - room % 2)
            chunks[-1] += encoded[:take]
            encoded, room = encoded[take:], room - take
            if encoded:
                chunks.append(b"\x01")  # the continued characters are 16-bit too
                room = 8224 - 1
    return record(SST, chunks[0]) + b"".join(record(CONTINUE, chunk) for chunk in chunks[1:])


def biff_workbook(
    sheets: Mapping[str, Sequence[bytes]], *, globals_: Sequence[bytes] = ()
) -> bytes:
    """A BIFF8 workbook stream: the globals (``globals_`` after the BOF), then each sheet's
    records between its own BOF and EOF."""
    bodies = [
        record(BOF, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
        + b"".join(records)
        + record(EOF)
        for records in sheets.values()
    ]
    names = [title.encode("utf-16-le") for title in sheets]
    head = record(BOF, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)) + b"".join(globals_)
    bound_sizes = sum(4 + 8 + len(name) for name in names)
    position = len(head) + bound_sizes + 4  # and the globals' EOF
    bound = b""
    for name, title, body in zip(names, sheets, bodies, strict=True):
        bound += record(BOUNDSHEET, struct.pack("<IBBBB", position, 0, 0, len(title), 1) + name)
        position += len(body)
    return head + bound + record(EOF) + b"".join(bodies)


def compound_file(stream: bytes, *, name: str = "Workbook") -> bytes:
    """A version-3 compound file (512-byte sectors) holding ``stream`` under ``name``, padded
    to 4,096 bytes (zeros after the last record) so that it lives in the FAT's sectors rather
    than in the mini stream.

    Layout: the header, the FAT's sectors, one directory sector, then the stream's sectors.
    """
    data = stream + bytes(max(0, 4096 - len(stream)))
    data += bytes(-len(data) % 512)
    stream_sectors = len(data) // 512
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + 1 + stream_sectors:
        fat_sectors += 1
    assert fat_sectors <= 109
    directory_sector = fat_sectors
    first = directory_sector + 1
    fat = [0xFFFFFFFD] * fat_sectors + [0xFFFFFFFE]  # FAT sectors, then the directory
    fat += [first + index + 1 for index in range(stream_sectors - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (fat_sectors * 128 - len(fat))
    header = bytearray(512)
    header[0:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIII", header, 40, 0, fat_sectors, directory_sector, 0, 4096)
    struct.pack_into("<IIII", header, 60, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    difat = list(range(fat_sectors)) + [0xFFFFFFFF] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)
    entries = _entry("Root Entry", 5, 0xFFFFFFFE, 0, child=1) + _entry(
        name, 2, first, max(len(stream), 4096)
    )
    entries += bytes(512 - len(entries))
    return bytes(header) + struct.pack(f"<{len(fat)}I", *fat) + entries + data


def _entry(name: str, kind: int, start: int, size: int, *, child: int = 0xFFFFFFFF) -> bytes:
    raw = (name + "\0").encode("utf-16-le")
    entry = bytearray(128)
    entry[: len(raw)] = raw
    struct.pack_into("<HBBIII", entry, 64, len(raw), kind, 1, 0xFFFFFFFF, 0xFFFFFFFF, child)
    struct.pack_into("<II", entry, 116, start, size)
    return bytes(entry)


def sector_offset(sector: int) -> int:
    """Where sector ``sector`` starts in a file of 512-byte sectors."""
    return (sector + 1) * 512
