"""Sections 四 and 五 of the report: what falls short, and the next steps it calls for.

Each is a list of points read off the figures; a unit with nothing missing, overdue or open
gets the one sentence that says so.
"""

from __future__ import annotations

from models.enums import RectificationStatus
from models.report import LaggingLine, ReportData
from models.summary import CASE_LABELS, RULE_LABELS
from qinglian.reporting.document.phrasing import (
    PLAIN_UNITS,
    below,
    children_as_lines,
    cn_date,
    open_items,
    own_line,
    unit_list,
)

_CASE_OPEN = CASE_LABELS["open"]
_RULE_UNDECIDED = RULE_LABELS["undecided"]


def shortcomings(data: ReportData) -> list[str]:
    """四、存在不足: lagging units, missing or late reports, open rectification, inspections.

    The report's own unit is never listed among the units it supervises: where it falls short
    itself, a sentence of its own says so (本级…).
    """
    found: list[str] = []
    others = below(data.lagging, data.unit_code)
    if others:
        found.append(
            f"部分下级单位工作滞后或问题较多，共{len(others)}个"
            f"{_colon(others)}{unit_list(others, data.unit_code, reasons=True)}。"
        )
    own = own_line(data.lagging, data.unit_code)
    if own is not None:
        found.append(f"本级工作存在滞后，{_own_load(own)}。")
    late = below(data.late_plans, data.unit_code)
    if late:
        found.append(
            f"计划时限晚于上级要求的下级单位{len(late)}个"
            f"{_colon(late)}{unit_list(late, data.unit_code, reasons=True)}。"
        )
    own_plan = own_line(data.late_plans, data.unit_code)
    if own_plan is not None:
        found.append(f"本级计划时限晚于上级要求（{own_plan.reason}）。")
    rate = data.deliverables
    if rate.missing or rate.late:
        parts = [f"未报{rate.missing}份"] if rate.missing else []
        parts += [f"逾期报送{rate.late}份"] if rate.late else []
        text = f"材料报送不够及时，工作材料{'、'.join(parts)}"
        if data.own_deliverables_missing:
            text += f"，其中本级未报{data.own_deliverables_missing}份"
        behind = _behind(data, forms=False)
        text += f"，未报涉及{_children(behind, data)}。" if behind else "。"
        found.append(text)
    if data.forms is not None and data.forms.missing:
        found.append(f"《报告表》尚有{data.forms.missing}份未报。")
    still_open = open_items(data)
    if still_open:
        overdue = f"，其中逾期{data.rectification_overdue}项" if data.rectification_overdue else ""
        found.append(f"整改尚未全部到位，{still_open}项整改事项未完成{overdue}。")
    inspected = sum(line.problems for line in data.inspections)
    if inspected:
        found.append(f"检查组抽查发现问题{inspected}个。")
    return found


def no_shortcomings(data: ReportData) -> str:
    return f"截至{cn_date(data.as_of)}，未发现材料未报或逾期、整改未完成、工作滞后的情况。"


def next_steps(data: ReportData) -> list[str]:
    """五、下一步工作: what the shortcomings and the open items ask the unit to do.

    The units to be urged (督促) are the ones below; what the unit owes itself is its own step.
    """
    steps: list[str] = []
    rate = data.deliverables
    missing = rate.missing + (data.forms.missing if data.forms else 0)
    own_missing = data.own_deliverables_missing + data.own_forms_missing
    if own_missing:
        steps.append(f"本级尽快补报未报的{own_missing}份材料。")
    if missing > own_missing:
        behind = _behind(data, forms=True)
        count = missing - own_missing
        if len(behind) > PLAIN_UNITS:
            steps.append(f"督促以下单位尽快补报未报的{count}份材料：{_children(behind, data)}。")
        else:
            who = _children(behind, data) if behind else "未报送单位"
            steps.append(f"督促{who}尽快补报未报的{count}份材料。")
    if rate.pending:
        steps.append(f"按时完成尚未到期的{rate.pending}份工作材料的报送。")
    still_open = open_items(data)
    if still_open:
        text = f"持续督促{still_open}项未完成的整改事项整改到位"
        if data.rectification_overdue:
            text += f"，对逾期的{data.rectification_overdue}项加强督办"
        steps.append(text + "。")
    awaiting = data.rectification_by_status.get(RectificationStatus.done.label, 0)
    if awaiting:
        steps.append(f"对已完成、待验收的{awaiting}项整改事项及时组织验收。")
    own = own_line(data.lagging, data.unit_code)
    if own is not None:
        steps.append(_own_step(own))
    others = below(data.lagging, data.unit_code)
    if len(others) > PLAIN_UNITS:
        steps.append(
            f"对工作滞后的{len(others)}个下级单位加强督导，跟踪其问题整改和工作进度："
            f"{unit_list(others, data.unit_code)}。"
        )
    elif others:
        steps.append(f"对{unit_list(others, data.unit_code)}加强督导，跟踪其问题整改和工作进度。")
    if data.cases_by_outcome.get(_CASE_OPEN):
        steps.append(f"加快核查尚在核实中的{data.cases_by_outcome[_CASE_OPEN]}件问题线索。")
    if data.rules_by_decision.get(_RULE_UNDECIDED):
        steps.append(
            f"对{data.rules_by_decision[_RULE_UNDECIDED]}项待定的规章制度尽快作出清理决定。"
        )
    return steps


def _behind(data: ReportData, *, forms: bool) -> list[str]:
    """The children with reports missing in their subtrees (the report's own unit is not one)."""
    return [
        child.name
        for child in data.children
        if child.deliverables.missing or (forms and child.forms and child.forms.missing)
    ]


def _children(names: list[str], data: ReportData) -> str:
    """Children by name; more than ten grouped as 直属单位 with their count."""
    return unit_list(children_as_lines(data, names), data.unit_code)


def _colon(lines: list[LaggingLine]) -> str:
    """Before a list: a colon, or, before a list grouped by parent, 分布如下 and a colon."""
    return "，分布如下：" if len(lines) > PLAIN_UNITS else "："


def _own_load(line: LaggingLine) -> str:
    parts = [f"逾期事项{line.overdue_items}项"] if line.overdue_items else []
    parts += [f"未整改问题{line.open_findings}个"] if line.open_findings else []
    return "、".join(parts) or line.reason


def _own_step(line: LaggingLine) -> str:
    """What the report's own unit does about its own lag: its own step, not a 督促."""
    parts = [f"抓紧办结逾期的{line.overdue_items}项事项"] if line.overdue_items else []
    parts += [f"加快整改尚未整改的{line.open_findings}个问题"] if line.open_findings else []
    return f"本级{'，'.join(parts) or '对照滞后情况抓紧整改'}。"
