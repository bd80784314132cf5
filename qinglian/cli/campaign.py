"""`qinglian campaign`: launch and list campaigns; `campaign run` lives apart because it
starts flows (:mod:`qinglian.cli.campaign_run`), so these two never import Prefect."""

from __future__ import annotations

from typing import Annotated, ClassVar

import typer
from rich.table import Table
from sqlmodel import select

from models import Campaign, Unit
from qinglian.campaigns.launch import launch_campaign
from qinglian.cli.common import UNIT_CODE, console, date_option, err, friendly
from qinglian.cli.database import DatabaseGroup
from qinglian.cli.lazy import Lazy, LazyGroup
from qinglian.core import db


class _CampaignGroup(LazyGroup, DatabaseGroup):
    lazy: ClassVar[dict[str, Lazy]] = {
        "run": Lazy(
            "qinglian.cli.campaign_run",
            "按顺序运行已开始的各阶段（检查总结阶段生成报告并结束活动）/ run every started phase.",
            group=False,
        )
    }


app = typer.Typer(
    name="campaign", cls=_CampaignGroup, help="专项活动 / campaigns", no_args_is_help=True
)


@app.command("launch")
@friendly
def campaign_launch(
    template: Annotated[str, typer.Option(help="模板 template key, e.g. coi-2012")],
    root: Annotated[str, typer.Option(**UNIT_CODE, help="牵头单位编码 root unit code")],
    start: Annotated[str | None, typer.Option(help="开始日期 start date")] = None,
) -> None:
    """发起专项活动 / launch a campaign over a unit's subtree."""
    start_on = date_option(start, "开始日期", "start")
    with db.session_scope() as session:
        campaign, created = launch_campaign(
            session=session, template_key=template, root_code=root, start_on=start_on
        )
    if created:
        err.print(f"已发起 / launched: {campaign.title}（{campaign.start_on} 起）", highlight=False)
    else:
        err.print("该活动已发起，未重复创建 / already launched, nothing created")
    console.print(campaign.id)


@app.command("list")
@friendly
def campaign_list() -> None:
    """列出专项活动 / list campaigns."""
    table = Table("id", "模板 template", "名称 title", "牵头单位 root", "开始 start")
    with db.session_scope() as session:
        for campaign in session.exec(select(Campaign).order_by(Campaign.id)):
            root = session.get(Unit, campaign.root_unit_id)
            table.add_row(
                str(campaign.id),
                campaign.template_key,
                campaign.title,
                root.name if root else "",
                str(campaign.start_on),
            )
    console.print(table)
