"""The DHIS2-style reporting-rate table of a unit's subtree (上报率): the unit and each child
(its whole subtree), deliverables and the 报告表 apart, colour-classed, with the units named
that are lagging (工作滞后或问题较多) or behind (缺报); and the same table as an XLSX workbook.

The figures are :func:`qinglian.oversight.tracking.campaign_progress`'s, the ones
``qinglian status`` prints, so the portal, the CLI and the export never disagree.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from models import Level
from models.rate import ReportingRate
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.exchange.safe_cells import set_cell, write_row
from qinglian.oversight.lagging import LaggingUnit, find_lagging_units
from qinglian.oversight.tracking import UnitProgress, campaign_progress
from qinglian.rules.rollup import BEHIND_CAP

# Colour bands of a reporting rate: at least GOOD is good, at least WARN a warning, else bad.
GOOD = 0.9
WARN = 0.6
BANDS_TEXT = (
    f"上报率 ≥{GOOD:.0%} 为良好（绿），≥{WARN:.0%} 为预警（黄），低于 {WARN:.0%} 为较差（红）；"
    "上报率 = 已报 ÷（应报 − 未到期），尚无到期事项时记为 100%。"
)
BANDS_TEXT_EN = (
    f"Rate ≥{GOOD:.0%} good (green), ≥{WARN:.0%} warning (amber), below {WARN:.0%} poor (red); "
    "rate = received ÷ (expected − pending), 100% while nothing is due yet."
)
RATE_HEADERS = ("应报", "已报", "按时", "逾期提交", "缺报", "未到期", "上报率")
_FILLS = {
    "rate-good": PatternFill("solid", fgColor="D8F0D8"),
    "rate-warn": PatternFill("solid", fgColor="FFF0C0"),
    "rate-bad": PatternFill("solid", fgColor="F8D0D0"),
}


def rate_class(rate: ReportingRate) -> str:
    """The CSS class (and workbook fill) of a rate: ``rate-good``, ``rate-warn`` or ``rate-bad``."""
    if rate.rate >= GOOD:
        return "rate-good"
    if rate.rate >= WARN:
        return "rate-warn"
    return "rate-bad"


@dataclass(frozen=True, slots=True)
class RateRow:
    """One line of the table: the unit itself (``is_self``) or a child with its subtree."""

    code: str
    name: str
    level: Level
    is_self: bool
    own: ReportingRate
    deliverables: ReportingRate
    forms: ReportingRate | None
    lagging: bool


@dataclass(frozen=True, slots=True)
class BehindUnit:
    """A unit of the subtree with something of its own missing (事项 or 报告表)."""

    code: str
    name: str
    missing_deliverables: int
    missing_forms: int


@dataclass(frozen=True, slots=True)
class RateTable:
    campaign_id: int
    campaign_title: str
    as_of: date
    phase_key: str | None
    phase_title: str | None
    code: str
    name: str
    rows: list[RateRow]
    has_forms: bool
    lagging: list[LaggingUnit]
    behind: list[BehindUnit]
    behind_total: int

    @property
    def title(self) -> str:
        phase = f" · {self.phase_title}" if self.phase_title else " · 全部阶段"
        return f"{self.campaign_title} · {self.name} 上报率{phase} · 截至 {self.as_of.isoformat()}"


def rate_table(
    *,
    session: Session,
    campaign_id: int,
    unit_code: str,
    as_of: date,
    phase_key: str | None = None,
) -> RateTable:
    """The table of ``unit_code``'s subtree on ``as_of`` (one phase, or all of them)."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    phase = get_phase(session=session, campaign=campaign, key=phase_key) if phase_key else None
    progress = campaign_progress(
        session=session,
        campaign_id=campaign_id,
        as_of=as_of,
        unit_code=unit_code,
        phase_key=phase_key,
    )
    subtree = {node.unit_id: node for node in _walk(progress)}
    lagging = [
        unit
        for unit in find_lagging_units(session=session, campaign_id=campaign_id, as_of=as_of)
        if unit.unit_id in subtree
    ]
    lagging_ids = {unit.unit_id for unit in lagging}
    behind = [
        BehindUnit(
            code=node.code,
            name=node.name,
            missing_deliverables=node.own.missing,
            missing_forms=node.forms_own.missing if node.forms_own else 0,
        )
        for node in subtree.values()
        if node.own.missing or (node.forms_own and node.forms_own.missing)
    ]
    rows = [_row(progress, is_self=True, lagging_ids=lagging_ids)] + [
        _row(child, is_self=False, lagging_ids=lagging_ids) for child in progress.children
    ]
    return RateTable(
        campaign_id=campaign_id,
        campaign_title=campaign.title,
        as_of=as_of,
        phase_key=phase.key if phase else None,
        phase_title=phase.title if phase else None,
        code=progress.code,
        name=progress.name,
        rows=rows,
        has_forms=progress.forms is not None,
        lagging=lagging,
        behind=behind[:BEHIND_CAP],
        behind_total=len(behind),
    )


def _walk(node: UnitProgress) -> Iterator[UnitProgress]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _row(node: UnitProgress, *, is_self: bool, lagging_ids: set[int]) -> RateRow:
    return RateRow(
        code=node.code,
        name=node.name,
        level=node.level,
        is_self=is_self,
        own=node.own,
        deliverables=node.subtree,
        forms=node.forms,
        lagging=node.unit_id in lagging_ids,
    )


# --- the workbook ------------------------------------------------------------------------------


def rate_workbook(table: RateTable) -> bytes:
    """The table as an XLSX workbook: a title row, two header rows, one row per unit, the
    lagging and behind units named below; landscape, fitted to the page's width."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "上报率"
    groups = [("动员部署等事项（含所属单位）", RATE_HEADERS)]
    if table.has_forms:
        groups.append(("《报告表》（含所属单位）", RATE_HEADERS))
    width = 3 + sum(len(headers) for _, headers in groups)

    set_cell(sheet, 1, 1, table.title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    write_row(sheet, 2, ["单位编码", "单位", "层级"])
    column = 4
    for group, headers in groups:
        set_cell(sheet, 2, column, group)
        sheet.merge_cells(start_row=2, start_column=column, end_row=2, end_column=column + 6)
        for offset, header in enumerate(headers):
            set_cell(sheet, 3, column + offset, header)
        column += len(headers)
    for first in range(1, 4):
        sheet.merge_cells(start_row=2, start_column=first, end_row=3, end_column=first)
    for row in sheet.iter_rows(min_row=2, max_row=3):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    line = 4
    for rate_row in table.rows:
        name = rate_row.name if rate_row.is_self else f"  {rate_row.name}"
        if rate_row.lagging:
            name += "（工作滞后）"
        write_row(sheet, line, [rate_row.code, name, rate_row.level.label])
        if rate_row.is_self:
            for cell in sheet[line]:
                cell.font = Font(bold=True)
        _rate_cells(sheet, line, 4, rate_row.deliverables)
        if table.has_forms:
            _rate_cells(sheet, line, 11, rate_row.forms or ReportingRate())
        line += 1

    line += 1
    for text in _notes(table):
        set_cell(sheet, line, 1, text)
        sheet.merge_cells(start_row=line, start_column=1, end_row=line, end_column=width)
        sheet.cell(row=line, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        line += 1

    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 28
    sheet.column_dimensions["C"].width = 10
    for index in range(4, width + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 9
    sheet.freeze_panes = "D4"
    sheet.print_title_rows = "2:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rate_cells(sheet: Worksheet, line: int, column: int, rate: ReportingRate) -> None:
    values = (rate.expected, rate.received, rate.on_time, rate.late, rate.missing, rate.pending)
    for offset, value in enumerate(values):
        set_cell(sheet, line, column + offset, value)
    cell = set_cell(sheet, line, column + 6, round(rate.rate, 4))
    cell.number_format = "0.0%"
    cell.fill = _FILLS[rate_class(rate)]


def _notes(table: RateTable) -> list[str]:
    lagging = "、".join(
        f"{unit.name}（逾期事项 {unit.overdue_items} 项，未整改问题线索 {unit.open_findings} 条）"
        for unit in table.lagging
    )
    behind = "、".join(unit.name for unit in table.behind)
    if table.behind_total > len(table.behind):
        behind += f" 等 {table.behind_total} 个单位"
    return [
        f"工作滞后或问题较多的单位：{lagging or '无'}",
        f"有缺报的单位：{behind or '无'}",
        BANDS_TEXT,
    ]
