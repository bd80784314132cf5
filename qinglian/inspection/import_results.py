"""Import inspection results (检查组抽查结果) from an XLSX or CSV file: validate all, then record.

One row per problem found: 单位编码, 检查日期, 检查人, 得分, 问题类别, 问题描述, 工号, 备注
(English aliases accepted). A unit with no problem has one row without 问题类别 and 问题描述.
The score, date, inspector and note of a unit are written on its first row or repeated on
each; blank cells below them are read as the same (a merged cell reads that way), and a
different value is an error. Each unit is then recorded with
:func:`qinglian.inspection.record_inspection`, so re-importing a file changes nothing. All or
nothing: any invalid row rejects the whole file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session

from qinglian.campaigns.lookup import get_campaign
from qinglian.core.clock import today_in_china
from qinglian.core.errors import ImportRejected, QinglianError, RowError
from qinglian.exchange.pipeline import run_import
from qinglian.exchange.report import ImportReport
from qinglian.inspection.result_rows import INSPECTION_COLUMNS, ResultRow, by_unit, validate_results
from qinglian.inspection.results import record_inspection


class InspectionImportReport(ImportReport):
    """Per unit: ``created`` first recorded, ``updated`` changed, ``unchanged`` as it was."""

    findings_created: int = 0
    items_created: int = 0


def import_inspection_results(
    *, session: Session, campaign_id: int, path: Path, as_of: date | None = None
) -> InspectionImportReport:
    """Record every unit's inspection from a file; any invalid row rejects the whole file.

    ``as_of`` is "today" for refusing inspection dates in the future.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    as_of = as_of or today_in_china()

    def apply(rows: list[ResultRow], report: InspectionImportReport) -> None:
        _apply(session, campaign_id, rows, report)

    return run_import(
        path,
        INSPECTION_COLUMNS,
        validate=lambda table: validate_results(session, table, campaign, as_of),
        apply=apply,
        report_type=InspectionImportReport,
        skip_invalid=False,
    )


def _apply(
    session: Session, campaign_id: int, rows: Sequence[ResultRow], report: InspectionImportReport
) -> None:
    """Record each unit's rows as one inspection (the file has no invalid row by now)."""
    for code, unit_rows in by_unit(rows).items():
        shared = _merged(unit_rows)
        try:
            result = record_inspection(
                session=session,
                campaign_id=campaign_id,
                unit_code=code,
                score=shared["score"],
                inspected_on=shared["inspected_on"],
                inspector=shared.get("inspector", ""),
                problems=[row.problem for row in unit_rows if row.problem is not None],
                note=shared.get("note", ""),
            )
        except QinglianError as exc:
            # Checked above already; should anything still fail, the file is refused whole
            # (the caller's transaction rolls back what earlier units wrote).
            first = unit_rows[0]
            table = first.cells.table
            error = RowError(
                table.file,
                table.sheet,
                first.number,
                table.header_of("unit_code", INSPECTION_COLUMNS),
                exc.zh,
                exc.en,
            )
            raise ImportRejected(table.file, [error]) from exc
        report.findings_created += result.findings_created
        report.items_created += result.items_created
        if result.first:
            report.created += 1
        elif result.changed:
            report.updated += 1
        else:
            report.unchanged += 1


def _merged(rows: Sequence[ResultRow]) -> dict[str, Any]:
    shared: dict[str, Any] = {}
    for row in rows:
        for key, value in row.shared.items():
            shared.setdefault(key, value)
    return shared
