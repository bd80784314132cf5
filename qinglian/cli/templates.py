"""`qinglian templates`: the campaign templates shipped with qinglian (no database)."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from qinglian.campaigns.templates import all_templates, get_template
from qinglian.cli.common import console, friendly

app = typer.Typer(name="templates", help="活动模板 / campaign templates", no_args_is_help=True)


@app.command("list")
@friendly
def templates_list() -> None:
    """列出活动模板 / list campaign templates."""
    table = Table("key", "名称 title", "起止 window", "阶段 phases")
    for template in all_templates().values():
        table.add_row(
            template.key,
            template.title,
            f"{template.start} – {template.end}",
            " → ".join(phase.title for phase in template.phases),
        )
    console.print(table)


@app.command("show")
@friendly
def templates_show(key: str) -> None:
    """显示模板的阶段和上报事项 / show a template's phases and deliverables."""
    template = get_template(key)
    console.print(Text(f"{template.title}  ({template.key})", style="bold"))
    console.print(f"依据 basis: {template.basis}  来源 source: {template.source}")
    console.print(f"每级提前 {template.cascade_working_days} 个工作日 / working days per level")
    for phase in template.phases:
        table = Table(
            "事项 key",
            "名称 title",
            "截止 due",
            "适用层级 levels",
            title=f"{phase.title} ({phase.key}) {phase.starts} – {phase.ends}",
        )
        for item in phase.deliverables:
            due = item.due.isoformat()
            if item.after:
                due += f"（或 {item.after.deliverable} 后 {item.after.days} 天）"
            table.add_row(item.key, item.title, due, "、".join(lv.label for lv in item.levels))
        console.print(table)
