"""The rate table's pure parts: the colour bands, and the workbook (formula-like names stay text,
title row, print setup)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from models import Level
from models.rate import ReportingRate
from qinglian.oversight.lagging import LaggingUnit
from qinglian.reporting.rate_table import (
    BehindUnit,
    RateRow,
    RateTable,
    rate_class,
    rate_workbook,
)


@pytest.mark.parametrize(
    ("on_time", "late", "missing", "pending", "css"),
    [
        (0, 0, 0, 5, "rate-good"),  # nothing due yet: 100%
        (9, 0, 1, 0, "rate-good"),  # exactly 90%
        (8, 1, 0, 3, "rate-good"),  # late still counts as received
        (8, 0, 2, 0, "rate-warn"),  # 80%
        (3, 0, 2, 0, "rate-warn"),  # exactly 60%
        (59, 0, 41, 0, "rate-bad"),  # 59%
        (0, 0, 4, 10, "rate-bad"),  # nothing of what is due
    ],
)
def test_rate_bands(on_time: int, late: int, missing: int, pending: int, css: str) -> None:
    rate = ReportingRate(
        expected=on_time + late + missing + pending,
        on_time=on_time,
        late=late,
        missing=missing,
        pending=pending,
    )
    assert rate_class(rate) == css


def table(name: str = "连云港市卫生局", *, forms: bool = True) -> RateTable:
    deliverables = ReportingRate(expected=10, on_time=6, late=1, missing=2, pending=1)
    form_rate = ReportingRate(expected=4, on_time=4) if forms else None
    return RateTable(
        campaign_id=1,
        campaign_title="集中开展落实活动",
        as_of=date(2012, 8, 20),
        phase_key="find",
        phase_title="查找问题",
        code="JS-LYG",
        name=name,
        rows=[
            RateRow("JS-LYG", name, Level.city, True, deliverables, deliverables, form_rate, False),
            RateRow(
                "=CHILD",
                "@SUM(A1)",
                Level.institution,
                False,
                deliverables,
                deliverables,
                form_rate,
                True,
            ),
        ],
        has_forms=forms,
        lagging=[
            LaggingUnit(unit_id=2, code="=CHILD", name="@SUM(A1)", overdue_items=3, open_findings=0)
        ],
        behind=[BehindUnit("=CHILD", "@SUM(A1)", 2, 0)],
        behind_total=1,
    )


def test_formula_like_text_stays_text() -> None:
    sheet = load_workbook(io.BytesIO(rate_workbook(table('=HYPERLINK("http://x")')))).active
    assert sheet is not None
    assert sheet["A5"].value == "=CHILD" and sheet["A5"].data_type == "s"
    assert sheet["A5"].quotePrefix
    assert sheet["B5"].value == "  @SUM(A1)（工作滞后）"
    assert sheet["B4"].value == '=HYPERLINK("http://x")' and sheet["B4"].data_type == "s"
    assert sheet["A1"].value.startswith("集中开展落实活动 · =HYPERLINK")
    assert all(
        cell.data_type != "f" for row in sheet.iter_rows() for cell in row if cell.value is not None
    )


def test_title_headers_and_print_setup() -> None:
    sheet = load_workbook(io.BytesIO(rate_workbook(table()))).active
    assert sheet is not None
    assert (
        sheet["A1"].value == "集中开展落实活动 · 连云港市卫生局 上报率 · 查找问题 · 截至 2012-08-20"
    )
    assert [sheet.cell(row=4, column=c).value for c in range(4, 11)] == [10, 7, 6, 1, 2, 1, 0.7778]
    assert sheet["J4"].number_format == "0.0%" and sheet["J4"].fill.fgColor.rgb.endswith(
        "FFF0C0"
    )  # 77.8%: warn
    assert sheet["Q4"].value == 1 and sheet["Q4"].fill.fgColor.rgb.endswith("D8F0D8")
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$2:$3"
    notes = [sheet.cell(row=r, column=1).value for r in range(7, 10)]
    assert notes[0].startswith("工作滞后或问题较多的单位：@SUM(A1)（逾期事项 3 项")
    assert notes[1] == "有缺报的单位：@SUM(A1)"


def test_without_forms_the_workbook_has_one_group() -> None:
    sheet = load_workbook(io.BytesIO(rate_workbook(table(forms=False)))).active
    assert sheet is not None
    assert sheet["D2"].value.startswith("动员部署等事项") and sheet["K2"].value is None
    assert sheet["K3"].value is None and sheet["K4"].value is None
    assert "D2:J2" in {str(merged) for merged in sheet.merged_cells.ranges}
