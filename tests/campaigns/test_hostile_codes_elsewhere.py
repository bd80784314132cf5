"""Unit codes and 工号 follow one pattern wherever they come in, not only in the unit and cadre files.

Every other importer that reads a 单位编码 or a 工号 (deliveries, phase summaries, inspection
results, the 报告表, the rules review) refuses a malformed one at its cell, and every command
that takes one as an argument or option refuses it as a usage error: one bilingual line, exit
2, before the database is opened. A well-formed code nobody has stays "no such unit".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlmodel import col, select
from typer.testing import Result

from models import Deliverable, Unit
from tests.databases import DATABASES
from tests.declarations.test_import_forms_bad_input import BASICS_HEADER
from tests.factories import (
    CADRES,
    DELIVERY_HEADERS,
    FB,
    LYG,
    MOH,
    Qinglian,
    assert_one_error,
    delivery,
    qinglian_cli,
    write_cadres,
    write_csv_rows,
    write_deliveries,
    write_table,
    write_units,
    write_xlsx_rows,
)
from tests.org.test_hostile_codes import BAD_CODES

HIDDEN = ("\u200b", "\u202e", "\x01")  # and a line break: the line count says
AS_OF = "2012-12-31"


@pytest.fixture(params=DATABASES)
def cli(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Qinglian]:
    """The seed tree and its cadres, coi-2012 launched on 卫生部 (campaign 1)."""
    with qinglian_cli(request.param, tmp_path, monkeypatch) as harness:
        harness.ok("units", "import", write_units(tmp_path / "units.xlsx"))
        harness.ok("cadres", "import", write_cadres(tmp_path / "cadres.xlsx", CADRES))
        harness.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH)
        yield harness


def _file(tmp_path: Path, stem: str, code: str) -> Path:
    """An .xlsx, or a CSV for what openpyxl will not put in a cell (an ASCII control)."""
    return tmp_path / f"{stem}.{'csv' if ILLEGAL_CHARACTERS_RE.search(code) else 'xlsx'}"


def _write_rows(path: Path, rows: Sequence[Sequence[Any]], title: str) -> Path:
    if path.suffix == ".csv":
        return write_csv_rows(path, rows)
    return write_xlsx_rows(path, rows, title=title)


def _refused_at(result: Result, file: Path, row: int, column: str) -> str:
    """An import refused whole: the bilingual header, then exactly the one bad cell."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith(f"错误 / error: {file.name}: 1 行无效"), lines
    assert "nothing imported" in lines[0]
    assert len(lines) == 2, lines
    assert f"第{row}行 列「{column}」" in lines[1] and f"row {row}," in lines[1], lines[1]
    # A hidden character is spelled out (\u202e), never printed as itself.
    assert not any(char in result.stderr for char in HIDDEN)
    return lines[1]


def _assert_reason(line: str, zh: str, en: str) -> None:
    assert zh in line and en in line, line
    assert "编码只能由英文字母、数字和 - _ . 组成" in line and "a code has only letters" in line


# --- importers: the bad cell is named, nothing is written -------------------------------------


class _Import(NamedTuple):
    """A file of unit rows: its name, headers, a row for a unit code, and the command."""

    stem: str
    headers: Sequence[str]
    row: Callable[[str], dict[str, Any]]
    command: tuple[str, ...]


FILE = "{file}"
IMPORTS = {
    "deliveries": _Import(
        "上报",
        DELIVERY_HEADERS,
        lambda code: delivery(code, "mobilization_meeting", "2012-07-20"),
        ("deliver", "import", FILE, "--campaign", "1"),
    ),
    "narratives": _Import(
        "总结",
        ("单位编码", "阶段", "总结内容", "提交日期", "提交人"),
        lambda code: {"单位编码": code, "阶段": "mobilize", "总结内容": "动员部署阶段工作总结。"},
        ("summary", "import", "1", FILE, "--as-of", AS_OF),
    ),
    "rules-review": _Import(
        "制度",
        ("单位编码", "制度名称", "处理意见", "理由", "完成时限"),
        lambda code: {"单位编码": code, "制度名称": "药品采购管理办法", "处理意见": "保留"},
        ("rules", "import", FILE, "--campaign", "1", "--as-of", AS_OF),
    ),
}


@pytest.mark.parametrize(("code", "zh", "en"), BAD_CODES)
@pytest.mark.parametrize("kind", IMPORTS)
def test_unit_files_refuse_a_malformed_unit_code(
    cli: Qinglian, tmp_path: Path, kind: str, code: str, zh: str, en: str
) -> None:
    spec = IMPORTS[kind]
    source = write_table(
        _file(tmp_path, spec.stem, code), spec.headers, [spec.row(FB), spec.row(code)]
    )
    before = cli.counts()
    result = cli(*(source if arg == FILE else arg for arg in spec.command))
    _assert_reason(_refused_at(result, source, 3, "单位编码"), zh, en)
    assert cli.counts() == before


INSPECTION_HEADERS = ("单位编码", "检查日期", "检查人", "得分", "问题类别", "问题描述", "工号")


def _inspection_rows(unit: str, staff_no: str | None) -> list[list[Any]]:
    return [
        list(INSPECTION_HEADERS),
        [LYG, "2012-12-05", "第三检查组", 95, None, None, None],
        [unit, "2012-12-05", "第三检查组", 82.5, "兼职取酬", "副院长在市医学会兼职取酬", staff_no],
    ]


@pytest.mark.parametrize(("code", "zh", "en"), BAD_CODES)
@pytest.mark.parametrize("column", ["单位编码", "工号"])
def test_inspection_results_refuse_a_malformed_code(
    cli: Qinglian, tmp_path: Path, code: str, zh: str, en: str, column: str
) -> None:
    cli.ok("inspect", "sample", "1", "--size", "3", "--seed", "1", "--as-of", "2012-12-01")
    unit, staff_no = (code, None) if column == "单位编码" else (FB, code)
    source = _write_rows(
        _file(tmp_path, "检查", code), _inspection_rows(unit, staff_no), "检查结果"
    )
    before = cli.counts()
    result = cli("inspect", "import", "1", source, "--as-of", AS_OF)
    _assert_reason(_refused_at(result, source, 3, column), zh, en)
    assert cli.counts() == before


@pytest.mark.parametrize(("code", "zh", "en"), BAD_CODES)
def test_report_forms_refuse_a_malformed_staff_number(
    cli: Qinglian, tmp_path: Path, code: str, zh: str, en: str
) -> None:
    rows: Sequence[Sequence[Any]] = [
        BASICS_HEADER,
        ["FB001", "施庆喜", FB, "院长", 3, "否", "是"],
        [code, "邵亚玲", FB, "党委书记", 3, "否", "是"],
    ]
    source = _write_rows(_file(tmp_path, "基本情况", code), rows, "基本情况")
    before = cli.counts()
    result = cli("forms", "import", source, "--campaign", "1", "--as-of", "2012-08-20")
    _assert_reason(_refused_at(result, source, 3, "工号"), zh, en)
    assert cli.counts() == before


def test_a_full_width_code_in_a_file_is_folded_and_accepted(cli: Qinglian, tmp_path: Path) -> None:
    source = write_deliveries(
        tmp_path / "上报.xlsx",
        [delivery("ＪＳ－ＬＹＧ－ＦＢ", "mobilization_meeting", "2012-07-20")],
    )
    cli.ok("deliver", "import", source, "--campaign", "1")
    with cli.session() as session:
        submitted = session.exec(
            select(Deliverable.submitted_on)
            .join(Unit, col(Unit.id) == Deliverable.unit_id)
            .where(Unit.code == FB, Deliverable.kind == "mobilization_meeting")
        ).one()
    assert submitted == date(2012, 7, 20)


# --- the command line: a usage error, before anything is looked up --------------------------

BAD = "{bad}"
# Every command that takes a unit code or a 工号, with BAD where the code goes.
COMMANDS: list[tuple[str, ...]] = [
    ("report", "1", "--unit", BAD, "--format", "md"),
    ("deliver", "record", "1", BAD, "mobilization_meeting", "--on", "2012-07-20"),
    (
        "deliver",
        "leading-group",
        "1",
        BAD,
        "--on",
        "2012-07-18",
        "--office",
        "院监察室",
        "--leader",
        "施庆喜",
    ),
    ("complaints", "cases", "1", "--office", BAD),
    ("complaints", "case", "1", "--office", BAD, "--reader", "纪检组长"),
    ("complaints", "assign", "1", BAD, "--by", "纪检组长"),
    ("units", "tree", BAD),
    ("forms", "template", BAD, "--campaign", "1"),
    ("inspect", "record", "1", "--unit", BAD, "--score", "80"),
    ("rules", "status", "1", "--unit", BAD),
    ("rules", "done", "1", BAD, "药品采购管理办法", "--on", "2012-09-01"),
    ("findings", "list", "1", "--unit", BAD),
    ("campaign", "launch", "--template", "coi-2012", "--root", BAD),
    ("summary", "submit", "1", "--phase", "find", "--unit", BAD, "--text", "总结"),
    ("summary", "show", "1", "--unit", BAD),
    ("status", "1", "--unit", BAD),
]


def _command_id(args: tuple[str, ...]) -> str:
    return "-".join(arg for arg in args[:2] if arg != "1")


def _typed(args: tuple[str, ...], code: str) -> list[str]:
    return [code if arg == BAD else arg for arg in args]


@pytest.fixture
def units_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Qinglian]:
    # A usage error comes before the database is opened: the seed units are enough to see
    # that nothing changed.
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as harness:
        harness.ok("units", "import", write_units(tmp_path / "units.xlsx"))
        yield harness


@pytest.mark.parametrize("args", COMMANDS, ids=[_command_id(args) for args in COMMANDS])
def test_every_command_refuses_a_path_as_a_code(
    units_only: Qinglian, args: tuple[str, ...]
) -> None:
    cli = units_only
    before = cli.counts()
    result = cli(*_typed(args, "../../../../tmp/x"))
    line = assert_one_error(result)
    assert result.exit_code == 2
    what = "工号" if args[:2] == ("complaints", "assign") else "单位编码"
    assert f"{what}「../../../../tmp/x」无效" in line and "以字符「.」" in line
    assert "invalid staff number" in line if what == "工号" else "invalid unit code" in line
    assert "--help`" in line  # where to read the command's usage
    assert cli.counts() == before


# A code typed after an option's name; one starting with "-" would be read as an option.
TYPED_CODES = [case for case in BAD_CODES if not case[0].startswith("-")]


@pytest.mark.parametrize(("code", "zh", "en"), TYPED_CODES)
@pytest.mark.parametrize(
    "args",
    [COMMANDS[0], COMMANDS[5], COMMANDS[6]],
    ids=["report", "complaints-assign", "units-tree"],
)
def test_a_malformed_code_is_one_usage_line(
    cli: Qinglian, args: tuple[str, ...], code: str, zh: str, en: str
) -> None:
    before = cli.counts()
    result = cli(*_typed(args, code))
    line = assert_one_error(result)
    assert result.exit_code == 2
    _assert_reason(line, zh, en)
    assert not any(char in result.stderr for char in HIDDEN)
    assert cli.counts() == before


@pytest.mark.parametrize("args", [COMMANDS[0], COMMANDS[6], COMMANDS[7], COMMANDS[15]])
def test_an_empty_code_is_a_usage_error(units_only: Qinglian, args: tuple[str, ...]) -> None:
    result = units_only(*_typed(args, " "))
    line = assert_one_error(result)
    assert result.exit_code == 2 and "单位编码不能为空" in line and "unit code is empty" in line


@pytest.mark.parametrize(
    "args",
    [COMMANDS[0], COMMANDS[1], COMMANDS[3], COMMANDS[6], COMMANDS[9], COMMANDS[15]],
    ids=["report", "deliver-record", "complaints-cases", "units-tree", "rules-status", "status"],
)
def test_a_well_formed_unknown_code_is_still_no_such_unit(
    cli: Qinglian, args: tuple[str, ...]
) -> None:
    before = cli.counts()
    result = cli(*_typed(args, "NOPE-1"))
    line = assert_one_error(result)
    assert result.exit_code == 1
    assert "没有单位编码「NOPE-1」" in line and "no unit with code 'NOPE-1'" in line
    assert cli.counts() == before


def test_a_well_formed_unknown_staff_number_is_still_no_such_cadre(cli: Qinglian) -> None:
    line = assert_one_error(cli("complaints", "assign", "1", "NOPE-1", "--by", "纪检组长"))
    assert "没有工号「NOPE-1」" in line


def test_a_full_width_code_typed_is_folded(cli: Qinglian) -> None:
    tree = cli.ok("units", "tree", "ＪＳ－ＬＹＧ")
    assert "连云港市卫生局" in tree.stdout and "江苏省卫生厅" not in tree.stdout
