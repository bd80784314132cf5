"""The paper 报告表 on a worksheet: the title, 基本情况, the four sections as tables, the pledge
and the signature lines, in eight columns as wide as a portrait A4 page (``printable`` writes
one sheet per cadre with it).

Merged cells are fine here: this sheet is printed, never read back. Row heights are worked
out from the text (a merged cell's row is never fitted by Excel, WPS or LibreOffice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl.styles import Alignment, Border, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.cadre import Cadre
from models.campaign import Campaign
from models.form import (
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
)
from models.unit import Unit
from qinglian.declarations.columns import NO, YES
from qinglian.declarations.print_setup import font, wrapped_lines
from qinglian.exchange.safe_cells import set_cell

FORM_TITLE = "《卫生系统领导干部防止利益冲突有关事项报告表》"
SIGNATURE = "本人签字：________________　　　　日期：______年____月____日"
PLEDGE = "本人承诺：以上填报内容真实、完整。如有隐瞒不报、弄虚作假，愿承担相应责任。"
NOTHING = "无"
SCOPE_LABELS = {
    1: "卫生行政部门领导班子成员",
    2: "卫生行政部门处级以上干部、科级以上负责人",
    3: "公立医疗卫生单位领导班子成员",
    4: "公立医疗卫生单位内设部门负责人",
}
_TICK_BOXES = "□是　　□否"
_HAND_DATE = "______年____月____日"
_HAND_ROWS = 3  # empty rows of each section table on a blank form
# Eight columns as wide as a portrait A4 page holds at 100% (Excel's units).
_WIDTHS = (13.0, 11.0, 13.0, 12.0, 12.0, 12.0, 11.0, 11.0)
COLUMNS = len(_WIDTHS)
_LINE = 15.0  # points per line of 11-point text
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass
class StoredForm:
    """A cadre's current declaration and its section rows, each section in sheet-row order."""

    declaration: Declaration
    relatives: list[DeclaredRelative] = field(default_factory=list)
    posts: list[DeclaredPost] = field(default_factory=list)
    retirement_jobs: list[DeclaredRetirementJob] = field(default_factory=list)
    recusals: list[DeclaredRecusal] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Table:
    """A section as the paper prints it: a heading, (header, columns spanned) and rows."""

    heading: str
    columns: tuple[tuple[str, int], ...]
    rows: list[tuple[Any, ...]]


def write_form(
    sheet: Worksheet, campaign: Campaign, unit: Unit, cadre: Cadre, form: StoredForm | None
) -> int:
    """The paper form on ``sheet``; returns its last row."""
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    declaration = form.declaration if form else None
    row = _line(sheet, 1, FORM_TITLE, size=16, bold=True, center=True, height=30)
    row = _line(sheet, row, f"专项活动：{campaign.title}", size=10, center=True)
    submitted = _day(declaration.submitted_on) if declaration else _HAND_DATE
    row = _line(sheet, row, f"填报单位：{unit.name}　　　　填报日期：{submitted}", size=10)
    row = _line(sheet, row + 1, "一、基本情况", bold=True)
    for pair in _basics(unit, cadre, declaration):
        row = _pairs(sheet, row, pair)
    nothing = declaration is not None and declaration.nothing_to_declare
    for table in _tables(form):
        row = _line(sheet, row + 1, table.heading, bold=True)
        row = _table(sheet, row, table, blank=form is None, nothing=nothing)
    if declaration is not None and declaration.amendment_reason:
        text = f"修改说明（第 {declaration.version} 版）：{declaration.amendment_reason}"
        row = _line(sheet, row + 1, text, size=10)
    row = _line(sheet, row + 1, PLEDGE)
    row = _line(sheet, row + 1, SIGNATURE, height=28)
    return row - 1


def _tables(form: StoredForm | None) -> list[_Table]:
    """The four sections as the paper prints them (no rows: a blank form's empty lines)."""

    def rows(items: Iterable[Any], cells: Callable[[Any], tuple[Any, ...]]) -> list[Any]:
        return [cells(item) for item in items]

    return [
        _Table(
            "二、配偶、子女及其配偶从业情况",
            (
                ("姓名", 1),
                ("关系", 1),
                ("工作单位", 2),
                ("职务", 1),
                ("经营类型", 2),
                ("是否在管辖地区和业务范围内", 1),
            ),
            rows(
                form.relatives if form else (),
                lambda r: (
                    r.name,
                    r.relation.label,
                    r.employer,
                    r.position,
                    r.business_type.label,
                    _yes_no(r.within_jurisdiction),
                ),
            ),
        ),
        _Table(
            "三、本人兼职情况",
            (
                ("兼职单位", 2),
                ("单位类型", 2),
                ("兼任职务", 1),
                ("是否领导职务", 1),
                ("是否经批准", 1),
                ("是否领取报酬", 1),
            ),
            rows(
                form.posts if form else (),
                lambda p: (
                    p.organisation,
                    p.org_type.label,
                    p.post,
                    _yes_no(p.is_leadership),
                    _yes_no(p.approved),
                    _yes_no(p.paid),
                ),
            ),
        ),
        _Table(
            "四、离职或退休后从业情况",
            (("从业单位", 3), ("单位类型", 2), ("是否在原管辖范围内", 1), ("从业开始日期", 2)),
            rows(
                form.retirement_jobs if form else (),
                lambda j: (
                    j.employer,
                    j.employer_type.label,
                    _yes_no(j.within_former_jurisdiction),
                    _day(j.started_on),
                ),
            ),
        ),
        _Table(
            "五、执行公务回避事项",
            (("回避情形", 2), ("事项", 3), ("日期", 2), ("是否已回避", 1)),
            rows(
                form.recusals if form else (),
                lambda r: (r.situation.label, r.matter, _day(r.occurred_on), _yes_no(r.recused)),
            ),
        ),
    ]


def _basics(
    unit: Unit, cadre: Cadre, declaration: Declaration | None
) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    category = f"{cadre.scope_category}. {SCOPE_LABELS.get(cadre.scope_category, '')}"
    if declaration is None:
        left = nothing = _TICK_BOXES
        submitted = signed = _HAND_DATE
    else:
        left = _yes_no(declaration.left_within_3_years)
        if declaration.left_within_3_years and cadre.left_on is not None:
            left = f"{left}（{_day(cadre.left_on)}离任）"
        nothing = _yes_no(declaration.nothing_to_declare)
        submitted = _day(declaration.submitted_on)
        signed = _day(declaration.signed_on) if declaration.signed_on else ""
    return [
        (("姓名", cadre.name), ("工号", cadre.staff_no)),
        (("工作单位", unit.name), ("职务", cadre.post)),
        (("职级", cadre.rank), ("适用类别", category)),
        (("是否离职或退休三年内", left), ("无报告事项", nothing)),
        (("填报日期", submitted), ("签名日期", signed)),
    ]


def _line(
    sheet: Worksheet,
    row: int,
    text: str,
    *,
    size: int = 11,
    bold: bool = False,
    center: bool = False,
    height: float | None = None,
) -> int:
    """One line of text across the page (wrapped, as tall as it needs); the next row."""
    _cell(sheet, row, 1, COLUMNS, text, boxed=False, center=center)
    cell = sheet.cell(row=row, column=1)
    cell.font = font(bold=bold, size=size)
    lines = wrapped_lines(text, sum(_WIDTHS) * 11 / size)
    sheet.row_dimensions[row].height = max(height or 0, lines * _LINE * size / 11 + 5)
    return row + 1


def _pairs(sheet: Worksheet, row: int, pair: tuple[tuple[str, str], tuple[str, str]]) -> int:
    """Two label–value pairs in a row of boxes: label A, value B–D, label E, value F–H."""
    (left_label, left_value), (right_label, right_value) = pair
    spans = ((1, 1, left_label, True), (2, 4, left_value, False))
    spans += ((5, 5, right_label, True), (6, 8, right_value, False))
    heights = [
        _cell(sheet, row, first, last, value, label=label) for first, last, value, label in spans
    ]
    sheet.row_dimensions[row].height = max(heights)
    return row + 1


def _table(sheet: Worksheet, row: int, table: _Table, *, blank: bool, nothing: bool) -> int:
    """The section's header row and its rows; "无" across the table when there are none."""
    spans: list[tuple[int, int]] = []
    first = 1
    for _, span in table.columns:
        spans.append((first, first + span - 1))
        first += span
    heights = [
        _cell(sheet, row, a, b, header, label=True)
        for (header, _), (a, b) in zip(table.columns, spans, strict=True)
    ]
    sheet.row_dimensions[row].height = max(heights)
    row += 1
    if not table.rows:
        if blank and not nothing:
            for _ in range(_HAND_ROWS):
                for a, b in spans:
                    _cell(sheet, row, a, b, None)
                sheet.row_dimensions[row].height = 24
                row += 1
            return row
        _cell(sheet, row, 1, COLUMNS, NOTHING, center=True)
        sheet.row_dimensions[row].height = 20
        return row + 1
    for values in table.rows:
        heights = [
            _cell(sheet, row, a, b, value) for value, (a, b) in zip(values, spans, strict=True)
        ]
        sheet.row_dimensions[row].height = max(heights)
        row += 1
    return row


def _cell(
    sheet: Worksheet,
    row: int,
    first: int,
    last: int,
    value: Any,
    *,
    label: bool = False,
    boxed: bool = True,
    center: bool | None = None,
) -> float:
    """``value`` in columns ``first``–``last`` of ``row`` (merged), boxed; the row height it
    needs."""
    cell = set_cell(sheet, row, first, value if value not in ("", None) else None)
    centred = label if center is None else center
    cell.alignment = Alignment(
        horizontal="center" if centred else "left", vertical="center", wrap_text=True
    )
    if label:
        cell.font = font(bold=True, size=10)
    if last > first:
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    if boxed:
        for column in range(first, last + 1):
            sheet.cell(row=row, column=column).border = _BOX
    width = sum(_WIDTHS[first - 1 : last]) * (1.1 if label else 1.0)  # labels are 10-point
    return wrapped_lines(str(value or ""), width) * _LINE + 7


def _yes_no(value: bool) -> str:
    return YES if value else NO


def _day(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""
