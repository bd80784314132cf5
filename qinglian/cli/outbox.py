"""`qinglian outbox`: the notification outbox (targets by name; never a URL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from models.enums import OutboxStatus
from qinglian.cli.common import campaign_id_option, coded, console, friendly, id_parser
from qinglian.cli.database import database_app, in_session
from qinglian.oversight.outbox import list_outbox, retry_outbox

app = database_app("outbox", "发件箱 / notification outbox")

AnyCampaign = Annotated[str | None, typer.Option(help="专项活动编号 campaign id")]


@app.command("list")
@friendly
def outbox_list(
    campaign: AnyCampaign = None,
    status: Annotated[
        OutboxStatus | None,
        typer.Option(**coded(OutboxStatus, "发送状态", "--status"), help="发送状态 status"),
    ] = None,
) -> None:
    """发件箱 / the outbox (targets by name; never a URL)."""
    rows = in_session(
        list_outbox,
        campaign_id=campaign_id_option(campaign) if campaign else None,
        status=status,
    )
    table = Table(
        "#",
        "目标 target",
        "标题 title",
        "事项 items",
        "状态 status",
        "尝试 attempts",
        "错误 error",
        title="发件箱 / outbox",
    )
    for row in rows:
        table.add_row(
            str(row.id),
            row.target,
            row.title,
            str(row.item_count),
            row.status.value,
            str(row.attempts),
            row.last_error or "",
        )
    console.print(table)


@app.command("retry")
@friendly
def outbox_retry(
    ids: Annotated[
        list[int] | None,
        typer.Argument(
            parser=id_parser("消息编号", "message id"),
            metavar="[IDS]...",
            help="消息编号 ids (default: all failed)",
        ),
    ] = None,
    campaign: AnyCampaign = None,
) -> None:
    """重发失败的通知 / send failed or given-up messages again."""
    count = in_session(
        retry_outbox,
        now=datetime.now(UTC),
        ids=ids or None,
        campaign_id=campaign_id_option(campaign) if campaign else None,
    )
    console.print(f"已重新排队 {count} 条 / requeued {count}")
