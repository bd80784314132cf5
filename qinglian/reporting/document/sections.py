"""The report's text (书面综合情况报告), composed once from ``ReportData`` into blocks.

Markdown and Word lay the same ``ReportText`` out. Every sentence is a phrasing of the
figures: nothing is said that the data does not say, and there is no complaint text or
complainant in the data to begin with.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.report import REMINDER_KINDS, BurnDownPoint, ReportData
from models.summary import SOURCE_LABELS
from qinglian.reporting.document.blocks import Block, Body
from qinglian.reporting.document.charts import ReportCharts, format_percent
from qinglian.reporting.document.outlook import next_steps, no_shortcomings, shortcomings
from qinglian.reporting.document.phrasing import (
    NONE,
    RATE_HEADER,
    closed,
    cn_date,
    counts_phrase,
    items,
    percent_of,
    rate_cells,
    with_total,
)

SOURCE_ORDER = tuple(SOURCE_LABELS.values())
RECTIFICATION_KIND = REMINDER_KINDS["r"]

SECTIONS = (
    "一、基本情况",
    "二、主要做法",
    "三、发现问题及整改情况",
    "四、存在不足",
    "五、下一步工作",
)


@dataclass(frozen=True, slots=True)
class ReportText:
    """The whole report as words: its heading lines, its blocks and its signature."""

    number: str
    title: str
    salutation: str | None  # 主送机关, the parent unit
    blocks: list[Block]
    signature: tuple[str, str]  # the unit, the date


def report_title(data: ReportData) -> str:
    return f"关于{data.campaign_title}的书面综合情况报告"


def document_number(data: ReportData) -> str:
    """The 发文字号 line, left for the office to fill: its 代字 and serial number are blank."""
    return f"　　〔{data.as_of.year}〕　　号"


def compose(data: ReportData, charts: ReportCharts | None = None) -> ReportText:
    """The report's text for ``data``, with ``charts`` as its figures."""
    return ReportText(
        number=document_number(data),
        title=report_title(data),
        salutation=f"{data.parent_name}：" if data.parent_name else None,
        blocks=_blocks(data, charts or ReportCharts()),
        signature=(data.unit_name, cn_date(data.as_of)),
    )


def _blocks(data: ReportData, charts: ReportCharts) -> list[Block]:
    body = Body()
    body.para(_opening(data))
    _basic_situation(body, data, charts)
    _measures(body, data)
    _findings_and_rectification(body, data, charts)
    body.section(SECTIONS[3])
    body.points(shortcomings(data), no_shortcomings(data))
    body.section(SECTIONS[4])
    body.points(next_steps(data), "现有各项工作均已完成，暂无待办事项，将按上级部署做好后续工作。")
    return body.blocks


def _opening(data: ReportData) -> str:
    basis = f"（依据：{data.basis}）" if data.basis else ""
    return (
        f"{data.unit_name}按照{data.campaign_title}工作部署{basis}组织开展了相关工作。"
        f"现将截至{cn_date(data.as_of)}的工作情况报告如下。"
    )


def _basic_situation(body: Body, data: ReportData, charts: ReportCharts) -> None:
    body.section(SECTIONS[0])
    body.subsection("总体情况")
    body.para(
        f"纳入本次专项活动范围的单位共{data.units}个（含本单位），适用对象干部{data.cadres}人。"
    )

    body.subsection("材料报送情况")
    body.para(_deliverables_sentence(data))
    rows = [("工作材料", *rate_cells(data.deliverables))] if data.deliverables.expected else []
    if data.forms is not None and data.forms.expected:
        rows.append(("《报告表》", *rate_cells(data.forms)))
    if rows:
        body.table("材料报送情况", ("项目", *RATE_HEADER), rows)

    if data.children:
        body.subsection("所属单位情况")
        body.para(f"所属{len(data.children)}个单位的报送、问题和整改情况如下（含其下属单位）。")
        with_forms = any(child.forms is not None for child in data.children)
        header = ["单位", "层级", "材料已报/到期", "报送率"]
        if with_forms:
            header.append("报表报送率")
        header += ["发现问题（各来源）", "整改已完成/事项", "备注"]
        rows = []
        for child in data.children:
            row: list[object] = [
                child.name,
                child.level_label,
                f"{child.deliverables.received}/{child.deliverables.due}",
                percent_of(child.deliverables),
            ]
            if with_forms:
                row.append(percent_of(child.forms) if child.forms else NONE)
            row += [
                child.findings,
                f"{child.rectified}/{child.rectification_items}",
                "工作滞后" if child.lagging else "",
            ]
            rows.append(row)
        body.table("所属单位情况", header, rows)
        body.image(charts.reporting_rate, "所属单位材料报送率")


def _deliverables_sentence(data: ReportData) -> str:
    rate = data.deliverables
    if not rate.expected:
        text = f"截至{cn_date(data.as_of)}，尚无应报送的工作材料。"
    else:
        text = (
            f"截至{cn_date(data.as_of)}，工作材料应报{rate.expected}份，其中已到期{rate.due}份；"
            f"已报{rate.received}份（按时{rate.on_time}份、逾期{rate.late}份），"
            f"未报{rate.missing}份，尚未到期{rate.pending}份。"
        )
        if rate.due:
            text += (
                f"报送率{format_percent(rate.rate)}，"
                f"按时报送率{format_percent(rate.on_time_rate)}。"
            )
    if data.forms is not None and data.forms.expected:
        forms = data.forms
        text += (
            f"《报告表》应报{forms.expected}份，已报{forms.received}份，未报{forms.missing}份"
            + (f"，报送率{format_percent(forms.rate)}。" if forms.due else "。")
        )
    return text


def _measures(body: Body, data: ReportData) -> None:
    body.section(SECTIONS[1])
    if data.leading_group:
        body.subsection("组织领导")
        body.para(f"成立专项活动领导小组，成员{len(data.leading_group)}人：")
        for line in data.leading_group:
            body.para(line)

    if data.phases:
        body.subsection("分阶段推进")
        phases = "、".join(
            f"{phase.title}（{cn_date(phase.starts_on)}至{cn_date(phase.ends_on)}）"
            for phase in data.phases
        )
        body.para(
            f"工作分{len(data.phases)}个阶段推进：{phases}。各阶段材料报送情况见表{body.tables + 1}。"
        )
        body.table(
            "各阶段材料报送情况",
            ("阶段", *RATE_HEADER),
            [(phase.title, *rate_cells(phase.deliverables)) for phase in data.phases],
        )

    if data.inspections:
        body.subsection("检查组抽查")
        problems = sum(line.problems for line in data.inspections)
        body.para(f"检查组抽查{len(data.inspections)}个单位，发现问题{problems}个。")
        body.table(
            "检查组抽查情况",
            ("被抽查单位", "检查得分", "发现问题"),
            [
                (line.name, NONE if line.score is None else f"{line.score:g}", line.problems)
                for line in data.inspections
            ],
        )

    if data.reminders.items:
        body.subsection("逐级督办")
        body.para(_reminders_sentence(data))

    body.subsection("阶段性工作总结")
    if not data.narratives:
        body.para(f"截至{cn_date(data.as_of)}，尚未报送阶段性工作总结。")
    for narrative in data.narratives:
        submitted = f"（{cn_date(narrative.submitted_on)}报送）" if narrative.submitted_on else ""
        phase = narrative.phase_title.removesuffix("阶段")
        body.para(f"{phase}阶段工作总结{submitted}：")
        body.quote(narrative.text)


def _findings_and_rectification(body: Body, data: ReportData, charts: ReportCharts) -> None:
    body.section(SECTIONS[2])
    body.subsection("发现问题情况")
    total = sum(data.findings_by_category.values())
    if not total:
        body.para(f"截至{cn_date(data.as_of)}，未发现问题。")
    else:
        text = f"截至{cn_date(data.as_of)}，共发现问题{total}个。"
        if data.findings_by_source:
            text += f"从问题来源看，{counts_phrase(data.findings_by_source, '个')}。"
        body.para(text)
        _findings_table(body, data, total)
        body.image(charts.findings_by_category, "发现问题分类统计")

    if data.cases_by_outcome:
        body.subsection("核查处置情况")
        cases = sum(data.cases_by_outcome.values())
        body.para(
            f"信访举报问题线索核查{cases}件，其中{counts_phrase(data.cases_by_outcome, '件')}。"
        )
        body.table(
            "信访举报问题线索核查结果", ("核查结果", "件数"), with_total(data.cases_by_outcome)
        )

    _rectification(body, data, charts)

    if data.rules_by_decision:
        body.subsection("制度建设情况")
        rules = sum(data.rules_by_decision.values())
        body.para(f"清理规章制度{rules}项，其中{counts_phrase(data.rules_by_decision, '项')}。")
        body.table("制度清理情况", ("处理方式", "数量（项）"), with_total(data.rules_by_decision))


def _rectification(body: Body, data: ReportData, charts: ReportCharts) -> None:
    body.subsection("整改情况")
    total = sum(data.rectification_by_status.values())
    if not total:
        body.para(f"截至{cn_date(data.as_of)}，尚无整改事项。")
    else:
        done = closed(data)
        text = (
            f"共建立整改事项{total}项，已完成{done}项，未完成{total - done}项，"
            f"整改完成率{format_percent(done / total)}；"
            f"按状态分：{counts_phrase(data.rectification_by_status, '项')}。"
        )
        if data.rectification_overdue:
            text += f"其中逾期未完成{data.rectification_overdue}项。"
        reminded = data.reminders.by_kind.get(RECTIFICATION_KIND, 0)
        if reminded:
            text += f"对逾期的{reminded}项整改事项，已按督办程序发出催办。"
        body.para(text)
        body.table(
            "整改事项进展情况",
            ("整改状态", "事项数（项）"),
            [
                *items(data.rectification_by_status),
                ("合计", total),
                ("其中：逾期未完成", data.rectification_overdue),
            ],
        )
    points = sorted(data.burn_down, key=lambda point: point.day)
    if len(points) >= 2:
        body.para(_burn_down_sentence(points))
    if points:
        body.image(charts.burn_down, "整改事项销号进度")


def _findings_table(body: Body, data: ReportData, total: int) -> None:
    """Findings by category, a column per source (自查, 信访举报, 检查, 制度清理): no findings
    table leaves out where its findings came from."""
    crossed = data.findings_by_category_source
    if not crossed:
        # Figures without the cross-count (hand-made data): say the table covers every source.
        body.table(
            "发现问题分类统计（各来源合计）",
            ("问题类别", "数量（个）", "占比"),
            [
                *(
                    (label, n, format_percent(n / total))
                    for label, n in items(data.findings_by_category)
                ),
                ("合计", total, format_percent(1.0)),
            ],
        )
        if data.findings_by_source:
            body.table(
                "发现问题来源统计", ("问题来源", "数量（个）"), with_total(data.findings_by_source)
            )
        return
    sources = [s for s in SOURCE_ORDER if any(row.get(s) for row in crossed.values())]
    sources += sorted({s for row in crossed.values() for s in row} - set(sources))
    rows: list[list[object]] = []
    for label, row in crossed.items():
        n = sum(row.values())
        rows.append([label, *(row.get(s, 0) for s in sources), n, format_percent(n / total)])
    column_totals = [sum(row.get(s, 0) for row in crossed.values()) for s in sources]
    rows.append(["合计", *column_totals, sum(column_totals), format_percent(1.0)])
    body.table(
        "发现问题分类统计（按来源）",
        ("问题类别", *sources, "合计（个）", "占比"),
        rows,
    )


def _reminders_sentence(data: ReportData) -> str:
    """Reminders as items and units reminded, never as messages sent."""
    reminders = data.reminders
    kinds = counts_phrase(reminders.by_kind, "项")
    return (
        f"截至{cn_date(data.as_of)}，按督办程序对逾期的{reminders.items}项事项"
        f"（{kinds}）、涉及{reminders.units}个单位逐级发出催办，"
        f"共发送督办通知{reminders.messages}条。"
    )


def _burn_down_sentence(points: list[BurnDownPoint]) -> str:
    """The burn-down in words: the units' own items (自查自纠等) apart from what the inspection
    phase added (检查发现), so late findings do not read as a relapse."""
    first, last = points[0], points[-1]
    if not last.inspection_found:
        return (
            f"未完成整改事项由{cn_date(first.day)}的{first.open_items}项"
            f"{_moved(first.open_items, last.open_items)}{cn_date(last.day)}的{last.open_items}项。"
        )
    peak = max(points, key=lambda point: (point.own_open, -point.day.toordinal()))
    start = peak if peak.own_open > last.own_open else first
    text = (
        f"自查自纠、信访举报和制度清理发现问题的未完成整改事项由{cn_date(start.day)}的"
        f"{start.own_open}项{_moved(start.own_open, last.own_open)}"
        f"{cn_date(last.day)}的{last.own_open}项；"
        f"检查组抽查发现问题新增整改事项{last.inspection_found}项"
    )
    done = last.inspection_found - last.inspection_open
    text += f"，已完成{done}项" if done else ""
    text += f"，尚有{last.inspection_open}项未完成" if last.inspection_open else "，已全部完成"
    return text + f"。两者合计未完成{last.open_items}项。"


def _moved(before: int, after: int) -> str:
    return "降至" if after < before else "变为"
