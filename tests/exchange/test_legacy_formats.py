"""Old Excel 97–2003 (.xls) and WPS (.et) workbooks are read like an .xlsx, with the same row
errors; what only pretends to be one, or is built to exhaust memory, is refused in one line
(qinglian.exchange.legacy, compound_file, xls_guard).

The database kind plays no part here, so the importers run on an in-memory SQLite database of
the test's own.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from models import Cadre, Level, Unit, UnitKind  # importing models registers every table
from qinglian.campaigns.import_deliveries import DELIVERY_COLUMNS
from qinglian.complaints.import_complaints import COMPLAINT_COLUMNS
from qinglian.core.errors import ImportRejected, QinglianError, RowError
from qinglian.exchange.reading import read_rows
from qinglian.exchange.table import ColumnSpec, TableRead
from qinglian.exchange.xls_guard import MAX_LEGACY_BYTES, MAX_LEGACY_TEXT
from qinglian.inspection.result_rows import INSPECTION_COLUMNS
from qinglian.org.import_cadres import CADRE_COLUMNS, import_cadres
from qinglian.org.import_units import UNIT_COLUMNS, import_units
from qinglian.rectification.import_ledger import RECTIFICATION_COLUMNS
from qinglian.rectification.import_regulations import RULES_REVIEW_COLUMNS
from qinglian.reporting.import_narratives import NARRATIVE_COLUMNS
from tests.declarations import test_import_forms_bad_input as bad_forms
from tests.declarations.test_import_forms import (
    build_world,
    counts,
    run_import,
    valid_sheets,
    write_xlsx,
)
from tests.exchange.legacy_files import (
    BOUNDSHEET,
    EMPTY_RESULT,
    FILEPASS,
    biff_workbook,
    compound_file,
    dimensions,
    error_result,
    formula,
    label,
    number,
    record,
    sector_offset,
    shared_label,
    shared_strings,
    write_xls,
    xls_copy,
)
from tests.factories import add_units

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
AS_OF = date(2012, 9, 1)
UNITS = [
    ("JS", "江苏省卫生厅", Level.province, UnitKind.health_admin, None),
    ("FB", "连云港市妇幼保健院", Level.institution, UnitKind.public_medical, "JS"),
]
CADRE_HEADER = ["工号", "姓名", "单位编码", "职务", "适用类别", "是否离退休", "离任日期"]


@pytest.fixture
def db() -> Iterator[Session]:
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def write_xlsx_sheets(path: Path, sheets: Mapping[str, Sequence[Sequence[Any]]]) -> Path:
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(list(row))
    workbook.save(path)
    return path


def both(tmp_path: Path, sheets: Mapping[str, Sequence[Sequence[Any]]]) -> list[Path]:
    """The same sheets as .xlsx, as .xls, and as a WPS .et (the same BIFF8 file as the .xls:
    what WPS writes for .et)."""
    xlsx = write_xlsx_sheets(tmp_path / "名册.xlsx", sheets)
    xls = write_xls(tmp_path / "名册.xls", sheets)
    et = tmp_path / "名册.et"
    et.write_bytes(xls.read_bytes())
    return [xlsx, xls, et]


def placed(rows: Sequence[Sequence[Any]], *, top: int = 0, left: int = 0) -> list[list[Any]]:
    """``rows`` under ``top`` title rows and right of ``left`` empty columns."""
    title: list[list[Any]] = [["适用对象名册（2012年）"]] if top else []
    return [*title, *([[]] * (top - len(title))), *([None] * left + list(row) for row in rows)]


# --- the same rows, the same row errors --------------------------------------------------------

BAD_CADRES: dict[str, list[list[Any]]] = {
    "codes-names-categories": [
        CADRE_HEADER,
        ["001", "顾扬", "FB", "院长", 3, "否", None],
        ["F 002", "李敏", "FB", "副院长", 5, "否", None],
        ["F003", None, "XX", "副院长", 2.5, "也许", None],
        [320700, "王\u200b建国", "FB", None, "第三类", True, None],
    ],
    "dates": [
        CADRE_HEADER,
        ["F004", "王建国", "FB", "原副院长", 3, "是", date(2030, 1, 1)],
        ["F005", "赵老", "FB", "原院长", 3, "是", "去年"],
        ["F006", "陈静", "FB", "科主任", 4, "是", 41130],
        ["F007", "李局长", "FB", "局长", 1, "是", datetime(2012, 8, 9, 13, 5)],
        ["F010", "钱某", "FB", "局长", 1, "是", 3_000_000],
        ["F011", "孙某", "FB", "局长", 1, "是", time(8, 30)],
    ],
    "error-values": [
        CADRE_HEADER,
        ["#N/A", "顾扬", "FB", "院长", 3, "否", None],
        ["F008", "李敏", "#REF!", "院长", "#DIV/0!", "#NAME?", "#VALUE!"],
    ],
    "repeats-and-blank-rows": [
        CADRE_HEADER,
        ["F009", "甲", "FB", None, 3, None, None],
        [],
        [None, " ", "\u3000", None, None, None, None],
        ["F009", "乙", "FB", None, 3, None, None],
    ],
}
LAYOUTS = {"from-A1": (0, 0), "title-rows-and-offset": (3, 2)}


def _cadre_errors(session: Session, path: Path) -> list[tuple[Any, ...]]:
    with pytest.raises(ImportRejected) as caught:
        import_cadres(session=session, path=path, as_of=AS_OF)
    session.rollback()
    errors = caught.value.errors
    assert all(error.file == path.name for error in errors)
    return [(e.sheet, e.row, e.column, e.zh, e.en) for e in errors]


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=list(LAYOUTS))
@pytest.mark.parametrize("rows", BAD_CADRES.values(), ids=list(BAD_CADRES))
def test_xls_and_et_give_the_row_errors_of_the_same_xlsx(
    db: Session, tmp_path: Path, rows: list[list[Any]], layout: tuple[int, int]
) -> None:
    add_units(db, UNITS)
    db.commit()
    top, left = layout
    xlsx, xls, et = both(tmp_path, {"干部名册": placed(rows, top=top, left=left)})
    expected = _cadre_errors(db, xlsx)
    assert expected and all(error[1] > top for error in expected)
    assert _cadre_errors(db, xls) == expected
    assert _cadre_errors(db, et) == expected
    assert db.exec(select(func.count()).select_from(Cadre)).one() == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        path.name for path in (xlsx, xls, et)
    )


# --- every importer's table reads alike -------------------------------------------------------

IMPORTERS: dict[str, tuple[ColumnSpec, ...]] = {
    "units": UNIT_COLUMNS,
    "cadres": CADRE_COLUMNS,
    "complaints": COMPLAINT_COLUMNS,
    "deliveries": DELIVERY_COLUMNS,
    "rectification-ledger": RECTIFICATION_COLUMNS,
    "rules-review": RULES_REVIEW_COLUMNS,
    "inspection-results": INSPECTION_COLUMNS,
    "summaries": NARRATIVE_COLUMNS,
}
# Cells of every kind an office types; each column gets them in turn.
SAMPLES: tuple[Any, ...] = (
    "001",
    320700,
    1.5,
    date(2012, 8, 9),
    datetime(2012, 8, 9, 13, 5),
    True,
    " 文本\u3000",
    41130,
    "#N/A",
    time(8, 30),
    False,
    "0320",
)


def _plain(value: Any) -> Any:
    """A cell as an importer's parsers see it: a date at midnight is that date; a whole float
    is that whole number (openpyxl and calamine differ only so)."""
    if isinstance(value, datetime) and value.time() == time():
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _table(table: TableRead) -> tuple[Any, ...]:
    rows = [(n, {key: _plain(value) for key, value in row.items()}) for n, row in table.rows]
    return table.sheet, table.columns, rows


@pytest.mark.parametrize("columns", IMPORTERS.values(), ids=list(IMPORTERS))
def test_every_importers_table_reads_from_xls_and_et_as_from_xlsx(
    tmp_path: Path, columns: tuple[ColumnSpec, ...]
) -> None:
    headers = [spec.header for spec in columns]
    body = [
        [SAMPLES[(row + column) % len(SAMPLES)] for column in range(len(columns))]
        for row in range(len(SAMPLES))
    ]
    xlsx, xls, et = both(tmp_path, {"表": [["汇总表"], headers, *body]})
    expected = read_rows(xlsx, columns)
    assert expected.rows[0][0] == 3 and len(expected.rows) == len(SAMPLES)
    for legacy in (xls, et):
        table = read_rows(legacy, columns)
        assert table.file == legacy.name
        assert _table(table) == _table(expected)
    codes = [row[columns[0].key] for _, row in read_rows(xls, columns).rows]
    assert "001" in codes and "0320" in codes and 320700 in codes  # never 1.0 or 320700.0


def test_a_sheet_is_chosen_by_title_and_a_missing_one_is_named(tmp_path: Path) -> None:
    sheets = {
        "说明": [["请在下一页填写"]],
        "单位": [["单位编码", "单位名称"], ["JS", "江苏省卫生厅"]],
    }
    _, xls, _ = both(tmp_path, sheets)
    columns = UNIT_COLUMNS[:2]
    assert read_rows(xls, columns).sheet == "单位"  # the first sheet with the table
    assert read_rows(xls, columns, sheet="单位").rows == [
        (2, {"code": "JS", "name": "江苏省卫生厅"})
    ]
    with pytest.raises(QinglianError) as caught:
        read_rows(xls, columns, sheet="干部")
    assert "没有名为「干部」的工作表（现有：说明、单位）" in caught.value.zh


# --- what calamine does not hand over ----------------------------------------------------------


def test_formula_results_that_are_errors_or_empty_are_reported(db: Session, tmp_path: Path) -> None:
    add_units(db, UNITS)
    db.commit()
    header = [label(0, column, text) for column, text in enumerate(CADRE_HEADER)]
    row = [label(1, 0, "F001"), label(1, 1, "顾扬"), label(1, 2, "FB"), number(1, 4, 3)]
    cells = [*header, *row, formula(1, 6, error_result(0x07)), formula(2, 1, EMPTY_RESULT)]
    path = tmp_path / "名册.xls"
    path.write_bytes(compound_file(biff_workbook({"干部名册": cells})))
    errors = _cadre_errors(db, path)
    assert errors == [
        (
            "干部名册",
            2,
            "离任日期",
            "单元格是 Excel 错误值 #DIV/0!，请修正公式或填写实际值",
            "the cell holds the Excel error #DIV/0!; fix the formula or enter the value",
        )
    ]


# --- the multi-sheet report form (报告表) ---------------------------------------------------------

FORMS: dict[str, Callable[[Path], Path]] = {
    "valid": lambda tmp: write_xlsx(tmp / "f.xlsx", valid_sheets()),
    "wrong-headers": bad_forms.wrong_headers,
    "header-only": bad_forms.header_only,
    "empty-basics-sheet": bad_forms.empty_basics_sheet,
    "basics-sheet-missing": bad_forms.basics_sheet_missing,
    "unknown-extra-sheet": bad_forms.unknown_extra_sheet,
    "two-sheets-for-one-section": bad_forms.two_sheets_for_one_section,
    "merged-staff-no": bad_forms.merged_staff_no,
    "formulas-without-results": bad_forms.formulas_without_results,
    "text-in-date-cells": bad_forms.text_in_date_cells,
    "excel-error-values": bad_forms.excel_error_values,
}


def _form_outcome(session: Session, path: Path) -> Any:
    """The report's counts, or the refusal (its row errors without the file's name)."""
    world = build_world(session)
    before = counts(session)
    try:
        report = run_import(session, world, path)
    except ImportRejected as rejected:
        session.rollback()
        assert counts(session) == before
        return [(e.sheet, e.row, e.column, e.zh, e.en) for e in rejected.errors]
    except QinglianError as refused:
        session.rollback()
        assert counts(session) == before
        return (refused.zh.replace(path.name, "F"), refused.en.replace(path.name, "F"))
    return report.model_dump(exclude={"file", "rejected_file"})


def _outcome_on_a_new_world(path: Path) -> Any:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        outcome = _form_outcome(session, path)
    engine.dispose()
    return outcome


@pytest.mark.parametrize("build", FORMS.values(), ids=list(FORMS))
def test_report_forms_from_xls_import_as_from_xlsx(
    tmp_path: Path, build: Callable[[Path], Path]
) -> None:
    xlsx = build(tmp_path)
    xls = xls_copy(xlsx, tmp_path / "报告表.xls")
    assert _outcome_on_a_new_world(xls) == _outcome_on_a_new_world(xlsx)
    assert not list(tmp_path.glob("*.rejected.csv"))


def test_a_report_form_saved_by_wps_as_et_imports(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "f.xlsx", valid_sheets())
    et = xls_copy(xlsx, tmp_path / "报告表.et")  # WPS's .et: the same BIFF8 file
    outcome = _outcome_on_a_new_world(et)
    assert outcome == _outcome_on_a_new_world(xlsx)
    assert outcome["created"] == 5 and outcome["sheets"] == list(valid_sheets())


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed on this machine"
)
def test_xls_saved_by_libreoffice_imports_as_its_xlsx(db: Session, tmp_path: Path) -> None:
    """An office suite's own BIFF8 (formats, styles, code page), not only xlwt's."""
    forms = write_xlsx(tmp_path / "报告表.xlsx", valid_sheets())
    cadres = write_xlsx_sheets(
        tmp_path / "名册.xlsx",
        {
            "干部名册": [
                *placed(BAD_CADRES["dates"], top=2, left=1),
                *BAD_CADRES["error-values"][1:],
            ]
        },
    )
    out = tmp_path / "xls"
    done = subprocess.run(
        [
            str(SOFFICE),
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--convert-to",
            "xls",
            "--outdir",
            str(out),
            str(forms),
            str(cadres),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    add_units(db, UNITS)
    db.commit()
    assert _cadre_errors(db, out / "名册.xls") == _cadre_errors(db, cadres)
    outcome = _outcome_on_a_new_world(out / "报告表.xls")
    assert outcome == _outcome_on_a_new_world(forms) and outcome["created"] == 5


# --- told by content, not by name --------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "named"),
    [
        (".xlsx", "名册.et"),  # WPS saving an .et as an xlsx zip
        (".xlsx", "名册.xls"),  # an .xlsx renamed .xls
        (".xls", "名册.xlsx"),  # an .xls renamed .xlsx
        (".xls", "名册"),  # no extension at all
    ],
)
def test_the_content_decides_the_format(tmp_path: Path, written: str, named: str) -> None:
    rows = [["单位编码", "单位名称"], ["JS", "江苏省卫生厅"]]
    made = tmp_path / f"made{written}"
    if written == ".xlsx":
        write_xlsx_sheets(made, {"单位": rows})
    else:
        write_xls(made, {"单位": rows})
    path = tmp_path / named
    made.rename(path)
    table = read_rows(path, UNIT_COLUMNS[:2])
    assert (table.file, table.rows) == (named, [(2, {"code": "JS", "name": "江苏省卫生厅"})])


# --- refused in one line, nothing written ------------------------------------------------------


def _units_xls(extra: Sequence[bytes] = (), globals_: Sequence[bytes] = ()) -> bytes:
    cells = [label(0, 0, "单位编码"), label(0, 1, "单位名称"), label(1, 0, "JS")]
    return compound_file(biff_workbook({"单位": [*cells, *extra]}, globals_=globals_))


def _with_fat_entry(data: bytes, sector: int, value: int) -> bytes:
    """``data`` (from ``compound_file``) with the FAT entry of ``sector`` set to ``value``."""
    patched = bytearray(data)
    struct.pack_into("<I", patched, sector_offset(0) + 4 * sector, value)
    return bytes(patched)


def directory_loop(tmp: Path) -> bytes:
    data = _units_xls()
    directory = struct.unpack_from("<I", data, 48)[0]
    return _with_fat_entry(data, directory, directory)


def difat_loop(tmp: Path) -> bytes:
    # The header's DIFAT chain starts at a sector whose last entry names that sector again.
    patched = bytearray(_units_xls())
    last = len(patched) // 512 - 2
    struct.pack_into("<I", patched, sector_offset(last) + 508, last)
    struct.pack_into("<II", patched, 68, last, 1)
    return bytes(patched)


def sheet_past_the_stream(tmp: Path) -> bytes:
    stream = bytearray(biff_workbook({"单位": [label(0, 0, "单位编码")]}))
    at = stream.index(struct.pack("<H", BOUNDSHEET))
    struct.pack_into("<I", stream, at + 4, 0x7FFF_FFFF)
    return compound_file(bytes(stream))


def truncated(tmp: Path) -> bytes:
    data = write_xls(tmp / "whole.xls", {"单位": [["单位编码"], ["JS"]] * 200}).read_bytes()
    (tmp / "whole.xls").unlink()
    return data[: len(data) // 2]


def far_corners(tmp: Path) -> bytes:
    # 6 KB that calamine would hold as a grid of 16 million cells.
    return _units_xls([number(65535, 255, 1)])


def declared_dimensions(tmp: Path) -> bytes:
    # A last row before the first: calamine's 32-bit arithmetic makes it four billion rows.
    return _units_xls([dimensions(5, 2, 0, 3)])


def a_shared_string_used_everywhere(tmp: Path) -> bytes:
    uses = MAX_LEGACY_TEXT // 30_000 + 1
    cells = [shared_label(2 + index // 200, index % 200, 1) for index in range(uses)]
    return _units_xls(cells, globals_=[shared_strings(["卫生部", "长" * 30_000])])


def text_longer_than_excel_allows(tmp: Path) -> bytes:
    return _units_xls([label(1, 1, "长" * 100, chars=40_000)])


def past_the_last_column(tmp: Path) -> bytes:
    return _units_xls([number(1, 20_000, 1)])


def too_large(tmp: Path) -> Path:
    path = tmp / "单位.xls"
    with path.open("wb") as handle:
        handle.write(bytes.fromhex("d0cf11e0a1b11ae1"))
        handle.truncate(MAX_LEGACY_BYTES + 1)  # sparse: no disk or memory spent
    return path


REFUSED: dict[str, tuple[str, Callable[[Path], bytes | Path], str, str]] = {
    # name: (file name, content, Chinese fragment, English fragment)
    "word-document-named-et": (
        "单位.et",
        lambda tmp: compound_file(b"\0" * 100, name="WordDocument"),
        "不是表格文件（这是Word 文档",
        "not a spreadsheet (it is a Word document",
    ),
    "encrypted-xlsx": (
        "单位.xlsx",
        lambda tmp: compound_file(b"\0" * 100, name="EncryptedPackage"),
        "加密的 Excel 文件",
        "encrypted Excel file",
    ),
    "password-protected-xls": (
        "单位.xls",
        lambda tmp: _units_xls(globals_=[record(FILEPASS, bytes(54))]),
        "加密的 Excel 文件",
        "encrypted Excel file",
    ),
    "ole2-header-only": (
        "单位.et",
        lambda tmp: bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600),
        "已损坏",
        "damaged",
    ),
    "directory-loop": ("单位.xls", directory_loop, "已损坏", "damaged"),
    "difat-loop": ("单位.xls", difat_loop, "已损坏", "damaged"),
    "sheet-past-the-stream": ("单位.xls", sheet_past_the_stream, "无法读取", "cannot read"),
    "truncated": ("单位.xls", truncated, "", ""),
    "far-corners": ("单位.xls", far_corners, "单元格区域合计超过", "cell ranges span"),
    "declared-dimensions": ("单位.xls", declared_dimensions, "单元格区域合计超过", "span"),
    "shared-string-everywhere": (
        "单位.et",
        a_shared_string_used_everywhere,
        "文字合计超过",
        "characters of text together",
    ),
    "text-longer-than-excel-allows": (
        "单位.xls",
        text_longer_than_excel_allows,
        "B2 单元格的内容超过 Excel 每格 32,767 个字符",
        "cell B2 in row 2",
    ),
    "past-the-last-column": ("单位.xls", past_the_last_column, "超出 Excel 的最后一列 XFD", "XFD"),
    "too-large": ("单位.xls", too_large, "超过旧版 .xls/.et 工作簿的上限", "more than the limit"),
    "web-page-named-xls": (
        "单位.xls",
        lambda tmp: "<html><table><tr><td>单位编码</td></tr></table></html>".encode(),
        "这是网页（HTML/XML）文件",
        "a web page",
    ),
    "spreadsheet-xml-named-xls": (
        "单位.xls",
        lambda tmp: (
            b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>'
        ),
        "这是网页（HTML/XML）文件",
        "a web page",
    ),
    "csv-named-et": (
        "单位.et",
        lambda tmp: "单位编码,单位名称\nJS,江苏省卫生厅\n".encode(),
        "不是 Excel/WPS 工作簿",
        "not an Excel/WPS workbook",
    ),
    "empty-xls": ("单位.xls", lambda tmp: b"", "不是 Excel/WPS 工作簿", "not an Excel/WPS"),
}


@pytest.mark.parametrize(("name", "content", "zh", "en"), REFUSED.values(), ids=list(REFUSED))
def test_what_is_no_readable_workbook_is_refused_in_one_line(
    db: Session,
    tmp_path: Path,
    name: str,
    content: Callable[[Path], bytes | Path],
    zh: str,
    en: str,
) -> None:
    made = content(tmp_path)
    path = made if isinstance(made, Path) else tmp_path / name
    if isinstance(made, bytes):
        path.write_bytes(made)
    with pytest.raises(QinglianError) as caught:
        import_units(session=db, path=path, skip_invalid=True)
    error = caught.value
    assert not isinstance(error, ImportRejected)
    assert zh in error.zh and en in error.en, error
    assert str(error).startswith(path.name) and f" / {path.name}" in str(error)
    assert "\n" not in str(error) and "Traceback" not in str(error)
    assert db.exec(select(func.count()).select_from(Unit)).one() == 0
    assert [entry.name for entry in tmp_path.iterdir()] == [path.name]  # no rejected.csv


_CHILD = """
import resource, sys
from pathlib import Path
from qinglian.core.errors import QinglianError
from qinglian.exchange.reading import read_rows
from qinglian.org.import_units import UNIT_COLUMNS

resource.setrlimit(resource.RLIMIT_AS, (512 * 1024 * 1024,) * 2)
for name in sys.argv[1:]:
    try:
        read_rows(Path(name), UNIT_COLUMNS)
    except QinglianError as refused:
        print(refused.en.split(": ", 1)[1][:40])
"""


def test_hostile_files_are_refused_before_calamine_allocates(tmp_path: Path) -> None:
    """Without the guards calamine would loop for ever on the first file and abort the process
    (its allocation failing under the limit) on the others."""
    builders = (directory_loop, difat_loop, far_corners, declared_dimensions)
    paths = []
    for build in builders:
        path = tmp_path / f"{build.__name__}.xls"
        path.write_bytes(build(tmp_path))
        paths.append(str(path))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *paths],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(done.stdout.splitlines()) == len(builders), done.stdout


def test_row_errors_name_the_file_as_the_user_sent_it(db: Session, tmp_path: Path) -> None:
    add_units(db, UNITS)
    db.commit()
    path = write_xls(tmp_path / "连云港干部.et", {"名册": [CADRE_HEADER, ["F001", "顾扬", "XX"]]})
    with pytest.raises(ImportRejected) as caught:
        import_cadres(session=db, path=path, as_of=AS_OF)
    first: RowError = caught.value.errors[0]
    assert (first.file, first.sheet, first.row) == ("连云港干部.et", "名册", 2)
    assert str(caught.value).startswith("连云港干部.et: ")
