"""Which unit a returned mail comes from: its reply token, else its sender's listed address.

A unit's reply token (回复码, :mod:`qinglian.org.reply_tokens`) rides in the Reply-To of the
mail it was sent, as the intake address's sub-address, and in the subject. A reply carries it
back: in ``To``/``Cc``/``Delivered-To``/``X-Original-To`` (only at the intake address's own
local part and domain, when ``QINGLIAN_INTAKE_ADDRESS`` is set) or in the subject.

Without a token, the ``From`` address must be one listed for exactly one unit: the unit's
office or discipline e-mail, or an ``email:`` notification contact of it. Such a mail is
trusted as far as the receiving server's verdict goes: if its ``Authentication-Results`` say
DMARC failed (or SPF failed without a passing DKIM signature), the From is forged and the mail
is quarantined.

The token and the sender disagree when the token is unit A's and the From is listed for other
units only: the mail is refused (nothing imported), and the listed sender is told why. A
token with an unlisted sender (a colleague's own mailbox) is accepted: the token is what
only the unit's mail carries. Tokens of two different units in one mail are refused the same
way. A sender listed for several units, without a token, is asked to reply to its reminder.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session, col, select

from models.outbox import NotifyContact
from models.unit import Unit
from qinglian.notify.targets import EMAIL_PREFIX
from qinglian.org.reply_tokens import token_from_address, token_from_subject


class IdentifiedBy(StrEnum):
    token = "token"
    sender = "sender"
    none = ""


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a mail, as far as the intake can tell.

    ``unit_id`` is the unit it comes from, when known. Otherwise ``refusal`` (zh, en) says why
    a known sender is refused, and ``answer_unit_id`` is a unit the sender is listed for (the
    reply goes through its campaign); with neither, the sender is unknown (quarantine, no reply).
    """

    unit_id: int | None
    by: IdentifiedBy = IdentifiedBy.none
    refusal: tuple[str, str] | None = None
    answer_unit_id: int | None = None
    forged: bool = False


@dataclass
class ContactBook:
    """Every listed address, lower-case, to the units it is listed for: read once per run."""

    units_by_address: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> ContactBook:
        found: dict[str, set[int]] = defaultdict(set)
        for unit_id, office, discipline in session.exec(
            select(Unit.id, Unit.office_email, Unit.discipline_email).where(
                col(Unit.office_email).is_not(None) | col(Unit.discipline_email).is_not(None)
            )
        ):
            for address in (office, discipline):
                for one in _split(address):
                    found[one].add(unit_id)
        for unit_id, target in session.exec(
            select(NotifyContact.unit_id, NotifyContact.target).where(
                col(NotifyContact.target).startswith(EMAIL_PREFIX)
            )
        ):
            for one in _split(target.removeprefix(EMAIL_PREFIX)):
                found[one].add(unit_id)
        return cls(dict(found))

    def units_of(self, address: str) -> set[int]:
        return self.units_by_address.get(address.strip().lower(), set())


def token_units(session: Session, tokens: tuple[str, ...]) -> dict[str, int]:
    """The unit of each token that names one."""
    if not tokens:
        return {}
    return {
        token: unit_id
        for token, unit_id in session.exec(
            select(Unit.reply_token, Unit.id).where(col(Unit.reply_token).in_(tokens))
        )
        if token is not None and unit_id is not None
    }


def mail_tokens(
    recipients: tuple[str, ...], subject: str, intake_address: str | None
) -> tuple[str, ...]:
    """The reply tokens a mail carries: on its recipient addresses (only those at the intake
    address's local part and domain, when it is set), then in its subject."""
    if intake_address:
        local, _, domain = intake_address.strip().lower().rpartition("@")
        base = local.split("+", 1)[0]
        recipients = tuple(
            address
            for address in recipients
            if address.rpartition("@")[2] == domain
            and address.rpartition("@")[0].split("+", 1)[0] == base
        )
    found = [token_from_address(address) for address in recipients]
    found.append(token_from_subject(subject))
    return tuple(dict.fromkeys(token for token in found if token))


def identify(
    *,
    sender: str,
    token_unit_ids: list[int],
    contacts: ContactBook,
    forged: bool,
) -> Sender:
    """The rules of the module's docs, on what the mail says and who is listed."""
    listed = contacts.units_of(sender) if sender else set()
    answer = min(listed) if listed else None
    tokened = sorted(set(token_unit_ids))
    if len(tokened) > 1:
        return Sender(
            None,
            refusal=(
                "邮件中的回复码分属不同单位，无法确定是哪个单位报送；请直接回复本单位收到的提醒邮件",
                "the mail carries reply tokens of different units; reply to your own unit's "
                "reminder",
            ),
            answer_unit_id=answer,
        )
    if tokened:
        unit_id = tokened[0]
        if listed and unit_id not in listed:
            return Sender(
                None,
                refusal=(
                    "邮件中的回复码属于另一单位，与发件邮箱登记的单位不符；为防误报，未导入。"
                    "请用本单位登记的邮箱回复本单位收到的提醒邮件，或登录门户上报",
                    "the mail's reply token is another unit's than the one the sender is "
                    "listed for; nothing imported. Reply to your own unit's reminder from "
                    "your listed address, or use the portal",
                ),
                answer_unit_id=answer,
            )
        return Sender(unit_id, by=IdentifiedBy.token)
    if not listed:
        return Sender(None)
    if forged:
        return Sender(None, forged=True)
    if len(listed) > 1:
        return Sender(
            None,
            refusal=(
                "发件邮箱登记在多个单位名下，无法确定是哪个单位报送；请直接回复本单位收到的提醒"
                "邮件（其中带有本单位的回复码）",
                "the sender's address is listed for several units; reply to your unit's "
                "reminder, which carries its reply token",
            ),
            answer_unit_id=answer,
        )
    return Sender(answer, by=IdentifiedBy.sender)


def _split(addresses: str | None) -> list[str]:
    if not addresses:
        return []
    parts = addresses.replace("；", ";").replace("，", ",").replace(";", ",").split(",")
    return [part.strip().lower() for part in parts if "@" in part]
