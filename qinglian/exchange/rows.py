"""One row being parsed: its cells, and every problem kept as a bilingual :class:`RowError`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from qinglian.core.errors import RowError
from qinglian.exchange.cells import excel_error_keys, excel_error_reason, split_reason
from qinglian.exchange.table import ColumnSpec, TableRead

T = TypeVar("T")


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


class ParsedRow(Protocol):
    """A row an importer has parsed: its cells carry the row's errors."""

    cells: RowCells


@dataclass
class CellsRow:
    """The base of an importer's parsed row: its cells, and the file row they came from."""

    cells: RowCells

    @property
    def number(self) -> int:
        return self.cells.number
