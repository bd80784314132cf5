"""The year-end assessment table written as an .xlsx workbook (年终考核表).

The table is printed and filed, so it reads as a finished report: a title (the campaign, 年终
考核表) and a line with the as-of date, the header at :data:`HEADER_ROW`, one row per unit with
its 名次, and a 合计/平均 row under them. The units and their figures are those of
``assessment_rows``, in its order (level, then score); the rank is a column beside them.
It prints on A4 landscape, one page wide, the header repeated on every page.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.enums import Level
from qinglian.declarations.print_setup import font, set_up_printing, wrapped_lines
from qinglian.exchange.output import write_atomically
from qinglian.exchange.safe_cells import set_cell, write_row
from qinglian.inspection.assessment import AssessmentRow

ASSESSMENT_SHEET = "年终考核"
TITLE = "年终考核表"
HEADER_ROW = 3  # the title and the as-of line above it
TOTAL_LABEL = "合计/平均"
RANK_NOTE = "名次为同一层级内按综合得分排列，得分相同者名次相同"
_PERCENT = "0.0%"
_SCORE = "0.0"
_COUNT = "0"
# (header, number format or None for text, minimum width)
_ASSESSMENT_COLUMNS: tuple[tuple[str, str | None, int], ...] = (
    ("单位编码", None, 12),
    ("单位名称", None, 20),
    ("层级", None, 6),
    ("报送完整率", _PERCENT, 10),
    ("按时率", _PERCENT, 10),
    ("问题数", _COUNT, 8),
    ("已整改", _COUNT, 8),
    ("整改率", _PERCENT, 10),
    ("抽查得分", _SCORE, 10),
    ("工作滞后", None, 10),
    ("综合得分", _SCORE, 10),
)
# 通报曝光 (seed 004), before 综合得分, only when some unit was publicly exposed: the campaigns
# that never expose anyone keep their table as it was.
_EXPOSURES_COLUMN = ("通报曝光", _COUNT, 8)
_RANK_COLUMN = ("名次", _COUNT, 6)
_MAX_WIDTH = 60
_CENTRED = frozenset({"层级", "工作滞后", "名次"})
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_RULE = Border(top=Side(style="thin"), bottom=Side(style="double"))


def write_assessment_xlsx(
    rows: Sequence[AssessmentRow], path: Path, *, title: str = "", as_of: date | None = None
) -> Path:
    """Write the assessment table as an .xlsx, atomically (a reader never sees half a file).

    ``title`` is the campaign's title and ``as_of`` the day the figures stand on, both shown
    above the table. Chinese headers, percentages as percent-formatted numbers (so Excel can
    sort and sum them), the header frozen and filtered, columns wide enough for their
    contents. Names, codes and the title are written as text, never as formulas.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = ASSESSMENT_SHEET
    exposures = any(row.exposures for row in rows)
    columns = _ASSESSMENT_COLUMNS
    if exposures:
        columns = (*_ASSESSMENT_COLUMNS[:-1], _EXPOSURES_COLUMN, _ASSESSMENT_COLUMNS[-1])
    columns = (*columns, _RANK_COLUMN)
    last = get_column_letter(len(columns))
    write_row(sheet, HEADER_ROW, [header for header, _, _ in columns])
    for cell in sheet[HEADER_ROW]:
        cell.font = font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    first = HEADER_ROW + 1
    for number, (row, rank) in enumerate(zip(rows, ranks(rows), strict=True), start=first):
        write_row(sheet, number, [*_figures(row, exposures), rank])
    total_row = first + len(rows)
    write_row(sheet, total_row, _totals(rows, exposures))
    for cell in sheet[total_row]:
        cell.font = font(bold=True)
        cell.fill = _TOTAL_FILL
        cell.border = _RULE
    widths = [max(minimum, _display_width(header)) for header, _, minimum in columns]
    for cells in sheet.iter_rows(min_row=first, max_row=total_row, max_col=len(columns)):
        for index, cell in enumerate(cells):
            number_format = columns[index][1]
            if columns[index][0] in _CENTRED:
                cell.alignment = Alignment(horizontal="center")
            if number_format is not None:
                cell.number_format = number_format
            elif cell.value is not None:
                widths[index] = max(widths[index], _display_width(str(cell.value)))
    widths = [min(width + 2, _MAX_WIDTH) for width in widths]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    _write_title(sheet, sum(widths), len(columns), title, as_of, len(rows))
    # Scrolling keeps the header and the unit's code and name in sight.
    sheet.freeze_panes = f"C{first}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{total_row - 1}"
    set_up_printing(
        sheet,
        columns=len(columns),
        rows=total_row,
        landscape=True,
        repeat_rows=f"{HEADER_ROW}:{HEADER_ROW}",
        footer_left=title,
        footer_right=f"截至 {as_of.isoformat()}" if as_of else "",
        gridlines=True,
    )
    return write_atomically(path, workbook.save)


def ranks(rows: Sequence[AssessmentRow]) -> list[int]:
    """名次 of each row within its level by 综合得分, highest first; equal scores share a rank
    and the next rank skips (1, 2, 2, 4)."""
    scores: defaultdict[Level, list[float]] = defaultdict(list)
    for row in rows:
        scores[row.level].append(row.composite)
    return [1 + sum(score > row.composite for score in scores[row.level]) for row in rows]


def _figures(row: AssessmentRow, exposures: bool) -> list[Any]:
    return [
        row.unit_code,
        row.unit_name,
        row.level.label,
        row.completeness,
        row.timeliness,
        row.findings,
        row.rectified,
        row.rectification_rate,
        row.inspection_score,
        "是" if row.lagging else "否",
        *([row.exposures] if exposures else []),
        row.composite,
    ]


def _totals(rows: Sequence[AssessmentRow], exposures: bool) -> list[Any]:
    """合计/平均: counts summed; rates over everyone's counts together (what was received of
    all that was expected, not a mean of the units' rates); scores averaged."""
    expected = sum(row.expected for row in rows)
    due = sum(row.due for row in rows)
    items = sum(row.rectification_items for row in rows)
    rectified = sum(row.rectified for row in rows)
    scored = [row.inspection_score for row in rows if row.inspection_score is not None]
    lagging = sum(row.lagging for row in rows)
    return [
        TOTAL_LABEL,
        f"共 {len(rows)} 个单位",
        None,
        sum(row.received for row in rows) / expected if expected else None,
        sum(row.on_time for row in rows) / due if due else None,
        sum(row.findings for row in rows),
        rectified,
        rectified / items if items else None,
        sum(scored) / len(scored) if scored else None,
        f"{lagging} 个",
        *([sum(row.exposures for row in rows)] if exposures else []),
        sum(row.composite for row in rows) / len(rows) if rows else None,
        None,
    ]


def _write_title(
    sheet: Worksheet, width: float, columns: int, title: str, as_of: date | None, units: int
) -> None:
    """The title and the as-of line across the table, wrapped, each row as tall as it needs
    (Excel never fits a merged cell's row itself)."""
    heading = f"{title}　{TITLE}" if title else TITLE
    day = f"截至 {as_of.year}年{as_of.month}月{as_of.day}日　" if as_of else ""
    for row, text, size in ((1, heading, 16), (2, f"{day}共 {units} 个单位　{RANK_NOTE}", 10)):
        cell = set_cell(sheet, row, 1, text)
        cell.font = font(bold=row == 1, size=size)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
        lines = wrapped_lines(text, width * 11 / size)
        sheet.row_dimensions[row].height = lines * size * 1.5 + 6


def _display_width(text: str) -> int:
    """Columns a text takes in Excel: a CJK character is about two Latin ones wide."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
