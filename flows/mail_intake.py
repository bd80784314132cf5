"""The mail intake (邮件回收): the workbooks units return by e-mail, imported and answered.

Every 10 minutes (the ``mail-intake`` deployment) the intake mailbox's new mail is read: each
mail imported, refused or quarantined exactly once, and its receipt (回执) or refusal queued
in the outbox; then the outbox is delivered. One run at a time: a run that finds another
still reading the mailbox (a slow one, or one started from the command line) ends at once,
Completed and marked skipped, rather than queue behind it. Its artifact holds counts only:
no address, no name, no subject.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from uuid import UUID

from prefect import flow, get_run_logger, tags
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from pydantic import BaseModel, Field

from qinglian.core import heartbeats, locks
from qinglian.core.errors import QinglianError
from qinglian.intake.outcomes import IntakeResult
from qinglian.oversight.delivery import DeliveryResult
from tasks.escalate import send_outbox
from tasks.intake import read_intake_mailbox
from tasks.runs import crash_orphaned_runs

# As every run here: no waiting out Prefect's heartbeat sleep (qinglian/core/heartbeats.py).
heartbeats.install()

INTAKE_LABELS = ["mail-intake"]
ARTIFACT_KEY = "mail-intake"


# The input stays beside its flow: its result is qinglian.intake's model, which models/ may
# not import.
class IntakeInput(BaseModel):
    """Read the intake mailbox once: import, refuse or quarantine each new mail, then deliver."""

    as_of: date | None = Field(
        default=None,
        description="导入日期 (simulated clock)；不填：专项活动的模拟日期，否则今天",
    )
    limit: int | None = Field(
        default=None, ge=1, le=100_000, description="本次最多处理的邮件数 at most this many mails"
    )
    deliver: bool = Field(default=True, description="处理后立即发送回执 send the replies now")


class IntakeRun(BaseModel):
    intake: IntakeResult
    delivery: DeliveryResult
    skipped: bool = False  # another run was reading the mailbox


class IntakeRunning(QinglianError):
    def __init__(self) -> None:
        super().__init__(
            "邮件回收正在运行（另一进程），请等它结束后再运行",
            "the mail intake is already running in another process; run it again when it ends",
        )


def intake_lock() -> AbstractContextManager[None]:
    """Held for a whole run: a second one, anywhere, is refused at once."""
    return locks.hold("mail-intake", wait=False, busy=IntakeRunning())


@flow(name="mail-intake", flow_run_name="邮件回收 · 导入各单位回复的工作簿")
def mail_intake(params: IntakeInput) -> IntakeRun:
    """Read the intake mailbox once, then deliver the receipts (see the module's docs)."""
    try:
        with intake_lock():
            crash_orphaned_runs(INTAKE_LABELS, UUID(flow_run.id))
            intake = read_intake_mailbox(params.as_of, params.limit)
            delivered = send_outbox(None) if params.deliver else DeliveryResult()
    except IntakeRunning:
        get_run_logger().info("邮件回收正在另一进程中运行，本次跳过 / another run is reading")
        return IntakeRun(intake=IntakeResult(), delivery=DeliveryResult(), skipped=True)
    _publish(intake, delivered)
    return IntakeRun(intake=intake, delivery=delivered)


def start_intake(params: IntakeInput) -> IntakeRun:
    """Run the intake from the CLI: its lock first, so that a run already going is one error
    line, not a skipped flow run (the flow takes the lock again, in this same thread)."""
    with intake_lock(), tags(*INTAKE_LABELS):
        return mail_intake(params)


def _publish(intake: IntakeResult, delivered: DeliveryResult) -> None:
    get_run_logger().info(
        "邮件回收：读取 %s 封，导入 %s，退回 %s，隔离 %s / read %s, imported %s, rejected %s, "
        "quarantined %s",
        intake.read,
        intake.imported,
        intake.rejected,
        intake.quarantined,
        intake.read,
        intake.imported,
        intake.rejected,
        intake.quarantined,
    )
    busy = "\n- 阶段运行正在读取数据，余下邮件留待下次运行\n" if intake.busy else ""
    create_markdown_artifact(
        key=ARTIFACT_KEY,
        markdown=(
            "# 邮件回收\n\n"
            f"- 读取邮件 {intake.read} 封：导入 {intake.imported}，退回 {intake.rejected}，"
            f"隔离 {intake.quarantined}\n"
            f"- 续办上次中断的 {intake.resumed} 封；此前已处理、仅补标已读 {intake.already} 封\n"
            f"- 排队回复（回执或退回说明）{intake.replies} 封\n"
            f"- 发送：成功 {delivered.sent}，失败待重试 {delivered.failed}，"
            f"放弃 {delivered.given_up}\n{busy}"
        ),
        description="邮件回收结果（仅统计数字）",
    )
