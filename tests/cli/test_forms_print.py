"""`qinglian forms print`: the signed paper 报告表, one sheet (one page) per cadre, from the forms
as imported; a blank form, its basics filled in, for a cadre who has not filed."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from qinglian.declarations.printable import sheet_names
from qinglian.declarations.printable_layout import FORM_TITLE, NOTHING, PLEDGE, SIGNATURE
from tests.databases import DATABASES
from tests.factories import (
    CADRES,
    FB,
    MOH,
    Qinglian,
    assert_one_error,
    qinglian_cli,
    write_cadres,
    write_units,
)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFINFO = shutil.which("pdfinfo")
# 连妇保's cadres: FB001 declares a relative and a post, FB002 nothing, FB003 has not filed;
# FB004's name would be a formula in a careless spreadsheet.
HOSTILE = {"工号": "FB004", "姓名": "-张伟", "单位编码": FB, "职务": "副院长", "适用类别": 3}
FB_STAFF = ["FB001", "FB002", "FB003", "FB004"]
NAMES = ("施庆喜", "邵亚玲", "顾扬")
RELATIVE = ["FB001", "张三", "配偶", "连云港某医药公司", "销售经理", "药品销售", "是"]
POST = ["FB001", "江苏省医学会", "卫生社会组织", "理事", "否", "是", "否"]


@pytest.fixture(scope="module", params=DATABASES)
def filed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Qinglian]:
    """The seeds' chain and cadres, coi-2012 launched, and 连妇保's forms imported: once per
    database for the whole module, whose tests only read it (and write their own files)."""
    folder = tmp_path_factory.mktemp(f"filed-{request.param}")
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        qinglian_cli(request.param, folder, monkeypatch) as cli,
    ):
        yield _filed(cli, folder)


def _filed(cli: Qinglian, folder: Path) -> Qinglian:
    cli.ok("units", "import", write_units(folder / "units.xlsx"))
    cli.ok("cadres", "import", write_cadres(folder / "cadres.xlsx", [*CADRES, HOSTILE]))
    assert (
        cli.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH).stdout.strip() == "1"
    )
    template = folder / "template.xlsx"
    cli.ok("forms", "template", FB, "--out", template, "--campaign", "1")
    workbook = load_workbook(template)
    basics = workbook["基本情况"]
    assert [basics.cell(row, 1).value for row in range(2, 6)] == FB_STAFF
    # FB001 and FB002 fill in 无报告事项, 填报日期 and 签名日期; FB003 and FB004 do not.
    for row, nothing in ((2, "否"), (3, "是")):
        basics.cell(row, 7).value = nothing
        basics.cell(row, 8).value = date(2012, 7, 19)
        basics.cell(row, 9).value = date(2012, 7, 18)
    workbook["亲属从业"].append(RELATIVE)
    workbook["本人兼职"].append(POST)
    workbook.save(template)
    cli.ok("forms", "import", template, "--campaign", "1", "--as-of", "2012-07-20")
    return cli


def _texts(sheet: Worksheet) -> list[str]:
    return [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]


def _home_files(cli: Qinglian) -> list[Path]:
    output = cli.home / "output" / "forms"
    return sorted(path for path in output.rglob("*") if path.is_file()) if output.exists() else []


def test_one_sheet_per_cadre_with_the_signature_lines(filed: Qinglian, tmp_path: Path) -> None:
    out = tmp_path / "打印.xlsx"
    result = filed.ok("forms", "print", "1", "--unit", FB, "--out", out)
    assert "4 人" in result.stdout and "其中 2 份" in result.stdout  # FB003, FB004 blank
    assert str(out) in result.stdout.replace("\n", "")
    assert not any(name in result.output for name in (*NAMES, "张三", HOSTILE["姓名"]))

    workbook = load_workbook(out)
    assert workbook.sheetnames == FB_STAFF
    for title in FB_STAFF:
        sheet = workbook[title]
        assert isinstance(sheet, Worksheet)
        texts = _texts(sheet)
        assert texts[0] == FORM_TITLE
        assert title in texts and "连云港市妇幼保健院" in texts
        assert texts[-2:] == [PLEDGE, SIGNATURE]
        assert "本人签字：" in SIGNATURE and "日期：" in SIGNATURE and "年" in SIGNATURE
        setup = sheet.page_setup
        assert (int(setup.paperSize), setup.orientation) == (9, "portrait")
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert sheet.print_area == f"'{title}'!$A$1:$H${sheet.max_row}"
        assert setup.useFirstPageNumber and setup.firstPageNumber == 1  # each form from page 1
        assert "&P" in (sheet.oddFooter.center.text or "")
        assert sheet.oddFooter.right.text == f"工号 {title}"
        assert sheet.protection.sheet

    declared = _texts(workbook["FB001"])
    assert {
        "施庆喜",
        "院长",
        "张三",
        "配偶",
        "连云港某医药公司",
        "药品销售",
        "江苏省医学会",
    } <= set(declared)
    assert "卫生社会组织" in declared and "2012年7月19日" in declared
    assert declared.count(NOTHING) == 2  # no retirement job, no recusal
    nothing = _texts(workbook["FB002"])
    assert nothing.count(NOTHING) == 4 and "邵亚玲" in nothing
    blank = _texts(workbook["FB003"])
    assert "顾扬" in blank and "副院长" in blank and NOTHING not in blank
    assert blank.count("□是　　□否") == 2  # to tick by hand
    hostile = workbook["FB004"]
    cell = next(c for row in hostile.iter_rows() for c in row if c.value == HOSTILE["姓名"])
    assert cell.data_type == "s" and cell.quotePrefix  # text, never a formula


def test_the_default_file_and_chosen_cadres(filed: Qinglian) -> None:
    result = filed.ok("forms", "print", "1", "--unit", FB)
    default = filed.home / "output" / "forms" / "campaign-1" / f"报告表打印-{FB}.xlsx"
    assert default.is_file() and str(default) in result.stdout.replace("\n", "")

    result = filed.ok("forms", "print", "1", "--unit", FB, "--cadre", "FB003", "--cadre", "FB001")
    assert "2 人" in result.stdout and "其中 1 份" in result.stdout
    chosen = default.with_name(f"报告表打印-{FB}-FB001-FB003.xlsx")
    assert load_workbook(chosen).sheetnames == ["FB001", "FB003"]


@pytest.mark.parametrize(
    ("arguments", "quoted"),
    [
        pytest.param(("99", "--unit", FB), "99", id="unknown-campaign"),
        pytest.param(("1", "--unit", "NOPE"), "NOPE", id="unknown-unit"),
        pytest.param(("1", "--unit", FB, "--cadre", "ZZ999"), "ZZ999", id="unknown-cadre"),
        # a cadre of another unit, and one of 连妇保's department (printed with the department)
        pytest.param(("1", "--unit", FB, "--cadre", "LYG001"), "LYG001", id="another-units"),
        pytest.param(("1", "--unit", FB, "--cadre", "FB101"), "FB101", id="departments"),
        pytest.param(("1", "--unit", FB, "--out", "{dir}/p.csv"), "p.csv", id="not-xlsx"),
    ],
)
def test_refused_in_one_line_writing_nothing(
    filed: Qinglian, tmp_path: Path, arguments: tuple[str, ...], quoted: str
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    argv = [argument.replace("{dir}", str(target)) for argument in arguments]
    if "--out" not in argv:
        argv += ["--out", str(target / "p.xlsx")]
    before = _home_files(filed)
    line = assert_one_error(filed("forms", "print", *argv))
    assert quoted in line
    assert not any(name in line for name in NAMES)
    assert list(target.iterdir()) == [] and _home_files(filed) == before


@pytest.mark.parametrize(
    ("staff_nos", "names"),
    [
        (["F001", "F002"], ["F001", "F002"]),
        (["f001", "F001", "F001"], ["f001", "F001~2", "F001~3"]),  # Excel ignores case
        (["A" * 40, "A" * 40 + "B"], ["A" * 31, "A" * 29 + "~2"]),  # 31 characters at most
        (["History", "a/b", "'x'"], ["History_", "a_b", "x"]),  # reserved, refused, quoted
    ],
)
def test_sheet_names(staff_nos: list[str], names: list[str]) -> None:
    assert sheet_names(staff_nos) == names


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.skipif(PDFINFO is None, reason="pdfinfo (poppler-utils) is not installed")
def test_libreoffice_prints_one_page_per_cadre(filed: Qinglian, tmp_path: Path) -> None:
    if filed.kind != "sqlite":
        pytest.skip("the layout does not depend on the database: converted once, on SQLite")
    out = tmp_path / "forms.xlsx"
    filed.ok("forms", "print", "1", "--unit", FB, "--out", out)
    result = subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(out),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    info = subprocess.run(
        [str(PDFINFO), str(tmp_path / "forms.pdf")], capture_output=True, check=True, text=True
    ).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert int(fields["Pages"]) == len(FB_STAFF)
    assert fields["Page size"].strip().startswith("595.3")  # A4 portrait, in points
