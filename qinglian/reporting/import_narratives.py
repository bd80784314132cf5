"""Import phase-summary narratives (阶段性总结) from an XLSX or CSV file: validate all, then save.

One row per (unit, phase): 单位编码, 阶段 (key or Chinese title), 总结内容, 提交日期, 提交人.
All or nothing per file unless ``skip_invalid``; re-importing the same file changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from sqlmodel import Session, select

from models import Phase, Unit
from models.summary import PhaseSummary
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.core.errors import QinglianError
from qinglian.exchange.cells import parse_date, parse_identifier, parse_text
from qinglian.exchange.pipeline import run_import
from qinglian.exchange.report import ImportReport
from qinglian.exchange.row_checks import check_length
from qinglian.exchange.rows import RowCells
from qinglian.exchange.table import ColumnSpec, TableRead
from qinglian.exchange.unit_lookup import campaign_unit
from qinglian.reporting.narratives import check_narrative, submit_narrative

NARRATIVE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("unit_code", "单位编码", ("unit", "unit code", "单位代码"), required=True),
    ColumnSpec("phase", "阶段", ("phase", "阶段名称"), required=True),
    ColumnSpec(
        "narrative",
        "总结内容",
        ("narrative", "summary", "text", "阶段性总结", "总结", "内容"),
        required=True,
    ),
    ColumnSpec("submitted_on", "提交日期", ("submitted on", "date", "报送日期", "日期")),
    ColumnSpec("submitted_by", "提交人", ("submitted by", "by", "报送人", "填报人")),
)


class _UnitPath(NamedTuple):
    path: str


@dataclass
class _NarrativeRow:
    cells: RowCells
    unit_code: str = ""
    phase_key: str = ""
    text: str = ""
    submitted_on: date | None = None
    submitted_by: str = ""


SUBMITTER_MAX: int = PhaseSummary.__table__.columns["narrative_by"].type.length  # type: ignore[attr-defined]


def import_narratives(
    *,
    session: Session,
    campaign_id: int,
    path: Path,
    as_of: date,
    skip_invalid: bool = False,
) -> ImportReport:
    """Submit every row's narrative; ``as_of`` dates rows without a 提交日期."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    phases = list(session.exec(select(Phase).where(Phase.campaign_id == campaign.id)))
    by_name = {phase.key: phase for phase in phases} | {phase.title: phase for phase in phases}
    root_path = campaign_root(session=session, campaign=campaign).path
    units = {code: _UnitPath(path_) for code, path_ in session.exec(select(Unit.code, Unit.path))}

    def validate(table: TableRead) -> list[_NarrativeRow]:
        rows = [
            _parse_row(table, number, record, phases, by_name, units, root_path, as_of)
            for number, record in table.rows
        ]
        _refuse_repeats(rows)
        return rows

    def apply(rows: list[_NarrativeRow], report: ImportReport) -> None:
        _apply(session, campaign_id, rows, report, as_of=as_of)

    return run_import(
        path,
        NARRATIVE_COLUMNS,
        validate=validate,
        apply=apply,
        report_type=ImportReport,
        skip_invalid=skip_invalid,
        redact=_no_text,
    )


def _parse_row(
    table: TableRead,
    number: int,
    record: dict[str, Any],
    phases: Sequence[Phase],
    by_name: Mapping[str, Phase],
    units: Mapping[str, _UnitPath],
    root_path: str,
    as_of: date,
) -> _NarrativeRow:
    cells = RowCells(table, NARRATIVE_COLUMNS, number, record)
    row = _NarrativeRow(cells=cells)
    if campaign_unit(cells, units, root_path) is not None:
        row.unit_code = parse_identifier(record["unit_code"])
    phase_name = cells.get("phase", parse_text, "")
    phase = by_name.get(phase_name)
    if phase is None and not cells.failed("phase"):
        choices = "、".join(f"{p.key}/{p.title}" for p in phases)
        cells.fail(
            "phase",
            f"没有阶段「{phase_name}」（可选：{choices}）",
            f"no phase {phase_name!r} in this campaign",
        )
    row.phase_key = phase.key if phase else ""
    row.text = cells.get("narrative", parse_text, "")
    try:
        row.text = check_narrative(row.text)
    except QinglianError as exc:
        cells.fail("narrative", exc.zh, exc.en)
    row.submitted_on = cells.get("submitted_on", parse_date, None) or as_of
    if row.submitted_on > as_of:
        cells.fail(
            "submitted_on",
            f"提交日期 {row.submitted_on} 晚于今天（{as_of}）",
            f"submitted on {row.submitted_on}, after today ({as_of})",
        )
    elif phase is not None and row.submitted_on < phase.starts_on:
        cells.fail(
            "submitted_on",
            f"提交日期 {row.submitted_on} 早于{phase.title}阶段开始（{phase.starts_on}）",
            f"submitted on {row.submitted_on}, before the phase starts ({phase.starts_on})",
        )
    submitted_by = cells.get("submitted_by", parse_text, "")
    if check_length(cells, "submitted_by", submitted_by, SUBMITTER_MAX, "提交人", "submitter"):
        row.submitted_by = submitted_by  # never cut: a shortened name would not say who
    return row


def _apply(
    session: Session,
    campaign_id: int,
    rows: Sequence[_NarrativeRow],
    report: ImportReport,
    *,
    as_of: date,
) -> None:
    existing = _existing(session, campaign_id)
    for row in rows:
        before = existing.get((row.unit_code, row.phase_key))
        if before == row.text:
            report.unchanged += 1
            continue
        submit_narrative(
            session=session,
            campaign_id=campaign_id,
            phase_key=row.phase_key,
            unit_code=row.unit_code,
            text=row.text,
            submitted_on=row.submitted_on or as_of,
            submitted_by=row.submitted_by,
            commit=False,
        )
        if before:
            report.updated += 1
        else:
            report.created += 1
    session.flush()


def _refuse_repeats(rows: list[_NarrativeRow]) -> None:
    """One summary per unit and phase in a file: a second one is refused, not a silent winner."""
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        if not (row.unit_code and row.phase_key):
            continue
        key = (row.unit_code, row.phase_key)
        if key in first:
            row.cells.fail(
                "phase",
                f"单位「{row.unit_code}」的该阶段总结在第{first[key]}行已填写",
                f"this unit's summary for the phase is already on row {first[key]}",
            )
        else:
            first[key] = row.cells.number


def _existing(session: Session, campaign_id: int) -> dict[tuple[str, str], str]:
    rows = session.exec(
        select(Unit.code, Phase.key, PhaseSummary.narrative)
        .join(Unit, Unit.id == PhaseSummary.unit_id)  # type: ignore[arg-type]
        .join(Phase, Phase.id == PhaseSummary.phase_id)  # type: ignore[arg-type]
        .where(PhaseSummary.campaign_id == campaign_id)
    )
    return {(code, key): text for code, key, text in rows}


def _no_text(record: dict[str, Any]) -> dict[str, Any]:
    # A rejected 5 MB narrative is not copied into the rejected-rows file.
    text = str(record.get("narrative") or "")
    return record | {"narrative": text[:200] + ("…" if len(text) > 200 else "")}
