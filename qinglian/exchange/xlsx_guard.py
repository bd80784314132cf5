"""Opening a workbook with limits on what its parts may expand to, checked while they stream.

An .xlsx is a zip of XML parts, and a zip member can expand a thousandfold: a 300 KB file can
hold a 300 MB cell. openpyxl reads most parts whole and keeps every shared string, so every
part it reads goes through a byte scanner first, which never holds more than a chunk:

- a part openpyxl reads whole (workbook, styles, relationships …) is scanned as it is read;
- a part it streams (a worksheet, the shared strings) is scanned in full before openpyxl gets
  its first byte, so that a sheet with too many rows is refused before any row is kept.

The scanner needs no XML parser. Each limit shows in the bytes: a text or an attribute is a run
without ``<``; a row or a shared string starts with its tag; its size is the bytes and tags up
to the next one. Uncompressed sizes are counted, never taken from the zip's directory.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, cast

from openpyxl.packaging.manifest import Manifest
from openpyxl.reader.excel import ExcelReader
from openpyxl.workbook.workbook import Workbook
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
from openpyxl.xml.functions import fromstring

from qinglian.core.errors import QinglianError

MIB = 1024 * 1024
# Excel's own limits.
MAX_CELL_CHARS = 32_767
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
# Ours, far above what an office's workbook needs and low enough to keep memory bounded.
MAX_ROW_BYTES = 16 * MIB  # the XML of one row
MAX_ROW_TAGS = 8 * MAX_COLUMNS  # every column with a cell, a value and a few formatting tags
MAX_SHEET_BYTES = 512 * MIB  # one worksheet, uncompressed
MAX_SHARED_STRINGS = 1_048_576
MAX_SHARED_STRING_BYTES = 1 * MIB  # the XML of one shared string, formatting runs included
MAX_SHARED_STRING_TAGS = MAX_ROW_TAGS
MAX_SHARED_STRINGS_BYTES = 128 * MIB  # the shared-string table, uncompressed
MAX_PART_BYTES = 16 * MIB  # any other part (openpyxl reads these whole)
MAX_PART_TAGS = 262_144
MAX_WORKBOOK_BYTES = 1024 * MIB  # everything read from one workbook, uncompressed
MAX_MEMBERS = 10_000  # files in the zip

# A character takes at most 10 bytes in XML (&#x10FFFF;), so a run without "<" longer than
# this is a text (or an attribute) longer than any cell Excel can hold.
_TEXT_BYTES = 10 * MAX_CELL_CHARS
# Chunks stay well under _TEXT_BYTES: only a run that crosses chunks can be too long.
_CHUNK = 64 * 1024
_CARRY = 512  # an unfinished tag at a chunk's end is scanned with the next chunk
_TAIL = 4096  # bytes kept before a text, to name its cell

_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_ROW = re.compile(_PREFIX + rb"row(?=[\s/>])")
_STRING = re.compile(_PREFIX + rb"si(?=[\s/>])")
# The same without a namespace prefix, which the regex engine finds far faster.
_PLAIN = {
    _ROW: (b":row", re.compile(rb"<row(?=[\s/>])")),
    _STRING: (b":si", re.compile(rb"<si(?=[\s/>])")),
}
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']([^"'>]{0,64})""")
_CELL = re.compile(_PREFIX + rb"""c\s(?:[^>]*?\s)?r\s*=\s*["']([A-Za-z]{1,3}\d{1,7})["']""")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
# Parts found within the limits, by file (device, inode, size, mtime) and member (name, CRC):
# an importer reads one workbook once per sheet, and openpyxl opens every sheet each time.
_PASSED: OrderedDict[tuple[object, ...], None] = OrderedDict()
_PASSED_KEPT = 1024

_DECLARED = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)""")
_UTF8_NAMES = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})

_Kind = Literal["sheet", "strings", "part"]


@dataclass(frozen=True, slots=True)
class _Rules:
    kind: _Kind
    total_bytes: int
    segment: re.Pattern[bytes] | None  # the tag that starts a row or a shared string
    segment_bytes: int
    segment_tags: int
    segments: int


_SHEET = _Rules("sheet", MAX_SHEET_BYTES, _ROW, MAX_ROW_BYTES, MAX_ROW_TAGS, MAX_ROWS)
_STRINGS = _Rules(
    "strings",
    MAX_SHARED_STRINGS_BYTES,
    _STRING,
    MAX_SHARED_STRING_BYTES,
    MAX_SHARED_STRING_TAGS,
    MAX_SHARED_STRINGS,
)
_PART = _Rules("part", MAX_PART_BYTES, None, MAX_PART_BYTES, MAX_PART_TAGS, 0)
# A row or shared string that starts and ends within one chunk (and the carry) fits any limit.
assert min(MAX_SHARED_STRING_BYTES, MAX_SHARED_STRING_TAGS, MAX_ROW_TAGS) >= _CHUNK + _CARRY


class WorkbookTooLarge(Exception):
    """A part of a workbook goes past a limit; ``error`` says where, in both languages."""

    def __init__(self, zh: str, en: str, *, part: str = "", in_sheet: bool = False) -> None:
        super().__init__(en)
        self.zh, self.en, self.part, self.in_sheet = zh, en, part, in_sheet
        self.sheet: str | None = None  # the title of the worksheet ``part`` holds, once known

    def error(self, file: str, sheet: str | None = None) -> QinglianError:
        """The user's message; ``sheet``: the worksheet being read, when not known yet."""
        sheet = self.sheet or sheet
        where = f"{file} [{sheet}]" if sheet is not None and self.in_sheet else file
        return QinglianError(
            f"{where}: {self.zh}，拒绝读取（文件已损坏或被人为构造）",
            f"{where}: {self.en}; refused (a damaged or crafted file)",
        )


def open_workbook(path: Path) -> Workbook:
    """The workbook at ``path``, read-only with cached values; every part it reads is guarded.

    Raises ``WorkbookTooLarge`` past a limit (now or while a sheet is read), or whatever
    openpyxl and zipfile raise for a damaged file.
    """
    # openpyxl refuses a path by its extension: given the open file it reads the zip whatever
    # the file is called (a WPS .et saved as .xlsx, an .xlsx renamed .xls …).
    with path.open("rb") as handle:
        reader = ExcelReader(handle, read_only=True, data_only=True)
        reader.archive.close()
    archive = _GuardedArchive(path)
    reader.archive = archive
    try:
        reader.read()
    except WorkbookTooLarge as limit:
        # openpyxl reads every worksheet's size as it opens the workbook: name the sheet.
        if limit.in_sheet and hasattr(reader, "parser"):
            titles = {rel.target: sheet.name for sheet, rel in reader.parser.find_sheets()}
            limit.sheet = titles.get(limit.part)
        archive.close()
        raise
    except BaseException:
        archive.close()
        raise
    return reader.wb


class _GuardedArchive(zipfile.ZipFile):
    """The workbook's zip, whose members are scanned as openpyxl reads them."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        members = len(self.infolist())
        if members > MAX_MEMBERS:
            self.close()
            raise WorkbookTooLarge(
                f"压缩包内有 {members:,} 个文件，超过上限 {MAX_MEMBERS:,}",
                f"the zip holds {members:,} files, more than the limit of {MAX_MEMBERS:,}",
            )
        self.spent = 0  # bytes scanned from all members
        assert self.fp is not None
        stat = os.fstat(self.fp.fileno())
        self._file = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        self._strings_part: str | None = None

    def open(  # type: ignore[override]
        self,
        name: str | zipfile.ZipInfo,
        mode: Literal["r", "w"] = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> IO[bytes]:
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return stream
        part = name.filename if isinstance(name, zipfile.ZipInfo) else name
        return cast(IO[bytes], _GuardedPart(self, stream, part))

    def prescan(self, part: str) -> None:
        """Scan a streamed part in full, once: the shared strings as such, others as a sheet."""
        rules = _STRINGS if part == self._shared_strings() else _SHEET
        info = self.getinfo(part)
        passed = (*self._file, part, info.CRC, info.file_size, rules.kind)
        if passed in _PASSED:
            return
        scan = _Scan(self, part, rules)
        with zipfile.ZipFile.open(self, part) as stream:
            while chunk := stream.read(_CHUNK):
                scan.feed(chunk)
        scan.finish()
        _PASSED[passed] = None
        while len(_PASSED) > _PASSED_KEPT:
            _PASSED.popitem(last=False)

    def spend(self, size: int) -> None:
        self.spent += size
        if self.spent > MAX_WORKBOOK_BYTES:
            raise WorkbookTooLarge(
                f"工作簿解压后超过 {_size(MAX_WORKBOOK_BYTES)}",
                f"the workbook expands to more than {_size(MAX_WORKBOOK_BYTES)}",
            )

    def _shared_strings(self) -> str:
        # Found as openpyxl finds it: the first part the content types call shared strings.
        if self._strings_part is None:
            manifest = Manifest.from_tree(fromstring(self.read(ARC_CONTENT_TYPES)))
            found = manifest.find(SHARED_STRINGS)
            self._strings_part = found.PartName[1:] if found is not None else ""
        return self._strings_part


class _GuardedPart(io.RawIOBase):
    """One member as openpyxl reads it: whole (scanned while read) or in chunks (scanned first)."""

    def __init__(self, archive: _GuardedArchive, stream: IO[bytes], part: str) -> None:
        super().__init__()
        self._archive, self._stream, self._part = archive, stream, part
        self._prescanned = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        if not self._prescanned:
            self._archive.prescan(self._part)
            self._prescanned = True
        return self._stream.read(size)

    def readall(self) -> bytes:
        rules = _PART if not self._prescanned else _SHEET
        scan = _Scan(self._archive, self._part, rules)
        chunks: list[bytes] = []
        while chunk := self._stream.read(_CHUNK):
            scan.feed(chunk)
            chunks.append(chunk)
        scan.finish()
        return b"".join(chunks)

    def close(self) -> None:
        self._stream.close()
        super().close()


class _Scan:
    """One pass over a part's bytes, in order; raises ``WorkbookTooLarge`` at the first excess."""

    def __init__(self, archive: _GuardedArchive, part: str, rules: _Rules) -> None:
        self.archive, self.part, self.rules = archive, part, rules
        self.total = 0
        self.started = False
        self.xml = True  # a part read whole may be a picture: then only its size counts
        self.carry = b""
        self.run = 0  # bytes since the last "<": the text or attribute being read
        self.run_row = 0
        self.run_tail = b""  # the bytes before that run, to name its cell
        self.row = 0  # the row as openpyxl numbers it, or the shared string's number
        self.segments = 0
        self.segment_bytes = 0
        self.segment_tags = 0

    def feed(self, chunk: bytes) -> None:
        for start in range(0, len(chunk), _CHUNK):
            self._feed(chunk[start : start + _CHUNK])

    def finish(self) -> None:
        if self.xml and self.carry:
            self._scan(self.carry)
            self.carry = b""

    def _feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.archive.spend(len(chunk))
        if self.total > self.rules.total_bytes:
            raise self._too_big()
        if not self.started:
            self.started = True
            self._check_start(chunk)
        if not self.xml:
            return
        if b"\x00" in chunk:
            raise self._not_utf8()
        first = chunk.find(b"<")
        self.run += len(chunk) if first < 0 else first
        if self.run > _TEXT_BYTES:
            raise self._text_too_long()
        whole = self.carry + chunk
        cut = whole.rfind(b"<")
        if cut >= 0 and len(whole) - cut < _CARRY and b">" not in whole[cut:]:
            self._scan(whole[:cut])
            self.carry = whole[cut:]
        else:
            self._scan(whole)
            self.carry = b""
        if first >= 0:
            self.run = len(chunk) - chunk.rfind(b"<") - 1
            self.run_row = self.row
            self.run_tail = whole[max(0, cut - _TAIL) : cut]

    def _check_start(self, chunk: bytes) -> None:
        head = chunk.lstrip(b" \t\r\n")
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise self._not_utf8()
        head = head.removeprefix(codecs.BOM_UTF8)
        if self.rules.kind == "part" and not head.startswith(b"<"):
            self.xml = False
            return
        declared = _DECLARED.match(head)
        if declared and declared[1].lower() not in _UTF8_NAMES:
            raise self._not_utf8()

    def _scan(self, data: bytes) -> None:
        if b"<!" in data and _DTD.search(data):
            raise self._declares_entities()
        start, first = 0, True
        if self.rules.segment is not None:
            prefixed, plain = _PLAIN[self.rules.segment]
            segment = self.rules.segment if prefixed in data else plain
            for match in segment.finditer(data):
                if first:  # the row that went on from the last chunk ends here
                    self._grow(data, 0, match.start())
                    first = False
                # A row that starts and ends in one chunk is smaller than any limit on rows.
                self._next_segment(data, match.end())
                start = match.start()
        self._grow(data, start, len(data))

    def _grow(self, data: bytes, start: int, end: int) -> None:
        self.segment_bytes += end - start
        self.segment_tags += data.count(b"<", start, end)
        if (
            self.segment_bytes > self.rules.segment_bytes
            or self.segment_tags > self.rules.segment_tags
        ):
            raise self._segment_too_big()

    def _next_segment(self, data: bytes, after: int) -> None:
        self.segments += 1
        self.segment_bytes = self.segment_tags = 0
        if self.rules.kind != "sheet":
            self.row = self.segments
        else:
            self.row = _row_after(data, after, self.row)
        if self.segments > self.rules.segments or self.row > self.rules.segments:
            raise self._too_many()

    # --- what went past which limit, in both languages -------------------------------------

    def _problem(self, zh: str, en: str) -> WorkbookTooLarge:
        kind = self.rules.kind
        if kind == "strings":
            zh, en = f"共享字符串表{zh}", f"the shared strings: {en}"
        elif kind == "part":
            zh, en = f"部件 {self.part} {zh}", f"part {self.part}: {en}"
        return WorkbookTooLarge(zh, en, part=self.part, in_sheet=kind == "sheet")

    def _too_big(self) -> WorkbookTooLarge:
        limit = _size(self.rules.total_bytes)
        if self.rules.kind == "sheet":
            return self._problem(f"工作表解压后超过 {limit}", f"the sheet expands to over {limit}")
        return self._problem(f"解压后超过 {limit}", f"expands to more than {limit}")

    def _not_utf8(self) -> WorkbookTooLarge:
        return WorkbookTooLarge(
            f"部件 {self.part} 不是 UTF-8 编码的 XML（Excel 不会这样保存）",
            f"part {self.part} is not UTF-8 XML (Excel never saves one so)",
        )

    def _declares_entities(self) -> WorkbookTooLarge:
        return WorkbookTooLarge(
            f"部件 {self.part} 含有 DTD 或实体声明（Excel 不会这样保存）",
            f"part {self.part} declares a DTD or entities (Excel never does)",
        )

    def _text_too_long(self) -> WorkbookTooLarge:
        limit_zh = f"超过 Excel 每格 {MAX_CELL_CHARS:,} 个字符的上限"
        limit_en = f"more than Excel's {MAX_CELL_CHARS:,} characters per cell"
        kind = self.rules.kind
        if kind == "strings":
            return self._problem(
                f"第 {self.run_row:,} 项{limit_zh}", f"string {self.run_row:,} holds {limit_en}"
            )
        if kind == "sheet" and self.run_row:
            found = _last_cell(self.run_tail)
            if found:
                return self._problem(
                    f"第{self.run_row}行 {found} 单元格的内容{limit_zh}",
                    f"cell {found} in row {self.run_row} holds {limit_en}",
                )
            return self._problem(
                f"第{self.run_row}行有单元格的内容{limit_zh}",
                f"a cell in row {self.run_row} holds {limit_en}",
            )
        return self._problem(f"有一段文本或属性{limit_zh}", f"a text or attribute holds {limit_en}")

    def _segment_too_big(self) -> WorkbookTooLarge:
        size, tags = _size(self.rules.segment_bytes), f"{self.rules.segment_tags:,}"
        kind = self.rules.kind
        if kind == "sheet" and self.row:
            return self._problem(
                f"第{self.row}行的 XML 超过 {size} 或 {tags} 个标记",
                f"row {self.row} takes more than {size} or {tags} XML tags",
            )
        if kind == "sheet":
            return self._problem(
                f"第一行之前的 XML 超过 {size} 或 {tags} 个标记",
                f"the XML before the first row takes more than {size} or {tags} tags",
            )
        if kind == "strings":
            return self._problem(
                f"第 {self.row:,} 项的 XML 超过 {size} 或 {tags} 个标记",
                f"string {self.row:,} takes more than {size} or {tags} XML tags",
            )
        return self._problem(
            f"超过 {size} 或 {tags} 个 XML 标记", f"more than {size} or {tags} XML tags"
        )

    def _too_many(self) -> WorkbookTooLarge:
        if self.rules.kind == "sheet":
            return self._problem(
                f"行数超过 Excel 的上限 {MAX_ROWS:,} 行（第 {self.row:,} 行）",
                f"more rows than Excel's limit of {MAX_ROWS:,} (row {self.row:,})",
            )
        return self._problem(
            f"超过 {MAX_SHARED_STRINGS:,} 项", f"more than {MAX_SHARED_STRINGS:,} strings"
        )


def _row_after(data: bytes, after: int, previous: int) -> int:
    """The number of the row whose tag ends its name at ``after``, as openpyxl counts rows:
    its ``r`` read with Python's ``int`` (so "+5", " 5" and "1_000" count), else one more."""
    end = data.find(b">", after)
    number = _ROW_NUMBER.search(data, after, end if end >= 0 else len(data))
    if number is None:
        return previous + 1
    try:
        return int(number[1])
    except ValueError:  # openpyxl fails on it too: no rows come from such a sheet
        return 0


def _last_cell(tail: bytes) -> str | None:
    """The reference of the last cell that starts in ``tail``."""
    cells = _CELL.findall(tail)
    return cells[-1].decode("ascii").upper() if cells else None


def _size(size: int) -> str:
    return f"{size // (1024 * MIB)} GiB" if size % (1024 * MIB) == 0 else f"{size // MIB} MiB"
