"""Filling the report-form workbook the portal hands out, as an office does in Excel."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from openpyxl import load_workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# 基本情况: 工号, 姓名, 单位编码, 职务, 适用类别, 是否离职或退休三年内, 无报告事项, 填报日期, 签名日期
NOTHING, FILED, SIGNED = 7, 8, 9
RELATIVE = ["FB001", "张三", "配偶", "连云港某医药公司", "销售经理", "药品销售", "是"]


def staff_numbers(workbook: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(workbook))["基本情况"]
    return [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]


def fill(
    template: bytes,
    *,
    on: Any = date(2012, 7, 19),
    nothing: str = "是",
    relatives: Sequence[Sequence[Any]] = (),
    rows: int | None = None,
) -> bytes:
    """Every pre-filled cadre (or the first ``rows``) declares ``nothing``, filed ``on``."""
    workbook = load_workbook(io.BytesIO(template))
    basics = workbook["基本情况"]
    last = basics.max_row if rows is None else 1 + rows
    for number in range(2, last + 1):
        basics.cell(number, NOTHING).value = nothing
        basics.cell(number, FILED).value = on
        basics.cell(number, SIGNED).value = on
    for relative in relatives:
        workbook["亲属从业"].append(list(relative))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
