"""`qinglian escalate`: the escalation sweep, as a Prefect flow."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.escalation import start_sweep
from models.flow_inputs import SweepInput
from qinglian.cli.common import AsOf, CampaignOption, console, friendly
from qinglian.cli.database import DatabaseGroup, campaign_as_of

app = typer.Typer(cls=DatabaseGroup)


@app.command("escalate")
@friendly
def escalate(
    campaign: CampaignOption,
    as_of: AsOf = None,
    send: Annotated[bool, typer.Option("--send/--no-send", help="扫描后发送")] = True,
) -> None:
    """督办扫描：逾期事项逐级提醒并发送 / run the escalation sweep (and deliver)."""
    campaign_id, day = campaign_as_of(campaign, as_of)
    run = start_sweep(SweepInput(campaign_id=campaign_id, as_of=day, deliver=send))
    sent = run.delivery
    for result, board in zip(run.sweeps, run.boards, strict=True):
        console.print(
            f"督办 {day}: 未完成事项 {result.open_items}，新增督办步骤 {result.new_item_steps}，"
            f"汇总通知 {result.digests} 条，督办榜 {board.queued} 条 / open {result.open_items}, "
            f"new steps {result.new_item_steps}, digest messages {result.digests}, "
            f"boards {board.queued}"
        )
    if send:
        console.print(
            f"发送 / delivery: 成功 sent {sent.sent}，失败待重试 failed {sent.failed}，"
            f"放弃 given up {sent.given_up}（拒收 rejected {sent.rejected}），"
            f"接手中断的发送 taken over {sent.taken_over}",
            highlight=False,
        )
