"""Row errors for what a form sheet's values do not show: merged cells, formulas without results."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from qinglian.core.errors import QinglianError, RowError
from qinglian.declarations.columns import Section
from qinglian.declarations.workbook_inspection import SheetInspection
from qinglian.exchange.cells import parse_text
from qinglian.exchange.reading import head_rows
from qinglian.exchange.table import TableRead


def sheet_quirks(
    path: Path, tables: Mapping[Section, TableRead], inspections: Mapping[str, SheetInspection]
) -> dict[tuple[str, int], list[RowError]]:
    """Per (sheet, row): the merged cells and result-less formulas among the data rows."""
    found: dict[tuple[str, int], list[RowError]] = defaultdict(list)
    for section, table in tables.items():
        inspection = inspections.get(table.sheet)
        if inspection is None:
            continue
        for error in _quirk_errors(path, table, section, inspection):
            found[(error.sheet, error.row)].append(error)
    return found


def _quirk_errors(
    path: Path, table: TableRead, section: Section, inspection: SheetInspection
) -> list[RowError]:
    """Merged cells and formulas without a saved result among the sheet's data rows."""
    if not inspection.merged and not inspection.formulas:
        return []
    header_row, positions = _header_positions(path, table)

    def column(index: int) -> str | None:
        if not positions:
            return _column_letter(index)
        key = positions.get(index)
        return table.header_of(key, section.columns) if key else None

    errors: list[RowError] = []
    for min_col, min_row, max_col, max_row, ref in inspection.merged:
        if max_row <= header_row:
            continue
        names = [name for index in range(min_col, max_col + 1) if (name := column(index))]
        if not names:
            continue
        for number in range(max(min_row, header_row + 1), max_row + 1):
            errors.append(
                RowError(
                    file=table.file,
                    sheet=table.sheet,
                    row=number,
                    column=names[0],
                    zh=f"{ref} 是合并单元格：合并后只有第一个单元格有值，其余会被当作空白；"
                    "请取消合并，并在每一行、每一列填写完整",
                    en=f"{ref} is a merged cell: only its first cell keeps the value and the "
                    "rest read as empty; unmerge it and fill in every row and column",
                )
            )
    for number, index, ref in inspection.formulas:
        name = column(index)
        if number <= header_row or name is None:
            continue
        errors.append(
            RowError(
                file=table.file,
                sheet=table.sheet,
                row=number,
                column=name,
                zh=f"单元格 {ref} 是公式，但文件中没有保存计算结果（可能由程序生成）；"
                "请在 Excel/WPS 中打开并保存后再导入，或直接填写数值",
                en=f"cell {ref} holds a formula saved without its result (written by a "
                "program?); open and save the file in Excel/WPS, or type the value instead",
            )
        )
    return errors


def _header_positions(path: Path, table: TableRead) -> tuple[int, dict[int, str]]:
    """The header row number and the 1-based column index of each known column."""
    wanted = {header: key for key, header in table.columns.items()}
    try:
        rows = head_rows(path, table.sheet, 10)
    except QinglianError:  # the file was read once already; fall back to column letters
        return 0, {}
    for number, values in enumerate(rows, 1):
        cells = [parse_text(value) for value in values]
        if set(wanted) <= set(cells):
            return number, {
                index: wanted[text] for index, text in enumerate(cells, start=1) if text in wanted
            }
    return 0, {}


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
