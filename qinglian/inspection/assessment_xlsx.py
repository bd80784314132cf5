"""The year-end assessment table written as an .xlsx workbook (年终考核表)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qinglian.exchange.output import write_atomically
from qinglian.exchange.safe_cells import write_row
from qinglian.inspection.assessment import AssessmentRow

ASSESSMENT_SHEET = "年终考核"
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
_MAX_WIDTH = 60


def write_assessment_xlsx(rows: Sequence[AssessmentRow], path: Path) -> Path:
    """Write the assessment table as an .xlsx, atomically (a reader never sees half a file).

    Chinese headers, percentages as percent-formatted numbers (so Excel can sort and sum
    them), the header frozen and filtered, columns wide enough for their contents. Names and
    codes are written as text, never as formulas.
    """
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = ASSESSMENT_SHEET
    exposures = any(row.exposures for row in rows)
    columns = _ASSESSMENT_COLUMNS
    if exposures:
        columns = (*_ASSESSMENT_COLUMNS[:-1], _EXPOSURES_COLUMN, _ASSESSMENT_COLUMNS[-1])
    write_row(sheet, 1, [header for header, _, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for number, row in enumerate(rows, start=2):
        write_row(
            sheet,
            number,
            [
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
            ],
        )
    widths = [max(minimum, _display_width(header)) for header, _, minimum in columns]
    for cells in sheet.iter_rows(min_row=2):
        for index, cell in enumerate(cells):
            number_format = columns[index][1]
            if number_format is not None:
                cell.number_format = number_format
            elif cell.value is not None:
                widths[index] = max(widths[index], _display_width(str(cell.value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, _MAX_WIDTH)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{max(sheet.max_row, 1)}"
    return write_atomically(path, workbook.save)


def _display_width(text: str) -> int:
    """Columns a text takes in Excel: a CJK character is about two Latin ones wide."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
