"""`qinglian campaign`: launch and list campaigns, and set how far down their unit runs go;
`campaign run` lives apart because it starts flows (:mod:`qinglian.cli.campaign_run`), so these
never import Prefect."""

from __future__ import annotations

from typing import Annotated, ClassVar

import typer
from rich.table import Table
from sqlmodel import select

from models import Campaign, Unit
from models.enums import Level
from qinglian.campaigns.launch import (
    RUN_DEPTHS,
    check_run_depth,
    launch_campaign,
    set_run_depth,
)
from qinglian.cli.common import (
    UNIT_CODE,
    CampaignArg,
    console,
    date_option,
    err,
    friendly,
)
from qinglian.cli.database import DatabaseGroup, in_session
from qinglian.cli.lazy import Lazy, LazyGroup
from qinglian.cli.usage import BadValue
from qinglian.core import db
from qinglian.core.errors import QinglianError


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


def _parse_run_depth(text: str) -> str:
    try:
        return check_run_depth(text).value
    except QinglianError as exc:  # read as the command line is: a usage error (exit 2)
        raise BadValue(exc.zh, exc.en) from None


# A run depth typed on the command line: --help lists the levels (typed ``str``, as an enum
# would list the ministry too), any other word is refused.
_LEVELS = "|".join(depth.value for depth in RUN_DEPTHS)
_CHOICES = f"[{_LEVELS}]"


def _depth_label(level: Level) -> str:
    """A run depth as it reads in output: 「县 county」."""
    return f"{level.label} {level.value}"


@app.command("launch")
@friendly
def campaign_launch(
    template: Annotated[str, typer.Option(help="模板 template key, e.g. coi-2012")],
    root: Annotated[str, typer.Option(**UNIT_CODE, help="牵头单位编码 root unit code")],
    start: Annotated[str | None, typer.Option(help="开始日期 start date")] = None,
    runs_down_to: Annotated[
        str,
        typer.Option(
            "--runs-down-to",
            parser=_parse_run_depth,
            metavar=_CHOICES,
            help="单位流程运行到哪一级，其下单位作为上级运行表格中的行 / run depth",
        ),
    ] = Level.institution.value,
) -> None:
    """发起专项活动 / launch a campaign over a unit's subtree."""
    start_on = date_option(start, "开始日期", "start")
    wanted = Level(runs_down_to)
    with db.session_scope() as session:
        campaign, created = launch_campaign(
            session=session,
            template_key=template,
            root_code=root,
            start_on=start_on,
            run_depth=wanted,
        )
    depth = campaign.run_depth
    if created:
        err.print(
            f"已发起 / launched: {campaign.title}（{campaign.start_on} 起），"
            f"单位流程运行到 {depth.label} / runs down to {depth.value}",
            highlight=False,
        )
    else:
        err.print("该活动已发起，未重复创建 / already launched, nothing created")
        if depth != wanted:
            change = f"qinglian campaign run-depth {campaign.id} {wanted.value}"
            err.print(
                f"其单位流程层级仍为 {depth.label}，未改为 {wanted.label}，"
                f"如需修改请用 `{change}` / it still runs down to {depth.value}, not "
                f"{wanted.value}: change it with `{change}`",
                highlight=False,
                soft_wrap=True,
            )
    console.print(campaign.id)


@app.command("run-depth")
@friendly
def campaign_run_depth(
    campaign: CampaignArg,
    level: Annotated[
        str,
        typer.Argument(
            parser=_parse_run_depth,
            metavar="LEVEL",
            help=f"单位流程运行到哪一级 / run depth: {_LEVELS}",
        ),
    ],
) -> None:
    """设置单位流程运行到哪一级，其下单位作为表格行 / set how far down a campaign's unit runs go."""
    old, new = in_session(set_run_depth, campaign_id=campaign, level=Level(level))
    if old == new:
        console.print(
            f"专项活动 {campaign} 的单位流程层级已是 {new.label}，未改动 / "
            f"campaign {campaign} already runs down to {new.value}, nothing changed"
        )
        return
    console.print(
        f"专项活动 {campaign} 单位流程层级：{old.label} → {new.label} / "
        f"campaign {campaign} run depth: {old.value} → {new.value}"
    )


@app.command("list")
@friendly
def campaign_list() -> None:
    """列出专项活动 / list campaigns."""
    table = Table(
        "id", "模板 template", "名称 title", "牵头单位 root", "开始 start", "运行到 runs down to"
    )
    with db.session_scope() as session:
        for campaign in session.exec(select(Campaign).order_by(Campaign.id)):
            root = session.get(Unit, campaign.root_unit_id)
            table.add_row(
                str(campaign.id),
                campaign.template_key,
                campaign.title,
                root.name if root else "",
                str(campaign.start_on),
                _depth_label(campaign.run_depth),
            )
    console.print(table)
