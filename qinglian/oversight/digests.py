"""The digests: one message per target, its notices grouped by audience then unit (督办通知).

Rendered from the Jinja2 templates in ``qinglian/oversight/messages``; persisting them is
:mod:`qinglian.oversight.outbox`'s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
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
_BY_DEADLINE = attrgetter("deadline", "key")  # a unit's items, the earliest deadline first


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
    entries: list[tuple[int, ItemRow]]  # numbered from 1
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
    """One digest per target: its notices grouped by audience, then unit.

    ``notices`` carry each (target, item-step) once, as :func:`notices_for` makes them.
    """
    by_target: dict[str, list[Notice]] = {}
    for notice in notices:
        carried = by_target.get(notice.target)
        if carried is None:
            by_target[notice.target] = [notice]
        else:
            carried.append(notice)
    template = _ENV.get_template(DIGEST_TEMPLATE)
    render_title, render_body = template.blocks["title"], template.blocks["body"]
    rows = _ItemRows(as_of)
    # One context for every digest, its values replaced per digest: shared=True makes this dict
    # the context's own (no copy, no Jinja globals; the template sets no variables), which
    # spares building a context 50,000 times in a national sweep.
    values: dict[str, object] = {
        "campaign_title": campaign.title,
        "campaign_short": _short_title(campaign.title),
        "as_of_zh": f"{as_of.year}年{as_of.month}月{as_of.day}日",
        "closing": "专项活动办公室",
    }
    context = template.new_context(values, shared=True)
    digests = []
    for target in sorted(by_target):
        target_notices = tuple(by_target[target])
        key = digest_key(campaign.id or 0, target, as_of, [n.item_step for n in target_notices])
        sections = _sections(target_notices, directory, rows)
        values["recipient"] = _recipient(sections)
        values["sections"] = sections
        values["total"] = sum(section.count for section in sections)
        values["headline"] = _headline(sections)
        values["key"] = key
        values["short_key"] = key[:16]
        digests.append(
            Digest(
                target=target,
                key=key,
                title="".join(render_title(context)).strip(),
                body="".join(render_body(context)).strip(),
                notices=target_notices,
            )
        )
    return digests


def digest_key(campaign_id: int, target: str, as_of: date, item_steps: Iterable[str]) -> str:
    """sha256 of the campaign, target, sweep day and the sorted item-step keys."""
    text = "\x1f".join([str(campaign_id), target, as_of.isoformat(), *sorted(item_steps)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sections(
    notices: Sequence[Notice], directory: Mapping[int, UnitEntry], rows: _ItemRows
) -> list[Section]:
    # Audience, then unit, then the unit's items: within a section an item shows once, however
    # many of that audience's steps this target got for it.
    grouped: dict[Audience, dict[int, dict[str, OpenItem]]] = {}
    for notice in notices:
        item = notice.item
        units = grouped.get(notice.step.audience)
        if units is None:
            grouped[notice.step.audience] = {item.unit_id: {item.key: item}}
            continue
        unit_items = units.get(item.unit_id)
        if unit_items is None:
            units[item.unit_id] = {item.key: item}
        else:
            unit_items[item.key] = item
    sections: list[Section] = []
    for audience in _AUDIENCE_ORDER:
        by_unit = grouped.get(audience)
        if by_unit is None:
            continue
        unit_ids = list(by_unit)
        if len(unit_ids) > 1:
            unit_ids.sort(key=lambda u: (-len(by_unit[u]), directory[u].code))
        units = []
        for unit_id in unit_ids[:UNITS_PER_SECTION]:
            unit_items = sorted(by_unit[unit_id].values(), key=_BY_DEADLINE)
            entries = [
                (number, rows.get(item.key) or rows.add(item))
                for number, item in enumerate(unit_items[:ITEMS_PER_UNIT], start=1)
            ]
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
                sum(map(len, by_unit.values())),
                len(rest),
                sum(len(by_unit[u]) for u in rest) if rest else 0,
            )
        )
    return sections


class _ItemRows(dict[str, ItemRow]):
    """Each item's row by its key, made once per sweep (an item shows in several targets'
    digests); the deadline's text and state are made once per deadline."""

    def __init__(self, as_of: date) -> None:
        super().__init__()
        self._as_of = as_of
        self._deadlines: dict[date, tuple[str, str]] = {}

    def add(self, item: OpenItem) -> ItemRow:
        when = self._deadlines.get(item.deadline)
        if when is None:
            when = self._deadlines[item.deadline] = _deadline_texts(item.deadline, self._as_of)
        row = self[item.key] = ItemRow(item.kind.label, item.title, *when)
        return row


def _deadline_texts(deadline: date, as_of: date) -> tuple[str, str]:
    """The deadline as the digest prints it, and how far it is from ``as_of``."""
    days = (as_of - deadline).days
    if days < 0:
        state = f"还有{-days}天到期"
    elif days == 0:
        state = "今日到期"
    else:
        state = f"已逾期{days}天"
    return f"{deadline.month}月{deadline.day}日", state


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
