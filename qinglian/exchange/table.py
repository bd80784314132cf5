"""A table read from a file: the columns an importer understands, the header row, the data rows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qinglian.core.errors import QinglianError
from qinglian.exchange.cells import BLANK, INVISIBLE, parse_text

_HEADER_SCAN_ROWS = 10


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


def build_table(
    file: str,
    sheet: str,
    rows: Iterable[Sequence[Any]],
    columns: Sequence[ColumnSpec],
    lookup: Mapping[str, ColumnSpec],
) -> TableRead:
    """The table under the first header row of ``rows``; rows entirely empty are skipped."""
    numbered = enumerate(rows, start=1)
    header, positions = _find_header(file, sheet, numbered, columns, lookup)
    table = TableRead(file=file, sheet=sheet, columns={key: header[i] for key, i in positions})
    for number, values in numbered:
        record: dict[str, Any] = {}
        empty = True
        for key, index in positions:
            value = values[index] if index < len(values) else None
            if isinstance(value, str) and not value.strip(BLANK):
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
        cells = [parse_text(value) for value in values]
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


def header_lookup(columns: Sequence[ColumnSpec]) -> dict[str, ColumnSpec]:
    """Every accepted header, normalised, to its column; two columns may not claim one."""
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
    return re.sub(rf"[\s_\-*{INVISIBLE}]+", "", text)
