"""The one import pipeline every single-table importer shares: read → validate → check → apply.

An importer brings its columns, its row validation and its apply step; the pipeline reads the
file, rejects it whole when any row is invalid (unless ``skip_invalid``), hands the valid rows
to the apply step and quarantines the rejected ones beside the input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from qinglian.exchange.quarantine import check_rows, quarantine
from qinglian.exchange.reading import read_rows
from qinglian.exchange.report import ImportReport
from qinglian.exchange.rows import ParsedRow
from qinglian.exchange.table import ColumnSpec, TableRead

R = TypeVar("R", bound=ParsedRow)
ReportT = TypeVar("ReportT", bound=ImportReport)


def run_import(
    path: Path,
    columns: Sequence[ColumnSpec],
    *,
    validate: Callable[[TableRead], Sequence[R]],
    apply: Callable[[list[R], ReportT], None],
    report_type: type[ReportT],
    skip_invalid: bool,
    redact: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> ReportT:
    """Import one table: all or nothing unless ``skip_invalid``.

    ``validate`` parses and checks every row (each row's cells keep its errors); ``apply``
    writes the rows without errors and fills in the report's counts. With ``skip_invalid``
    the rejected rows (``redact`` strips secrets first) go to ``<stem>.rejected.csv``.
    """
    table = read_rows(path, columns)
    rows = validate(table)
    errors = check_rows(path, rows, skip_invalid=skip_invalid)
    report = report_type(file=table.file, sheet=table.sheet, rejected=errors)
    apply([row for row in rows if not row.cells.errors], report)
    report.rejected_file = quarantine(path, table, rows, errors, redact=redact)
    return report


def run_upsert(
    path: Path,
    columns: Sequence[ColumnSpec],
    *,
    validate: Callable[[TableRead], Sequence[R]],
    upsert: Callable[[list[R]], tuple[int, int, int]],
    skip_invalid: bool,
    redact: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> ImportReport:
    """:func:`run_import` for an importer whose ``upsert`` counts (created, updated, unchanged)."""

    def apply(rows: list[R], report: ImportReport) -> None:
        report.created, report.updated, report.unchanged = upsert(rows)

    return run_import(
        path,
        columns,
        validate=validate,
        apply=apply,
        report_type=ImportReport,
        skip_invalid=skip_invalid,
        redact=redact,
    )
