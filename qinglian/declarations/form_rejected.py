"""The rejected rows of every sheet of a form file, in one ``<stem>.rejected.csv``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qinglian.declarations.columns import Section
from qinglian.declarations.form_checks import SHEET_ORDER
from qinglian.declarations.form_rows import FormRow
from qinglian.exchange.quarantine import export_cell, reason_cells, rejected_path, write_csv
from qinglian.exchange.safe_cells import spreadsheet_text
from qinglian.exchange.table import TableRead


def write_rejected_forms(
    path: Path, tables: Mapping[Section, TableRead], rows: Sequence[FormRow]
) -> Path:
    """All rejected rows of every sheet in one CSV that Excel opens (UTF-8 with BOM).

    The sheets have different columns; the file has their union, after 工作表 and 行号. Every
    cell is escaped so that no spreadsheet reads it as a formula.
    """
    headers: list[str] = []
    for table in tables.values():
        headers.extend(header for header in table.columns.values() if header not in headers)
    lines: list[list[Any]] = [
        [
            "工作表",
            "行号",
            *(spreadsheet_text(header) for header in headers),
            "列",
            "原因",
            "reason",
        ]
    ]
    for row in sorted(rows, key=lambda r: (SHEET_ORDER[r.section.sheet], r.number)):
        if row.ok:
            continue
        table = row.cells.table
        by_header = {table.columns[key]: value for key, value in row.cells.record.items()}
        lines.append(
            [
                spreadsheet_text(table.sheet),
                row.number,
                *(export_cell(by_header.get(header)) for header in headers),
                *reason_cells(row.cells.errors),
            ]
        )
    return write_csv(rejected_path(path), lines)
