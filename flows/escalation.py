"""The daily escalation sweep (督办) and the delivery of the outbox.

The sweep writes one digest per recipient for every item-step due by ``as_of`` that is not
queued yet, for one campaign or for every active one; delivery sends the outbox and records
each send. Both are safe to re-run: the outbox
keys (campaign, target, item, ladder step) make a skipped or crashed run catch up exactly once.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack
from datetime import date, timedelta
from uuid import UUID

from prefect import flow, tags
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from pydantic import BaseModel

from models.flow_inputs import DeliverInput, ReplayInput, SweepInput
from qinglian.core import heartbeats, locks
from qinglian.core.clock import today_in_china
from qinglian.core.errors import QinglianError
from qinglian.oversight.board_outbox import BoardResult
from qinglian.oversight.delivery import DeliveryResult
from qinglian.oversight.outbox import SweepResult
from qinglian.reporting.artifacts import artifact_key
from tasks.escalate import (
    find_active_campaigns,
    queue_board_pictures,
    send_outbox,
    write_digests,
)
from tasks.runs import crash_orphaned_runs

# Every run here ends without waiting out Prefect's heartbeat sleep, as the unit runs do
# (see qinglian/core/heartbeats.py).
heartbeats.install()


# The replay's result stays beside it: its counts are qinglian.oversight's models, which
# models/ may not import.
class DaySweep(BaseModel):
    """One day of a replay: what its sweep queued and what its delivery sent."""

    day: date
    sweep: SweepResult
    boards: BoardResult
    delivery: DeliveryResult


def sweep_labels(campaign_id: int) -> list[str]:
    """The tags of every sweep and replay run of a campaign."""
    return [f"campaign:{campaign_id}", "escalation"]


def sweep_lock(campaign_id: int) -> AbstractContextManager[None]:
    """The lock a sweep or a replay holds to its end: a second one, anywhere, fails at once."""
    return locks.hold(
        f"sweep:{campaign_id}",
        wait=False,
        busy=QinglianError(
            f"专项活动 {campaign_id} 的督办扫描正在运行（另一进程），请等它结束后再运行",
            f"the escalation sweep of campaign {campaign_id} is already running in another "
            "process; run it again when that one ends",
        ),
    )


def _take_over(campaign_id: int) -> None:
    """With the sweep's lock held, no live process sweeps: the runs left unfinished crash."""
    crash_orphaned_runs(sweep_labels(campaign_id), UUID(flow_run.id))


class SweepRun(BaseModel):
    """One day's sweep of one campaign or of every active one, and the delivery after it."""

    day: date
    sweeps: list[SweepResult]  # one per campaign swept, by campaign id
    boards: list[BoardResult]  # the day's 督办榜, one result per campaign swept
    delivery: DeliveryResult


def _sweep_run_name() -> str:
    params = SweepInput.model_validate(flow_run.parameters["params"])
    if params.campaign_id is None:
        return "督办扫描 · 全部进行中的专项活动"
    return f"督办扫描 · 专项活动 {params.campaign_id}"


@flow(name="escalation-sweep", flow_run_name=_sweep_run_name)
def escalation_sweep(params: SweepInput) -> SweepRun:
    """The daily sweep, one at a time per campaign: what is due climbs the ladder; digests go out.

    Without a campaign it sweeps every active one (launched, not completed, started by
    ``as_of``), each under its own lock and labels, held to the end; then delivers once.
    """
    as_of = params.as_of or today_in_china()
    if params.campaign_id is None:
        campaign_ids = find_active_campaigns(as_of)
    else:
        campaign_ids = [params.campaign_id]
    with ExitStack() as held:
        for campaign_id in campaign_ids:
            held.enter_context(sweep_lock(campaign_id))
            _take_over(campaign_id)
        return _sweep(campaign_ids, as_of, params)


def start_sweep(params: SweepInput) -> SweepRun:
    """Run one campaign's sweep from the CLI: its lock first, so that a sweep already running is
    one error line, not a failed flow run (the flow takes the lock again, in this same thread)."""
    if params.campaign_id is None:
        raise ValueError("start_sweep runs the sweep of one named campaign")
    with sweep_lock(params.campaign_id), tags(*sweep_labels(params.campaign_id)):
        return escalation_sweep(params)


def _sweep(campaign_ids: list[int], as_of: date, params: SweepInput) -> SweepRun:
    results = [write_digests(campaign_id, as_of) for campaign_id in campaign_ids]
    boards = [queue_board_pictures(campaign_id, as_of) for campaign_id in campaign_ids]
    delivered = send_outbox(params.campaign_id) if params.deliver else DeliveryResult()
    for result, board in zip(results, boards, strict=True):
        _publish_sweep(result, board, delivered, every_campaign=params.campaign_id is None)
    return SweepRun(day=as_of, sweeps=results, boards=boards, delivery=delivered)


def _publish_sweep(
    result: SweepResult, board: BoardResult, delivered: DeliveryResult, *, every_campaign: bool
) -> None:
    sent = "发送（全部专项活动一并发送）" if every_campaign else "发送"
    create_markdown_artifact(
        key=artifact_key(result.campaign_id, "escalation", "sweep"),
        markdown=(
            f"# 督办扫描 · 截至 {result.as_of.isoformat()}\n\n"
            f"- 未完成事项 {result.open_items} 项，本次到期的督办步骤 {result.due_item_steps} 个"
            f"（已发过 {result.already_queued} 个，新增 {result.new_item_steps} 个）\n"
            f"- 生成汇总通知 {result.digests} 份（其中分条发送 {result.parts} 条）；"
            f"无法送达（未配置通知目标）{result.unreachable} 个\n"
            f"- 督办榜：新绘制 {board.drawn} 张，排队发送 {board.queued} 条"
            f"（此前已排队 {board.already_queued} 条，跳过 {board.skipped} 个对象）\n"
            f"- {sent}：成功 {delivered.sent}，失败待重试 {delivered.failed}，"
            f"放弃 {delivered.given_up}（其中被接收方拒收 {delivered.rejected}）；"
            f"接手中断进程的待发通知 {delivered.taken_over} 份\n"
        ),
        description="督办扫描结果（仅统计数字）",
    )


@flow(
    name="escalation-replay",
    flow_run_name="督办逐日扫描 · 专项活动 {params.campaign_id} · {params.start}–{params.end}",
)
def escalation_replay(params: ReplayInput) -> list[DaySweep]:
    """The daily sweep, day by day with ``as_of`` advancing, each day delivered before the next.

    Tasks, not a flow run per day: a day's sweep of a small tree takes milliseconds. It holds
    the sweep's lock, as the sweep does.
    """
    with sweep_lock(params.campaign_id):
        _take_over(params.campaign_id)
        return _replay(params)


def _replay(params: ReplayInput) -> list[DaySweep]:
    days: list[DaySweep] = []
    as_of = params.start
    while as_of <= params.end:
        result = write_digests(params.campaign_id, as_of)
        boards = queue_board_pictures(params.campaign_id, as_of)
        delivered = send_outbox(params.campaign_id) if params.deliver else DeliveryResult()
        days.append(DaySweep(day=as_of, sweep=result, boards=boards, delivery=delivered))
        as_of += timedelta(days=1)
    create_table_artifact(
        key=artifact_key(params.campaign_id, "escalation", "replay"),
        table=[
            {
                "日期": item.day.isoformat(),
                "未完成事项": item.sweep.open_items,
                "新增督办步骤": item.sweep.new_item_steps,
                "汇总通知": item.sweep.digests,
                "督办榜": item.boards.queued,
                "已发送": item.delivery.sent,
                "失败待重试": item.delivery.failed,
            }
            for item in days
            if item.sweep.new_item_steps or item.delivery.attempted
        ],
        description="逐日督办扫描（仅统计数字）",
    )
    return days


@flow(name="deliver-outbox", flow_run_name="发送通知")
def deliver_outbox(params: DeliverInput) -> DeliveryResult:
    """Send what waits in the outbox: failed sends come back after their backoff."""
    return send_outbox(params.campaign_id)
