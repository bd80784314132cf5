"""Reading exchange files and parsing their cells (qinglian.exchange)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from qinglian.core.errors import QinglianError, RowError
from qinglian.exchange.cells import (
    excel_error_keys,
    is_excel_error,
    parse_bool,
    parse_code,
    parse_date,
    parse_int,
    parse_text,
)
from qinglian.exchange.quarantine import rejected_path, write_rejected
from qinglian.exchange.reading import read_rows
from qinglian.exchange.rows import RowCells
from qinglian.exchange.table import ColumnSpec, TableRead
from tests.factories import write_csv_rows, write_xlsx_rows

COLUMNS = (
    ColumnSpec("code", "单位编码", ("unit code", "code"), required=True),
    ColumnSpec("name", "单位名称", ("unit name",), required=True),
    ColumnSpec("founded", "成立日期", ("founded on",)),
)


# One sheet named 单位; CSV in UTF-8 without a BOM unless a test asks otherwise.
write_xlsx = partial(write_xlsx_rows, title="单位")
write_csv = partial(write_csv_rows, encoding="utf-8")


# --- cell parsers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2012-08-09", date(2012, 8, 9)),
        ("2012/8/9", date(2012, 8, 9)),
        ("2012.8.9", date(2012, 8, 9)),
        ("2012年8月9日", date(2012, 8, 9)),
        ("2012年08月09号", date(2012, 8, 9)),
        ("２０１２年８月９日", date(2012, 8, 9)),
        (" 2012-08-09\u3000", date(2012, 8, 9)),
        ("2012-08-09 00:00:00", date(2012, 8, 9)),
        ("2012-12-10T23:59", date(2012, 12, 10)),
        ("2012-12-10 08:30:15.5", date(2012, 12, 10)),
        ("20120809", date(2012, 8, 9)),
        (datetime(2012, 8, 9, 15, 30), date(2012, 8, 9)),
        (date(2012, 8, 9), date(2012, 8, 9)),
        (41130, date(2012, 8, 9)),
        (41130.75, date(2012, 8, 9)),
        ("41130", date(2012, 8, 9)),
        ("41130.0", date(2012, 8, 9)),
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (2958465, date(9999, 12, 31)),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_parse_date_accepts(value: Any, expected: date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2012-13-01",
        "2012-02-30",
        "2012年2月30日",
        "2012/8",
        "2012-12-10T25:99",  # a date with an impossible time of day
        "2012-12-10 23:60",
        "2012-12-10 12:00:61",
        "next week",
        "八月九日",
        0,
        -5,
        60,
        2958466,
        "99999999",
        float("nan"),
        True,
    ],
)
def test_parse_date_rejects(value: Any) -> None:
    with pytest.raises(ValueError, match=" / "):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[
            (v, True)
            for v in ("是", "Y", "y", "yes", "YES", "true", "True", "1", "√", "ｙ", 1, True)
        ],
        *[(v, False) for v in ("否", "N", "no", "false", "0", "×", 0, 0.0, False)],
        (None, None),
        ("", None),
        ("\u3000", None),
    ],
)
def test_parse_bool(value: Any, expected: bool | None) -> None:
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["maybe", "2", 2, 0.5, "是否"])
def test_parse_bool_rejects(value: Any) -> None:
    with pytest.raises(ValueError, match=r"是.*否"):
        parse_bool(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (3.0, 3),
        ("3", 3),
        (" ３ ", 3),
        ("1,200", 1200),
        ("-2", -2),
        ("4.0", 4),
        (None, None),
    ],
)
def test_parse_int(value: Any, expected: int | None) -> None:
    assert parse_int(value) == expected


@pytest.mark.parametrize("value", ["3.5", 3.5, "three", True, "1e3"])
def test_parse_int_rejects(value: Any) -> None:
    with pytest.raises(ValueError, match="不是整数 / "):
        parse_int(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  连妇保\u3000", "连妇保"),
        ("\ufeff\u200b卫生部 ", "卫生部"),
        (320700, "320700"),
        (320700.0, "320700"),
        (1.5, "1.5"),
        (date(2012, 8, 9), "2012-08-09"),
        (datetime(2012, 8, 9), "2012-08-09"),
    ],
)
def test_parse_text(value: Any, expected: str) -> None:
    assert parse_text(value) == expected


def test_parse_code_folds_full_width() -> None:
    assert parse_code(" ３２０７ＡＢ ") == "3207AB"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("#N/A", True),
        ("#REF!", True),
        ("#VALUE!", True),
        ("#DIV/0!", True),
        ("#NAME?", True),
        (" #n/a ", True),
        ("#1号楼", False),
        ("N/A", False),
        (None, False),
        (0, False),
    ],
)
def test_is_excel_error(value: Any, expected: bool) -> None:
    assert is_excel_error(value) is expected


def test_row_cells_turn_excel_errors_into_row_errors() -> None:
    table = TableRead(file="f.xlsx", sheet="单位", columns={"code": "单位编码", "name": "名称"})
    record = {"code": "#REF!", "name": "卫生部"}
    assert excel_error_keys(record) == ["code"]
    cells = RowCells(table, COLUMNS, 7, record)
    assert cells.get("code", parse_text, "") == ""
    assert cells.get("name", parse_text, "") == "卫生部"
    assert cells.errors == [
        RowError(
            "f.xlsx",
            "单位",
            7,
            "单位编码",
            "单元格是 Excel 错误值 #REF!，请修正公式或填写实际值",
            "the cell holds the Excel error #REF!; fix the formula or enter the value",
        )
    ]


# --- reading files -------------------------------------------------------------------------


def test_read_xlsx_numbers_rows_as_excel_does(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "units.xlsx",
        [
            ["单位编码", "单位名称", "成立日期", "备注"],
            [320700, "连云港市卫生局", datetime(2012, 8, 9), "ignored"],
            [None, None, None, None],
            ["", "  ", None, "only an ignored column"],
            ["320701", "连云港市妇幼保健院", 41130, None],
        ],
    )
    table = read_rows(path, COLUMNS)
    assert table.file == "units.xlsx"
    assert table.sheet == "单位"
    assert table.columns == {"code": "单位编码", "name": "单位名称", "founded": "成立日期"}
    assert table.rows == [
        (2, {"code": 320700, "name": "连云港市卫生局", "founded": datetime(2012, 8, 9)}),
        (5, {"code": "320701", "name": "连云港市妇幼保健院", "founded": 41130}),
    ]


def test_read_xlsx_skips_a_title_row_above_the_header(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "units.xlsx",
        [["连云港市卫生系统单位名单"], [], ["单位编码", "单位名称"], ["320700", "连云港市卫生局"]],
    )
    assert read_rows(path, COLUMNS).rows == [(4, {"code": "320700", "name": "连云港市卫生局"})]


def test_read_xlsx_keeps_excel_error_values_visible(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "u.xlsx", [["单位编码", "单位名称"], ["#N/A", "卫生部"]])
    ((_, record),) = read_rows(path, COLUMNS).rows
    assert excel_error_keys(record) == ["code"]


def test_read_xlsx_picks_the_sheet_that_has_the_table(tmp_path: Path) -> None:
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["请按模板填写"])
    data = workbook.create_sheet("单位")
    data.append(["单位编码", "单位名称"])
    data.append(["000", "卫生部"])
    other = workbook.create_sheet("另一张")
    other.append(["单位编码", "单位名称"])
    other.append(["111", "内蒙古自治区卫生厅"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)

    assert read_rows(path, COLUMNS).sheet == "单位"
    chosen = read_rows(path, COLUMNS, sheet="另一张")
    assert (chosen.sheet, chosen.rows) == (
        "另一张",
        [(2, {"code": "111", "name": "内蒙古自治区卫生厅"})],
    )
    with pytest.raises(QinglianError, match=r"没有名为「不存在」的工作表.*填表说明"):
        read_rows(path, COLUMNS, sheet="不存在")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_read_csv_encodings_and_delimiters(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = write_csv(
        tmp_path / "单位.csv",
        [
            ["单位编码", "单位名称", "成立日期"],
            ["320701", "连云港市妇幼保健院（连妇保）", "2012年8月9日"],
            ["", "", ""],
            ["320702", "多行\n名称, 带逗号", ""],
        ],
        encoding=encoding,
        delimiter=delimiter,
    )
    table = read_rows(path, COLUMNS)
    assert table.sheet == "单位"
    assert table.rows == [
        (2, {"code": "320701", "name": "连云港市妇幼保健院（连妇保）", "founded": "2012年8月9日"}),
        (4, {"code": "320702", "name": "多行\n名称, 带逗号", "founded": None}),
    ]


def test_read_csv_utf16_unicode_text_export(tmp_path: Path) -> None:
    path = tmp_path / "units.txt"
    path.write_bytes("单位编码\t单位名称\r\n000\t卫生部\r\n".encode("utf-16"))
    assert read_rows(path, COLUMNS).rows == [(2, {"code": "000", "name": "卫生部"})]


@pytest.mark.parametrize(
    "headers",
    [
        ["Unit Code", "unit name", "Founded On"],
        ["UNIT_CODE", "Unit_Name", "founded_on"],
        ["ｃｏｄｅ", "ＵＮＩＴ　ＮＡＭＥ", "founded"],
        ["*单位编码", " 单位名称 ", "成立 日期"],
    ],
)
def test_headers_match_aliases_loosely(tmp_path: Path, headers: list[str]) -> None:
    path = write_csv(tmp_path / "u.csv", [headers, ["000", "卫生部", ""]])
    table = read_rows(path, COLUMNS)
    assert list(table.columns) == ["code", "name", "founded"]
    assert table.columns["code"] == headers[0].strip()
    assert table.rows == [(2, {"code": "000", "name": "卫生部", "founded": None})]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_missing_required_header_names_file_sheet_and_column(tmp_path: Path, kind: str) -> None:
    rows = [["单位编码", "成立日期", "其他"], ["000", "2012-01-01", "x"]]
    path = (
        write_xlsx(tmp_path / "u.xlsx", rows)
        if kind == "xlsx"
        else write_csv(tmp_path / "u.csv", rows)
    )
    with pytest.raises(QinglianError) as caught:
        read_rows(path, COLUMNS)
    message = str(caught.value)
    sheet = "单位" if kind == "xlsx" else "u"
    assert f"{path.name} [{sheet}]" in message
    assert "缺少必填列「单位名称」" in caught.value.zh
    assert "单位编码*、单位名称*、成立日期" in caught.value.zh
    assert "missing required column(s) 单位名称 (name)" in caught.value.en


def test_a_file_without_any_known_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [["a", "b"], ["1", "2"]])
    with pytest.raises(QinglianError, match="缺少必填列「单位编码」「单位名称」"):
        read_rows(path, COLUMNS)


def test_a_column_given_twice_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [["单位编码", "单位名称", "code"], ["1", "2", "3"]])
    with pytest.raises(QinglianError, match="列「单位编码」出现了两次"):
        read_rows(path, COLUMNS)


def _valid_xlsx_bytes(tmp_path: Path) -> bytes:
    return write_xlsx(
        tmp_path / "good.xlsx", [["单位编码", "单位名称"], ["000", "卫生部"]]
    ).read_bytes()


def _truncated(tmp_path: Path) -> bytes:
    return _valid_xlsx_bytes(tmp_path)[:-200]


def _bad_sheet_xml(tmp_path: Path) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(_valid_xlsx_bytes(tmp_path)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("u.xlsx", _truncated, "无法读取 Excel 文件"),
        ("u.xlsx", _bad_sheet_xml, "无法读取 Excel 文件"),
        ("u.xlsx", lambda _: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "旧版 .xls"),
        ("u.xls", lambda _: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "旧版 .xls"),
        ("u.xlsx", lambda _: "单位编码,单位名称\n".encode(), "不是有效的 .xlsx"),
        ("u.xlsx", lambda _: b"", "不是有效的 .xlsx"),
        ("u.csv", lambda _: b"\x00\x01\x02binary\x00", "不是可识别的表格文件"),
        ("u.csv", lambda _: b"\xff\xfe\xfd" * 10 + b"\x81", "不是可识别的表格文件"),
        ("u.csv", lambda _: b"", "表格是空的"),
        ("u.csv", lambda _: b"\n\n,,\n", "表格是空的"),
        ("u.csv", lambda _: b'a,"b\x00c', "不是可识别的表格文件"),
    ],
)
def test_unreadable_files_give_one_bilingual_line(
    tmp_path: Path, name: str, content: Any, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content(tmp_path))
    with pytest.raises(QinglianError) as caught:
        read_rows(path, COLUMNS)
    assert message in caught.value.zh
    assert name in str(caught.value)
    assert " / " in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(QinglianError, match=r"nope\.xlsx: 文件不存在"):
        read_rows(tmp_path / "nope.xlsx", COLUMNS)
    with pytest.raises(QinglianError, match="是目录"):
        read_rows(tmp_path, COLUMNS)


# --- quarantine ----------------------------------------------------------------------------


def test_write_rejected_is_an_excel_friendly_csv(tmp_path: Path) -> None:
    source = tmp_path / "单位.xlsx"
    table = TableRead(
        file=source.name, sheet="单位", columns={"code": "单位编码", "name": "单位名称"}
    )
    records = {3: {"code": "=cmd|' /C calc'!A0", "name": date(2012, 8, 9)}, 5: {"code": "7"}}
    errors = [
        RowError(source.name, "单位", 3, "单位编码", "甲", "a"),
        RowError(source.name, "单位", 3, "单位名称", "乙", "b"),
        RowError(source.name, "单位", 5, "单位名称", "丙", "c"),
    ]
    target = write_rejected(source, table, records, errors)
    assert target == rejected_path(source) == tmp_path / "单位.rejected.csv"
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == [
        ["单位编码", "单位名称", "行号", "列", "原因", "reason"],
        ["'=cmd|' /C calc'!A0", "2012-08-09", "3", "单位编码、单位名称", "甲；乙", "a; b"],
        ["7", "", "5", "单位名称", "丙", "c"],
    ]
