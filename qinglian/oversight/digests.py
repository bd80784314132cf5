"""The digests: one message per target, its notices grouped by audience then unit (督办通知).

Rendered from the Jinja2 templates in ``qinglian/oversight/messages``; persisting them is
:mod:`qinglian.oversight.outbox`'s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from models.campaign import Campaign
from qinglian.oversight.notices import Notice
from qinglian.oversight.open_items import OpenItem
from qinglian.oversight.recipients import UnitEntry
from qinglian.rules.ladder import Audience

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
# A digest lists this many items per unit and units per section; the rest are counted.
ITEMS_PER_UNIT = 10
UNITS_PER_SECTION = 30
_CN_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True, slots=True)
class Digest:
    """One message for one target: what it says and which item-steps it carries."""

    target: str
    key: str
    title: str
    body: str
    notices: tuple[Notice, ...]


_ENV = Environment(
    loader=FileSystemLoader(MESSAGES_DIR),
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    undefined=StrictUndefined,
)
DIGEST_TEMPLATE = "digest.j2"
_SECTION_HEADINGS = {
    Audience.office: "本单位待办事项",
    Audience.head: "本单位逾期事项（呈单位负责人）",
    Audience.parent_office: "下级单位逾期事项（一级抓一级）",
    Audience.discipline: "逾期较长的事项（提请纪检监察组织督办）",
}
_SECTION_REQUESTS = {
    Audience.office: "请按时限办理，办结后及时报送。",
    Audience.head: "上述事项已逾期，请单位负责人督促办理，尽快报送。",
    Audience.parent_office: "请督促上述单位抓紧办理，层层抓落实。",
    Audience.discipline: "上述事项逾期较长，提请纪检监察组织督办问责。",
}
_AUDIENCE_ORDER = list(Audience)


# What the template sees: plain tuples, so Jinja's attribute lookups take the fast path.
class ItemRow(NamedTuple):
    kind: str
    title: str
    deadline: str
    state: str


class UnitBlock(NamedTuple):
    name: str
    code: str
    count: int
    entries: list[tuple[int, str, str, str, str]]  # number, then an ItemRow
    more: int


class Section(NamedTuple):
    number: str
    audience: Audience
    heading: str
    request: str
    units: list[UnitBlock]
    count: int
    more_units: int
    more_items: int


def compose_digests(
    notices: Iterable[Notice],
    *,
    campaign: Campaign,
    as_of: date,
    directory: Mapping[int, UnitEntry],
) -> list[Digest]:
    """One digest per target: its notices grouped by audience, then unit."""
    by_target: dict[str, dict[str, Notice]] = {}
    for notice in notices:
        carried = by_target.get(notice.target)
        if carried is None:
            carried = by_target[notice.target] = {}
        carried[notice.item_step] = notice
    template = _ENV.get_template(DIGEST_TEMPLATE)
    rows: dict[str, ItemRow] = {}
    fixed = {
        "campaign_title": campaign.title,
        "campaign_short": _short_title(campaign.title),
        "as_of_zh": f"{as_of.year}年{as_of.month}月{as_of.day}日",
        "closing": "专项活动办公室",
    }
    digests = []
    for target in sorted(by_target):
        carried = by_target[target]
        target_notices = tuple(carried.values())
        key = digest_key(campaign.id or 0, target, as_of, carried)
        sections = _sections(target_notices, as_of, directory, rows)
        # shared=True: the template uses no Jinja globals, so skip merging them per digest.
        context = template.new_context(
            {
                **fixed,
                "recipient": _recipient(sections),
                "sections": sections,
                "total": sum(section.count for section in sections),
                "headline": _headline(sections),
                "key": key,
                "short_key": key[:16],
            },
            shared=True,
        )
        digests.append(
            Digest(
                target=target,
                key=key,
                title="".join(template.blocks["title"](context)).strip(),
                body="".join(template.blocks["body"](context)).strip(),
                notices=target_notices,
            )
        )
    return digests


def digest_key(campaign_id: int, target: str, as_of: date, item_steps: Iterable[str]) -> str:
    """sha256 of the campaign, target, sweep day and the sorted item-step keys."""
    text = "\x1f".join([str(campaign_id), target, as_of.isoformat(), *sorted(item_steps)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sections(
    notices: Sequence[Notice],
    as_of: date,
    directory: Mapping[int, UnitEntry],
    rows: dict[str, ItemRow],
) -> list[Section]:
    # Within a section, an item shows once, at the highest step this target got for it.
    best: dict[Audience, dict[str, Notice]] = {}
    for notice in notices:
        audience = notice.step.audience
        shown = best.get(audience)
        if shown is None:
            shown = best[audience] = {}
        key = notice.item.key
        other = shown.get(key)
        if other is None or notice.rank > other.rank:
            shown[key] = notice
    sections: list[Section] = []
    for audience in _AUDIENCE_ORDER:
        chosen = best.get(audience)
        if chosen is None:
            continue
        by_unit: dict[int, list[OpenItem]] = {}
        for notice in chosen.values():
            item = notice.item
            listed = by_unit.get(item.unit_id)
            if listed is None:
                by_unit[item.unit_id] = [item]
            else:
                listed.append(item)
        unit_ids = list(by_unit)
        if len(unit_ids) > 1:
            unit_ids.sort(key=lambda u: (-len(by_unit[u]), directory[u].code))
        units = []
        for unit_id in unit_ids[:UNITS_PER_SECTION]:
            unit_items = by_unit[unit_id]
            unit_items.sort(key=_by_deadline)
            entries = []
            for number, item in enumerate(unit_items[:ITEMS_PER_UNIT], start=1):
                row = rows.get(item.key)
                if row is None:
                    row = rows[item.key] = _item_row(item, as_of)
                entries.append((number, *row))
            unit = directory[unit_id]
            count = len(unit_items)
            units.append(
                UnitBlock(unit.name, unit.code, count, entries, max(0, count - ITEMS_PER_UNIT))
            )
        rest = unit_ids[UNITS_PER_SECTION:]
        sections.append(
            Section(
                _CN_NUMERALS[len(sections)],
                audience,
                _SECTION_HEADINGS[audience],
                _SECTION_REQUESTS[audience],
                units,
                len(chosen),
                len(rest),
                sum(len(by_unit[u]) for u in rest) if rest else 0,
            )
        )
    return sections


def _by_deadline(item: OpenItem) -> tuple[date, str]:
    return item.deadline, item.key


def _item_row(item: OpenItem, as_of: date) -> ItemRow:
    days = (as_of - item.deadline).days
    if days < 0:
        state = f"还有{-days}天到期"
    elif days == 0:
        state = "今日到期"
    else:
        state = f"已逾期{days}天"
    return ItemRow(
        item.kind.label, item.title, f"{item.deadline.month}月{item.deadline.day}日", state
    )


def _recipient(sections: Sequence[Section]) -> str:
    audiences = {section.audience for section in sections}
    if audiences <= {Audience.office, Audience.head}:
        names = {unit.name for section in sections for unit in section.units}
        if len(names) == 1 and not any(section.more_units for section in sections):
            return f"{names.pop()}专项活动办公室"
    if audiences == {Audience.discipline}:
        return "纪检监察组织"
    return "专项活动办公室"


def _headline(sections: Sequence[Section]) -> str:
    audiences = {section.audience for section in sections}
    if Audience.discipline in audiences:
        return "逾期事项提请纪检督办"
    if Audience.parent_office in audiences:
        return "下级单位逾期督办"
    if Audience.head in audiences:
        return "逾期事项督办"
    return "待办事项提醒"


def _short_title(title: str) -> str:
    return title if len(title) <= 12 else "专项活动"
