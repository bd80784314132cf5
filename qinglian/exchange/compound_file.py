"""An OLE2 compound file, the container of an old .xls, a WPS .et, a Word .doc and an encrypted
.xlsx, read strictly: every sector inside the file, every chain walked once.

calamine, which reads the workbook afterwards, trusts the container: a directory chain that
loops makes it loop for ever, and a sector past the file's end can make it panic. So the
container is read here first, the way calamine reads it (its ``cfb.rs``), and refused as
damaged where it is not a set of finite chains inside the file; its streams are then known
by name, and the workbook stream is handed to ``xls_guard`` for its own limits.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_BYTES = 512
_END_OF_CHAIN = 0xFFFF_FFFE
_FIRST_MARKER = 0xFFFF_FFFA  # this id and those above it mark chains, never name a sector
_DIFAT_SECTOR = 0xFFFF_FFFC  # a DIFAT entry from here on lists no FAT sector
_HEADER_DIFAT = 109  # FAT sector ids in the header itself
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096  # calamine reads any stream shorter than this from the mini stream
_ENTRY_BYTES = 128
_WORKBOOK_STREAMS = ("Workbook", "Book", "WORKBOOK", "BOOK")  # BIFF8, then BIFF5; calamine's order


class DamagedCompoundFile(Exception):
    """The container is not a well-formed compound file; the message says how (for logs)."""


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    start: int
    size: int


class CompoundFile:
    """The streams of a compound file, each read on demand as calamine would read it."""

    def __init__(
        self,
        data: bytes,
        sector_size: int,
        fat: tuple[int, ...] = (),
        entries: tuple[_Entry, ...] = (),
        mini_stream: bytes = b"",
        mini_fat: bytes = b"",
    ) -> None:
        self._data, self._sector_size = data, sector_size
        self._fat = fat  # the FAT's own sectors; an entry is read from them when needed
        self._entries, self._mini_stream, self._mini_fat = entries, mini_stream, mini_fat

    @property
    def names(self) -> frozenset[str]:
        return frozenset(entry.name for entry in self._entries)

    def workbook_stream(self) -> bytes | None:
        """The BIFF workbook stream (``Workbook`` or, in an Excel 5/95 file, ``Book``)."""
        for name in _WORKBOOK_STREAMS:
            if name in self.names:
                return self.stream(name)
        return None

    def stream(self, name: str) -> bytes:
        """The first stream of that name, truncated to its size as calamine truncates it."""
        entry = next(entry for entry in self._entries if entry.name == name)
        if entry.size < _MINI_CUTOFF:
            return self._mini_chain(entry.start, entry.size)
        return _chain(self, entry.start, entry.size)

    def sector(self, sector_id: int) -> bytes:
        """Sector ``sector_id`` (the last one of the file may be short)."""
        start = (sector_id + 1) * self._sector_size
        if sector_id >= _FIRST_MARKER or start >= len(self._data):
            raise DamagedCompoundFile(f"sector {sector_id:#x} lies past the end of the file")
        return self._data[start : start + self._sector_size]

    def next_sector(self, sector_id: int) -> int:
        per_sector = self._sector_size // 4
        index, slot = divmod(sector_id, per_sector)
        if index >= len(self._fat):
            raise DamagedCompoundFile(f"sector {sector_id:#x} has no FAT entry")
        fat_sector = self.sector(self._fat[index])
        if len(fat_sector) < (slot + 1) * 4:
            raise DamagedCompoundFile(f"the FAT entry of sector {sector_id:#x} is cut short")
        return _u32(fat_sector, slot * 4)

    def _mini_chain(self, start: int, size: int) -> bytes:
        parts: list[bytes] = []
        got = 0
        seen: set[int] = set()
        sector_id = start
        while sector_id != _END_OF_CHAIN and got < size:
            if sector_id in seen:
                raise DamagedCompoundFile("a mini-stream chain loops")
            seen.add(sector_id)
            offset = sector_id * _MINI_SECTOR
            if offset >= len(self._mini_stream) or (sector_id + 1) * 4 > len(self._mini_fat):
                raise DamagedCompoundFile(f"mini sector {sector_id:#x} lies past the mini stream")
            piece = self._mini_stream[offset : offset + min(_MINI_SECTOR, size - got)]
            parts.append(piece)
            got += len(piece)
            sector_id = _u32(self._mini_fat, sector_id * 4)
        return b"".join(parts)


def read_compound_file(data: bytes) -> CompoundFile:
    """The container in ``data``, its header, FAT and directory checked; or
    ``DamagedCompoundFile``."""
    if len(data) < _HEADER_BYTES or not data.startswith(OLE2_MAGIC):
        raise DamagedCompoundFile("no compound-file header")
    shift = _u16(data, 30)
    if shift not in (9, 12) or _u16(data, 32) != 6:
        raise DamagedCompoundFile(f"sector shift {shift} or mini-sector shift is not valid")
    sector_size = 1 << shift
    if len(data) < sector_size:
        raise DamagedCompoundFile("the header is cut short")
    fat = _fat_sectors(data, sector_size)
    file = CompoundFile(data, sector_size, fat)
    directory = _chain(file, _u32(data, 48), None)
    entries = tuple(
        _entry(directory[offset : offset + _ENTRY_BYTES], sector_size)
        for offset in range(0, len(directory) - _ENTRY_BYTES + 1, _ENTRY_BYTES)
    )
    if not entries or (_u16(data, 26) != 3 and entries[0].start == _END_OF_CHAIN):
        raise DamagedCompoundFile("the root directory is empty")
    mini_stream = mini_fat = b""
    mini_fat_sectors = _u32(data, 64)
    if mini_fat_sectors > 0:
        mini_stream = _chain(file, entries[0].start, entries[0].size)
        mini_fat = _chain(file, _u32(data, 60), mini_fat_sectors * sector_size)
    return CompoundFile(data, sector_size, fat, entries, mini_stream, mini_fat)


def _fat_sectors(data: bytes, sector_size: int) -> tuple[int, ...]:
    """The FAT's sectors, from the header's DIFAT and the DIFAT chain (which must not loop)."""
    difat = list(struct.unpack_from(f"<{_HEADER_DIFAT}I", data, 76))
    per_sector = sector_size // 4
    seen: set[int] = set()
    sector_id = _u32(data, 68)
    file = CompoundFile(data, sector_size)
    while sector_id < _FIRST_MARKER:
        if sector_id in seen:
            raise DamagedCompoundFile("the DIFAT chain loops")
        seen.add(sector_id)
        sector = file.sector(sector_id)
        if len(sector) < sector_size:
            raise DamagedCompoundFile("a DIFAT sector is cut short")
        entries = struct.unpack_from(f"<{per_sector}I", sector)
        difat.extend(entries[:-1])
        sector_id = entries[-1]
    fat = tuple(sector_id for sector_id in difat if sector_id < _DIFAT_SECTOR)
    for sector_id in fat:
        file.sector(sector_id)  # inside the file
    return fat


def _chain(file: CompoundFile, start: int, size: int | None) -> bytes:
    """The sectors from ``start`` to the end of the chain, or up to ``size`` bytes."""
    parts: list[bytes] = []
    got = 0
    seen: set[int] = set()
    sector_id = start
    while sector_id != _END_OF_CHAIN:
        if sector_id in seen:
            raise DamagedCompoundFile("a sector chain loops")
        seen.add(sector_id)
        sector = file.sector(sector_id)
        if size is not None:
            sector = sector[: size - got]
        parts.append(sector)
        got += len(sector)
        if size is not None and got >= size:
            break
        sector_id = file.next_sector(sector_id)
    return b"".join(parts)


def _entry(raw: bytes, sector_size: int) -> _Entry:
    # calamine takes the name up to its first NUL, whatever the name's length field says.
    name = raw[:64].decode("utf-16-le", errors="replace").split("\0", 1)[0]
    size = _u32(raw, 120) if sector_size == 512 else struct.unpack_from("<Q", raw, 120)[0]
    return _Entry(name=name, start=_u32(raw, 116), size=size)


def _u16(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<H", data, offset)[0])


def _u32(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<I", data, offset)[0])
