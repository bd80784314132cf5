"""The 年终考核 workbook as a printed report (qinglian.inspection.assessment_xlsx): a title with
the as-of date, 名次 with ties, a 合计/平均 row, the header frozen and repeated on every page."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from models.enums import Level
from qinglian.inspection.assessment import AssessmentRow
from qinglian.inspection.assessment_xlsx import (
    HEADER_ROW,
    RANK_NOTE,
    TOTAL_LABEL,
    ranks,
    write_assessment_xlsx,
)

TITLE = "集中开展落实《关于卫生系统领导干部防止利益冲突的若干规定》活动"
AS_OF = date(2012, 12, 31)


def _row(
    code: str, composite: float, level: Level = Level.institution, **figures: Any
) -> AssessmentRow:
    values: dict[str, Any] = {
        "unit_id": hash(code) % 1000,
        "unit_code": code,
        "unit_name": f"{code}医院",
        "level": level,
        "expected": 10,
        "received": 10,
        "due": 10,
        "on_time": 10,
        "completeness": 1.0,
        "timeliness": 1.0,
        "findings": 0,
        "rectification_items": 0,
        "rectified": 0,
        "rectification_rate": 1.0,
        "inspection_score": None,
        "lagging": False,
        "composite": composite,
    }
    values.update(figures)
    return AssessmentRow(**values)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], []),
        ([90.0], [1]),
        ([90.0, 85.5, 85.5, 70.0], [1, 2, 2, 4]),
        ([85.5, 85.5, 85.5], [1, 1, 1]),
        ([70.0, 90.0, 85.5, 90.0], [4, 1, 3, 1]),  # whatever order the rows come in
    ],
)
def test_ranks_share_ties_and_skip(scores: list[float], expected: list[int]) -> None:
    rows = [_row(f"U{index}", score) for index, score in enumerate(scores)]
    assert ranks(rows) == expected


def test_ranks_are_within_a_level() -> None:
    rows = [
        _row("C1", 80.0, Level.city),
        _row("C2", 70.0, Level.city),
        _row("H1", 95.0),
        _row("H2", 95.0),
        _row("H3", 60.0),
        _row("K1", 99.0, Level.department),
    ]
    assert ranks(rows) == [1, 2, 1, 1, 3, 1]


@pytest.fixture
def rows() -> list[AssessmentRow]:
    """Two cities and four hospitals, as ``assessment_rows`` orders them (level, score)."""
    return [
        _row("LYG", 95.2, Level.city, expected=16, received=15, due=16, on_time=15),
        _row("NJ", 90.0, Level.city, inspection_score=95.0),
        _row(
            "FB",
            88.0,
            findings=2,
            rectification_items=2,
            rectified=1,
            lagging=True,
            inspection_score=82.5,
            completeness=0.5,
            received=5,
            on_time=4,
            timeliness=0.4,
            rectification_rate=0.5,
        ),
        _row("RM", 85.5),
        _row("ZY", 85.5),
        _row("DH", 70.0, findings=1, rectification_items=1, rectified=1),
    ]


def _sheet(path: Path) -> Worksheet:
    sheet = load_workbook(path).active
    assert isinstance(sheet, Worksheet)
    return sheet


def test_title_ranking_and_totals(rows: list[AssessmentRow], tmp_path: Path) -> None:
    sheet = _sheet(write_assessment_xlsx(rows, tmp_path / "考核.xlsx", title=TITLE, as_of=AS_OF))
    assert sheet["A1"].value == f"{TITLE}　年终考核表" and sheet["A1"].font.b
    assert sheet["A2"].value == f"截至 2012年12月31日　共 6 个单位　{RANK_NOTE}"
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert {"A1:L1", "A2:L2"} <= merged
    values = [list(row) for row in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]
    header, body, totals = values[0], values[1:-1], values[-1]
    assert header[-2:] == ["综合得分", "名次"]
    # the units, their order and their figures as given; the rank beside them
    assert [line[0] for line in body] == [row.unit_code for row in rows]
    assert [line[10] for line in body] == [row.composite for row in rows]
    assert [line[11] for line in body] == [1, 2, 1, 2, 2, 4]
    assert totals[:3] == [TOTAL_LABEL, "共 6 个单位", None]
    assert totals[3] == pytest.approx(60 / 66)  # received of all that was expected
    assert totals[4] == pytest.approx(59 / 66)  # on time of all that was due
    assert totals[5:8] == [3, 2, pytest.approx(2 / 3)]
    assert totals[8] == pytest.approx((95.0 + 82.5) / 2)  # the units inspected
    assert totals[9] == "1 个"
    assert totals[10] == pytest.approx(sum(row.composite for row in rows) / 6)
    assert totals[11] is None
    total_row = HEADER_ROW + len(rows) + 1
    assert sheet.cell(total_row, 1).font.b
    assert sheet.cell(total_row, 4).number_format == "0.0%"
    assert sheet.cell(total_row, 11).number_format == "0.0"


def test_frozen_filtered_and_printable(rows: list[AssessmentRow], tmp_path: Path) -> None:
    sheet = _sheet(write_assessment_xlsx(rows, tmp_path / "考核.xlsx", title=TITLE, as_of=AS_OF))
    last_unit = HEADER_ROW + len(rows)
    # below the header, right of 单位编码 and 单位名称
    assert sheet.freeze_panes == f"C{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:L{last_unit}"  # not the 合计 row
    setup = sheet.page_setup
    assert (int(setup.paperSize), setup.orientation) == (9, "landscape")
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert sheet.print_area == f"'年终考核'!$A$1:$L${last_unit + 1}"
    assert sheet.print_options.gridLines
    footer = sheet.oddFooter
    assert "&P" in (footer.center.text or "") and "&N" in (footer.center.text or "")
    assert footer.left.text == TITLE and footer.right.text == "截至 2012-12-31"
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFGHIJKL"}
    assert widths["B"] >= len("LYG医院") + 2 and all(width >= 6 for width in widths.values())
    assert sum(widths.values()) < 200  # one landscape page wide without shrinking to nothing


def test_the_exposures_column_moves_the_rank_right(
    rows: list[AssessmentRow], tmp_path: Path
) -> None:
    rows[3] = rows[3].model_copy(update={"exposures": 2})
    sheet = _sheet(write_assessment_xlsx(rows, tmp_path / "考核.xlsx", title=TITLE, as_of=AS_OF))
    header = [cell.value for cell in sheet[HEADER_ROW]]
    assert header[-3:] == ["通报曝光", "综合得分", "名次"]
    totals = [cell.value for cell in sheet[HEADER_ROW + len(rows) + 1]]
    assert totals[-3:] == [2, pytest.approx(sum(row.composite for row in rows) / 6), None]
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:M{HEADER_ROW + len(rows)}"


def test_without_a_title_or_units(tmp_path: Path) -> None:
    sheet = _sheet(write_assessment_xlsx([], tmp_path / "考核.xlsx"))
    assert sheet["A1"].value == "年终考核表"
    assert sheet["A2"].value == f"共 0 个单位　{RANK_NOTE}"
    totals = [cell.value for cell in sheet[HEADER_ROW + 1]]
    assert totals[:2] == [TOTAL_LABEL, "共 0 个单位"] and set(totals[2:9]) == {None, 0}
    assert sheet.max_row == HEADER_ROW + 1
