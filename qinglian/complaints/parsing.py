"""A complaint as read in: its channel and category parsed, its checks, the keys it is known by.

Both ways in (:func:`qinglian.complaints.intake.add_complaint` and the importer) parse and check
an :class:`IntakeItem` here; no message quotes the complaint's text.

A complaint names a person (被反映人) or, with that left empty, only a unit: a complaint about the
unit as a whole (its 作风). Such a complaint is valid when its 被反映单位 resolves to exactly one
unit of the campaign's tree; with neither a person nor a known unit there is nobody to route it to.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models.complaint import Complaint
from models.enums import ComplaintChannel, FindingCategory
from qinglian.complaints import crypto
from qinglian.rules.categories import parse_alleged_category
from qinglian.rules.names import normalise_name
from qinglian.rules.text import normalise_content, normalise_text
from qinglian.rules.unit_names import UnitMatch, normalise_unit

_COLUMNS = Complaint.__table__.columns  # type: ignore[attr-defined]
MAX_LENGTH = {
    "accused_name": _COLUMNS["accused_name_raw"].type.length,
    "accused_unit": _COLUMNS["accused_unit_raw"].type.length,
    "external_ref": _COLUMNS["external_ref"].type.length,
    "category": _COLUMNS["alleged_category_raw"].type.length,
}

CHANNEL_WORDS: dict[ComplaintChannel, tuple[str, ...]] = {
    ComplaintChannel.hotline: ("举报电话", "热线", "电话", "来电", "hotline", "phone", "telephone"),
    ComplaintChannel.letter: ("来信", "信件", "信函", "书信", "letter", "mail", "post"),
    ComplaintChannel.visit: ("来访", "走访", "上访", "面谈", "visit", "in person"),
    ComplaintChannel.email: ("电子邮件", "邮件", "邮箱", "email", "e-mail"),
    ComplaintChannel.leader_mailbox: (
        "领导信箱",
        "书记信箱",
        "局长信箱",
        "院长信箱",
        "leader mailbox",
    ),
    ComplaintChannel.online: (
        "网络举报",
        "网络",
        "网上",
        "网站",
        "民声通道",
        "online",
        "web",
        "internet",
    ),
}


@dataclass(frozen=True, slots=True)
class IntakeItem:
    """One complaint to store, already parsed; its text and contact never print."""

    channel: ComplaintChannel
    received_on: date
    anonymous: bool
    accused_name: str = field(repr=False)
    accused_unit: str = field(repr=False)
    alleged_category: FindingCategory | None
    alleged_category_raw: str = field(repr=False)
    content: str = field(repr=False)
    contact: str = field(repr=False)
    external_ref: str | None = None
    intake_key: str | None = None


def parse_channel(value: Any) -> ComplaintChannel:
    """渠道: 举报电话/热线, 来信, 来访, 电子邮件, 领导信箱, 网络举报/民声通道, or the value."""
    if isinstance(value, ComplaintChannel):
        return value
    text = re.sub(r"\s+", "", normalise_text(str(value or ""))).casefold()
    if not text:
        raise ValueError("渠道不能为空 / the channel is empty")
    for channel in ComplaintChannel:
        if text in (channel.value, channel.label.casefold()):
            return channel
    for channel, words in CHANNEL_WORDS.items():
        if any(text == re.sub(r"\s+", "", word).casefold() for word in words):
            return channel
    for channel, words in CHANNEL_WORDS.items():
        if any(len(word) > 1 and word in text for word in words if not word.isascii()):
            return channel
    labels = "、".join(channel.label for channel in ComplaintChannel)
    raise ValueError(
        f"无法识别的渠道「{value}」，应为：{labels}"
        f" / unrecognised channel {str(value)!r}; expected one of "
        f"{', '.join(channel.value for channel in ComplaintChannel)}"
    )


def parse_category(value: Any) -> tuple[FindingCategory | None, str]:
    """问题类别 → (category or None when it names none, the text as written)."""
    if isinstance(value, FindingCategory):
        return value, value.value
    raw = normalise_text(str(value or ""))
    return parse_alleged_category(raw), raw


def names_nobody(accused_name: str) -> bool:
    """Whether a 被反映人 as written names no person: the complaint is about a unit."""
    return normalise_name(accused_name).empty


def intake_problems(
    item: IntakeItem, as_of: date, *, unit: UnitMatch
) -> list[tuple[str, str, str]]:
    """(field, zh, en) for everything wrong with an item; the messages never quote its text.

    ``unit`` is what the item's 被反映单位 resolved to among the campaign's units: a complaint
    naming nobody must name one unit the campaign holds.
    """
    problems: list[tuple[str, str, str]] = []
    if names_nobody(item.accused_name):
        problems.extend(_unit_complaint_problems(item, unit))
    if item.received_on > as_of:
        problems.append(
            (
                "received_on",
                f"收到日期 {item.received_on.isoformat()} 晚于今天（{as_of.isoformat()}）",
                f"the date received {item.received_on.isoformat()} is after today "
                f"({as_of.isoformat()})",
            )
        )
    if not item.content.strip():
        problems.append(("content", "举报内容不能为空", "the complaint text is empty"))
    for key, text in (
        ("accused_name", item.accused_name),
        ("accused_unit", item.accused_unit),
        ("external_ref", item.external_ref or ""),
        ("category", item.alleged_category_raw),
    ):
        if len(text) > MAX_LENGTH[key]:
            problems.append(
                (
                    key,
                    f"内容过长（{len(text)} 个字符，最多 {MAX_LENGTH[key]} 个）",
                    f"too long ({len(text)} characters, at most {MAX_LENGTH[key]})",
                )
            )
    return problems


def _unit_complaint_problems(item: IntakeItem, unit: UnitMatch) -> list[tuple[str, str, str]]:
    if not normalise_unit(item.accused_unit):
        return [
            (
                "accused_name",
                "被反映人与被反映单位不能都为空（反映单位的，请写明被反映单位）",
                "the accused person and the accused unit are both empty "
                "(for a complaint about a unit, name the unit)",
            )
        ]
    if not unit.known:
        return [
            (
                "accused_unit",
                "被反映人为空时，被反映单位须为本专项活动范围内的单位，未找到该单位",
                "with no accused person, the accused unit must be a unit of this campaign; "
                "it was not found",
            )
        ]
    if len(unit.unit_ids) > 1:
        return [
            (
                "accused_unit",
                f"被反映人为空时，被反映单位须能确定为一个单位，现可对应 {len(unit.unit_ids)} "
                "个单位，请写全称",
                f"with no accused person, the accused unit must name one unit; it names "
                f"{len(unit.unit_ids)} units of this campaign (write its full name)",
            )
        ]
    return []


def content_digest(content: str) -> str:
    """The keyed digest duplicates are found by (the text itself is never compared)."""
    return crypto.digest(normalise_content(content))


def receipt_hash(code: str) -> str:
    """sha256 of a receipt code as the complainant may type it (case, dashes, spaces folded)."""
    canonical = re.sub(r"[\s\-]+", "", normalise_text(code)).upper()
    return hashlib.sha256(canonical.encode("ascii", "ignore")).hexdigest()


def ref_key(external_ref: str) -> str:
    """The intake key of a complaint with a 编号: the number decides what is the same row."""
    return hashlib.sha256(f"ref\x1f{external_ref}".encode()).hexdigest()


def row_key(item: IntakeItem, digest: str) -> str:
    """The intake key of a row without 编号: everything it says (keyed, as it covers the text)."""
    contact = crypto.digest(normalise_content(item.contact)) if item.contact else ""
    return crypto.digest(
        "\x1f".join(
            (
                "row",
                item.channel.value,
                item.received_on.isoformat(),
                normalise_unit(item.accused_name),
                normalise_unit(item.accused_unit),
                item.alleged_category_raw,
                digest,
                contact,
            )
        )
    )
