"""Rejecting a file with invalid rows, or quarantining those rows in ``<stem>.rejected.csv``."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from qinglian.core.errors import ImportRejected, RowError
from qinglian.exchange.cells import parse_text
from qinglian.exchange.output import check_writable, file_under, write_atomically
from qinglian.exchange.rows import ParsedRow
from qinglian.exchange.safe_cells import spreadsheet_text
from qinglian.exchange.table import TableRead


def check_rows(path: Path, rows: Sequence[ParsedRow], *, skip_invalid: bool) -> list[RowError]:
    """Every row's errors; any at all reject the whole file (nothing written) unless skipping."""
    return check_errors(
        path, [error for row in rows for error in row.cells.errors], skip_invalid=skip_invalid
    )


def check_errors(path: Path, errors: Iterable[RowError], *, skip_invalid: bool) -> list[RowError]:
    """``errors`` as a list; any at all reject the whole file (nothing written) unless skipping.

    When skipping, the rejected rows will go to ``<stem>.rejected.csv``: a place that cannot
    take them is refused now, before anything is imported.
    """
    found = list(errors)
    if found and not skip_invalid:
        raise ImportRejected(path.name, found)
    if found:
        check_writable(rejected_path(path))
    return found


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
    """Where the rejected rows of ``path`` go: ``<stem>.rejected.csv`` beside it (a safe name,
    checked to stay in that folder)."""
    return file_under(path.parent, f"{path.stem}.rejected.csv")


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
    keys = list(table.columns)
    lines: list[list[Any]] = [
        [*(spreadsheet_text(table.columns[key]) for key in keys), "行号", "列", "原因", "reason"]
    ]
    for row in sorted(by_row):
        record = records.get(row, {})
        row_errors = by_row[row]
        lines.append(
            [
                *(export_cell(record.get(key)) for key in keys),
                row,
                *reason_cells(row_errors),
            ]
        )
    return write_csv(rejected_path(path), lines)


def reason_cells(errors: Sequence[RowError]) -> list[str]:
    """The 列, 原因 and reason cells of a rejected row, escaped like every other cell."""
    return [
        spreadsheet_text("、".join(dict.fromkeys(error.column for error in errors))),
        spreadsheet_text("；".join(error.zh for error in errors)),
        spreadsheet_text("; ".join(error.en for error in errors)),
    ]


def write_csv(target: Path, lines: Sequence[Sequence[Any]]) -> Path:
    """Write ``lines`` as a CSV that Excel opens (UTF-8 with BOM), whole or not at all."""

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(lines)

    return write_atomically(target, write)


def export_cell(value: Any) -> str:
    """A cell as text for the rejected-rows CSV, never read back by Excel as a formula."""
    text = parse_text(value)
    if isinstance(value, int | float):
        return text  # a number, negative or not, is never a formula
    return str(spreadsheet_text(text))
