"""The BIFF records of an old workbook's globals, read as calamine reads them (its ``xls.rs``):
the walk from record to record with the CONTINUE records that run a record on, the sheets the
BOUNDSHEET records list, and the length of each string of the shared-string table.

``xls_guard`` needs no more of the globals than that to know what calamine will build.
"""

from __future__ import annotations

import codecs
import struct
from array import array
from collections.abc import Iterator

from qinglian.exchange.xlsx_guard import MAX_CELL_CHARS, WorkbookTooLarge

_CONTINUE = 0x003C


class DamagedWorkbook(Exception):
    """The BIFF records are not what Excel writes; the message says how (for logs)."""


def shared_string_lengths(data: bytes, more: list[bytes]) -> array[int]:
    """The length, in characters, of each string of the shared-string table (SST), read as
    calamine reads it: a string may run on into the CONTINUE records that follow."""
    if len(data) < 8:
        raise DamagedWorkbook("the shared-string table is cut short")
    lengths = array("H")
    pieces = _Pieces([data[8:], *more])
    while pieces.left or pieces.advance():
        if pieces.left < 3:
            raise DamagedWorkbook("a shared string is cut short")
        chars, flags = struct.unpack("<HB", pieces.take(3))
        if chars > MAX_CELL_CHARS:
            raise WorkbookTooLarge(
                f"共享字符串表第 {len(lengths) + 1:,} 项超过 Excel 每格 {MAX_CELL_CHARS:,} 个字符的上限",
                f"the shared strings: string {len(lengths) + 1:,} holds more than Excel's"
                f" {MAX_CELL_CHARS:,} characters per cell",
            )
        runs = u16(pieces.take(2), 0) if flags & 0x08 else 0
        extra = u32(pieces.take(4), 0) if flags & 0x04 else 0
        _skip_characters(pieces, chars, wide=bool(flags & 0x01))
        pieces.skip(4 * runs + extra)
        lengths.append(chars)
    return lengths


def _skip_characters(pieces: _Pieces, chars: int, *, wide: bool) -> None:
    """Past ``chars`` characters; in each CONTINUE record a new first byte says their width."""
    while True:
        taken = min(pieces.left // 2 if wide else pieces.left, chars)
        pieces.take(2 * taken if wide else taken)
        chars -= taken
        if chars == 0:
            return
        if not pieces.advance() or not pieces.left:
            raise DamagedWorkbook("a shared string runs past its record")
        wide = bool(pieces.take(1)[0] & 0x01)


class _Pieces:
    """A record and its CONTINUE records, read in order without copying them."""

    def __init__(self, parts: list[bytes]) -> None:
        self._parts, self._index, self._at = parts, 0, 0

    @property
    def left(self) -> int:
        """Bytes left in the current piece."""
        return len(self._parts[self._index]) - self._at

    def advance(self) -> bool:
        if self._index + 1 >= len(self._parts):
            return False
        self._index, self._at = self._index + 1, 0
        return True

    def take(self, size: int) -> bytes:
        if size > self.left:
            raise DamagedWorkbook("a shared string is cut short")
        start, self._at = self._at, self._at + size
        return self._parts[self._index][start : self._at]

    def skip(self, size: int) -> None:
        while size > 0:
            if not self.left and not self.advance():
                raise DamagedWorkbook("a shared string runs past its record")
            step = min(size, self.left)
            self._at += step
            size -= step


def records(stream: bytes, position: int = 0) -> Iterator[tuple[int, bytes, list[bytes]]]:
    """(type, data, the data of the CONTINUE records after it) from ``position`` on."""
    end = len(stream)
    while position < end:
        if end - position < 4:
            raise DamagedWorkbook("a record header is cut short")
        kind, size = struct.unpack_from("<HH", stream, position)
        data = stream[position + 4 : position + 4 + size]
        position += 4 + size
        if position > end:
            raise DamagedWorkbook(f"record {kind:#06x} runs past the end of the stream")
        more: list[bytes] = []
        while end - position > 4 and u16(stream, position) == _CONTINUE:
            size = u16(stream, position + 2)
            if position + 4 + size > end:
                raise DamagedWorkbook("a CONTINUE record runs past the end of the stream")
            more.append(stream[position + 4 : position + 4 + size])
            position += 4 + size
        yield kind, data, more


def bound_sheet(data: bytes, biff8: bool, codepage: int) -> tuple[int, int, str]:
    """(where the sheet's records start, its kind, its title) from a BOUNDSHEET record."""
    if len(data) < 8:
        raise DamagedWorkbook("a BOUNDSHEET record is cut short")
    position, kind, chars = u32(data, 0), data[5], data[6]
    if biff8:
        wide = data[7] & 0x01
        raw = data[8 : 8 + chars * (2 if wide else 1)]
        title = raw.decode("utf-16-le" if wide else "latin-1", errors="replace")
    else:
        title = data[7 : 7 + chars].decode(_codec(codepage), errors="replace")
    return position, kind, title.replace("\0", "")


def _codec(codepage: int) -> str:
    """The Python codec of a BIFF5 CODEPAGE (936 is GBK); Latin-1 when Python has none."""
    name = {367: "ascii", 1200: "latin-1", 10000: "mac-roman", 32768: "mac-roman"}.get(
        codepage, f"cp{codepage}"
    )
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "latin-1"


def u16(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<H", data, offset)[0])


def u32(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<I", data, offset)[0])
