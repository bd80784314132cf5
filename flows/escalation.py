"""The daily escalation sweep (督办) and the delivery of the outbox.

The sweep writes one digest per recipient for every item-step due by ``as_of`` that is not
queued yet; delivery sends the outbox and records each send. Both are safe to re-run: the outbox
keys (campaign, target, item, ladder step) make a skipped or crashed run catch up exactly once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import BaseModel, Field, model_validator
from sqlmodel import Session

from qinglian.core.clock import today_in_china
from qinglian.core.db import get_engine
from qinglian.notify.notifier import get_notifier
from qinglian.oversight.outbox import DeliveryResult, SweepResult, deliver, sweep
from qinglian.reporting.artifacts import artifact_key
from tasks.publish import DB_RETRIES


class SweepInput(BaseModel):
    """Run the escalation ladder for a campaign as of a day, then deliver the outbox."""

    campaign_id: int = Field(ge=1, description="专项活动编号 campaign id")
    as_of: date | None = Field(default=None, description="按此日期督办 (simulated clock)")
    deliver: bool = Field(default=True, description="扫描后立即发送 send right after the sweep")


class DeliverInput(BaseModel):
    """Send what is waiting in the outbox (all campaigns unless one is named)."""

    campaign_id: int | None = Field(default=None, ge=1, description="专项活动编号 campaign id")


def _session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


@task(**DB_RETRIES)
def write_digests(campaign_id: int, as_of: date) -> SweepResult:
    """Queue one digest per recipient for every ladder step now due; idempotent."""
    with _session() as session:
        return sweep(session=session, campaign_id=campaign_id, as_of=as_of)


@task(retries=2, retry_delay_seconds=[5, 30])
def send_outbox(campaign_id: int | None) -> DeliveryResult:
    """Send due digests over email, WeCom, DingTalk, Feishu and webhooks; record each send."""
    return deliver(
        session_factory=_session,
        notifier=get_notifier(),
        now=datetime.now(UTC),
        campaign_id=campaign_id,
    )


@flow(name="escalation-sweep", flow_run_name="督办扫描 · 专项活动 {params.campaign_id}")
def escalation_sweep(params: SweepInput) -> SweepResult:
    """The daily sweep: what is due climbs the ladder; digests go out."""
    as_of = params.as_of or today_in_china()
    result = write_digests(params.campaign_id, as_of)
    delivered = send_outbox(params.campaign_id) if params.deliver else DeliveryResult()
    create_markdown_artifact(
        key=artifact_key(params.campaign_id, "escalation", "sweep"),
        markdown=(
            f"# 督办扫描 · 截至 {as_of.isoformat()}\n\n"
            f"- 未完成事项 {result.open_items} 项，本次到期的督办步骤 {result.due_item_steps} 个"
            f"（已发过 {result.already_queued} 个，新增 {result.new_item_steps} 个）\n"
            f"- 生成汇总通知 {result.digests} 份；无法送达（未配置通知目标）{result.unreachable} 个\n"
            f"- 发送：成功 {delivered.sent}，失败待重试 {delivered.failed}，"
            f"放弃 {delivered.given_up}\n"
        ),
        description="督办扫描结果（仅统计数字）",
    )
    return result


class ReplayInput(BaseModel):
    """Run the daily sweep for every day of a span (catching up, or replaying a campaign)."""

    campaign_id: int = Field(ge=1, description="专项活动编号 campaign id")
    start: date = Field(description="第一天 first day")
    end: date = Field(description="最后一天 last day")
    deliver: bool = Field(default=True, description="每天扫描后立即发送 send after each day")

    @model_validator(mode="after")
    def _span(self) -> ReplayInput:
        if self.end < self.start:
            raise ValueError("end is before start / 结束日期早于开始日期")
        if (self.end - self.start).days > MAX_REPLAY_DAYS:
            raise ValueError(f"at most {MAX_REPLAY_DAYS} days / 最多 {MAX_REPLAY_DAYS} 天")
        return self


class DaySweep(BaseModel):
    day: date
    sweep: SweepResult
    delivery: DeliveryResult


MAX_REPLAY_DAYS = 400


@flow(
    name="escalation-replay",
    flow_run_name="督办逐日扫描 · 专项活动 {params.campaign_id} · {params.start}–{params.end}",
)
def escalation_replay(params: ReplayInput) -> list[DaySweep]:
    """The daily sweep, day by day with ``as_of`` advancing, each day delivered before the next.

    Tasks, not a flow run per day: a day's sweep of a small tree takes milliseconds.
    """
    days: list[DaySweep] = []
    day = params.start
    while day <= params.end:
        result = write_digests(params.campaign_id, day)
        delivered = send_outbox(params.campaign_id) if params.deliver else DeliveryResult()
        days.append(DaySweep(day=day, sweep=result, delivery=delivered))
        day += timedelta(days=1)
    create_table_artifact(
        key=artifact_key(params.campaign_id, "escalation", "replay"),
        table=[
            {
                "日期": item.day.isoformat(),
                "未完成事项": item.sweep.open_items,
                "新增督办步骤": item.sweep.new_item_steps,
                "汇总通知": item.sweep.digests,
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
