"""Hostile workbooks are refused within bounded memory, before any cell outgrows its limit.

A zip expands a thousandfold: a 300 KB .xlsx can hold a 300 MB cell. The workbooks here are
written by hand with zipfile, compressed as they stream, so the tests stay small in memory; the
big ones are imported by the real ``qinglian`` command in a child process whose peak RSS is
measured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from qinglian.core.errors import QinglianError
from qinglian.exchange.reading import check_workbook, read_rows
from qinglian.exchange.table import ColumnSpec
from qinglian.exchange.xlsx_guard import MAX_CELL_CHARS, MAX_ROWS
from tests.factories import Qinglian, assert_one_error, write_units, write_xlsx_rows

MIB = 1024 * 1024
COLUMNS = (
    ColumnSpec("code", "单位编码", required=True),
    ColumnSpec("name", "单位名称", required=True),
)
SHEET = "单位"

_MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RELS = b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
_OFFICE = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPES = b"application/vnd.openxmlformats-officedocument.spreadsheetml"

Chunks = Iterable[bytes]


# --- workbooks written by hand, streamed into the zip ----------------------------------------


def _workbook(
    path: Path,
    sheet: Chunks,
    *,
    strings: Chunks | None = None,
    extra: Mapping[str, Chunks] | None = None,
) -> Path:
    """A workbook with one sheet named 单位 (and a shared-string table when given)."""
    types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        b'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        b'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
        + _TYPES
        + b'.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
        + _TYPES
        + b'.worksheet+xml"/>'
        + (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
            + _TYPES
            + b'.sharedStrings+xml"/>'
            if strings is not None
            else b""
        )
        + b"</Types>"
    )
    package_rels = (
        b"<Relationships " + _RELS + b'><Relationship Id="rId1" Type="' + _OFFICE
        + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )  # fmt: skip
    workbook = (
        b"<workbook " + _MAIN + b' xmlns:r="' + _OFFICE + b'"><sheets><sheet name="'
        + SHEET.encode() + b'" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )  # fmt: skip
    workbook_rels = (
        b"<Relationships " + _RELS + b'><Relationship Id="rId1" Type="' + _OFFICE
        + b'/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )  # fmt: skip
    parts: dict[str, Chunks] = {
        "[Content_Types].xml": [types],
        "_rels/.rels": [package_rels],
        "xl/workbook.xml": [workbook],
        "xl/_rels/workbook.xml.rels": [workbook_rels],
        "xl/worksheets/sheet1.xml": sheet,
        **({"xl/sharedStrings.xml": strings} if strings is not None else {}),
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in parts.items():
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
    return path


def _cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'.encode()


def _sheet(*rows: Chunks, head: bytes = b"") -> Iterator[bytes]:
    """Sheet XML: a header row 单位编码 | 单位名称, then ``rows``."""
    yield b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + _MAIN + b">"
    yield head + b'<sheetData><row r="1">' + _cell("A1", "单位编码") + _cell("B1", "单位名称")
    yield b"</row>"
    for row in rows:
        yield from row
    yield b"</sheetData></worksheet>"


def _prefixed_sheet(*rows: bytes) -> list[bytes]:
    """The same with every element under a prefix, as some exporters write it."""
    main = _MAIN.replace(b"xmlns", b"xmlns:x")
    header = b'<x:row r="1">' + _prefixed_cell("A1", "单位编码") + _prefixed_cell("B1", "单位名称")
    body = b"".join([header, b"</x:row>", *rows])
    return [b"<x:worksheet " + main + b"><x:sheetData>" + body + b"</x:sheetData></x:worksheet>"]


def _prefixed_cell(ref: str, text: str) -> bytes:
    return f'<x:c r="{ref}" t="inlineStr"><x:is><x:t>{text}</x:t></x:is></x:c>'.encode()


def _repeat(piece: bytes, size: int) -> Iterator[bytes]:
    """``piece`` repeated to ``size`` bytes, a megabyte at a time."""
    block = piece * max(1, MIB // len(piece))
    blocks, rest = divmod(size // len(piece), len(block) // len(piece))
    for _ in range(blocks):
        yield block
    yield piece * rest


def _strings(*texts: Chunks) -> Iterator[bytes]:
    yield b'<?xml version="1.0" encoding="UTF-8"?><sst ' + _MAIN + b">"
    for text in texts:
        yield from text
    yield b"</sst>"


# The bombs of the adversarial test and their kin: each, and what its refusal says.


def huge_inline_cell(path: Path) -> Path:
    """300 MB of text in cell B2: about 300 KB compressed."""
    row = [b'<row r="2">' + _cell("A2", "MOH") + b'<c r="B2" t="inlineStr"><is><t>']
    return _workbook(path, _sheet([*row, *_repeat(b"a", 300 * MIB), b"</t></is></c></row>"]))


def huge_shared_string(path: Path) -> Path:
    """300 MB in the shared-string table (openpyxl keeps every shared string)."""
    row = b'<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c></row>'
    strings = _strings([b"<si><t>MOH</t></si><si><t>"], _repeat(b"a", 300 * MIB), [b"</t></si>"])
    return _workbook(path, _sheet([row]), strings=strings)


def two_million_rows(path: Path) -> Path:
    row = b"<row>" + _cell("A1", "X").replace(b' r="A1"', b"") + b"</row>"
    return _workbook(path, _sheet(_repeat(row, 2_000_000 * len(row))))


def two_million_shared_strings(path: Path) -> Path:
    piece = b"<si><t>a</t></si>"
    return _workbook(path, _sheet(), strings=_strings(_repeat(piece, 2_000_000 * len(piece))))


BOMBS: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "300-mb-inline-cell": (
        huge_inline_cell,
        f"[单位]: 第2行 B2 单元格的内容超过 Excel 每格 {MAX_CELL_CHARS:,} 个字符的上限",
        f"cell B2 in row 2 holds more than Excel's {MAX_CELL_CHARS:,} characters per cell",
    ),
    "300-mb-shared-string": (
        huge_shared_string,
        f"共享字符串表第 2 项超过 Excel 每格 {MAX_CELL_CHARS:,} 个字符的上限",
        "string 2 holds more than Excel's",
    ),
    "2-million-rows": (
        two_million_rows,
        f"[单位]: 行数超过 Excel 的上限 {MAX_ROWS:,} 行（第 {MAX_ROWS + 1:,} 行）",
        f"more rows than Excel's limit of {MAX_ROWS:,}",
    ),
    "2-million-shared-strings": (
        two_million_shared_strings,
        "共享字符串表超过 1,048,576 项",
        "more than 1,048,576 strings",
    ),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_workbook_bomb_is_refused_by_the_command_under_300_mb(tmp_path: Path, bomb: str) -> None:
    build, zh, en = BOMBS[bomb]
    path = build(tmp_path / "units.xlsx")
    assert path.stat().st_size < 1 * MIB
    code, stdout, stderr, peak = _import_in_a_child(tmp_path, path)
    assert 0 < peak < 300 * MIB, f"peak RSS {peak / MIB:.0f} MiB"
    assert (code, stdout) == (1, "")
    (line,) = stderr.splitlines()
    assert line.startswith("错误 / error: units.xlsx")
    assert zh in line and en in line
    assert "拒绝读取" in line and "refused" in line


# The child's own peak, read from its own /proc at exit: VmHWM belongs to the address space the
# exec made. (``wait4``'s ru_maxrss would also count the pytest process the child was forked
# from, which after a long test session is hundreds of MB.)
_PEAK_AT_EXIT = (
    "import atexit, os, sys\n"
    "def _peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            os.write(FD, line.split()[1].encode())\n"
    "atexit.register(_peak)\n"
)


def _peak_of(argv: list[str], env: dict[str, str] | None, out: Path, err: Path) -> tuple[int, int]:
    """Run ``python -c <script>`` with ``argv``: its exit code and its own peak RSS in bytes."""
    read, write = os.pipe()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-c", _PEAK_AT_EXIT.replace("FD", str(write)) + argv[0], *argv[1:]],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(write,),
        )
        os.close(write)
        with os.fdopen(read, "rb") as peak:
            kilobytes = peak.read()
        child.wait()
    return child.returncode, int(kilobytes or 0) * 1024


_RUN_QINGLIAN = "from qinglian.cli.main import main\nsys.argv[0] = 'qinglian'\nmain()\n"


def _import_in_a_child(tmp_path: Path, path: Path) -> tuple[int, str, str, int]:
    """``qinglian units import`` in a fresh home: exit code, output, and its own peak RSS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINGLIAN_", "PREFECT_"))}
    env.update(QINGLIAN_HOME=str(tmp_path / "home"), PREFECT_HOME=str(tmp_path / "prefect"))
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    code, peak = _peak_of([_RUN_QINGLIAN, "units", "import", str(path)], env, out, err)
    return code, out.read_text(), err.read_text(), peak


def test_the_importer_stores_nothing_from_a_bomb(cli: Qinglian, tmp_path: Path) -> None:
    cli.ok("db", "upgrade")
    cli.ok("units", "import", write_units(tmp_path / "seeds.csv"))
    before = cli.counts()
    line = assert_one_error(cli("units", "import", huge_inline_cell(tmp_path / "units.xlsx")))
    assert "units.xlsx [单位]: 第2行 B2 单元格" in line and "cell B2 in row 2" in line
    assert cli.counts() == before


# --- every other limit, read in this process ---------------------------------------------


def _cells(count: int) -> Iterator[bytes]:
    yield b'<row r="2">'
    yield from _repeat(b"<c/>", count * 4)
    yield b"</row>"


def _big_texts(count: int, size: int) -> Iterator[bytes]:
    yield b'<row r="2">'
    for column in range(count):
        yield b'<c r="%s2" t="inlineStr"><is><t>' % chr(ord("A") + column % 26).encode()
        yield from _repeat(b"a", size)
        yield b"</t></is></c>"
    yield b"</row>"


def _styles(*chunks: Chunks) -> dict[str, Chunks]:
    parts: list[bytes] = [b"<styleSheet " + _MAIN + b">"]
    for chunk in chunks:
        parts.extend(chunk)
    return {"xl/styles.xml": [*parts, b"</styleSheet>"]}


def _laughs() -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
    yield b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet ' + _MAIN + b">"
    yield b'<sheetData><row r="1">' + _cell("A1", "单位编码") + _cell("B1", "单位名称") + b"</row>"
    yield b'<row r="2"><c r="A2" t="inlineStr"><is><t>&b;&b;&b;</t></is></c></row>'
    yield b"</sheetData></worksheet>"


def _many_members(path: Path) -> Path:
    extra = {f"xl/media/pad{number}.bin": [b"x"] for number in range(10_001)}
    return _workbook(path, _sheet(), extra=extra)


HOSTILE: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "a-row-of-140000-cells": (
        lambda path: _workbook(path, _sheet(_cells(140_000))),
        "[单位]: 第2行的 XML 超过 16 MiB 或 131,072 个标记",
        "row 2 takes more than 16 MiB or 131,072 XML tags",
    ),
    "a-row-of-18-mb": (
        lambda path: _workbook(path, _sheet(_big_texts(60, 300 * 1024))),
        "[单位]: 第2行的 XML 超过 16 MiB",
        "row 2 takes more than 16 MiB",
    ),
    "a-row-numbered-past-excel": (
        lambda path: _workbook(path, _sheet([b'<row r="2000000">' + _cell("A2", "X") + b"</row>"])),
        "[单位]: 行数超过 Excel 的上限 1,048,576 行（第 2,000,000 行）",
        "more rows than Excel's limit of 1,048,576 (row 2,000,000)",
    ),
    "a-prefixed-row-numbered-past-excel": (
        lambda path: _workbook(path, _prefixed_sheet(b'<x:row r="1048577"/>')),
        "[单位]: 行数超过 Excel 的上限",
        "(row 1,048,577)",
    ),
    "a-cell-past-column-xfd": (
        lambda path: _workbook(path, _sheet([b'<row r="2">' + _cell("XFE2", "X") + b"</row>"])),
        "[单位]: 第2行的单元格 XFE2 超出 Excel 的最后一列 XFD（16,384 列）",
        "cell XFE2 in row 2 lies past column XFD",
    ),
    "a-huge-attribute-before-the-rows": (
        lambda path: _workbook(
            path,
            _sheet(head=b"".join([b'<sheetPr codeName="', *_repeat(b"a", 2 * MIB), b'"/>'])),
        ),
        "[单位]: 有一段文本或属性超过 Excel 每格 32,767 个字符的上限",
        "a text or attribute holds more than",
    ),
    "a-shared-string-of-many-runs": (
        lambda path: _workbook(
            path,
            _sheet(),
            strings=_strings(
                [b"<si>"],
                *([b"<r><t>", *_repeat(b"a", 300 * 1024), b"</t></r>"] for _ in range(4)),
                [b"</si>"],
            ),
        ),
        "共享字符串表第 1 项的 XML 超过 1 MiB 或 131,072 个标记",
        "string 1 takes more than 1 MiB",
    ),
    "a-17-mb-stylesheet": (
        lambda path: _workbook(
            path,
            _sheet(),
            extra=_styles(*([b"<a>", *_repeat(b" ", 300 * 1024), b"</a>"] for _ in range(60))),
        ),
        "部件 xl/styles.xml 解压后超过 16 MiB",
        "part xl/styles.xml: expands to more than 16 MiB",
    ),
    "a-stylesheet-of-300000-tags": (
        lambda path: _workbook(path, _sheet(), extra=_styles(_repeat(b"<numFmt/>", 300_000 * 9))),
        "部件 xl/styles.xml 超过 16 MiB 或 262,144 个 XML 标记",
        "more than 16 MiB or 262,144 XML tags",
    ),
    "entities-declared": (
        lambda path: _workbook(path, _laughs()),
        "部件 xl/worksheets/sheet1.xml 含有 DTD 或实体声明",
        "declares a DTD or entities",
    ),
    "a-utf-16-sheet": (
        lambda path: _workbook(
            path, [b"".join(_sheet()).decode().replace("UTF-8", "UTF-16").encode("utf-16")]
        ),
        "部件 xl/worksheets/sheet1.xml 不是 UTF-8 编码的 XML",
        "is not UTF-8 XML",
    ),
    "10001-files-in-the-zip": (
        _many_members,
        "压缩包内有 10,006 个文件，超过上限 10,000",
        "the zip holds 10,006 files",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_each_limit_refuses_with_one_bilingual_line(tmp_path: Path, case: str) -> None:
    build, zh, en = HOSTILE[case]
    path = build(tmp_path / "hostile.xlsx")
    with pytest.raises(QinglianError) as refused:
        read_rows(path, COLUMNS)
    message = refused.value
    assert message.zh.startswith("hostile.xlsx") and message.en.startswith("hostile.xlsx")
    assert zh in message.zh and en in message.en
    assert "\n" not in str(message)


def test_the_limits_leave_excel_s_largest_cells_alone(tmp_path: Path) -> None:
    """Cells at Excel's limit, even of characters XML escapes to five bytes, read back whole."""
    cells = ["卫" * MAX_CELL_CHARS, "&" * MAX_CELL_CHARS, "<>" * (MAX_CELL_CHARS // 2)]
    rows = [["单位编码", "单位名称"], *([f"X{index}", text] for index, text in enumerate(cells))]
    path = write_xlsx_rows(tmp_path / "largest.xlsx", rows, title=SHEET)
    table = read_rows(path, COLUMNS)
    assert [record["name"] for _, record in table.rows] == cells


def test_a_prefixed_sheet_still_reads(tmp_path: Path) -> None:
    row = b'<x:row r="2">' + _prefixed_cell("A2", "MOH") + _prefixed_cell("B2", "卫生部")
    path = _workbook(tmp_path / "prefixed.xlsx", _prefixed_sheet(row + b"</x:row>"))
    assert read_rows(path, COLUMNS).rows == [(2, {"code": "MOH", "name": "卫生部"})]


def test_a_workbook_can_be_checked_before_its_parts_are_read(tmp_path: Path) -> None:
    """For a reader of the raw parts: refused past the limits, a normal workbook passes."""
    check_workbook(write_xlsx_rows(tmp_path / "normal.xlsx", [["单位编码"], ["MOH"]], title=SHEET))
    with pytest.raises(QinglianError, match=r"units\.xlsx \[单位\]: 第2行 B2 单元格"):
        check_workbook(huge_inline_cell(tmp_path / "units.xlsx"))
    with pytest.raises(QinglianError, match=r"部件 xl/styles\.xml 超过"):
        check_workbook(HOSTILE["a-stylesheet-of-300000-tags"][0](tmp_path / "styles.xlsx"))


def test_the_forms_reader_refuses_a_bomb_before_inspecting_its_sheets(tmp_path: Path) -> None:
    """The 报告表 reader opens a workbook's parts itself (sheet inspection): a bomb is refused
    first, in a child process whose own peak RSS stays under 300 MB."""
    path = huge_inline_cell(tmp_path / "报告表.xlsx")
    script = (
        "from pathlib import Path\n"
        "from qinglian.core.errors import QinglianError\n"
        "from qinglian.declarations.form_sources import read_form_sheets\n"
        "try:\n"
        "    read_form_sheets(Path(sys.argv[1]))\n"
        "except QinglianError as error:\n"
        "    print(error); sys.exit(1)\n"
    )
    err = tmp_path / "stdout"
    code, peak = _peak_of([script, str(path)], None, err, tmp_path / "stderr")
    assert code == 1
    assert 0 < peak < 300 * MIB, f"peak RSS {peak / MIB:.0f} MiB"
    (line,) = err.read_text().splitlines()
    assert "32,767" in line and "refused" in line
