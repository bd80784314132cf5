"""Importing the organisational tree (qinglian.org.import_units)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from models import Level, Unit, UnitKind
from qinglian.core.errors import ImportRejected
from qinglian.org.import_units import import_units
from qinglian.org.unit_cells import parse_aliases, parse_kind, parse_level
from tests.factories import UNIT_HEADERS, write_csv_rows, write_xlsx_rows

HEADERS = list(UNIT_HEADERS)
KEYS = [
    "code",
    "name",
    "aliases",
    "level",
    "kind",
    "parent_code",
    "office_email",
    "office_webhook",
    "head",
    "discipline_email",
]

# The seeds' own units: 卫生部 → 江苏省卫生厅 → 连云港市卫生局 → 连妇保 → 妇产科.
TREE: list[dict[str, Any]] = [
    {"code": "000", "name": "卫生部", "level": "部", "kind": "卫生行政部门"},
    {"code": "32", "name": "江苏省卫生厅", "level": "省", "kind": "行政", "parent_code": "000"},
    {
        "code": "3207",
        "name": "连云港市卫生局",
        "level": "市",
        "kind": "卫生行政部门",
        "parent_code": "32",
        "office_email": "office@lyg.example.cn",
        "office_webhook": "lyg-wecom",
        "head": "王局长",
        "discipline_email": "jjz@lyg.example.cn",
    },
    {
        "code": "320701",
        "name": "连云港市妇幼保健院",
        "aliases": "连妇保、连云港妇保",
        "level": "医院",
        "kind": "公立医疗卫生单位",
        "parent_code": "3207",
    },
    {
        "code": "32070101",
        "name": "妇产科",
        "level": "科室",
        "kind": "医疗",
        "parent_code": "320701",
    },
]


def rows_of(records: Sequence[dict[str, Any]], headers: Sequence[str] = HEADERS) -> list[list[Any]]:
    keys = KEYS[: len(headers)] if headers is HEADERS else [_key(h) for h in headers]
    return [list(headers), *([record.get(key) for key in keys] for record in records)]


def _key(header: str) -> str:
    return KEYS[HEADERS.index(header)] if header in HEADERS else header


write_xlsx = partial(write_xlsx_rows, title="单位")


def units_by_code(session: Session) -> dict[str, Unit]:
    return {unit.code: unit for unit in session.exec(select(Unit)).all()}


def snapshot(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    return sorted(
        (u.code, u.name, tuple(u.aliases), u.level, u.kind, u.parent_id, u.path, u.depth)
        for u in session.exec(select(Unit)).all()
    )


@pytest.fixture
def tree(session: Session, tmp_path: Path) -> dict[str, Unit]:
    import_units(session=session, path=write_xlsx(tmp_path / "tree.xlsx", rows_of(TREE)))
    session.commit()
    return units_by_code(session)


# --- vocabularies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "level"),
    [
        *[(w, Level.ministry) for w in ("ministry", "部", "卫生部", "部级", "Ministry")],
        *[(w, Level.province) for w in ("province", "省", "省级")],
        *[(w, Level.city) for w in ("city", "市", "地市", "盟市")],
        *[(w, Level.county) for w in ("county", "县", "县区", "区县")],
        *[(w, Level.institution) for w in ("institution", "单位", "医院", "医疗卫生单位", "机构")],
        *[(w, Level.department) for w in ("department", "科室", "部门", "内设部门", " 科 室 ")],
    ],
)
def test_parse_level(word: str, level: Level) -> None:
    assert parse_level(word) is level


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        *[(w, UnitKind.health_admin) for w in ("health_admin", "卫生行政部门", "行政")],
        *[(w, UnitKind.public_medical) for w in ("公立医疗卫生单位", "医疗卫生单位", "医疗")],
        *[(w, UnitKind.affiliated) for w in ("affiliated", "直属单位", "直属")],
    ],
)
def test_parse_kind(word: str, kind: UnitKind) -> None:
    assert parse_kind(word) is kind


@pytest.mark.parametrize(
    ("value", "aliases"),
    [
        ("连妇保、连云港妇保", ["连妇保", "连云港妇保"]),
        ("连妇保,连云港妇保；妇保院", ["连妇保", "连云港妇保", "妇保院"]),
        ("连妇保， 连妇保 ;", ["连妇保"]),
        (None, []),
    ],
)
def test_parse_aliases(value: Any, aliases: list[str]) -> None:
    assert parse_aliases(value) == aliases


# --- happy paths ---------------------------------------------------------------------------


def test_import_builds_the_tree(session: Session, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "tree.xlsx", rows_of(list(reversed(TREE))))
    report = import_units(session=session, path=path)
    assert (report.file, report.sheet) == ("tree.xlsx", "单位")
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert report.rejected == [] and report.rejected_file is None

    units = units_by_code(session)
    moh, js, lyg, fb, dept = (units[c] for c in ("000", "32", "3207", "320701", "32070101"))
    assert moh.parent_id is None and moh.path == f"/{moh.id}/" and moh.depth == 0
    assert dept.parent_id == fb.id
    assert dept.path == f"/{moh.id}/{js.id}/{lyg.id}/{fb.id}/{dept.id}/"
    assert dept.depth == 4
    assert fb.aliases == ["连妇保", "连云港妇保"]
    assert (fb.level, fb.kind) == (Level.institution, UnitKind.public_medical)
    assert (lyg.office_email, lyg.office_webhook, lyg.head) == (
        "office@lyg.example.cn",
        "lyg-wecom",
        "王局长",
    )
    assert moh.office_email is None and moh.aliases == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding(session: Session, tmp_path: Path, encoding: str) -> None:
    path = write_csv_rows(tmp_path / "单位.csv", rows_of(TREE), encoding=encoding)
    report = import_units(session=session, path=path)
    assert (report.sheet, report.created) == ("单位", 5)
    assert units_by_code(session)["320701"].aliases == ["连妇保", "连云港妇保"]


def test_english_headers_and_values(session: Session, tmp_path: Path) -> None:
    rows = [
        ["Unit Code", "Name", "Level", "Kind", "Parent", "Office Email", "Webhook", "Aliases"],
        ["000", "卫生部", "ministry", "health_admin", "", "", "", ""],
        ["32", "江苏省卫生厅", "province", "health_admin", "000", "a@b.cn", "js-office", "苏卫"],
    ]
    report = import_units(session=session, path=write_csv_rows(tmp_path / "units.csv", rows))
    assert report.created == 2
    js = units_by_code(session)["32"]
    assert (js.office_email, js.office_webhook, js.aliases) == ("a@b.cn", "js-office", ["苏卫"])


def test_any_unit_without_parent_is_a_root(session: Session, tmp_path: Path) -> None:
    records = [{"code": "5201", "name": "镇宁县卫食局", "level": "县", "kind": "行政"}]
    import_units(session=session, path=write_csv_rows(tmp_path / "u.csv", rows_of(records)))
    unit = units_by_code(session)["5201"]
    assert (unit.parent_id, unit.depth, unit.path) == (None, 0, f"/{unit.id}/")


def test_parent_may_already_be_in_the_database(
    session: Session, tmp_path: Path, tree: dict[str, Unit]
) -> None:
    records = [{"code": "320702", "name": "连云港市第一人民医院", "level": "单位", "kind": "医疗"}]
    records[0]["parent_code"] = "3207"
    report = import_units(
        session=session, path=write_csv_rows(tmp_path / "more.csv", rows_of(records))
    )
    assert report.created == 1
    new = units_by_code(session)["320702"]
    assert new.parent_id == tree["3207"].id
    assert new.path == f"{tree['3207'].path}{new.id}/" and new.depth == 3


def test_reimport_is_a_no_op(session: Session, tmp_path: Path, tree: dict[str, Unit]) -> None:
    before = snapshot(session)
    report = import_units(session=session, path=tmp_path / "tree.xlsx")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert not session.dirty and not session.new
    assert snapshot(session) == before


def test_changed_fields_are_updated(
    session: Session, tmp_path: Path, tree: dict[str, Unit]
) -> None:
    records = [dict(record) for record in TREE]
    records[3]["aliases"] = "连妇保"
    records[2]["office_email"] = None
    records[1]["name"] = "江苏省卫生和计划生育委员会"
    path = write_csv_rows(tmp_path / "tree.csv", rows_of(records))
    report = import_units(session=session, path=path)
    assert (report.created, report.updated, report.unchanged) == (0, 3, 2)
    session.commit()
    units = units_by_code(session)
    assert units["320701"].aliases == ["连妇保"]
    assert units["3207"].office_email is None
    assert units["32"].name == "江苏省卫生和计划生育委员会"


def test_absent_optional_columns_keep_what_the_database_has(
    session: Session, tmp_path: Path, tree: dict[str, Unit]
) -> None:
    rows = [["单位编码", "单位名称", "层级", "类型"], ["3207", "连云港市卫生局", "市", "行政"]]
    report = import_units(session=session, path=write_csv_rows(tmp_path / "short.csv", rows))
    assert (report.updated, report.unchanged) == (0, 1)
    lyg = units_by_code(session)["3207"]
    assert (lyg.parent_id, lyg.office_webhook) == (tree["32"].id, "lyg-wecom")


def test_moving_a_unit_moves_its_whole_subtree(
    session: Session, tmp_path: Path, tree: dict[str, Unit]
) -> None:
    # 连云港 moves from 江苏 to a new province; its hospital and department are not in the file.
    records = [
        {"code": "15", "name": "内蒙古自治区卫生厅", "level": "省", "kind": "行政"},
        {**TREE[2], "parent_code": "15"},
    ]
    records[0]["parent_code"] = "000"
    report = import_units(
        session=session, path=write_csv_rows(tmp_path / "move.csv", rows_of(records))
    )
    assert (report.created, report.updated) == (1, 1)
    session.commit()
    units = units_by_code(session)
    moh, nm, lyg, fb, dept = (units[c] for c in ("000", "15", "3207", "320701", "32070101"))
    assert lyg.parent_id == nm.id
    assert fb.path == f"/{moh.id}/{nm.id}/{lyg.id}/{fb.id}/"
    assert dept.path == f"{fb.path}{dept.id}/" and dept.depth == 4


# --- validation ----------------------------------------------------------------------------

URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-123"


def _with(index: int, **changes: Any) -> list[dict[str, Any]]:
    records = [dict(record) for record in TREE]
    records[index].update(changes)
    return records


# (case id, records, expected [(row, column, Chinese reason fragment)])
CASES: list[tuple[str, list[dict[str, Any]], list[tuple[int, str, str]]]] = [
    ("empty code", _with(1, code=""), [(3, "单位编码", "单位编码不能为空")]),
    ("blank name", _with(2, name="\u3000"), [(4, "单位名称", "单位名称不能为空")]),
    (
        "duplicate code",
        [*TREE, {**TREE[4], "name": "儿科"}],
        [(6, "单位编码", "重复（另见第7行）"), (7, "单位编码", "重复（另见第6行）")],
    ),
    ("unknown level", _with(3, level="乡"), [(5, "层级", "无法识别的层级「乡」")]),
    ("empty level", _with(3, level=None), [(5, "层级", "层级不能为空")]),
    ("unknown kind", _with(3, kind="民营"), [(5, "类型", "无法识别的单位类型「民营」")]),
    (
        "unknown parent",
        _with(4, parent_code="999"),
        [(6, "上级单位编码", "「999」在本文件和数据库中都不存在")],
    ),
    (
        "parent not above",
        _with(3, level="市"),
        [(5, "上级单位编码", "上级单位「3207」的层级（市）必须高于本单位（市）")],
    ),
    (
        "parent below",
        _with(1, parent_code="3207"),
        [
            (3, "上级单位编码", "上级单位编码形成循环：32 → 3207 → 32"),
            (4, "上级单位编码", "上级单位编码形成循环：32 → 3207 → 32"),
        ],
    ),
    ("self parent", _with(0, parent_code="000"), [(2, "上级单位编码", "循环：000 → 000")]),
    (
        "bad office email",
        _with(2, office_email="office@"),
        [(4, "办公室邮箱", "「office@」格式不正确")],
    ),
    (
        "bad discipline email",
        _with(2, discipline_email="a b@c.cn"),
        [(4, "纪检邮箱", "格式不正确")],
    ),
    ("webhook url", _with(2, office_webhook=URL), [(4, "办公室Webhook", "不得填写含密钥的地址")]),
    ("excel error", _with(3, name="#N/A"), [(5, "单位名称", "Excel 错误值 #N/A")]),
    (
        "too long",
        _with(3, name="院" * 201),
        [(5, "单位名称", "内容过长（201 个字符，最多 200 个）")],
    ),
]


def _orphans(rows: Sequence[int]) -> list[tuple[int, str, str]]:
    return [(row, "上级单位编码", "上级单位所在行无效") for row in rows]


# Rows below a broken row are rejected too (2 is 卫生部 … 6 is 妇产科).
ORPHANS = {
    # Row 3 lost its code, so 32 is unknown to row 4 rather than a broken parent.
    "empty code": [(4, "上级单位编码", "「32」在本文件和数据库中都不存在"), *_orphans([5, 6])],
    "blank name": _orphans([5, 6]),
    "unknown level": _orphans([6]),
    "empty level": _orphans([6]),
    "unknown kind": _orphans([6]),
    "parent not above": _orphans([6]),
    "parent below": _orphans([5, 6]),
    "self parent": _orphans([3, 4, 5, 6]),
    "bad office email": _orphans([5, 6]),
    "bad discipline email": _orphans([5, 6]),
    "webhook url": _orphans([5, 6]),
    "excel error": _orphans([6]),
    "too long": _orphans([6]),
}


def _found(errors: Sequence[Any]) -> list[tuple[int, str, str]]:
    return sorted((e.row, e.column, e.zh) for e in errors)


def _matches(errors: Sequence[Any], expected: Sequence[tuple[int, str, str]]) -> bool:
    found = _found(errors)
    return len(found) == len(expected) and all(
        row == want_row and column == want_column and fragment in zh
        for (row, column, zh), (want_row, want_column, fragment) in zip(
            found, sorted(expected), strict=True
        )
    )


@pytest.mark.parametrize(("records", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_file_is_rejected_whole(
    session: Session,
    tmp_path: Path,
    records: list[dict[str, Any]],
    expected: list[tuple[int, str, str]],
    request: pytest.FixtureRequest,
) -> None:
    case = request.node.callspec.id.split("-", 1)[-1]
    path = write_xlsx(tmp_path / "bad.xlsx", rows_of(records))
    with pytest.raises(ImportRejected) as caught:
        import_units(session=session, path=path)
    errors = caught.value.errors
    want = [*expected, *ORPHANS.get(case, [])]
    assert _matches(errors, want), _found(errors)
    assert all((e.file, e.sheet) == ("bad.xlsx", "单位") and " / " not in e.en for e in errors)
    assert "bad.xlsx" in str(caught.value) and "--skip-invalid" in str(caught.value)
    assert snapshot(session) == []
    assert not (tmp_path / "bad.rejected.csv").exists()


def test_webhook_url_is_never_echoed(session: Session, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", rows_of(_with(2, office_webhook=URL)))
    with pytest.raises(ImportRejected) as caught:
        import_units(session=session, path=path)
    assert "SECRET" not in str(caught.value)
    assert all("SECRET" not in str(error) for error in caught.value.errors)
    report = import_units(session=session, path=path, skip_invalid=True)
    assert report.rejected_file is not None
    assert "SECRET" not in report.rejected_file.read_text(encoding="utf-8-sig")
    assert "SECRET" not in report.model_dump_json()


def test_rejection_leaves_the_database_as_it_was(
    session: Session, tmp_path: Path, tree: dict[str, Unit]
) -> None:
    before = snapshot(session)
    records = [
        {**TREE[1], "name": "改名的省卫生厅"},
        {
            "code": "3208",
            "name": "淮安市卫生局",
            "level": "市",
            "kind": "行政",
            "parent_code": "32",
        },
        {**TREE[2], "parent_code": "nowhere"},
    ]
    with pytest.raises(ImportRejected) as caught:
        import_units(session=session, path=write_csv_rows(tmp_path / "bad.csv", rows_of(records)))
    assert _matches(caught.value.errors, [(4, "上级单位编码", "「nowhere」")])
    assert snapshot(session) == before


def test_a_database_cycle_is_caught(
    session: Session, tmp_path: Path, tree: dict[str, Unit]
) -> None:
    # 江苏 under 妇产科, which (in the database) sits below 江苏.
    records = [{**TREE[1], "parent_code": "32070101"}]
    with pytest.raises(ImportRejected) as caught:
        import_units(session=session, path=write_csv_rows(tmp_path / "loop.csv", rows_of(records)))
    assert _matches(
        caught.value.errors, [(2, "上级单位编码", "循环：32 → 32070101 → 320701 → 3207 → 32")]
    )


def test_a_level_change_must_fit_children_in_the_database(
    session: Session, tmp_path: Path, tree: dict[str, Unit]
) -> None:
    records = [{**TREE[3], "level": "科室"}]
    with pytest.raises(ImportRejected) as caught:
        import_units(session=session, path=write_csv_rows(tmp_path / "lvl.csv", rows_of(records)))
    assert _matches(caught.value.errors, [(2, "层级", "数据库中的下级单位「32070101」是科室级")])


def test_skip_invalid_imports_the_good_rows_and_quarantines_the_rest(
    session: Session, tmp_path: Path
) -> None:
    records = [
        *(dict(record) for record in TREE),
        {
            "code": "3208",
            "name": "淮安市卫生局",
            "level": "市",
            "kind": "行政",
            "parent_code": "32",
        },
        {"code": "320801", "name": "淮安市第一人民医院", "level": "火星", "kind": "医疗"},
        {"code": "32080101", "name": "内科", "level": "科室", "kind": "医疗"},
        {
            "code": "3209",
            "name": "盐城市卫生局",
            "level": "市",
            "kind": "行政",
            "parent_code": "32",
        },
    ]
    records[6]["parent_code"] = "3208"
    records[7]["parent_code"] = "320801"
    records[2]["office_webhook"] = URL
    path = write_xlsx(tmp_path / "mixed.xlsx", rows_of(records))

    report = import_units(session=session, path=path, skip_invalid=True)

    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert set(units_by_code(session)) == {"000", "32", "3208", "3209"}
    assert report.rejected_file == tmp_path / "mixed.rejected.csv"
    assert _matches(
        report.rejected,
        [
            (4, "办公室Webhook", "不得填写含密钥的地址"),
            *_orphans([5, 6]),
            (8, "层级", "无法识别的层级「火星」"),
            *_orphans([9]),
        ],
    )
    raw = report.rejected_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == [*HEADERS, "行号", "列", "原因", "reason"]
    assert [line[-4] for line in lines[1:]] == ["4", "5", "6", "8", "9"]
    assert lines[1][0] == "3207" and lines[1][7] == ""  # the URL is not copied
    assert lines[4][3] == "火星" and lines[4][-1].startswith("unknown level '火星'")


def test_skip_invalid_with_nothing_wrong_writes_no_file(session: Session, tmp_path: Path) -> None:
    path = write_csv_rows(tmp_path / "ok.csv", rows_of(TREE))
    report = import_units(session=session, path=path, skip_invalid=True)
    assert report.created == 5 and report.rejected_file is None
    assert not (tmp_path / "ok.rejected.csv").exists()
