"""Answers to returned mail: a receipt (回执) for what was imported, or the reason it was not.

A reply is an outbox message to ``email:<sender>``, keyed sha256(message key + "reply"), so a
mail processed again never queues a second one; the outbox delivers it like any other message,
crash-safe. Its title starts ``回执：`` or ``退回：``; its body is in Chinese with English
beside it: the receipt number (the portal's format, ``HZ20120720-7KQ3M9XA``) and the counts per
workbook, or the reason and every row error (the importers' own bilingual lines, the first
:data:`ERRORS_SHOWN` of them). It quotes nothing of an attachment but those row errors.

Nothing is sent to a sender the intake does not know (it may be forged), nor to a machine (an
auto-reply, a bounce): see :mod:`qinglian.intake.processing`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from models.enums import OutboxStatus
from models.outbox import OutboxMessage
from models.unit import Unit
from qinglian.core.errors import RowError
from qinglian.intake.importing import Accepted
from qinglian.notify.targets import email_target
from qinglian.org.reply_tokens import subject_tag

ERRORS_SHOWN = 100
_TITLE_MAX = OutboxMessage.__table__.columns["title"].type.length  # type: ignore[attr-defined]
_FOOTER = (
    "\n——\n本邮件由专项活动办公室的回收邮箱自动发出。也可登录门户查看和上报。\n"
    "Sent by the campaign office's intake mailbox. You may also use the portal.\n"
)


@dataclass(frozen=True, slots=True)
class Reply:
    title: str
    body: str


def reply_key(message_key: str) -> str:
    return hashlib.sha256(f"{message_key}reply".encode()).hexdigest()


def receipt_reply(unit: Unit, receipt: str, accepted: Sequence[Accepted]) -> Reply:
    lines = "\n".join(f"- {item.line()}" for item in accepted)
    body = (
        f"{unit.name}（{unit.code}）：\n\n"
        f"您单位发来的工作簿已收到并导入。回执编号：{receipt}\n"
        f"Your workbook has been received and imported. Receipt number: {receipt}\n\n"
        f"{lines}\n\n请保存回执编号备查。/ Keep the receipt number for your records.\n{_FOOTER}"
    )
    return Reply(_title(f"回执：{unit.name}的工作簿已导入（{receipt}）", unit), body)


def refusal_reply(
    unit: Unit | None, reason: tuple[str, str], errors: Sequence[RowError] = ()
) -> Reply:
    """Nothing imported: the reason, and the row errors of a workbook refused row by row."""
    zh, en = reason
    shown = "\n".join(f"- {error}" for error in errors[:ERRORS_SHOWN])
    more = len(errors) - ERRORS_SHOWN
    if more > 0:
        shown += f"\n- ……另有 {more} 处错误 / … and {more} more"
    table = f"\n逐项错误 / errors, cell by cell:\n{shown}\n" if errors else ""
    greeting = f"{unit.name}（{unit.code}）：\n\n" if unit is not None else ""
    body = (
        f"{greeting}您发来的邮件未能导入，未写入任何数据。/ Your mail was not imported; "
        f"nothing was written.\n\n原因：{zh}\nReason: {en}\n{table}\n"
        f"请修改后重新发送，或登录门户上报。/ Correct it and send it again, or use the portal.\n"
        f"{_FOOTER}"
    )
    return Reply(_title(f"退回：{_short(zh)}", unit), body)


def quarantine_reply(unit: Unit, reason: tuple[str, str]) -> Reply:
    """Kept unopened: the reason, and how to send it so that it can be read."""
    zh, en = reason
    body = (
        f"{unit.name}（{unit.code}）：\n\n"
        f"您发来的邮件已被隔离，附件未被打开，未导入任何数据。/ Your mail was quarantined: its "
        f"attachments were not opened and nothing was imported.\n\n原因：{zh}\nReason: {en}\n\n"
        "请以不加密、不含宏的 .xlsx 工作簿（每个不超过规定大小）重新发送，或登录门户上报。/ "
        "Send the workbook again as a plain .xlsx (no password, no macros, within the size "
        f"limit), or use the portal.\n{_FOOTER}"
    )
    return Reply(_title(f"退回：邮件已隔离（{_short(zh)}）", unit), body)


def queue_reply(
    session: Session,
    *,
    message_key: str,
    campaign_id: int,
    unit_id: int | None,
    sender: str,
    reply: Reply,
    day: date,
) -> OutboxMessage:
    """The reply as an outbox message (flushed): once per mail, whatever runs again."""
    key = reply_key(message_key)
    existing = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()
    if existing is not None:
        return existing
    message = OutboxMessage(
        campaign_id=campaign_id,
        target=email_target(sender),
        key=key,
        idempotency_key=key,
        sweep_on=day,
        title=reply.title,
        body=reply.body,
        item_count=0,
        unit_id=unit_id,
        status=OutboxStatus.pending,
    )
    session.add(message)
    session.flush()
    return message


def _title(text: str, unit: Unit | None) -> str:
    """The title, with the unit's reply tag so that answering the reply reaches the intake
    knowing the unit; cut to the column."""
    tag = f" {subject_tag(unit.reply_token)}" if unit is not None and unit.reply_token else ""
    room = _TITLE_MAX - len(tag)
    return (text if len(text) <= room else text[: room - 1] + "…") + tag


def _short(text: str) -> str:
    first = text.split("；", 1)[0].split("。", 1)[0]
    return first if len(first) <= 60 else first[:59] + "…"
