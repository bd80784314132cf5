"""Codes are safe identifiers and names are clean text (unit and cadre importers).

Unit codes and 工号 follow one pattern (:data:`qinglian.exchange.cells.CODE_PATTERN`), which
also keeps a code from naming a path; names refuse control, zero-width and bidirectional-text
characters with the reason, and are stored in NFC. Each refusal names file, sheet, row and
column, and writes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from models import Cadre, Unit
from qinglian.core.errors import ImportRejected, RowError
from qinglian.demo.tree import demo_cadres, demo_units
from qinglian.exchange.cells import CODE_PATTERN, parse_identifier, parse_name
from qinglian.org.import_cadres import import_cadres
from qinglian.org.import_units import import_units
from tests.databases import DATABASES
from tests.factories import (
    CADRES,
    FB,
    LYG,
    UNITS,
    Qinglian,
    qinglian_cli,
    write_cadres,
    write_units,
    write_xlsx_rows,
)

# (code, what the Chinese reason says, what the English one says)
BAD_CODES: list[tuple[str, str, str]] = [
    ("../../../../tmp/x", "以字符「.」", "starts with the character '.'"),
    (".hidden", "以字符「.」", "starts with"),
    ("..", "以字符「.」", "starts with"),
    ("a/b", "路径分隔符", "path separator"),
    ("a\\b", "路径分隔符", "path separator"),
    ("JS LYG", "空格", "space"),
    ("JS-LYG\u200b-FB", "零宽字符 U+200B", "zero-width character U+200B"),
    ("JS\u2060LYG", "零宽字符 U+2060", "zero-width character U+2060"),
    ("JS\nLYG", "控制字符 U+000A", "control character U+000A"),
    ("JS\u202eLYG", "双向文本控制符 U+202E", "bidirectional-text control U+202E"),
    ("JS\u2066LYG", "双向文本控制符 U+2066", "bidirectional-text control U+2066"),
    ("JS\x01LYG", "控制字符 U+0001", "control character U+0001"),
    ("JS\x85LYG", "控制字符 U+0085", "control character U+0085"),
    ("-JS", "以字符「-」", "starts with the character '-'"),
    ("_JS", "以字符「_」", "starts with"),
    ("连云港", "以字符「连」", "starts with the character '连'"),
    ("JS:LYG", "字符「:」", "the character ':'"),
    ("X" * 65, "共 65 个字符", "65 characters long"),
]
GOOD_CODES: list[tuple[Any, str]] = [
    ("JS-LYG-FB", "JS-LYG-FB"),
    ("MOH", "MOH"),
    ("LYG001", "LYG001"),
    ("A.b_c-1", "A.b_c-1"),
    ("ＪＳ－ＬＹＧ", "JS-LYG"),  # full-width letters fold
    (" JS-LYG\u3000", "JS-LYG"),  # blanks around a value are trimmed, as everywhere
    ("\ufeffMOH", "MOH"),  # a BOM Excel left in front
    (320700, "320700"),  # a number typed into a general cell stays its digits
    (320700.0, "320700"),
    ("X" * 64, "X" * 64),
]
# (name, the character reported, its position)
BAD_NAMES: list[tuple[str, str, int]] = [
    ("连云港市\u200b妇幼保健院", "U+200B", 5),
    ("连云港市\u200c妇幼保健院", "U+200C", 5),
    ("连云港市\u200d妇幼保健院", "U+200D", 5),
    ("连云港市\u2060妇幼保健院", "U+2060", 5),
    ("连云港市\ufeff妇幼保健院", "U+FEFF", 5),
    ("连云港\u202e院健保幼妇", "U+202E", 4),
    ("连云港\u202a市", "U+202A", 4),
    ("连云港\u2067市", "U+2067", 4),
    ("连云港\u2069市", "U+2069", 4),
    ("连云港市\n妇幼保健院", "U+000A", 5),
    ("连云港市\r妇幼保健院", "U+000D", 5),
    ("连云港\x01市", "U+0001", 4),
    ("连云港\x7f市", "U+007F", 4),
    ("连云港\x9b市", "U+009B", 4),
    ("连云港\u2028市", "U+2028", 4),
]


# --- the rules, as tables ---------------------------------------------------------------------


@pytest.mark.parametrize(("code", "zh", "en"), BAD_CODES)
def test_parse_identifier_refuses(code: str, zh: str, en: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_identifier(code)
    message = str(caught.value)
    assert zh in message and en in message
    assert "\n" not in message and "\x01" not in message and "\u202e" not in message


@pytest.mark.parametrize(("value", "code"), GOOD_CODES)
def test_parse_identifier_accepts(value: Any, code: str) -> None:
    assert parse_identifier(value) == code


@pytest.mark.parametrize(("name", "point", "position"), BAD_NAMES)
def test_parse_name_refuses(name: str, point: str, position: int) -> None:
    with pytest.raises(ValueError) as caught:
        parse_name(name)
    zh, _, en = str(caught.value).partition(" / ")
    assert f"第 {position} 个字符" in zh and point in zh
    assert f"character {position}" in en and point in en


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("Cafe\u0301科", "Caf\u00e9科"),  # decomposed é, composed
        ("\u1100\u1161", "\uac00"),  # Hangul jamo, composed
        ('=HYPERLINK("x")', '=HYPERLINK("x")'),  # a formula is text; it is escaped on output
        ("连云港市 妇幼保健院", "连云港市 妇幼保健院"),
        ("\u200b连云港\u200b", "连云港"),  # invisible edges are trimmed, as everywhere
    ],
)
def test_parse_name_normalises(value: str, name: str) -> None:
    assert parse_name(value) == name


def test_the_demo_and_the_test_data_follow_the_pattern() -> None:
    units = demo_units()
    codes = [unit.code for unit in units]
    codes += [str(row["工号"]) for row in demo_cadres(units, random.Random(0))]
    codes += [unit["单位编码"] for unit in UNITS] + [cadre["工号"] for cadre in CADRES]
    assert [code for code in codes if not CODE_PATTERN.fullmatch(code)] == []


# --- through the importers: file, sheet, row and column, nothing written --------------------


def _refused(call: Any) -> list[RowError]:
    with pytest.raises(ImportRejected) as caught:
        call()
    return caught.value.errors


def _one(errors: list[RowError], row: int, column: str) -> RowError:
    assert [(error.row, error.column) for error in errors] == [(row, column)], errors
    return errors[0]


def _count(session: Session, table: type) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


@pytest.mark.parametrize(("code", "zh", "en"), BAD_CODES)
@pytest.mark.parametrize("column", ["单位编码", "上级单位编码"])
def test_unit_import_refuses_bad_codes(
    session: Session, tmp_path: Path, code: str, zh: str, en: str, column: str
) -> None:
    bad = {
        "单位编码": "NEW",
        "单位名称": "新单位",
        "层级": "单位",
        "类型": "医疗",
        "上级单位编码": LYG,
    }
    bad[column] = code
    source = write_units(tmp_path / "单位.csv", [*UNITS, bad])
    errors = _refused(lambda: import_units(session=session, path=source))
    error = _one(errors, len(UNITS) + 2, column)
    assert (error.file, error.sheet) == ("单位.csv", "单位")
    assert zh in error.zh and en in error.en
    assert _count(session, Unit) == 0


@pytest.mark.parametrize(("name", "point", "position"), BAD_NAMES)
@pytest.mark.parametrize("column", ["单位名称", "简称", "负责人"])
def test_unit_import_refuses_hidden_characters_in_names(
    session: Session, tmp_path: Path, name: str, point: str, position: int, column: str
) -> None:
    if column == "简称" and name[position - 1] in "\n\r":
        pytest.skip("a line break separates aliases")
    units = [dict(unit) for unit in UNITS]
    units[-1][column] = name  # a leaf: no row below it fails along with it
    source = write_units(tmp_path / "单位.csv", units)
    errors = _refused(lambda: import_units(session=session, path=source))
    error = _one(errors, len(UNITS) + 1, column)
    assert point in error.zh and point in error.en and "名称" in error.zh
    assert _count(session, Unit) == 0


@pytest.fixture
def tree(session: Session, tmp_path: Path) -> Session:
    import_units(session=session, path=write_units(tmp_path / "units.csv"))
    session.commit()
    return session


@pytest.mark.parametrize(("code", "zh", "en"), BAD_CODES)
@pytest.mark.parametrize("column", ["工号", "单位编码", "管理单位编码"])
def test_cadre_import_refuses_bad_codes(
    tree: Session, tmp_path: Path, code: str, zh: str, en: str, column: str
) -> None:
    bad = {"工号": "NEW001", "姓名": "新干部", "单位编码": FB, "适用类别": 3, "管理单位编码": LYG}
    bad[column] = code
    source = write_cadres(tmp_path / "干部.csv", [*CADRES, bad])
    errors = _refused(lambda: import_cadres(session=tree, path=source))
    error = _one(errors, len(CADRES) + 2, column)
    assert (error.file, error.sheet) == ("干部.csv", "干部")
    assert zh in error.zh and en in error.en
    assert _count(tree, Cadre) == 0


@pytest.mark.parametrize(("name", "point", "position"), BAD_NAMES)
@pytest.mark.parametrize("column", ["姓名", "职务", "职级"])
def test_cadre_import_refuses_hidden_characters_in_names(
    tree: Session, tmp_path: Path, name: str, point: str, position: int, column: str
) -> None:
    cadres = [dict(cadre) for cadre in CADRES]
    cadres[1][column] = name
    source = write_cadres(tmp_path / "干部.csv", cadres)
    error = _one(_refused(lambda: import_cadres(session=tree, path=source)), 3, column)
    assert point in error.zh and point in error.en
    assert _count(tree, Cadre) == 0


def test_good_codes_and_names_import_normalised(tree: Session, tmp_path: Path) -> None:
    rows = [
        ["工号", "姓名", "单位编码", "职务", "适用类别"],
        [320700, "Cafe\u0301", "ＪＳ－ＬＹＧ－ＦＢ", "院长", 3],
        ["A.b_c-1", "王\u3000", FB, "副院长", 3],
    ]
    import_cadres(session=tree, path=write_xlsx_rows(tmp_path / "干部.xlsx", rows, title="干部"))
    cadres = {cadre.staff_no: cadre for cadre in tree.exec(select(Cadre)).all()}
    assert set(cadres) == {"320700", "A.b_c-1"}
    assert cadres["320700"].name == "Caf\u00e9"
    assert cadres["A.b_c-1"].name == "王"


# --- through the CLI: one clean refusal, no traceback, nothing written ----------------------


@pytest.fixture(params=DATABASES)
def cli(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Qinglian]:
    with qinglian_cli(request.param, tmp_path, monkeypatch) as harness:
        harness.ok("db", "upgrade")
        yield harness


@pytest.mark.parametrize(
    "code", ["../../../../tmp/x", "JS-LYG\u200b-FB", "A\nB", "A\u202eB", "A\x01B", ".x"]
)
def test_cli_refuses_a_hostile_unit_code(cli: Qinglian, tmp_path: Path, code: str) -> None:
    bad = {"单位编码": code, "单位名称": "连云港市妇幼保健院", "层级": "单位", "类型": "医疗"}
    before = cli.counts()
    result = cli("units", "import", write_units(tmp_path / "units.csv", [*UNITS, bad]))
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("错误 / error: units.csv: 1 行无效")
    # One line per refusal: the code is shown with its hidden character spelled out.
    row = len(UNITS) + 2
    assert len(lines) == 2 and f"第{row}行 列「单位编码」" in lines[1] and f"row {row}" in lines[1]
    assert "\u202e" not in result.stderr and "\x01" not in result.stderr
    assert cli.counts() == before
