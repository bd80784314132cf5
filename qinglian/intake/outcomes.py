"""What became of a mail: its status, the reason kept with it, and the reply it gets.

Two reasons: the one kept in ``IntakeMail.reason`` (shown by ``qinglian intake list``) never
quotes a workbook (no file name, no cadre, no cell: counts and unit codes only), while the
reply to the unit says everything it needs, row errors included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel

from models.enums import IntakeStatus
from models.unit import Unit
from qinglian.core.errors import RowError
from qinglian.intake.importing import Accepted
from qinglian.intake.records import MAX_ATTEMPTS
from qinglian.intake.replies import Reply, quarantine_reply, receipt_reply, refusal_reply
from qinglian.intake.screening import Problem, describe
from qinglian.intake.senders import IdentifiedBy

Reason = tuple[str, str]

UNKNOWN: Reason = (
    "发件人未知：邮件没有回复码，发件邮箱也未登记在任何单位",
    "unknown sender: no reply token, and the address is listed for no unit",
)
FORGED: Reason = (
    "发件人疑似伪造：邮件没有回复码，收件服务器的 SPF/DMARC 校验未通过",
    "the sender looks forged: no reply token, and the receiving server's SPF/DMARC check failed",
)
STUCK: Reason = (
    f"已处理 {MAX_ATTEMPTS} 次均未完成（处理进程每次都中断），为免阻塞其他邮件已隔离",
    f"claimed {MAX_ATTEMPTS} times and never finished (each run died on it); quarantined so it "
    "does not hold up other mail",
)
MACHINE: Reason = ("自动回复或退信，不予处理", "an auto-reply or a bounce; not processed")
NO_ATTACHMENT: Reason = (
    "邮件没有附件：请把填好的工作簿（.xlsx）作为附件回复",
    "the mail has no attachment: reply with the filled-in workbook (.xlsx) attached",
)
NO_CAMPAIGN: Reason = (
    "发件单位目前没有进行中的专项活动，无处导入",
    "the sending unit takes part in no active campaign; nothing to import into",
)
NOT_READ: Reason = (
    "附件未能识别或读取，未导入任何数据（原因见回复邮件）",
    "an attachment could not be recognised or read; nothing imported (the reply says why)",
)
NOT_IMPORTED: Reason = (
    "工作簿未通过导入检查，未导入任何数据（原因见回复邮件）",
    "a workbook failed the import's checks; nothing imported (the reply says why)",
)


def row_errors(count: int) -> Reason:
    return (
        f"工作簿中有 {count} 处错误，未导入任何数据；请按下列各项修改后重新发送",
        f"{count} error(s) in the workbook, nothing imported; correct each cell listed and "
        "send it again",
    )


class IntakeResult(BaseModel):
    """What one run did, in counts only (what the flow's artifact shows)."""

    read: int = 0  # mails fetched
    imported: int = 0
    rejected: int = 0
    quarantined: int = 0
    already: int = 0  # settled by an earlier run that died before flagging: flagged only
    resumed: int = 0  # claimed by an earlier run that died: processed again
    replies: int = 0  # receipts and refusals queued in the outbox
    busy: bool = False  # stopped early: a phase run held the inputs

    def count(self, status: IntakeStatus) -> None:
        if status is IntakeStatus.imported:
            self.imported += 1
        elif status is IntakeStatus.rejected:
            self.rejected += 1
        else:
            self.quarantined += 1


@dataclass
class Outcome:
    """A mail decided. ``unit`` is the unit it comes from; ``answer_unit`` the unit whose
    campaign the reply is filed under (the sender's, when the unit is not known)."""

    status: IntakeStatus
    reason: Reason | None = None
    unit: Unit | None = None
    by: IdentifiedBy = IdentifiedBy.none
    reply: Reply | None = None
    answer_unit: Unit | None = None
    campaign_id: int | None = None
    day: date | None = None
    receipt: str | None = None
    accepted: list[Accepted] = field(default_factory=list)

    @classmethod
    def known(cls, unit: Unit, by: IdentifiedBy) -> Outcome:
        return cls(IntakeStatus.rejected, unit=unit, by=by, answer_unit=unit)

    def quarantine(self, problem: Problem, max_mb: int) -> Outcome:
        """Kept unopened; the known unit is told why."""
        self.status = IntakeStatus.quarantined
        self.reason = describe(problem, max_mb=max_mb)
        assert self.unit is not None
        self.reply = quarantine_reply(self.unit, self.reason)
        return self

    def refuse(
        self, said: Reason, errors: Sequence[RowError] = (), *, kept: Reason | None = None
    ) -> Outcome:
        """Nothing imported: ``said`` (and the row errors) in the reply, ``kept`` on record."""
        self.status = IntakeStatus.rejected
        self.reason = kept or said
        self.accepted = []
        self.reply = refusal_reply(self.unit, said, errors)
        return self

    def accept(self, receipt: str, accepted: list[Accepted]) -> Outcome:
        assert self.unit is not None
        self.status = IntakeStatus.imported
        self.reason = None
        self.receipt = receipt
        self.accepted = accepted
        self.reply = receipt_reply(self.unit, receipt, accepted)
        return self
