"""The unit's blank report-form workbook (qinglian.forms.workbook), and filling it back in."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session, select

from models import Cadre, Declaration, DeclaredRelative
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.declarations.columns import CHOICES, OPTIONS_SHEET, SECTIONS, YES_NO_KEYS
from qinglian.declarations.workbook import write_form_template
from qinglian.declarations.workbook_inspection import inspect_workbook
from tests.declarations.test_import_forms import AS_OF, World, build_world, run_import

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# CSV filter options: comma, double quote, UTF-8, from row 1, …, token 12 = -1: every sheet.
_ALL_SHEETS_UTF8 = "44,34,76,1,,0,false,true,false,false,false,-1"


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


@pytest.fixture
def template(session: Session, world: World, tmp_path: Path) -> Path:
    return write_form_template(
        session=session,
        campaign_id=world.campaign_id,
        unit_code="FB",
        path=tmp_path / "连妇保.xlsx",
    )


def _sheet(path: Path, title: str) -> Worksheet:
    worksheet = load_workbook(path)[title]
    assert isinstance(worksheet, Worksheet)
    return worksheet


def test_sheets_in_order_with_a_hidden_options_sheet(template: Path) -> None:
    workbook = load_workbook(template)
    assert workbook.sheetnames == [
        "填报说明",
        "基本情况",
        "亲属从业",
        "本人兼职",
        "离退休后从业",
        "回避事项",
        "选项",
    ]
    assert workbook.active is not None and workbook.active.title == "填报说明"
    assert workbook[OPTIONS_SHEET].sheet_state == "hidden"
    assert all(workbook[title].sheet_state == "visible" for title in workbook.sheetnames[:-1])


def test_instructions(template: Path) -> None:
    text = "\n".join(
        str(row[0]) for row in _sheet(template, "填报说明").iter_rows(values_only=True) if row[0]
    )
    for expected in (
        "卫政法发〔2011〕92号",
        "连云港市妇幼保健院（单位编码 FB）",
        # the hospital's own cascaded deadline, not the province's 8月10日
        "截止日期：2012年8月6日",
        "各级卫生行政部门领导班子成员",
        "处级以上干部",
        "公立医疗卫生单位领导班子成员",
        "公立医疗卫生单位内设部门负责人",
        "药品、医疗器械",
        "外方委派的高级职务",
        "兼任领导职务",
        "卫生社会组织兼职",
        "“亲属从业”",
        "“回避事项”",
        "无报告事项",
        "保密纪律",
    ):
        assert expected in text, expected


def test_section_sheets_have_bold_frozen_headers(template: Path) -> None:
    workbook = load_workbook(template)
    for section in SECTIONS:
        sheet = workbook[section.sheet]
        header = [cell.value for cell in sheet[1]]
        assert header == [spec.header for spec in section.columns]
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.freeze_panes == "B2"
        for index in range(1, len(header) + 1):
            width = sheet.column_dimensions[sheet.cell(1, index).column_letter].width
            assert 8 <= width <= 48
    basics = workbook["基本情况"]
    assert basics.column_dimensions["F"].width >= 20  # 是否离职或退休三年内


def test_basics_prefilled_with_the_units_in_scope_cadres(template: Path) -> None:
    rows = list(_sheet(template, "基本情况").iter_rows(min_row=2, values_only=True))
    # F004 left in 2008 (more than three years before 2012-07-16); K001 sits in a department.
    assert [row[:5] for row in rows] == [
        ("F001", "顾扬", "FB", "院长", 3),
        ("F002", "李敏", "FB", "副院长", 3),
        ("F003", "王建国", "FB", "原副院长", 3),
    ]
    assert all(value is None for row in rows for value in row[5:])


def test_drop_down_lists(template: Path) -> None:
    workbook = load_workbook(template)
    options = workbook[OPTIONS_SHEET]
    lists: dict[str, list[str]] = {}
    for column in options.iter_cols(values_only=True):
        lists[str(column[0])] = [str(value) for value in column[1:] if value is not None]
    for section in SECTIONS:
        sheet = workbook[section.sheet]
        validations = sheet.data_validations.dataValidation
        by_column = {}
        for validation in validations:
            assert validation.type == "list" and validation.showErrorMessage
            for cell_range in validation.sqref.ranges:
                by_column[cell_range.min_col] = validation
        for index, spec in enumerate(section.columns, start=1):
            choice = "yes_no" if spec.key in YES_NO_KEYS else spec.key
            if choice not in CHOICES:
                assert index not in by_column, spec.key
                continue
            validation = by_column[index]
            # '选项'!$F$2:$F$3 -> the list it points at
            target, cells = validation.formula1.split("!")
            assert target == f"'{OPTIONS_SHEET}'"
            letter = cells.split(":")[0].strip("$").split("$")[0]
            values = [
                str(options[f"{letter}{row}"].value)
                for row in range(2, int(cells.rsplit("$", 1)[1]) + 1)
            ]
            assert tuple(values) == CHOICES[choice], spec.key
            (cell_range,) = validation.sqref.ranges
            assert cell_range.min_row == 2 and cell_range.max_row >= 100
    assert "子女的配偶" in lists["关系"]
    assert len(lists["回避情形"]) == 6


def test_template_for_a_department_and_a_unit_outside_the_campaign(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = write_form_template(
        session=session,
        campaign_id=world.campaign_id,
        unit_code="FB-FCK",
        path=tmp_path / "out" / "妇产科.xlsx",
    )
    rows = list(_sheet(path, "基本情况").iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == ["K001"]
    with pytest.raises(QinglianError, match="不在专项活动"):
        write_form_template(
            session=session, campaign_id=world.campaign_id, unit_code="NM", path=tmp_path / "x"
        )
    with pytest.raises(NotFoundError):
        write_form_template(
            session=session, campaign_id=world.campaign_id, unit_code="??", path=tmp_path / "x"
        )
    with pytest.raises(NotFoundError):
        write_form_template(session=session, campaign_id=999, unit_code="FB", path=tmp_path / "x")


def test_the_template_needs_no_cleaning_up(template: Path) -> None:
    inspections = inspect_workbook(template)
    assert set(inspections) == {
        "填报说明",
        "基本情况",
        "亲属从业",
        "本人兼职",
        "离退休后从业",
        "回避事项",
        "选项",
    }
    assert all(not i.merged and not i.formulas for i in inspections.values())
    assert all(inspection.has_values for inspection in inspections.values())  # headers at least


def _soffice(tmp_path: Path, source: Path, target: str, out: Path) -> None:
    result = subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _fill(path: Path) -> None:
    workbook = load_workbook(path)
    basics = workbook["基本情况"]
    # F001: a relative; F002: nothing to declare; F003 left untouched (not filled in yet).
    basics["G2"], basics["H2"], basics["I2"] = "否", date(2012, 8, 3), "2012-08-03"
    basics["G3"], basics["H3"] = "是", "2012年8月9日"
    workbook["亲属从业"].append(
        ["F001", "张三", "配偶", "连云港某医药公司", "销售经理", "药品销售", "是"]
    )
    workbook.save(path)


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed on this machine"
)
def test_libreoffice_opens_the_template(template: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    # Every sheet as UTF-8 CSV (filter token 12 = -1: all sheets, one file each).
    _soffice(tmp_path, template, f"csv:Text - txt - csv (StarCalc):{_ALL_SHEETS_UTF8}", out)
    exported = {path.stem.split("-", 1)[1]: path for path in out.glob("*.csv")}
    assert set(exported) == {"填报说明", *(section.sheet for section in SECTIONS), "选项"}
    instructions = exported["填报说明"].read_text(encoding="utf-8")
    assert "卫政法发〔2011〕92号" in instructions and "2012年8月6日" in instructions
    basics = exported["基本情况"].read_text(encoding="utf-8").splitlines()
    assert basics[0].startswith("工号,姓名,单位编码") and basics[1].startswith("F001,顾扬,FB")


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed on this machine"
)
def test_a_template_saved_by_libreoffice_imports(
    session: Session, world: World, template: Path, tmp_path: Path
) -> None:
    _fill(template)
    _soffice(tmp_path, template, "xlsx:Calc MS Excel 2007 XML", tmp_path / "saved")
    saved = tmp_path / "saved" / template.name
    relatives = load_workbook(saved)["亲属从业"]
    assert relatives.data_validations.dataValidation  # the drop-downs survive
    report = run_import(session, world, saved)
    assert (report.created, report.not_filled, report.on_time, report.late) == (2, 1, 1, 1)


def test_round_trip_fill_the_template_and_import_it(
    session: Session, world: World, template: Path
) -> None:
    _fill(template)

    report = run_import(session, world, template)
    assert (report.created, report.not_filled, report.on_time, report.late) == (2, 1, 1, 1)
    session.expire_all()
    f001 = session.exec(select(Cadre).where(Cadre.staff_no == "F001")).one()
    declaration = session.exec(select(Declaration).where(Declaration.cadre_id == f001.id)).one()
    assert declaration.submitted_on == date(2012, 8, 3) and declaration.source_file == template.name
    relative = session.exec(
        select(DeclaredRelative).where(DeclaredRelative.declaration_id == declaration.id)
    ).one()
    assert (relative.name, relative.relation.label, relative.business_type.label) == (
        "张三",
        "配偶",
        "药品销售",
    )
    # The same workbook again changes nothing.
    assert run_import(session, world, template, as_of=AS_OF).unchanged == 2
