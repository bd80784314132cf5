"""Importing in-scope cadres (qinglian.org.import_cadres)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from models import Cadre, Level, Unit
from qinglian.core.errors import ImportRejected
from qinglian.org.import_cadres import (
    UnitRef,
    default_managing_unit_id,
    import_cadres,
    parse_scope_category,
)
from qinglian.org.import_units import import_units
from tests.factories import CADRE_HEADERS, write_csv_rows, write_xlsx_rows

AS_OF = date(2012, 9, 1)
HEADERS = list(CADRE_HEADERS)
KEYS = [
    "staff_no",
    "name",
    "unit_code",
    "post",
    "rank",
    "scope_category",
    "managing_unit_code",
    "retired",
    "left_on",
]
UNITS = [
    ["单位编码", "单位名称", "层级", "类型", "上级单位编码"],
    ["000", "卫生部", "部", "行政", ""],
    ["32", "江苏省卫生厅", "省", "行政", "000"],
    ["3207", "连云港市卫生局", "市", "行政", "32"],
    ["320701", "连云港市妇幼保健院", "单位", "医疗", "3207"],
    ["32070101", "妇产科", "科室", "医疗", "320701"],
]
CADRES: list[dict[str, Any]] = [
    {"staff_no": "M001", "name": "部领导", "unit_code": "000", "post": "部长", "scope_category": 1},
    {"staff_no": "J001", "name": "张处长", "unit_code": "32", "rank": "正处", "scope_category": 2},
    {
        "staff_no": "L001",
        "name": "李局长",
        "unit_code": "3207",
        "post": "局长",
        "scope_category": 1,
    },
    {
        "staff_no": "F001",
        "name": "顾 扬",
        "unit_code": "320701",
        "post": "院长",
        "scope_category": 3,
    },
    {
        "staff_no": "F101",
        "name": "陈主任",
        "unit_code": "32070101",
        "post": "科主任",
        "scope_category": "第四类",
        "retired": "是",
        "left_on": "2012/8/9",
    },
]


def rows_of(records: Sequence[dict[str, Any]]) -> list[list[Any]]:
    return [HEADERS, *([record.get(key) for key in KEYS] for record in records)]


write_xlsx = partial(write_xlsx_rows, title="干部")


@pytest.fixture
def units(session: Session, tmp_path: Path) -> dict[str, Unit]:
    import_units(session=session, path=write_csv_rows(tmp_path / "units.csv", UNITS))
    session.commit()
    return {unit.code: unit for unit in session.exec(select(Unit)).all()}


def cadres(session: Session) -> dict[str, Cadre]:
    session.expire_all()
    return {cadre.staff_no: cadre for cadre in session.exec(select(Cadre)).all()}


def snapshot(session: Session) -> list[tuple[Any, ...]]:
    return sorted(
        (c.staff_no, c.name, c.post, c.rank, c.scope_category, c.retired, c.left_on, c.unit_id,
         c.managing_unit_id)
        for c in cadres(session).values()
    )  # fmt: skip


def _import(session: Session, path: Path, **options: Any) -> Any:
    return import_cadres(session=session, path=path, as_of=AS_OF, **options)


# --- pure rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "category"),
    [
        (1, 1),
        (4.0, 4),
        ("2", 2),
        ("３", 3),
        ("一", 1),
        ("四", 4),
        ("第1类", 1),
        ("第 二 类", 2),
        ("第三类", 3),
        ("4类", 4),
        ("类别4", 4),
    ],
)
def test_parse_scope_category(value: Any, category: int) -> None:
    assert parse_scope_category(value) == category


@pytest.mark.parametrize("value", [0, 5, "五", "第5类", "1.5", "x", None, ""])
def test_parse_scope_category_rejects(value: Any) -> None:
    with pytest.raises(ValueError, match="适用类别"):
        parse_scope_category(value)


DEPT = UnitRef(id=5, level=Level.department, parent_id=4)
HOSPITAL = UnitRef(id=4, level=Level.institution, parent_id=3)
CITY = UnitRef(id=3, level=Level.city, parent_id=2)
MINISTRY = UnitRef(id=1, level=Level.ministry, parent_id=None)


@pytest.mark.parametrize(
    ("unit", "category", "managing"),
    [
        (DEPT, 4, 4),  # department heads: the hospital they belong to
        (DEPT, 3, 4),
        (UnitRef(id=9, level=Level.department, parent_id=None), 4, 9),
        (HOSPITAL, 4, 4),  # a category 4 cadre recorded at the hospital itself
        (HOSPITAL, 3, 3),  # hospital leadership: the level above
        (CITY, 1, 2),
        (MINISTRY, 2, 1),  # nothing above the ministry
    ],
)
def test_default_managing_unit(unit: UnitRef, category: int, managing: int) -> None:
    assert default_managing_unit_id(unit, category) == managing


# --- happy paths ---------------------------------------------------------------------------


def test_import_cadres(session: Session, tmp_path: Path, units: dict[str, Unit]) -> None:
    report = _import(session, write_xlsx(tmp_path / "cadres.xlsx", rows_of(CADRES)))
    assert (report.file, report.sheet) == ("cadres.xlsx", "干部")
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    got = cadres(session)
    ids = {code: unit.id for code, unit in units.items()}
    assert {no: (c.unit_id, c.managing_unit_id) for no, c in got.items()} == {
        "M001": (ids["000"], ids["000"]),
        "J001": (ids["32"], ids["000"]),
        "L001": (ids["3207"], ids["32"]),
        "F001": (ids["320701"], ids["3207"]),
        "F101": (ids["32070101"], ids["320701"]),
    }
    head = got["F101"]
    assert (head.scope_category, head.retired, head.left_on) == (4, True, date(2012, 8, 9))
    assert (got["J001"].rank, got["J001"].post, got["J001"].retired) == ("正处", "", False)
    assert got["F001"].name == "顾 扬"


@pytest.mark.parametrize(
    "left_on",
    [
        "2012-08-09",
        "2012/8/9",
        "2012.8.9",
        "2012年8月9日",
        41130,
        "41130",
        datetime(2012, 8, 9),
        date(2012, 8, 9),
    ],
)
def test_date_variants(
    session: Session, tmp_path: Path, units: dict[str, Unit], left_on: Any
) -> None:
    records = [{**CADRES[3], "left_on": left_on}]
    _import(session, write_xlsx(tmp_path / "c.xlsx", rows_of(records)))
    assert cadres(session)["F001"].left_on == date(2012, 8, 9)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding(
    session: Session, tmp_path: Path, units: dict[str, Unit], encoding: str
) -> None:
    report = _import(
        session, write_csv_rows(tmp_path / "干部.csv", rows_of(CADRES), encoding=encoding)
    )
    assert (report.sheet, report.created) == ("干部", 5)
    assert cadres(session)["F101"].left_on == date(2012, 8, 9)


def test_english_headers(session: Session, tmp_path: Path, units: dict[str, Unit]) -> None:
    rows = [
        [
            "Staff No",
            "Name",
            "Unit Code",
            "Post",
            "Category",
            "Managing Unit",
            "Retired",
            "Left On",
        ],
        ["X1", "赵六", "320701", "副院长", "3", "32", "no", "2012-01-31"],
    ]
    report = _import(session, write_csv_rows(tmp_path / "c.csv", rows))
    assert report.created == 1
    cadre = cadres(session)["X1"]
    assert (cadre.managing_unit_id, cadre.retired, cadre.left_on) == (
        units["32"].id,
        False,
        date(2012, 1, 31),
    )


def test_left_the_post_without_retiring_is_fine(
    session: Session, tmp_path: Path, units: dict[str, Unit]
) -> None:
    records = [{**CADRES[2], "retired": "否", "left_on": "2012-03-01"}]
    report = _import(session, write_csv_rows(tmp_path / "c.csv", rows_of(records)))
    assert report.created == 1
    assert cadres(session)["L001"].left_on == date(2012, 3, 1)


def test_reimport_is_a_no_op(session: Session, tmp_path: Path, units: dict[str, Unit]) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", rows_of(CADRES))
    _import(session, path)
    session.commit()
    before = snapshot(session)
    report = _import(session, path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert not session.dirty
    assert snapshot(session) == before


def test_changed_rows_are_updated(session: Session, tmp_path: Path, units: dict[str, Unit]) -> None:
    _import(session, write_csv_rows(tmp_path / "c.csv", rows_of(CADRES)))
    session.commit()
    records = [dict(record) for record in CADRES]
    records[3].update(post="党委书记", unit_code="3207", scope_category=1)
    records[4].update(retired="否", left_on=None)
    report = _import(session, write_csv_rows(tmp_path / "c2.csv", rows_of(records)))
    assert (report.created, report.updated, report.unchanged) == (0, 2, 3)
    session.commit()
    got = cadres(session)
    assert (got["F001"].post, got["F001"].unit_id, got["F001"].managing_unit_id) == (
        "党委书记",
        units["3207"].id,
        units["32"].id,
    )
    assert (got["F101"].retired, got["F101"].left_on) == (False, None)


def test_absent_optional_columns_keep_what_the_database_has(
    session: Session, tmp_path: Path, units: dict[str, Unit]
) -> None:
    _import(session, write_csv_rows(tmp_path / "c.csv", rows_of(CADRES)))
    session.commit()
    rows = [["工号", "姓名", "单位编码", "适用类别"], ["F101", "陈主任", "32070101", "4"]]
    report = _import(session, write_csv_rows(tmp_path / "short.csv", rows))
    assert (report.updated, report.unchanged) == (0, 1)
    head = cadres(session)["F101"]
    assert (head.post, head.retired, head.left_on) == ("科主任", True, date(2012, 8, 9))


# --- validation ----------------------------------------------------------------------------


def _with(index: int, **changes: Any) -> list[dict[str, Any]]:
    records = [dict(record) for record in CADRES]
    records[index].update(changes)
    return records


# (case id, records, [(row, column, Chinese reason fragment)])
CASES: list[tuple[str, list[dict[str, Any]], list[tuple[int, str, str]]]] = [
    ("empty staff no", _with(0, staff_no=" "), [(2, "工号", "工号不能为空")]),
    ("empty name", _with(1, name=None), [(3, "姓名", "姓名不能为空")]),
    (
        "duplicate staff no",
        _with(4, staff_no="F001"),
        [(5, "工号", "「F001」重复（另见第6行）"), (6, "工号", "「F001」重复（另见第5行）")],
    ),
    ("unknown unit", _with(2, unit_code="9999"), [(4, "单位编码", "单位编码「9999」不存在")]),
    ("empty unit", _with(2, unit_code=None), [(4, "单位编码", "单位编码不能为空")]),
    (
        "unknown managing unit",
        _with(2, managing_unit_code="8888"),
        [(4, "管理单位编码", "单位编码「8888」不存在")],
    ),
    ("category 5", _with(3, scope_category=5), [(5, "适用类别", "适用类别「5」无效")]),
    ("category word", _with(3, scope_category="五"), [(5, "适用类别", "适用类别「五」无效")]),
    ("empty category", _with(3, scope_category=None), [(5, "适用类别", "适用类别不能为空")]),
    ("bad date", _with(3, left_on="2012-02-30"), [(5, "离任日期", "无法识别的日期")]),
    ("bad serial", _with(3, left_on=3000000), [(5, "离任日期", "超出 Excel 日期范围")]),
    ("future date", _with(3, left_on="2012-09-02"), [(5, "离任日期", "晚于今天（2012-09-01）")]),
    ("bad bool", _with(3, retired="也许"), [(5, "是否离退休", "无法识别的是/否值「也许」")]),
    ("excel error", _with(3, unit_code="#REF!"), [(5, "单位编码", "Excel 错误值 #REF!")]),
    ("too long", _with(3, post="职" * 201), [(5, "职务", "内容过长（201 个字符，最多 200 个）")]),
]


def _found(errors: Sequence[Any]) -> list[tuple[int, str, str]]:
    return sorted((e.row, e.column, e.zh) for e in errors)


def _matches(errors: Sequence[Any], expected: Sequence[tuple[int, str, str]]) -> bool:
    found = _found(errors)
    return len(found) == len(expected) and all(
        (row, column) == (want_row, want_column) and fragment in zh
        for (row, column, zh), (want_row, want_column, fragment) in zip(
            found, sorted(expected), strict=True
        )
    )


@pytest.mark.parametrize(("records", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_file_is_rejected_whole(
    session: Session,
    tmp_path: Path,
    units: dict[str, Unit],
    records: list[dict[str, Any]],
    expected: list[tuple[int, str, str]],
) -> None:
    with pytest.raises(ImportRejected) as caught:
        _import(session, write_xlsx(tmp_path / "bad.xlsx", rows_of(records)))
    assert _matches(caught.value.errors, expected), _found(caught.value.errors)
    assert all((e.file, e.sheet) == ("bad.xlsx", "干部") for e in caught.value.errors)
    assert session.exec(select(func.count()).select_from(Cadre)).one() == 0
    assert not (tmp_path / "bad.rejected.csv").exists()


def test_rejection_leaves_existing_cadres_alone(
    session: Session, tmp_path: Path, units: dict[str, Unit]
) -> None:
    _import(session, write_csv_rows(tmp_path / "c.csv", rows_of(CADRES)))
    session.commit()
    before = snapshot(session)
    records = _with(0, name="改了名字")
    records[1]["scope_category"] = "九"
    with pytest.raises(ImportRejected):
        _import(session, write_csv_rows(tmp_path / "c2.csv", rows_of(records)))
    assert snapshot(session) == before


def test_skip_invalid_imports_the_good_rows(
    session: Session, tmp_path: Path, units: dict[str, Unit]
) -> None:
    records = _with(1, unit_code="nowhere")
    records[3]["left_on"] = "#VALUE!"
    path = write_xlsx(tmp_path / "mixed.xlsx", rows_of(records))
    report = _import(session, path, skip_invalid=True)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert set(cadres(session)) == {"M001", "L001", "F101"}
    assert report.rejected_file == tmp_path / "mixed.rejected.csv"
    lines = list(csv.reader(io.StringIO(report.rejected_file.read_text(encoding="utf-8-sig"))))
    assert lines[0] == [*HEADERS, "行号", "列", "原因", "reason"]
    assert [(line[0], line[-4], line[-3]) for line in lines[1:]] == [
        ("J001", "3", "单位编码"),
        ("F001", "5", "离任日期"),
    ]
    assert lines[2][-2].startswith("单元格是 Excel 错误值 #VALUE!")


def test_ten_thousand_rows_import_quickly(
    session: Session, tmp_path: Path, units: dict[str, Unit]
) -> None:
    codes = ["3207", "320701", "32070101"]
    records = [
        {
            "staff_no": f"S{n:05d}",
            "name": f"干部{n}",
            "unit_code": codes[n % 3],
            "post": "职务",
            "scope_category": n % 4 + 1,
            "retired": "否",
            "left_on": "2012-01-01" if n % 7 == 0 else None,
        }
        for n in range(10_000)
    ]
    path = write_csv_rows(tmp_path / "big.csv", rows_of(records))

    started = time.perf_counter()
    report = _import(session, path)
    session.commit()
    first = time.perf_counter() - started
    assert report.created == 10_000

    started = time.perf_counter()
    again = _import(session, path)
    second = time.perf_counter() - started
    assert (again.created, again.unchanged) == (0, 10_000)
    assert first < 5 and second < 5, (first, second)
