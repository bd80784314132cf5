"""Turning roll-ups into what people read: artifact tables and Markdown, in Chinese."""

from __future__ import annotations

import re
from datetime import date

from models import FindingCategory, Level
from models.enums import RectificationStatus
from models.outcome import DeliverableView, PhaseContext, UnitForms, UnitOutcome, UnitResult
from models.rate import ReportingRate
from models.summary import CASE_LABELS, RULE_LABELS, SOURCE_LABELS, UnitSummary


def artifact_key(campaign_id: int, phase_key: str, suffix: int | str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    raw = f"campaign-{campaign_id}-{phase_key}-{suffix}".lower()
    return re.sub(r"[^a-z0-9-]+", "-", raw)


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def rate_columns(rate: ReportingRate) -> dict[str, object]:
    return {
        "应报": rate.expected,
        "已报": rate.received,
        "按时": rate.on_time,
        "逾期提交": rate.late,
        "缺报": rate.missing,
        "未到期": rate.pending,
        "上报率": percent(rate.rate),
        "按时率": percent(rate.on_time_rate),
    }


def unit_table_rows(
    own: list[DeliverableView], children: list[UnitOutcome]
) -> list[dict[str, object]]:
    if children:
        return [
            {
                "单位": child.unit.name,
                "层级": child.unit.level.label,
                "本级完成率": percent(child.own.rate),
                **rate_columns(child.subtree),
                **_forms_columns(child),
                **_rectification_columns(child),
            }
            for child in children
        ]
    return [
        {
            "事项": view.title,
            "截止日期": view.due_on.isoformat(),
            "提交日期": view.submitted_on.isoformat() if view.submitted_on else "",
            "状态": view.status.label,
        }
        for view in own
    ]


def run_table_rows(
    result: UnitResult, runs: list[UnitOutcome], rows: list[UnitResult], parents: dict[int, str]
) -> list[dict[str, object]]:
    """A unit run's table: its child runs, then every unit below the run depth under it.

    Units below the run depth are not runs of their own; each is a row here with all its
    figures and its parent's name. A unit with neither lists its own deliverables.
    """
    if not runs and not rows:
        return unit_table_rows(result.deliverables, [])
    table = unit_table_rows([], runs)
    for row in table:
        row["上级单位"] = result.unit.name
    for below in rows:
        table.append(
            {
                **unit_table_rows([], [below.outcome])[0],
                "上级单位": parents.get(below.unit.unit_id, ""),
            }
        )
    return table


def _forms_columns(outcome: UnitOutcome) -> dict[str, object]:
    if outcome.forms is None:
        return {}
    return {
        "报告表应报": outcome.forms.expected,
        "报告表已报": outcome.forms.received,
        "报告表缺报": outcome.forms.missing,
        "报告表上报率": percent(outcome.forms.rate),
        "问题线索": sum(outcome.findings.values()),
    }


def _rectification_columns(outcome: UnitOutcome) -> dict[str, object]:
    if not outcome.rectification:
        return {}
    total = sum(outcome.rectification.values())
    done = outcome.rectification.get("done", 0) + outcome.rectification.get("verified", 0)
    return {
        "整改事项": total,
        "已完成": done,
        "已验收": outcome.rectification.get("verified", 0),
        "逾期未完成": outcome.rectification_overdue,
        "整改完成率": percent(done / total) if total else "—",
    }


def unit_forms_markdown(
    unit_name: str, forms: UnitForms, as_of: date, below: list[tuple[str, UnitForms]] | None = None
) -> str:
    """The unit's own declarations: counts, who is overdue, and what was found (counts only).

    ``below``: the units under it below the run depth (its departments), each the same way.
    """
    parts = _forms_section(f"# {unit_name} 报告表收集情况", forms, as_of)
    for name, unit_forms in below or []:
        if unit_forms.rate.expected or unit_forms.findings:
            parts += _forms_section(f"## {name}", unit_forms, as_of, level=3)
    return "\n\n".join(parts) + "\n"


def _forms_section(title: str, forms: UnitForms, as_of: date, level: int = 2) -> list[str]:
    rate = forms.rate
    heading = "#" * level
    parts = [
        title,
        f"截至 {as_of.isoformat()}：应报 {rate.expected} 份，已报 {rate.received} 份"
        f"（按时 {rate.on_time}，逾期 {rate.late}），缺报 {rate.missing} 份，未到期 {rate.pending} 份。",
    ]
    if forms.missing:
        parts += [
            f"{heading} 逾期未报人员（仅供本单位专项活动办公室催报）",
            "、".join(forms.missing),
        ]
    if forms.findings:
        parts += [
            f"{heading} 发现的问题线索（含信访举报、检查等各来源）",
            _table(
                ["类别", "条数"],
                [[FindingCategory(k).label, n] for k, n in sorted(forms.findings.items())],
            ),
        ]
    return parts


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def phase_summary_markdown(
    context: PhaseContext, outcome: UnitOutcome, as_of: date, summary: UnitSummary | None = None
) -> str:
    total = outcome.subtree
    by_level = [
        [level.label, *rate_columns(outcome.by_level[level]).values()]
        for level in Level
        if level in outcome.by_level
    ]
    header = ["层级", *rate_columns(total).keys()]
    parts = [
        f"# {context.phase_title} · {context.root.name}",
        f"**{context.campaign_title}**　截至 {as_of.isoformat()}",
        f"- 参加单位：{outcome.units} 个",
        f"- 应报事项 {total.expected} 项，已报 {total.received} 项"
        f"（按时 {total.on_time}，逾期提交 {total.late}），缺报 {total.missing} 项，"
        f"未到期 {total.pending} 项",
        # No bold before "，": CommonMark does not close ** between "%" and a CJK comma.
        f"- 按时率 {percent(total.on_time_rate)}，上报率 **{percent(total.rate)}**",
        "## 分层级上报情况",
        _table(header, by_level),
    ]
    if outcome.forms is not None:
        forms = outcome.forms
        parts += [
            "## 《报告表》收集情况",
            f"- 应报 {forms.expected} 份，已报 {forms.received} 份（按时 {forms.on_time}，"
            f"逾期 {forms.late}），缺报 {forms.missing} 份，未到期 {forms.pending} 份；"
            f"上报率 **{percent(forms.rate)}**",
        ]
    if outcome.findings:
        parts += [
            "## 问题线索（按类别）",
            f"其中 {as_of.isoformat()} 当日新发现 {outcome.new_findings} 条。",
            _table(
                ["类别", "条数"],
                [[FindingCategory(k).label, n] for k, n in sorted(outcome.findings.items())],
            ),
        ]
    if outcome.rectification:
        rectification = outcome.rectification
        parts += [
            "## 整改情况",
            _table(
                ["状态", "事项数"],
                [
                    [status.label, rectification.get(status.value, 0)]
                    for status in RectificationStatus
                ],
            ),
            f"- 逾期未完成 {outcome.rectification_overdue} 项",
        ]
    if summary is not None:
        parts += summary_figures_markdown(summary)
    if outcome.behind_groups:
        parts += [
            f"## 有缺报或逾期事项的单位（{sum(outcome.behind_groups.values())} 个，按省、市）",
            _table(
                ["省 · 市", "单位数"],
                [
                    [group or "本级", count]
                    for group, count in sorted(
                        outcome.behind_groups.items(), key=lambda item: (-item[1], item[0])
                    )
                ],
            ),
        ]
        if outcome.behind:
            parts.append(f"其中（前 {len(outcome.behind)} 个）：" + "、".join(outcome.behind))
    elif outcome.behind:
        parts += ["## 有缺报或逾期事项的单位", "、".join(outcome.behind)]
    if summary is not None:
        lagging = lagging_by_group(summary)
        if lagging:
            parts += [
                f"## 工作滞后的单位（{sum(len(names) for names in lagging.values())} 个，按省、市）",
                _table(
                    ["省 · 市", "单位数", "单位"],
                    [
                        [group or "本级", len(names), "、".join(names[:20])]
                        for group, names in sorted(
                            lagging.items(), key=lambda item: (-len(item[1]), item[0])
                        )
                    ],
                ),
            ]
    return "\n\n".join(parts) + "\n"


def lagging_by_group(summary: UnitSummary) -> dict[str, list[str]]:
    """Every lagging unit of the summary's tree, by the 「省 · 市」 it sits in."""
    found: dict[str, list[str]] = {}

    def walk(node: UnitSummary, province: str, city: str) -> None:
        if node.level is Level.province:
            province, city = node.name, ""
        elif node.level is Level.city:
            city = node.name
        if node.lagging:
            group = " · ".join(part for part in (province, city) if part)
            found.setdefault(group, []).append(node.name)
        for child in node.children:
            walk(child, province, city)

    walk(summary, "", "")
    return found


def summary_figures_markdown(summary: UnitSummary) -> list[str]:
    """The phase summary's key figures beyond deliverables: counts only, never complaint text."""
    figures = summary.subtree
    parts = ["## 阶段性总结要点（全系统）"]
    lines = [
        *_counts_line("问题线索来源", figures.findings_by_source, SOURCE_LABELS, "条"),
        *_counts_line("调查核实", figures.cases_by_outcome, CASE_LABELS, "件"),
        *_counts_line("制度清理", figures.rules_by_decision, RULE_LABELS, "项"),
    ]
    if figures.rectification_items:
        lines.append(
            f"- 整改事项 {figures.rectification_items} 项，已完成 {figures.rectified} 项，"
            f"逾期未完成 {figures.rectification_overdue} 项"
        )
    lines.append(f"- 督办步骤（事项×步骤）{figures.escalations} 个")
    parts.append("\n".join(lines))
    if summary.lagging_children:
        parts += ["## 工作滞后或问题较多的下级单位", "、".join(summary.lagging_children)]
    return parts


def _counts_line(
    title: str, counts: dict[str, int], labels: dict[str, str], unit: str
) -> list[str]:
    """``- title：label n unit，…`` under the vocabulary's labels, or nothing without counts."""
    if not counts:
        return []
    return [f"- {title}：" + "，".join(f"{labels.get(k, k)} {n} {unit}" for k, n in counts.items())]
