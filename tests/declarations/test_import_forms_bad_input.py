"""Broken form files: each gets one clear bilingual error and leaves the database as it was."""

from __future__ import annotations

import random
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from qinglian.core.errors import ImportRejected, QinglianError
from tests.declarations.test_import_forms import (
    World,
    build_world,
    counts,
    run_import,
    table_of,
    valid_sheets,
    write_csv_dir,
    write_xlsx,
)
from tests.factories import write_csv_rows, write_xlsx_rows


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _basics_workbook(path: Path, rows: list[list[object]], title: str = "基本情况") -> Path:
    return write_xlsx_rows(path, rows, title=title)


BASICS_HEADER = [
    "工号",
    "姓名",
    "单位编码",
    "职务",
    "适用类别",
    "是否离职或退休三年内",
    "无报告事项",
]


def wrong_headers(tmp: Path) -> Path:
    return _basics_workbook(tmp / "f.xlsx", [["编号", "名字", "备注"], ["F001", "顾扬", "无"]])


def missing_staff_no_column(tmp: Path) -> Path:
    return _basics_workbook(tmp / "f.xlsx", [["姓名", "无报告事项"], ["顾扬", "是"]])


def merged_staff_no(tmp: Path) -> Path:
    path = write_xlsx(tmp / "f.xlsx", valid_sheets())
    workbook = load_workbook(path)
    # 工号 F001 written once and merged down over both of F001's relatives.
    sheet = workbook["亲属从业"]
    sheet["A3"] = None
    sheet.merge_cells("A2:A3")
    workbook.save(path)
    return path


def empty_basics_sheet(tmp: Path) -> Path:
    return _basics_workbook(tmp / "f.xlsx", [])


def header_only(tmp: Path) -> Path:
    return _basics_workbook(tmp / "f.xlsx", [BASICS_HEADER])


def basics_sheet_missing(tmp: Path) -> Path:
    sheets = valid_sheets()
    del sheets["基本情况"]
    return write_xlsx(tmp / "f.xlsx", sheets)


def unknown_extra_sheet(tmp: Path) -> Path:
    sheets = valid_sheets()
    relatives = sheets.pop("亲属从业")
    workbook = load_workbook(write_xlsx(tmp / "f.xlsx", sheets))
    renamed = workbook.create_sheet("亲属情况")  # not a section name: never skipped silently
    for row in table_of("亲属从业", relatives):
        renamed.append(row)
    workbook.save(tmp / "f.xlsx")
    return tmp / "f.xlsx"


def formulas_without_results(tmp: Path) -> Path:
    return _basics_workbook(
        tmp / "f.xlsx",
        [
            [*BASICS_HEADER, "填报日期"],
            ["F002", "李敏", "FB", "副院长", 3, "否", "是", "=TODAY()"],
        ],
    )


def text_in_date_cells(tmp: Path) -> Path:
    return _basics_workbook(
        tmp / "f.xlsx",
        [[*BASICS_HEADER, "填报日期"], ["F002", "李敏", "FB", "副院长", 3, "否", "是", "上周五"]],
    )


def excel_error_values(tmp: Path) -> Path:
    return _basics_workbook(
        tmp / "f.xlsx",
        [BASICS_HEADER, ["#REF!", "李敏", "FB", "副院长", 3, "否", "是"]],
    )


def truncated_xlsx(tmp: Path) -> Path:
    good = write_xlsx(tmp / "good.xlsx", valid_sheets()).read_bytes()
    path = tmp / "f.xlsx"
    path.write_bytes(good[: len(good) // 2])
    return path


def xls_renamed(tmp: Path) -> Path:
    path = tmp / "f.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    return path


def zip_but_not_xlsx(tmp: Path) -> Path:
    path = tmp / "f.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return path


def junk_xlsx(tmp: Path) -> Path:
    path = tmp / "f.xlsx"
    path.write_bytes(random.Random(7).randbytes(10 * 1024 * 1024))
    return path


def junk_csv(tmp: Path) -> Path:
    path = tmp / "基本情况.csv"
    path.write_bytes(random.Random(8).randbytes(10 * 1024 * 1024))
    return path


def junk_zip_named_xlsx(tmp: Path) -> Path:
    path = tmp / "f.xlsx"
    path.write_bytes(b"PK\x03\x04" + random.Random(9).randbytes(10 * 1024 * 1024))
    return path


def missing_file(tmp: Path) -> Path:
    return tmp / "nowhere.xlsx"


def csv_dir_with_a_stray_file(tmp: Path) -> Path:
    directory = write_csv_dir(tmp / "forms", valid_sheets())
    write_csv_rows(directory / "亲属.csv", [["工号"], ["F001"]])
    return directory


def csv_dir_without_basics(tmp: Path) -> Path:
    sheets = valid_sheets()
    del sheets["基本情况"]
    return write_csv_dir(tmp / "forms", sheets)


def empty_directory(tmp: Path) -> Path:
    (tmp / "forms").mkdir()
    return tmp / "forms"


def empty_csv(tmp: Path) -> Path:
    path = tmp / "基本情况.csv"
    path.write_bytes(b"")
    return path


def two_sheets_for_one_section(tmp: Path) -> Path:
    sheets = valid_sheets()
    path = write_xlsx(tmp / "f.xlsx", sheets)
    workbook = load_workbook(path)
    copy = workbook.copy_worksheet(workbook["亲属从业"])
    copy.title = "亲属从业情况"
    workbook.save(path)
    return path


CORPUS: list[tuple[Callable[[Path], Path], type[QinglianError], str, str]] = [
    # (builder, error type, Chinese fragment, English fragment)
    (wrong_headers, QinglianError, "缺少必填列「工号」", "missing required column"),
    (missing_staff_no_column, QinglianError, "缺少必填列「工号」", "missing required column"),
    (merged_staff_no, ImportRejected, "", ""),
    (empty_basics_sheet, QinglianError, "表格是空的", "the table is empty"),
    (header_only, QinglianError, "没有任何数据行", "no data rows"),
    (basics_sheet_missing, QinglianError, "缺少工作表「基本情况」", "no sheet 基本情况"),
    (unknown_extra_sheet, QinglianError, "无法识别的工作表「亲属情况」", "unknown sheet"),
    (formulas_without_results, ImportRejected, "", ""),
    (text_in_date_cells, ImportRejected, "", ""),
    (excel_error_values, ImportRejected, "", ""),
    (truncated_xlsx, QinglianError, "无法读取 Excel 文件", "cannot read the Excel file"),
    (xls_renamed, QinglianError, "旧版 .xls", "old .xls"),
    (zip_but_not_xlsx, QinglianError, "无法读取 Excel 文件", "cannot read the Excel file"),
    (junk_xlsx, QinglianError, "不是有效的 .xlsx 文件", "not a valid .xlsx"),
    (junk_csv, QinglianError, "不是可识别的表格文件", "not a recognisable table"),
    (junk_zip_named_xlsx, QinglianError, "无法读取 Excel 文件", "cannot read the Excel file"),
    (missing_file, QinglianError, "文件不存在", "no such file"),
    (csv_dir_with_a_stray_file, QinglianError, "无法识别的 CSV 文件", "unknown CSV file"),
    (csv_dir_without_basics, QinglianError, "没有 基本情况.csv", "no 基本情况.csv"),
    (empty_directory, QinglianError, "没有 基本情况.csv", "no 基本情况.csv"),
    (empty_csv, QinglianError, "表格是空的", "the table is empty"),
    (two_sheets_for_one_section, QinglianError, "都是「亲属从业」", "are both"),
]
# What the rejected rows say, for the inputs that get as far as row checks.
ROW_REASONS: dict[str, tuple[str, int, str, str]] = {
    "merged_staff_no": ("亲属从业", 3, "工号", "A2:A3 是合并单元格"),
    "formulas_without_results": ("基本情况", 2, "填报日期", "单元格 H2 是公式"),
    "text_in_date_cells": ("基本情况", 2, "填报日期", "无法识别的日期「上周五」"),
    "excel_error_values": ("基本情况", 2, "工号", "Excel 错误值 #REF!"),
}


@pytest.mark.parametrize(
    ("build", "error_type", "zh", "en"), CORPUS, ids=[item[0].__name__ for item in CORPUS]
)
def test_broken_input_is_refused_and_changes_nothing(
    session: Session,
    world: World,
    tmp_path: Path,
    build: Callable[[Path], Path],
    error_type: type[QinglianError],
    zh: str,
    en: str,
) -> None:
    # Something is in the campaign already, so "unchanged" means more than "still empty".
    run_import(session, world, write_csv_dir(tmp_path / "first", valid_sheets()))
    path = build(tmp_path)
    before = counts(session)
    with pytest.raises(QinglianError) as caught:
        run_import(session, world, path, as_of=date(2012, 9, 2))
    session.rollback()
    assert counts(session) == before
    error = caught.value
    assert type(error) is error_type, error
    assert error.zh and error.en and error.zh != error.en
    assert " / " in str(error) and "Traceback" not in str(error)
    assert zh in error.zh and en in error.en
    if isinstance(error, ImportRejected):
        sheet, row, column, reason = ROW_REASONS[build.__name__]
        assert any(
            (e.sheet, e.row, e.column) == (sheet, row, column) and reason in e.zh and e.en
            for e in error.errors
        ), "\n".join(map(str, error.errors))
    assert not list(tmp_path.glob("*.rejected.csv"))


def test_a_gb18030_csv_is_valid(session: Session, world: World, tmp_path: Path) -> None:
    directory = write_csv_dir(tmp_path / "forms", valid_sheets(), encoding="gb18030")
    data = (directory / "基本情况.csv").read_bytes()
    assert data.startswith("工号".encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = run_import(session, world, directory)
    assert report.created == 5


def test_a_merged_title_row_above_the_header_is_harmless(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = _basics_workbook(
        tmp_path / "f.xlsx",
        [
            ["卫生系统领导干部防止利益冲突有关事项报告表（基本情况）"],
            BASICS_HEADER,
            ["F002", "李敏", "FB", "副院长", 3, "否", "是"],
        ],
    )
    workbook = load_workbook(path)
    workbook["基本情况"].merge_cells("A1:G1")
    workbook.save(path)
    assert run_import(session, world, path).created == 1


def test_an_empty_section_sheet_means_no_rows(
    session: Session, world: World, tmp_path: Path
) -> None:
    sheets = valid_sheets()
    path = write_xlsx(
        tmp_path / "f.xlsx",
        {"基本情况": [row for row in sheets["基本情况"] if row.get("无报告事项") == "是"]},
    )
    workbook = load_workbook(path)
    workbook.create_sheet("亲属从业")  # no header, no rows
    workbook.create_sheet("Sheet1")  # an empty scratch sheet
    workbook.save(path)
    report = run_import(session, world, path)
    assert report.created == 2 and report.sheets == ["基本情况"]
