"""`qinglian status`: reporting progress of a campaign, rolled up the org tree."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from models.rate import ReportingRate
from qinglian.cli.common import (
    UNIT_CODE,
    AsOf,
    CampaignArg,
    as_of_or_today,
    campaign_id_option,
    console,
    friendly,
)
from qinglian.cli.database import DatabaseGroup
from qinglian.core import db
from qinglian.oversight.status_json import status_document, status_text, unit_status
from qinglian.oversight.tracking import UnitProgress
from qinglian.reporting.artifacts import percent

app = typer.Typer(cls=DatabaseGroup)


@app.command("status")
@friendly
def status(
    campaign: CampaignArg,
    unit: Annotated[str | None, typer.Option(**UNIT_CODE, help="单位编码 unit code")] = None,
    phase: Annotated[str | None, typer.Option(help="阶段 phase key (default: all)")] = None,
    as_of: AsOf = None,
    as_json: Annotated[bool, typer.Option("--json", help="稳定的 JSON 输出 / stable JSON")] = False,
) -> None:
    """上报进度及逐级汇总 / reporting progress rolled up the tree."""
    campaign_id = campaign_id_option(campaign)
    day = as_of_or_today(as_of)
    with db.session_scope() as session:
        gathered = unit_status(
            session=session, campaign_id=campaign_id, as_of=day, unit_code=unit, phase=phase
        )
    if as_json:
        typer.echo(status_text(status_document(gathered)))
        return
    record, progress, own, overdue = (
        gathered.campaign,
        gathered.progress,
        gathered.own,
        gathered.overdue,
    )
    console.print(
        f"{record.title}  专项活动 {record.id}  截至 {day}" + (f"  阶段 {phase}" if phase else ""),
        highlight=False,
    )
    console.print(_progress_table(progress))
    if progress.forms is not None:
        console.print(_forms_table(progress))
        if unit:
            names = "、".join(f"{f.staff_no} {f.name}" for f in overdue) or "无 none"
            console.print(f"逾期未报《报告表》/ overdue forms: {names}", highlight=False)
    if own:
        table = Table(
            "事项 item",
            "截止 due",
            "提交 submitted",
            "状态 status",
            title=f"{progress.name} 本级事项 / own deliverables",
        )
        for view in own:
            table.add_row(
                view.title, str(view.due_on), str(view.submitted_on or ""), view.status.label
            )
        console.print(table)


def _forms_table(progress: UnitProgress) -> Table:
    table = Table(
        "单位 unit",
        "应报 expected",
        "已报 received",
        "按时 on time",
        "逾期 late",
        "缺报 missing",
        "上报率 rate",
        "问题线索 findings",
        title="《报告表》收集及问题线索 / declarations and findings",
    )
    for node, name in [(progress, Text(progress.name, style="bold"))] + [
        (child, Text(f"  {child.name}")) for child in progress.children
    ]:
        forms = node.forms or ReportingRate()
        table.add_row(
            name,
            str(forms.expected),
            str(forms.received),
            str(forms.on_time),
            str(forms.late),
            str(forms.missing),
            percent(forms.rate),
            str(sum(node.findings.values())),
        )
    return table


def _progress_table(progress: UnitProgress) -> Table:
    table = Table(
        "单位 unit",
        "层级",
        "本级完成率 own",
        "应报 expected",
        "已报 received",
        "按时 on time",
        "逾期 late",
        "缺报 missing",
        "未到期 pending",
        "上报率 rate",
        title="上报率（本单位及各下级单位，含其所属） / reporting rate of the subtree",
    )

    def row(node: UnitProgress, name: Text) -> None:
        rate: ReportingRate = node.subtree
        table.add_row(
            name,
            node.level.label,
            percent(node.own.rate),
            str(rate.expected),
            str(rate.received),
            str(rate.on_time),
            str(rate.late),
            str(rate.missing),
            str(rate.pending),
            percent(rate.rate),
        )

    row(progress, Text(progress.name, style="bold"))
    for child in progress.children:
        row(child, Text(f"  {child.name}"))
    return table
