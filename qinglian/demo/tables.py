"""What the demo prints: rates as lines, roll-ups and lists as Rich tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TypeVar

from rich.console import Console
from rich.table import Table

from models.complaint import VerificationCase
from models.enums import FindingCategory, FindingSource
from models.rate import ReportingRate
from models.summary import SOURCE_LABELS, UnitSummary
from qinglian.oversight.tracking import UnitProgress
from qinglian.reporting.artifacts import percent

_Node = TypeVar("_Node", UnitProgress, UnitSummary)


def print_rate(console: Console, what: str, as_of: date, rate: ReportingRate, units: int) -> None:
    console.print(
        f"{what}, as of {as_of}: {units} 个单位，上报率 {percent(rate.rate)}，"
        f"按时率 {percent(rate.on_time_rate)}，缺报 {rate.missing} 项"
    )


def print_forms(console: Console, as_of: date, forms: ReportingRate | None, what: str) -> None:
    assert forms is not None
    console.print(
        f"{what}, as of {as_of}: 《报告表》应报 {forms.expected}，按时 {forms.on_time}，"
        f"逾期 {forms.late}，缺报 {forms.missing}，未到期 {forms.pending}"
    )


def cases_table(cases: Sequence[VerificationCase], unit_names: Mapping[int, str]) -> Table:
    """The verification cases opened, without a word of what the complaints say."""
    table = Table(
        "案件 case",
        "核实单位 verifying unit",
        "反映类别 alleged",
        "排查结果 check",
        title="调查核实案件（不含举报内容）/ verification cases",
    )
    for case in cases:
        table.add_row(
            str(case.id),
            unit_names.get(case.managing_unit_id, ""),
            case.alleged_category.label if case.alleged_category else "",
            case.check_result.label,
        )
    return table


def findings_table(findings: Mapping[FindingSource, Mapping[FindingCategory, int]]) -> Table:
    """Findings by source, then category: a table titled 自查 would hold complaints' too."""
    table = Table(
        "来源 source",
        "类别 category",
        "条数 count",
        title="查找问题发现的问题线索（按来源）/ findings by source",
    )
    for source, counts in findings.items():
        for category, count in sorted(counts.items()):
            if count:
                table.add_row(SOURCE_LABELS[source.value], category.label, str(count))
    return table


def rollup_table(progress: UnitProgress, as_of: date) -> Table:
    table = Table(
        "单位",
        "事项上报率",
        "事项缺报",
        "报告表上报率",
        "报告表缺报",
        "问题线索",
        title=f"逐级汇总（截至 {as_of}）/ roll-up",
    )
    for node, indent in _three_levels(progress):
        rate, forms = node.subtree, node.forms or ReportingRate()
        table.add_row(
            f"{indent}{node.name}",
            percent(rate.rate),
            str(rate.missing),
            percent(forms.rate),
            str(forms.missing),
            str(sum(node.findings.values())),
        )
    return table


def rectification_table(summary: UnitSummary, as_of: date) -> Table:
    table = Table(
        "单位",
        "整改事项",
        "已完成",
        "已验收",
        "逾期未完成",
        "督办提醒",
        title=f"整改纠正逐级汇总（截至 {as_of}）/ rectification roll-up",
    )
    for node, indent in _three_levels(summary):
        figures = node.subtree
        table.add_row(
            f"{indent}{node.name}{'（滞后）' if node.lagging else ''}",
            str(figures.rectification_items),
            str(figures.rectified),
            str(figures.rectification_by_status.get("verified", 0)),
            str(figures.rectification_overdue),
            str(figures.escalations),
        )
    return table


def _three_levels(root: _Node) -> list[tuple[_Node, str]]:
    """The root, its provinces and their cities, each with the indent its depth shows."""
    rows = [(root, "")]
    for province in root.children:
        rows.append((province, "  "))
        rows.extend((city, "    ") for city in province.children)
    return rows
