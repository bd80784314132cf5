"""The 报告表 template prints and protects itself (qinglian.declarations.print_setup): A4
landscape one page wide, header rows on every page, the unit and page numbers in the footer;
the register's cells locked, everything a cadre fills in (and the rows they add) unlocked."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from qinglian.declarations.columns import BASICS, OPTIONS_SHEET, ROW_SECTIONS, SECTIONS, Section
from qinglian.declarations.print_setup import footer_text, text_width, wrapped_lines
from qinglian.declarations.workbook import write_form_template
from tests.declarations.test_import_forms import build_world

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
SHEETS = ("填报说明", *(section.sheet for section in SECTIONS), OPTIONS_SHEET)
UNIT = "连云港市妇幼保健院"
# A4 landscape less 0.5" margins, in Excel's width units (about 7 pixels at 96 dpi).
LANDSCAPE_WIDTH = (11.69 - 1.0) * 96 / 7


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """连妇保's template (three cadres pre-filled), written once: only its layout is read."""
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        yield write_form_template(
            session=session,
            campaign_id=world.campaign_id,
            unit_code="FB",
            path=tmp_path_factory.mktemp("template") / "连妇保.xlsx",
        )
    engine.dispose()


@pytest.fixture(scope="module")
def workbook(template: Path) -> Workbook:
    return load_workbook(template)


def _sheet(workbook: Workbook, title: str) -> Worksheet:
    sheet = workbook[title]
    assert isinstance(sheet, Worksheet)
    return sheet


@pytest.mark.parametrize("title", SHEETS)
def test_every_sheet_prints_on_a4_landscape_one_page_wide(workbook: Workbook, title: str) -> None:
    sheet = _sheet(workbook, title)
    setup = sheet.page_setup
    assert (int(setup.paperSize), setup.orientation) == (9, "landscape")
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$1:$1"  # the header row (the title) on every page
    margins = sheet.page_margins
    assert 0.4 <= margins.left <= 0.8 and 0.4 <= margins.right <= 0.8
    assert margins.footer < margins.bottom and margins.header < margins.top
    footer = sheet.oddFooter
    assert "&P" in (footer.center.text or "") and "&N" in (footer.center.text or "")
    assert footer.left.text == UNIT and footer.right.text == "&A"


@pytest.mark.parametrize(
    ("title", "area"),
    [
        # 3 pre-filled cadres + 100 spare rows; sections: 1,000 input rows (the drop-downs)
        ("基本情况", "$A$1:$I$104"),
        ("亲属从业", "$A$1:$G$1001"),
        ("本人兼职", "$A$1:$G$1001"),
        ("离退休后从业", "$A$1:$E$1001"),
        ("回避事项", "$A$1:$E$1001"),
        ("填报说明", "$A$1:$A${rows}"),
        (OPTIONS_SHEET, "$A$1:$F$7"),
    ],
)
def test_the_print_area_is_the_forms_columns_and_input_rows(
    workbook: Workbook, title: str, area: str
) -> None:
    sheet = _sheet(workbook, title)
    expected = area.format(rows=sheet.max_row)
    assert sheet.print_area == f"'{title}'!{expected}"


def test_data_sheets_print_gridlines_and_the_instructions_do_not(workbook: Workbook) -> None:
    assert all(_sheet(workbook, s.sheet).print_options.gridLines for s in SECTIONS)
    assert not _sheet(workbook, "填报说明").print_options.gridLines


@pytest.mark.parametrize("title", SHEETS)
def test_every_sheet_is_protected_without_a_password(workbook: Workbook, title: str) -> None:
    protection = _sheet(workbook, title).protection
    assert protection.sheet and not protection.password
    # True keeps an action locked (ECMA-376): rows may be added and removed, columns not.
    assert (protection.insertRows, protection.deleteRows) == (False, False)
    assert (protection.insertColumns, protection.deleteColumns) == (True, True)
    assert not (protection.formatCells or protection.formatColumns or protection.formatRows)
    assert not (protection.selectLockedCells or protection.selectUnlockedCells)


def test_basics_locks_the_register_and_leaves_the_rest_to_the_cadre(workbook: Workbook) -> None:
    basics = _sheet(workbook, BASICS.sheet)
    headers = [cell.value for cell in basics[1]]
    assert headers == [spec.header for spec in BASICS.columns]
    assert all(cell.protection.locked for cell in basics[1])
    for row in (2, 3, 4):  # the three pre-filled cadres
        cells = {
            header: basics.cell(row, index).protection.locked
            for index, header in enumerate(headers, 1)
        }
        assert cells == {
            "工号": True,
            "姓名": True,
            "单位编码": True,
            "职务": True,
            "适用类别": True,
            "是否离职或退休三年内": False,
            "无报告事项": False,
            "填报日期": False,
            "签名日期": False,
        }
    # Nothing is written below them (a program filling the template appends right there) …
    assert basics.max_row == 4
    # … and every column is unlocked there: a cadre missing from the register is typed in.
    for letter in "ABCDEFGHI":
        assert basics.column_dimensions[letter].protection.locked is False, letter
    assert basics.column_dimensions["A"].number_format == "@"  # 工号 stays text


@pytest.mark.parametrize("section", ROW_SECTIONS, ids=lambda section: section.key)
def test_section_sheets_lock_only_their_header(workbook: Workbook, section: Section) -> None:
    sheet = _sheet(workbook, section.sheet)
    width = len(section.columns)
    assert sheet.max_row == 1
    assert all(cell.protection.locked for cell in sheet[1])
    dimensions = sheet.column_dimensions
    for index in range(1, width + 1):
        letter = sheet.cell(1, index).column_letter
        assert dimensions[letter].protection.locked is False, letter
    # Right of the form to the last column, so a whole row has no locked cell and can be
    # deleted from the protected sheet.
    tail = dimensions[sheet.cell(1, width + 1).column_letter]
    assert (tail.min, tail.max, tail.protection.locked) == (width + 1, 16384, False)


def test_instructions_wrap_in_a_column_as_wide_as_the_page(workbook: Workbook) -> None:
    sheet = _sheet(workbook, "填报说明")
    width = sheet.column_dimensions["A"].width
    assert 100 <= width <= LANDSCAPE_WIDTH  # fits the page at 100%, nothing runs off it
    assert sheet.max_column == 1 and not sheet.merged_cells.ranges
    rows = [(number, str(row[0].value)) for number, row in enumerate(sheet.iter_rows(), 1)]
    texts = [(number, text) for number, text in rows if text != "None"]
    assert len(texts) > 25
    for number, text in texts:
        cell = sheet.cell(number, 1)
        assert cell.alignment.wrap_text, number
        size = cell.font.sz or 11
        # as many lines as the text takes at this width, each at least as tall as the font
        lines = wrapped_lines(text, width * 11 / size)
        assert sheet.row_dimensions[number].height >= lines * size * 1.3, (number, text)
    longest = max(texts, key=lambda item: text_width(item[1]))
    assert text_width(longest[1]) > width  # the longest really wraps …
    assert sheet.row_dimensions[longest[0]].height >= 2 * 15  # … onto two lines at least


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("连云港市妇幼保健院", "连云港市妇幼保健院"),
        ("R&D 中心", "R&&D 中心"),  # an & would start a code
        ("甲\n乙", "甲 乙"),
        ("长" * 80, "长" * 59 + "…"),
    ],
)
def test_footer_text_is_taken_literally(text: str, expected: str) -> None:
    assert footer_text(text) == expected


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [("", 10, 1), ("一二三", 10, 1), ("一二三四", 10, 2), ("a" * 14, 10, 2), ("甲\n乙", 50, 2)],
)
def test_wrapped_lines(text: str, width: float, lines: int) -> None:
    assert wrapped_lines(text, width) == lines


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_libreoffice_prints_basics_on_one_landscape_page(template: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(template),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / f"{template.stem}.pdf"
    text = subprocess.run(
        [str(PDFTOTEXT), "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    pages = text.split("\f")
    basics = [page for page in pages if page.rstrip().endswith("基本情况")]
    assert len(basics) == 1  # one page, with every column and every pre-filled cadre on it
    assert all(spec.header in basics[0] for spec in BASICS.columns)
    assert all(staff_no in basics[0] for staff_no in ("F001", "F002", "F003"))
    # the footer: the unit, "第 n 页，共 N 页", the sheet
    assert UNIT in basics[0] and "页，共" in basics[0]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=False, text=True).stdout
    if info:
        assert "841.89 x 595.3" in info  # A4 landscape, in points
