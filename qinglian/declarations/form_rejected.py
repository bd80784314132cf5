"""The rejected rows of every sheet of a form file, in one ``<stem>.rejected.csv``."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from qinglian.declarations.columns import Section
from qinglian.declarations.form_checks import SHEET_ORDER
from qinglian.declarations.form_rows import FormRow
from qinglian.exchange.quarantine import export_cell, rejected_path
from qinglian.exchange.table import TableRead


def write_rejected_forms(
    path: Path, tables: Mapping[Section, TableRead], rows: Sequence[FormRow]
) -> Path:
    """All rejected rows of every sheet in one CSV that Excel opens (UTF-8 with BOM).

    The sheets have different columns; the file has their union, after 工作表 and 行号.
    """
    headers: list[str] = []
    for table in tables.values():
        headers.extend(header for header in table.columns.values() if header not in headers)
    target = rejected_path(path)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["工作表", "行号", *headers, "列", "原因", "reason"])
        for row in sorted(rows, key=lambda r: (SHEET_ORDER[r.section.sheet], r.number)):
            if row.ok:
                continue
            table = row.cells.table
            by_header = {table.columns[key]: value for key, value in row.cells.record.items()}
            errors = row.cells.errors
            writer.writerow(
                [
                    table.sheet,
                    row.number,
                    *(export_cell(by_header.get(header)) for header in headers),
                    "、".join(dict.fromkeys(error.column for error in errors)),
                    "；".join(error.zh for error in errors),
                    "; ".join(error.en for error in errors),
                ]
            )
    return target
