"""`qinglian outbox`: the notification outbox (targets by name; never a URL)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from models.enums import OutboxStatus
from qinglian.cli.common import AnyCampaign, coded, console, friendly, id_parser
from qinglian.cli.database import database_app, in_session
from qinglian.core.clock import CHINA
from qinglian.oversight.outbox import HeldClaim, OutboxView, list_outbox, retry_outbox

app = database_app("outbox", "发件箱 / notification outbox")


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
        campaign_id=campaign,
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
            _status(row),
            str(row.attempts),
            row.last_error or "",
        )
    console.print(table)


def _status(row: OutboxView) -> str:
    if row.status != OutboxStatus.sending or row.claimed_by_pid is None:
        return row.status.value
    return f"{row.status.value} (pid {row.claimed_by_pid} @ {row.claimed_by_host})"


@app.command("retry")
@friendly
def outbox_retry(
    ids: Annotated[
        list[int] | None,
        typer.Argument(
            parser=id_parser("消息编号", "message id"),
            metavar="[IDS]...",
            help="消息编号 ids（默认：全部失败、放弃和发送中断的）"
            " / ids (default: all failed, given up or stuck)",
        ),
    ] = None,
    campaign: AnyCampaign = None,
) -> None:
    """重发失败、放弃或发送中断的通知 / send failed, given-up or stuck messages again."""
    # A ``sending`` row is stuck when the process that claimed it is gone or its lease has
    # passed; one a running delivery still holds is left alone, and counted with its holder.
    result = in_session(
        retry_outbox,
        now=datetime.now(UTC),
        ids=ids or None,
        campaign_id=campaign,
    )
    console.print(
        f"已重新排队 {result.total} 条（失败或放弃 {result.requeued}，发送中断 "
        f"{result.recovered}） / requeued {result.total} ({result.requeued} failed or given up, "
        f"{result.recovered} stuck in sending)"
    )
    if result.held:
        count = len(result.held)
        console.print(
            f"未动 {count} 条：其投递进程可能仍在运行，租约到期前不重发 / left {count}: their "
            "delivery may still be running; not requeued before the lease ends"
        )
        for holder, n in Counter(_holder(h) for h in result.held).items():
            console.print(f"  {_described(*holder, count=n)}", highlight=False)


def _holder(held: HeldClaim) -> tuple[str | None, int | None, bool, str]:
    ends = (
        held.lease_ends.astimezone(CHINA).isoformat(timespec="seconds") if held.lease_ends else "-"
    )
    return held.host, held.pid, held.here, ends


def _described(host: str | None, pid: int | None, here: bool, ends: str, *, count: int) -> str:
    if host is None:
        return (
            f"{count} 条未记录持有进程（旧记录），租约至 {ends} / {count} with no recorded owner "
            f"(claimed before owners were kept), lease until {ends}"
        )
    if here:
        return (
            f"{count} 条由本机进程 {pid} 持有（仍在运行），租约至 {ends} / {count} held by pid "
            f"{pid} on this host (running), lease until {ends}"
        )
    return (
        f"{count} 条由主机 {host} 的进程 {pid} 持有（无法从本机核实），租约至 {ends} / {count} "
        f"held by pid {pid} on host {host} (not checkable from here), lease until {ends}"
    )
