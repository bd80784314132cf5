"""The report-form workbook: a unit's blank template out (what comes back: ``workbook_inspection``).

The template is what a unit hands its cadres: 填报说明 first, then one sheet per section
(``qinglian.declarations.columns``) with drop-down lists fed by a hidden 选项 sheet, and 基本情况
pre-filled with the unit's in-scope cadres.

Every sheet prints on A4 landscape, one page wide, its header row on every page, the unit's
name and the page number in the footer (``print_setup``). Every sheet is protected without a
password: the header rows, the instructions and, on 基本情况, the columns pre-filled from the
register (工号, 姓名, 单位编码, 职务, 适用类别) of the pre-filled rows are locked; everything else
is unlocked, whole columns of it, so a cadre fills in, adds and deletes rows wherever the
importer reads them (a new 基本情况 row below the pre-filled ones, any number of section rows).
No cell is written below the pre-filled rows: a program filling the template in (openpyxl's
``append``) starts right below them, as before.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session, col, or_, select

from models.cadre import Cadre
from models.campaign import Campaign, Deliverable
from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings
from qinglian.declarations.columns import (
    BASICS,
    CHOICES,
    DATE_KEYS,
    INSTRUCTIONS_SHEET,
    OPTIONS_SHEET,
    READ_ONLY_KEYS,
    SECTIONS,
    YES_NO_KEYS,
    Section,
)
from qinglian.declarations.completeness import FORMS_DELIVERABLE
from qinglian.declarations.print_setup import (
    LOCKED,
    UNLOCKED,
    protect,
    set_up_printing,
    unlock_columns,
    unlock_columns_after,
    wrapped_lines,
)
from qinglian.exchange.output import file_under, write_atomically
from qinglian.exchange.safe_cells import set_cell
from qinglian.org.units import get_unit_by_code
from qinglian.rules.scope import three_years_before

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_READ_ONLY_FILL = PatternFill("solid", fgColor="E7E6E6")
_HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TEXT = "@"
# Rows below the pre-filled ones that still get the drop-down lists.
_SPARE_BASICS_ROWS = 100
_MIN_SECTION_ROWS = 1000
_MAX_WIDTH = 48
# The instructions' one column: as wide as a landscape A4 page holds at 100%.
_INSTRUCTIONS_WIDTH = 120
_LINE_HEIGHT = {14: 21.0, 11: 15.0}  # points per wrapped line, by font size
# 基本情况's columns filled in from the register on the pre-filled rows: locked there.
_PREFILLED_KEYS = frozenset({"staff_no", *READ_ONLY_KEYS})
# Where each drop-down list lives on the hidden 选项 sheet.
_OPTION_COLUMNS: dict[str, tuple[str, str]] = {
    "relation": ("A", "关系"),
    "business_type": ("B", "经营类型"),
    "org_type": ("C", "兼职单位类型"),
    "employer_type": ("D", "从业单位类型"),
    "situation": ("E", "回避情形"),
    "yes_no": ("F", "是/否"),
}
_CHOICE_KEY_OF_COLUMN = {
    "relation": "relation",
    "business_type": "business_type",
    "org_type": "org_type",
    "employer_type": "employer_type",
    "situation": "situation",
}
_COLUMN_NOTES: dict[str, str] = {
    "name": "只读：来自干部名册，请勿修改",
    "unit_code": "只读：来自干部名册，请勿修改",
    "post": "只读：来自干部名册，请勿修改",
    "scope_category": "只读：适用类别 1–4（见“填报说明”）",
    "nothing_to_declare": "没有任何需要报告的事项时填“是”，此时其他各表不得填写该工号",
    "submitted_on": "上报日期，如 2012-08-09；不填则以导入日期为准",
    "signed_on": "本人签名日期，如 2012-08-09",
    "started_on": "如 2012-08-09",
    "occurred_on": "如 2012-08-09",
}


def default_template_path(settings: Settings, campaign_id: int, unit_code: str) -> Path:
    """``templates/campaign-<id>/报告表-<code>.xlsx`` under the output folder, whatever the
    code holds (one stored before codes were checked)."""
    return file_under(
        settings.output_dir, "templates", f"campaign-{campaign_id}", f"报告表-{unit_code}.xlsx"
    )


def write_form_template(*, session: Session, campaign_id: int, unit_code: str, path: Path) -> Path:
    """Write the unit's blank report-form workbook, pre-filled with its in-scope cadres.

    Every text cell is written as text: a name starting with ``=`` never becomes a formula.
    """
    campaign, unit = campaign_unit(session=session, campaign_id=campaign_id, unit_code=unit_code)
    due_on = session.exec(
        select(Deliverable.due_on).where(
            Deliverable.campaign_id == campaign.id,
            Deliverable.unit_id == unit.id,
            Deliverable.kind == FORMS_DELIVERABLE,
        )
    ).first()
    cadres = form_cadres(session=session, campaign=campaign, unit=unit)

    workbook = Workbook()
    instructions = workbook.active
    assert instructions is not None
    instructions.title = INSTRUCTIONS_SHEET
    lines = _write_instructions(instructions, campaign, unit, due_on)
    _print_sheet(instructions, unit, columns=1, rows=lines)
    options = workbook.create_sheet(OPTIONS_SHEET)
    _write_options(options)
    _print_sheet(options, unit, columns=len(_OPTION_COLUMNS), rows=options.max_row)
    for section in SECTIONS:
        sheet = workbook.create_sheet(section.sheet, index=len(workbook.sheetnames) - 1)
        rows = len(cadres) + _SPARE_BASICS_ROWS if section is BASICS else _MIN_SECTION_ROWS
        _write_section(sheet, section, rows)
        _print_sheet(sheet, unit, columns=len(section.columns), rows=rows + 1)
    _prefill_basics(workbook[BASICS.sheet], unit, cadres)
    options.sheet_state = "hidden"
    workbook.active = 0
    return write_atomically(path, workbook.save)


def campaign_unit(*, session: Session, campaign_id: int, unit_code: str) -> tuple[Campaign, Unit]:
    """The campaign and the unit, which must lie in the campaign's tree."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    unit = get_unit_by_code(session=session, code=unit_code)
    root = campaign_root(session=session, campaign=campaign)
    if not unit.path.startswith(root.path):
        raise QinglianError(
            f"单位 {unit.code}（{unit.name}）不在专项活动 {campaign_id} 的范围内",
            f"unit {unit.code} is not in the tree of campaign {campaign_id}",
        )
    return campaign, unit


def form_cadres(*, session: Session, campaign: Campaign, unit: Unit) -> list[Cadre]:
    """The unit's cadres who file a form in the campaign (in office, or left within three
    years of its start), by 工号: the rows the template is pre-filled with."""
    return list(
        session.exec(
            select(Cadre)
            .where(
                Cadre.unit_id == unit.id,
                or_(
                    col(Cadre.left_on).is_(None),
                    col(Cadre.left_on) >= three_years_before(campaign.start_on),
                ),
            )
            .order_by(Cadre.staff_no)
        ).all()
    )


def _print_sheet(sheet: Worksheet, unit: Unit, *, columns: int, rows: int) -> None:
    """A4 landscape, one page wide, row 1 on every page, the unit in the footer; protected."""
    set_up_printing(
        sheet,
        columns=columns,
        rows=rows,
        landscape=True,
        footer_left=unit.name,
        gridlines=sheet.title not in (INSTRUCTIONS_SHEET, OPTIONS_SHEET),
    )
    protect(sheet)


def _write_instructions(
    sheet: Worksheet, campaign: Campaign, unit: Unit, due_on: date | None
) -> int:
    """The instructions, one paragraph a row in one column as wide as the page, each row as
    tall as its wrapped text (a row with a set height is never resized by Excel, WPS or
    LibreOffice, so the height is worked out here, generously); returns the rows written."""
    deadline = (
        f"{due_on.year}年{due_on.month}月{due_on.day}日" if due_on else "以本单位实施方案为准"
    )
    lines: list[tuple[str, bool]] = [
        ("《卫生系统领导干部防止利益冲突有关事项报告表》填报说明", True),
        (f"专项活动：{campaign.title}", False),
        (f"填报单位：{unit.name}（单位编码 {unit.code}）", False),
        (f"本单位收齐并上报《报告表》的截止日期：{deadline}", True),
        ("", False),
        ("一、填报依据", True),
        (
            "卫生部《关于卫生系统领导干部防止利益冲突的若干规定》（卫政法发〔2011〕92号）及其"
            "实施意见。本表用于如实报告可能与公正履行职责发生利益冲突的有关事项。",
            False,
        ),
        ("二、填报对象（适用对象，第二条）", True),
        ("1. 各级卫生行政部门领导班子成员；", False),
        (
            "2. 卫生部机关和省级卫生行政部门处级以上干部，地市级卫生行政部门科级以上负责人；",
            False,
        ),
        ("3. 公立医疗卫生单位领导班子成员；", False),
        ("4. 公立医疗卫生单位内设部门负责人。", False),
        ("上述人员离职或者退休未满三年的，也须填报，并填写“离退休后从业”表。", False),
        ("三、重点解决的问题", True),
        (
            "1. 领导干部的配偶、子女及其配偶在其管辖的地区和业务范围内从事药品、医疗器械等"
            "营利性经营活动；",
            False,
        ),
        (
            "2. 第一至三类人员的配偶、子女及其配偶在其管辖的地区和业务范围内的外资、合资医药"
            "企业担任由外方委派的高级职务；",
            False,
        ),
        ("3. 卫生行政部门领导干部在其管辖的医疗卫生单位兼任领导职务；", False),
        ("4. 未经批准在卫生社会组织兼职，或者经批准兼职但领取报酬。", False),
        ("四、各工作表的填写方法", True),
        *((_sheet_help(section), False) for section in SECTIONS),
        (
            "带下拉箭头的单元格请从列表中选择；灰色表头的列来自干部名册，请勿修改。"
            "日期写成 2012-08-09、2012/8/9 或 2012年8月9日。不要合并单元格，不要使用公式。",
            False,
        ),
        (
            "各工作表已设置保护（无密码），只为防止误改：表头和“基本情况”中已预填的工号、姓名、"
            "单位编码、职务、适用类别不能修改，其余单元格可以填写，也可以插入或删除行。"
            "名册信息有误的，请告知本单位专项活动办公室更正，不要自行撤消保护。",
            False,
        ),
        (
            "各表已设置为 A4 横向打印、按页宽缩放、每页重复表头。本人签字的纸质《报告表》"
            "由专项活动办公室按导入的内容统一打印（每人一页，含本人签字和日期栏）。",
            False,
        ),
        (
            "同一人有多名亲属、多项兼职或多个回避事项的，每项各占一行，每行都填写工号。"
            "没有任何需要报告的事项，须在“基本情况”的“无报告事项”中填“是”，其他表不填该工号。",
            False,
        ),
        (
            "已上报的报告表如需修改，请整表重新填报并书面说明修改原因；原报告表保留备查。",
            False,
        ),
        ("五、保密和纪律要求", True),
        (
            "本表涉及个人信息，仅供专项活动办公室和纪检监察部门使用，须按保密纪律妥善保管，"
            "不得传阅、外传或用于其他用途。",
            False,
        ),
        ("填报人须如实报告；隐瞒不报、弄虚作假的，一经查实，严肃处理。", False),
    ]
    sheet.column_dimensions["A"].width = _INSTRUCTIONS_WIDTH
    for number, (text, bold) in enumerate(lines, start=1):
        cell = set_cell(sheet, number, 1, text or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        size = 14 if number == 1 else 11
        if bold:
            cell.font = Font(bold=True, size=size)
        if text:
            height = wrapped_lines(text, _INSTRUCTIONS_WIDTH * (11 / size)) * _LINE_HEIGHT[size]
            sheet.row_dimensions[number].height = height + 4
    return len(lines)


def _sheet_help(section: Section) -> str:
    purpose = {
        "basics": "每名填报人一行（已预填本单位填报对象），填写是否离职或退休三年内、"
        "无报告事项、填报日期和签名日期",
        "relatives": "配偶、子女及子女的配偶从业情况，每名亲属一行",
        "posts": "本人在其他单位、社会组织的兼职情况，每项兼职一行",
        "retirement_jobs": "离职或退休三年内的人员填写离退休后的从业情况",
        "recusals": "执行公务中遇到应当回避情形的事项，每个事项一行",
    }[section.key]
    headers = "、".join(spec.header for spec in section.columns)
    return f"“{section.sheet}”：{purpose}。列：{headers}。"


def _write_options(sheet: Worksheet) -> None:
    for key, (letter, title) in _OPTION_COLUMNS.items():
        column = column_index_from_string(letter)
        set_cell(sheet, 1, column, title)
        for offset, choice in enumerate(CHOICES[key], start=2):
            set_cell(sheet, offset, column, choice)
        sheet.column_dimensions[letter].width = _width([title, *CHOICES[key]])


def _write_section(sheet: Worksheet, section: Section, rows: int) -> None:
    # Everything below the header is input: unlocked whole columns, the rest of the row too.
    unlock_columns(sheet, 1, len(section.columns))
    unlock_columns_after(sheet, len(section.columns))
    for index, spec in enumerate(section.columns, start=1):
        cell = set_cell(sheet, 1, index, spec.header)
        cell.font = _HEADER_FONT
        cell.alignment = _HEADER_ALIGNMENT
        cell.protection = LOCKED
        read_only = section is BASICS and spec.key in READ_ONLY_KEYS
        cell.fill = _READ_ONLY_FILL if read_only else _HEADER_FILL
        note = _COLUMN_NOTES.get(spec.key)
        if spec.key == "name" and section is not BASICS:
            note = None
        if spec.key == "staff_no" and section is BASICS:
            note = "已预填的工号来自干部名册，不能修改；名册中没有的填报人，在下方空行填写"
        if note:
            cell.comment = Comment(note, "清廉")
        letter = get_column_letter(index)
        choices = _choices_of(spec.key)
        sheet.column_dimensions[letter].width = _width([spec.header, *(choices or ())], 10)
        if spec.key in DATE_KEYS:
            sheet.column_dimensions[letter].width = max(sheet.column_dimensions[letter].width, 14)
        if spec.key == "staff_no":
            sheet.column_dimensions[letter].number_format = _TEXT
        if choices is not None and rows:
            sheet.add_data_validation(_drop_down(spec.key, f"{letter}2:{letter}{rows + 1}"))
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "B2"


def _choices_of(key: str) -> tuple[str, ...] | None:
    if key in YES_NO_KEYS:
        return CHOICES["yes_no"]
    choice_key = _CHOICE_KEY_OF_COLUMN.get(key)
    return CHOICES[choice_key] if choice_key else None


def _drop_down(key: str, sqref: str) -> DataValidation:
    choice_key = "yes_no" if key in YES_NO_KEYS else _CHOICE_KEY_OF_COLUMN[key]
    letter, _ = _OPTION_COLUMNS[choice_key]
    last = len(CHOICES[choice_key]) + 1
    validation = DataValidation(
        type="list",
        formula1=f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${last}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="请从列表中选择",
        error="请从下拉列表中选择一项。",
    )
    validation.add(sqref)
    return validation


def _prefill_basics(sheet: Worksheet, unit: Unit, cadres: Sequence[Cadre]) -> None:
    positions = {spec.key: index for index, spec in enumerate(BASICS.columns, start=1)}
    for row, cadre in enumerate(cadres, start=2):
        values: dict[str, Any] = {
            "staff_no": cadre.staff_no,
            "name": cadre.name,
            "unit_code": unit.code,
            "post": cadre.post or None,
            "scope_category": cadre.scope_category,
        }
        for key, value in values.items():
            cell = set_cell(sheet, row, positions[key], value)
            if key in ("staff_no", "unit_code"):
                cell.number_format = _TEXT
        # A written cell has its own protection, not its column's: the register's are locked,
        # the cadre's own are written empty and unlocked (no row below is written).
        for key, index in positions.items():
            cell = sheet.cell(row=row, column=index)
            cell.protection = LOCKED if key in _PREFILLED_KEYS else UNLOCKED
    name_letter = get_column_letter(positions["name"])
    longest = max((cadre.name for cadre in cadres), key=len, default="")
    sheet.column_dimensions[name_letter].width = _width(["姓名", longest], 10)


def _width(texts: Iterable[str], minimum: int = 8) -> float:
    """Column width in Excel's units, where a CJK character takes two."""
    longest = max(
        (
            sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
            for text in texts
        ),
        default=0,
    )
    return float(min(max(longest + 2, minimum), _MAX_WIDTH))
