"""Sections 四 and 五 of the report: what falls short, and the next steps it calls for.

Each is a list of points read off the figures; a unit with nothing missing, overdue or open
gets the one sentence that says so.
"""

from __future__ import annotations

from models.enums import RectificationStatus
from models.report import ReportData
from models.summary import CASE_LABELS, RULE_LABELS
from qinglian.reporting.document.phrasing import cn_date, open_items

# A report names the heaviest lagging units (the list arrives heaviest first), then counts.
LAGGING_NAMED = 10

_CASE_OPEN = CASE_LABELS["open"]
_RULE_UNDECIDED = RULE_LABELS["undecided"]


def shortcomings(data: ReportData) -> list[str]:
    """四、存在不足: lagging units, missing or late reports, open rectification, inspections."""
    found: list[str] = []
    if data.lagging:
        shown = data.lagging[:LAGGING_NAMED]
        units = "；".join(f"{line.name}（{line.reason}）" for line in shown)
        more = f"等{len(data.lagging)}个单位" if len(data.lagging) > len(shown) else ""
        found.append(f"部分单位工作滞后或问题较多，共{len(data.lagging)}个：{units}{more}。")
    if data.late_plans:
        plans = "；".join(f"{line.name}（{line.reason}）" for line in data.late_plans)
        found.append(f"计划时限晚于上级要求的单位{len(data.late_plans)}个：{plans}。")
    rate = data.deliverables
    if rate.missing or rate.late:
        parts = [f"未报{rate.missing}份"] if rate.missing else []
        parts += [f"逾期报送{rate.late}份"] if rate.late else []
        text = f"材料报送不够及时，工作材料{'、'.join(parts)}"
        behind = [data.unit_name] if data.own_deliverables_missing else []
        behind += [child.name for child in data.children if child.deliverables.missing]
        text += f"，未报涉及{'、'.join(behind)}。" if behind else "。"
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
    """五、下一步工作: what the shortcomings and the open items ask the unit to do."""
    steps: list[str] = []
    rate = data.deliverables
    missing = rate.missing + (data.forms.missing if data.forms else 0)
    if missing:
        own = data.own_deliverables_missing or data.own_forms_missing
        behind = [data.unit_name] if own else []
        behind += [
            child.name
            for child in data.children
            if child.deliverables.missing or (child.forms and child.forms.missing)
        ]
        who = "、".join(behind) if behind else "未报送单位"
        steps.append(f"督促{who}尽快补报未报的{missing}份材料。")
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
    if data.lagging:
        names = "、".join(line.name for line in data.lagging[:LAGGING_NAMED])
        more = f"等{len(data.lagging)}个单位" if len(data.lagging) > LAGGING_NAMED else ""
        steps.append(f"对{names}{more}加强督导，跟踪其问题整改和工作进度。")
    if data.cases_by_outcome.get(_CASE_OPEN):
        steps.append(f"加快核查尚在核实中的{data.cases_by_outcome[_CASE_OPEN]}件问题线索。")
    if data.rules_by_decision.get(_RULE_UNDECIDED):
        steps.append(
            f"对{data.rules_by_decision[_RULE_UNDECIDED]}项待定的规章制度尽快作出清理决定。"
        )
    return steps
