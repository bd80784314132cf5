"""What a digest says before it is rendered: its sections by urgency, each unit's block, and
whose mobile is @-mentioned.

The most urgent section comes first (提请纪检, 下级单位逾期, 本单位逾期, then 待办), and an item
shows once per digest, in the most urgent section that carries it for the target. Units are
named for the layout: the text with name and code, markdown by name alone, with the code only
where two units of one digest share a name.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import NamedTuple
from urllib.parse import quote

from qinglian.oversight.notices import Notice
from qinglian.oversight.open_items import OpenItem
from qinglian.oversight.recipients import UnitEntry
from qinglian.rules.ladder import Audience

# A digest lists this many items per unit and units per section; the rest are counted.
ITEMS_PER_UNIT = 10
MARKDOWN_ITEMS_PER_UNIT = 3
UNITS_PER_SECTION = 30
# Where a channel has a limit, an item's title is cut to this many characters.
TITLE_CHARS = 80
# The portal's page of one unit (qinglian/portal/routes/tasks.py).
UNIT_PAGE = "/units/{code}"
_CN_NUMERALS = "一二三四五六七八九十"
SECTION_HEADINGS = {
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
# Sections by urgency: what is longest overdue first, what is merely coming last.
URGENCY = (Audience.discipline, Audience.parent_office, Audience.head, Audience.office)
_BY_DEADLINE = attrgetter("deadline", "key")  # a unit's items, the earliest deadline first
_DEADLINE = attrgetter("deadline")
# Markdown's own characters in names and titles become their full-width forms: no stray bold,
# and no link a unit file could slip in.
_MARKDOWN_SAFE = str.maketrans("*_`[]<>#|~", "＊＿｀［］＜＞＃｜～")


# What the templates see: plain tuples, so Jinja's attribute lookups take the fast path.
class ItemRow(NamedTuple):
    kind: str
    title: str
    deadline: str
    state: str


class UnitBlock(NamedTuple):
    label: str  # the name (and code, where the layout shows it)
    counted: str  # 逾期3项 / 待办2项 / 3项（逾期1项）
    link: str  # the unit's portal page, or ""
    entries: list[tuple[int, ItemRow]]  # numbered from 1
    more: int
    continued: bool  # a later run of the block's item lines, in a later part


class Section(NamedTuple):
    number: str
    heading: str
    request: str
    units: list[UnitBlock]
    more_units: int
    more_items: int
    continued: bool  # the section began in an earlier part
    tail: bool  # the section ends here: its "另有" line and its request


@dataclass(slots=True)
class UnitGroup:
    """One unit in one section: its items (by deadline) and, when listed, its block."""

    entry: UnitEntry
    items: list[OpenItem]
    block: UnitBlock | None = None

    @property
    def listed(self) -> int:
        return len(self.block.entries) if self.block else 0


@dataclass(slots=True)
class SectionGroup:
    """One section: its units listed (with blocks) and those only counted (``rest``)."""

    audience: Audience
    view: Section
    units: list[UnitGroup]
    rest: list[UnitGroup]

    @property
    def count(self) -> int:
        return sum(len(unit.items) for unit in self.units) + self.view.more_items


@dataclass(frozen=True, slots=True)
class Layout:
    """How a format shows units: how many items each, and whether by name and code."""

    markdown: bool
    limited: bool  # the channel has a size limit: titles are clipped
    portal: str  # the portal's address without a trailing slash, or ""

    @property
    def items_per_unit(self) -> int:
        return MARKDOWN_ITEMS_PER_UNIT if self.markdown else ITEMS_PER_UNIT


def build_sections(
    notices: Sequence[Notice],
    directory: Mapping[int, UnitEntry],
    rows: ItemRows,
    layout: Layout,
    as_of: date,
) -> list[SectionGroup]:
    """The target's notices as sections by urgency, then units (overdue first), then items."""
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
    ordered = [(audience, grouped[audience]) for audience in URGENCY if audience in grouped]
    if len(ordered) > 1:
        ordered = _once(ordered)
    sections: list[SectionGroup] = []
    for audience, by_unit in ordered:
        units = [
            UnitGroup(directory[unit_id], sorted(items.values(), key=_BY_DEADLINE))
            for unit_id, items in by_unit.items()
        ]
        if len(units) > 1:
            # Units with overdue items first, then by how much they owe.
            units.sort(key=lambda u: (-_overdue(u.items, as_of), -len(u.items), u.entry.code))
        listed, rest = units[:UNITS_PER_SECTION], units[UNITS_PER_SECTION:]
        view = Section(
            _CN_NUMERALS[len(sections)],
            SECTION_HEADINGS[audience],
            _SECTION_REQUESTS[audience],
            [],
            len(rest),
            sum(len(unit.items) for unit in rest),
            False,
            True,
        )
        sections.append(SectionGroup(audience, view, listed, rest))
    clashes = _clashes(sections) if layout.markdown else frozenset()
    for section in sections:
        for unit in section.units:
            unit.block = _block(unit, rows, layout, as_of, clashes)
            section.view.units.append(unit.block)
    return sections


def _once(
    ordered: list[tuple[Audience, dict[int, dict[str, OpenItem]]]],
) -> list[tuple[Audience, dict[int, dict[str, OpenItem]]]]:
    """Each item once, in the most urgent section that carries it for this target."""
    seen: set[str] = set()
    kept = []
    for audience, by_unit in ordered:
        left: dict[int, dict[str, OpenItem]] = {}
        for unit_id, items in by_unit.items():
            fresh = {key: item for key, item in items.items() if key not in seen}
            if fresh:
                left[unit_id] = fresh
                seen.update(fresh)
        if left:
            kept.append((audience, left))
    return kept


def _block(
    unit: UnitGroup, rows: ItemRows, layout: Layout, as_of: date, clashes: AbstractSet[str]
) -> UnitBlock:
    entry = unit.entry
    if not layout.markdown:
        label = f"{entry.name}（{entry.code}）"
    else:
        # By name alone, unless two units of the digest share it (one hospital's 产科 and
        # another's).
        label = entry.name.translate(_MARKDOWN_SAFE)
        if entry.name in clashes:
            label = f"{label}（{entry.code}）"
    shown = unit.items[: layout.items_per_unit]
    link = ""
    if layout.portal:
        link = layout.portal + UNIT_PAGE.format(code=quote(entry.code, safe=""))
    return UnitBlock(
        label,
        _counted(unit.items, as_of),
        link,
        [(n, rows.get(item.key) or rows.add(item)) for n, item in enumerate(shown, start=1)],
        len(unit.items) - len(shown),
        False,
    )


def _clashes(sections: Sequence[SectionGroup]) -> frozenset[str]:
    """The names two listed units of one digest share."""
    units = {unit.entry.id: unit.entry.name for s in sections for unit in s.units}
    return frozenset(name for name, n in Counter(units.values()).items() if n > 1)


def _overdue(items: Sequence[OpenItem], as_of: date) -> int:
    """How many of a unit's items (by deadline) are overdue: they come first."""
    if len(items) == 1:
        return int(items[0].deadline < as_of)
    return bisect_left(items, as_of, key=_DEADLINE)


def _counted(items: Sequence[OpenItem], as_of: date) -> str:
    overdue = _overdue(items, as_of)
    if overdue == len(items):
        return f"逾期{overdue}项"
    if not overdue:
        return f"待办{len(items)}项"
    return f"{len(items)}项（逾期{overdue}项）"


class ItemRows(dict[str, ItemRow]):
    """Each item's row by its key, made once per sweep and layout (an item shows in several
    targets' digests); the deadline's text and state are made once per deadline."""

    def __init__(self, as_of: date, layout: Layout) -> None:
        super().__init__()
        self._as_of = as_of
        self._markdown = layout.markdown
        self._limited = layout.limited
        self._deadlines: dict[date, tuple[str, str]] = {}

    def add(self, item: OpenItem) -> ItemRow:
        when = self._deadlines.get(item.deadline)
        if when is None:
            when = self._deadlines[item.deadline] = _deadline_texts(item.deadline, self._as_of)
        title = item.title
        if self._limited and len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1] + "…"
        if self._markdown:
            title = title.translate(_MARKDOWN_SAFE)
        row = self[item.key] = ItemRow(item.kind.label, title, *when)
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


def recipient_line(sections: Sequence[SectionGroup]) -> str:
    audiences = {section.audience for section in sections}
    if audiences <= {Audience.office, Audience.head}:
        names = {unit.entry.name for section in sections for unit in section.units}
        if len(names) == 1 and not any(section.rest for section in sections):
            return f"{names.pop()}专项活动办公室"
    if audiences == {Audience.discipline}:
        return "纪检监察组织"
    return "专项活动办公室"


def headline(sections: Sequence[SectionGroup]) -> str:
    audiences = {section.audience for section in sections}
    if Audience.discipline in audiences:
        return "逾期事项提请纪检督办"
    if Audience.parent_office in audiences:
        return "下级单位逾期督办"
    if Audience.head in audiences:
        return "逾期事项督办"
    return "待办事项提醒"


def mobiles(
    section: SectionGroup, units: Sequence[UnitGroup], recipient: UnitEntry | None
) -> Iterator[str]:
    """Whom to @-mention for ``units`` named in ``section``: for a unit's own items its office
    contact (待办) or its head (逾期); for a subordinate's or a long-overdue item, the
    recipient unit's office contact. A unit only counted ("另有N个单位") is not named, so
    nobody is mentioned for it. Personal data: for the mention list only."""
    audience = section.audience
    if audience is Audience.office:
        yield from (unit.entry.mobiles.office for unit in units if unit.entry.mobiles.office)
    elif audience is Audience.head:
        yield from (unit.entry.mobiles.head for unit in units if unit.entry.mobiles.head)
    elif recipient is not None and recipient.mobiles.office:
        yield recipient.mobiles.office
