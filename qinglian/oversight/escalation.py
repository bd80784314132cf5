"""What is due, who is told, and the digests that tell them (督办).

Every kind of deadline a campaign has becomes an :class:`OpenItem`: unit deliverables (phase
summaries, the ``*_summary`` ones, told apart), the declaration forms a unit has not collected
(as counts, never names), rectification items and rules-review changes not done. The ladder
(:mod:`qinglian.rules.ladder`) says which steps have come; each step's audience resolves to
target names; the notices are grouped into one digest per target, rendered from the Jinja2
templates in ``qinglian/messages``.

Everything is set-based: one query per kind of item and one for the unit tree, then plain
Python over tuples, so a national campaign (50,000 units, 200,000 open items) sweeps in
seconds. Persistence of the digests is :mod:`qinglian.outbox`'s.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models.campaign import Campaign, Deliverable
from models.enums import ContactRole, FindingCategory, FindingStatus, RuleDecision
from models.finding import Finding, RuleReviewItem
from models.outbox import NotifyContact
from models.rectification import RectificationItem
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.campaigns.templates import all_templates
from qinglian.core.errors import NotFoundError
from qinglian.declarations.completeness import FORMS_DELIVERABLE, cadre_forms
from qinglian.notify.notifier import EMAIL_PREFIX, email_target, is_email_target, normalise_target
from qinglian.rules.ladder import (
    DEFAULT_LADDER,
    Audience,
    Ladder,
    LadderStep,
    LaggingThresholds,
    UnitLoad,
    earliest_open_deadline,
    lagging_units,
    steps_reached,
)

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
SUMMARY_SUFFIX = "_summary"
# A digest lists this many items per unit and units per section; the rest are counted.
ITEMS_PER_UNIT = 10
UNITS_PER_SECTION = 30
_OPEN_FINDINGS = (
    FindingStatus.open,
    FindingStatus.verifying,
    FindingStatus.confirmed,
    FindingStatus.rectifying,
)
_CN_NUMERALS = "一二三四五六七八九十"
# Keeps every IN (...) under SQLite's historical limit of 999 bound parameters.
_CHUNK = 900


class ItemKind(StrEnum):
    deliverable = "deliverable"
    summary = "summary"
    forms = "forms"
    rectification = "rectification"
    rule_review = "rule_review"

    @property
    def label(self) -> str:
        return ITEM_KIND_LABELS[self]


ITEM_KIND_LABELS = {
    ItemKind.deliverable: "上报事项",
    ItemKind.summary: "阶段性总结",
    ItemKind.forms: "报告表",
    ItemKind.rectification: "整改事项",
    ItemKind.rule_review: "制度清单",
}


class OpenItem(NamedTuple):
    """One thing a unit owes by a deadline; ``key`` includes the deadline, so an extension
    (or a moved relative deadline) starts the ladder again."""

    key: str
    kind: ItemKind
    unit_id: int
    title: str
    deadline: date


class UnitEntry(NamedTuple):
    """A unit as the sweep needs it: where it sits and how to reach it."""

    id: int
    code: str
    name: str
    parent_id: int | None
    head: str | None
    office: tuple[str, ...]
    head_targets: tuple[str, ...]
    discipline: tuple[str, ...]


class Notice(NamedTuple):
    """One (item, step) for one target; ``rank`` is the step's place in the ladder."""

    target: str
    item: OpenItem
    step: LadderStep
    rank: int
    item_step: str


@dataclass(slots=True)
class DueNotices:
    notices: list[Notice] = field(default_factory=list)
    open_items: int = 0
    due_item_steps: int = 0
    already_queued: int = 0
    unreachable: int = 0


@dataclass(frozen=True, slots=True)
class Digest:
    """One message for one target: what it says and which item-steps it carries."""

    target: str
    key: str
    title: str
    body: str
    notices: tuple[Notice, ...]


class LaggingUnit(BaseModel):
    unit_id: int
    code: str
    name: str
    overdue_items: int
    open_findings: int


# --- the campaign's ladder -----------------------------------------------------------------


def campaign_ladder(campaign: Campaign) -> Ladder:
    """The template's ladder, or the default one."""
    template = all_templates().get(campaign.template_key)
    if template is None or template.ladder is None:
        return DEFAULT_LADDER
    return template.ladder.ladder()


def campaign_lagging(campaign: Campaign) -> LaggingThresholds:
    template = all_templates().get(campaign.template_key)
    if template is None or template.lagging is None:
        return LaggingThresholds()
    return template.lagging


# --- open items ----------------------------------------------------------------------------


def open_items(
    *, session: Session, campaign: Campaign, as_of: date, due_by: date | None = None
) -> list[OpenItem]:
    """Every item not done by ``as_of`` whose deadline is on or before ``due_by``."""
    assert campaign.id is not None
    bound = due_by or date.max
    # Core rows, not ORM ones: a national sweep reads a few hundred thousand of them.
    rows = session.connection().execute
    items: list[OpenItem] = []
    forms_units: list[tuple[int, int, str, date]] = []
    for item_id, unit_id, kind, title, due_on in rows(
        select(
            Deliverable.id,
            Deliverable.unit_id,
            Deliverable.kind,
            Deliverable.title,
            Deliverable.due_on,
        ).where(
            col(Deliverable.campaign_id) == campaign.id,
            or_(col(Deliverable.submitted_on).is_(None), col(Deliverable.submitted_on) > as_of),
            col(Deliverable.due_on) <= bound,
        )
    ):
        if kind == FORMS_DELIVERABLE:
            forms_units.append((item_id, unit_id, title, due_on))
            continue
        item_kind = ItemKind.summary if kind.endswith(SUMMARY_SUFFIX) else ItemKind.deliverable
        items.append(OpenItem(f"d:{item_id}@{due_on}", item_kind, unit_id, title, due_on))
    if forms_units:
        items.extend(_forms_items(session, campaign, as_of, forms_units))

    labels = {category: category.label for category in FindingCategory}
    for item_id, unit_id, finding_id, category, due_on in rows(
        select(
            RectificationItem.id,
            RectificationItem.unit_id,
            RectificationItem.finding_id,
            Finding.category,
            RectificationItem.due_on,
        )
        .join(Finding, col(Finding.id) == RectificationItem.finding_id)
        .where(
            col(RectificationItem.campaign_id) == campaign.id,
            or_(col(RectificationItem.done_on).is_(None), col(RectificationItem.done_on) > as_of),
            col(RectificationItem.due_on) <= bound,
        )
    ):
        title = f"问题{finding_id}的整改（{labels[category]}）"
        items.append(
            OpenItem(f"r:{item_id}@{due_on}", ItemKind.rectification, unit_id, title, due_on)
        )

    decisions = {decision: decision.label for decision in RuleDecision}
    for item_id, unit_id, title, decision, due_on in rows(
        select(
            RuleReviewItem.id,
            RuleReviewItem.unit_id,
            RuleReviewItem.title,
            RuleReviewItem.decision,
            RuleReviewItem.due_on,
        ).where(
            col(RuleReviewItem.campaign_id) == campaign.id,
            col(RuleReviewItem.decision) != RuleDecision.keep,
            col(RuleReviewItem.due_on).is_not(None),
            or_(col(RuleReviewItem.done_on).is_(None), col(RuleReviewItem.done_on) > as_of),
            col(RuleReviewItem.due_on) <= bound,
        )
    ):
        items.append(
            OpenItem(
                f"rr:{item_id}@{due_on}",
                ItemKind.rule_review,
                unit_id,
                f"制度「{title}」{decisions[decision]}",
                due_on,
            )
        )
    return items


def _forms_items(
    session: Session, campaign: Campaign, as_of: date, rows: Sequence[tuple[int, int, str, date]]
) -> Iterable[OpenItem]:
    """The forms deliverable, titled with how many forms are still out (a count, no names)."""
    root = session.get(Unit, campaign.root_unit_id)
    forms = cadre_forms(session=session, campaign=campaign, root=root, as_of=as_of) if root else {}
    for item_id, unit_id, title, due_on in rows:
        out = sum(
            1
            for form in forms.get(unit_id, ())
            if form.submitted_on is None or form.submitted_on > as_of
        )
        shown = f"{title}（尚有{out}份《报告表》未报）" if out else title
        yield OpenItem(f"d:{item_id}@{due_on}", ItemKind.forms, unit_id, shown, due_on)


# --- who is told ---------------------------------------------------------------------------


def unit_directory(*, session: Session, campaign: Campaign) -> dict[int, UnitEntry]:
    """Every unit of the campaign's tree and its ancestors, with its notification targets."""
    root = session.get(Unit, campaign.root_unit_id)
    if root is None:
        raise NotFoundError(
            f"专项活动 {campaign.id} 的牵头单位不存在", f"campaign {campaign.id} has no root unit"
        )
    ancestors = [int(part) for part in root.path.strip("/").split("/") if part]
    extra: dict[tuple[int, ContactRole], list[str]] = defaultdict(list)
    for unit_id, role, target in session.exec(
        select(NotifyContact.unit_id, NotifyContact.role, NotifyContact.target)
    ):
        extra[(unit_id, ContactRole(role))].append(_target(target))
    directory: dict[int, UnitEntry] = {}
    rows = session.connection().execute(
        select(
            Unit.id,
            Unit.code,
            Unit.name,
            Unit.parent_id,
            Unit.head,
            Unit.office_webhook,
            Unit.office_email,
            Unit.discipline_email,
        ).where(or_(col(Unit.path).startswith(root.path), col(Unit.id).in_(ancestors)))
    )
    for unit_id, code, name, parent_id, head, webhook, office_email, discipline_email in rows:
        office = [normalise_target(webhook)] if webhook else []
        if office_email:
            office.append(email_target(office_email.lower()))
        discipline = [email_target(discipline_email.lower())] if discipline_email else []
        directory[unit_id] = UnitEntry(
            id=unit_id,
            code=code,
            name=name,
            parent_id=parent_id,
            head=head,
            office=_unique([*office, *extra[(unit_id, ContactRole.office)]]),
            head_targets=_unique(extra[(unit_id, ContactRole.head)]),
            discipline=_unique([*discipline, *extra[(unit_id, ContactRole.discipline)]]),
        )
    return directory


def _target(text: str) -> str:
    text = text.strip()
    if is_email_target(text):
        return email_target(text.removeprefix(EMAIL_PREFIX).strip().lower())
    if "@" in text:
        return email_target(text.lower())
    return normalise_target(text)


def _unique(targets: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(targets))


class Recipients:
    """Resolves (unit, audience) to targets, climbing the tree where a unit has none."""

    def __init__(self, directory: Mapping[int, UnitEntry]) -> None:
        self._units = directory
        self._cache: dict[tuple[int, Audience], tuple[str, ...]] = {}

    def __call__(self, unit_id: int, audience: Audience) -> tuple[str, ...]:
        return self.resolve(unit_id, audience)

    def resolve(self, unit_id: int, audience: Audience) -> tuple[str, ...]:
        key = (unit_id, audience)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._resolve(unit_id, audience)
        return found

    def _resolve(self, unit_id: int, audience: Audience) -> tuple[str, ...]:
        unit = self._units.get(unit_id)
        if unit is None:
            return ()
        if audience is Audience.office:
            # A unit with no channel of its own (a department, say) is reached via its parent.
            return unit.office or self._climb(unit.parent_id, lambda u: u.office)
        if audience is Audience.head:
            # The head has no address on Unit: without a head contact the office passes it on.
            return unit.head_targets or self(unit_id, Audience.office)
        if audience is Audience.parent_office:
            return self(unit.parent_id, Audience.office) if unit.parent_id else ()
        return unit.discipline or self._climb(unit.parent_id, lambda u: u.discipline)

    def _climb(
        self, unit_id: int | None, pick: Callable[[UnitEntry], tuple[str, ...]]
    ) -> tuple[str, ...]:
        while unit_id is not None:
            unit = self._units.get(unit_id)
            if unit is None:
                return ()
            found = pick(unit)
            if found:
                return found
            unit_id = unit.parent_id
        return ()


def due_notices(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    ladder: Ladder | None = None,
    directory: Mapping[int, UnitEntry] | None = None,
    queued: AbstractSet[tuple[str, str, str]] = frozenset(),
) -> DueNotices:
    """Every (target, item, step) whose time has come by ``as_of``, except those ``queued``
    (target, item key, step key) already."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    ladder = ladder or campaign_ladder(campaign)
    items = open_items(
        session=session,
        campaign=campaign,
        as_of=as_of,
        due_by=earliest_open_deadline(ladder, as_of),
    )
    directory = directory or unit_directory(session=session, campaign=campaign)
    return notices_for(
        items, as_of=as_of, ladder=ladder, recipients=Recipients(directory), queued=queued
    )


def notices_for(
    items: Iterable[OpenItem],
    *,
    as_of: date,
    ladder: Ladder,
    recipients: Recipients,
    queued: AbstractSet[tuple[str, str, str]] = frozenset(),
) -> DueNotices:
    """Apply the ladder to open items and resolve each step's audience (pure, given targets)."""
    result = DueNotices()
    notices = result.notices
    steps = ladder.steps
    reached_by_days: dict[int, int] = {}
    # Targets per step, per unit: the hot loop then looks up by unit id alone.
    by_step: list[dict[int, tuple[str, ...]]] = [{} for _ in steps]
    for item in items:
        result.open_items += 1
        days = (as_of - item.deadline).days
        reached = reached_by_days.get(days)
        if reached is None:
            reached = reached_by_days[days] = steps_reached(ladder, days)
        for rank in range(reached):
            step = steps[rank]
            result.due_item_steps += 1
            targets = by_step[rank].get(item.unit_id)
            if targets is None:
                targets = by_step[rank][item.unit_id] = recipients(item.unit_id, step.audience)
            if not targets:
                result.unreachable += 1
            item_step = f"{item.key}#{step.key}"
            for target in targets:
                if queued and (target, item.key, step.key) in queued:
                    result.already_queued += 1
                else:
                    # tuple.__new__: a NamedTuple's own __new__ is Python code, twice as slow.
                    notices.append(_new(Notice, (target, item, step, rank, item_step)))
    return result


_new = tuple.__new__


# --- digests -------------------------------------------------------------------------------

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


# --- lagging units -------------------------------------------------------------------------


def unit_loads(*, session: Session, campaign_id: int, as_of: date) -> dict[int, UnitLoad]:
    """Per unit: items overdue on ``as_of`` (every kind) and findings not yet rectified."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    overdue: dict[int, int] = defaultdict(int)
    for item in open_items(
        session=session, campaign=campaign, as_of=as_of, due_by=as_of - timedelta(days=1)
    ):
        overdue[item.unit_id] += 1
    findings = dict(
        session.exec(
            select(Finding.unit_id, func.count())
            .where(
                col(Finding.campaign_id) == campaign_id,
                col(Finding.status).in_(_OPEN_FINDINGS),
                col(Finding.found_on) <= as_of,
            )
            .group_by(col(Finding.unit_id))
        ).all()
    )
    return {
        unit_id: UnitLoad(
            overdue_items=overdue.get(unit_id, 0), open_findings=findings.get(unit_id, 0)
        )
        for unit_id in overdue.keys() | findings.keys()
    }


def find_lagging_units(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    thresholds: LaggingThresholds | None = None,
) -> list[LaggingUnit]:
    """The campaign's lagging units (工作滞后或问题较多), the heaviest first."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    loads = unit_loads(session=session, campaign_id=campaign_id, as_of=as_of)
    ids = lagging_units(loads, thresholds or campaign_lagging(campaign))
    names: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for unit_id, code, name in session.exec(
            select(Unit.id, Unit.code, Unit.name).where(col(Unit.id).in_(chunk))
        ):
            names[unit_id or 0] = (code, name)
    return [
        LaggingUnit(
            unit_id=unit_id,
            code=names[unit_id][0],
            name=names[unit_id][1],
            overdue_items=loads[unit_id].overdue_items,
            open_findings=loads[unit_id].open_findings,
        )
        for unit_id in ids
    ]


# --- contacts ------------------------------------------------------------------------------


def add_contact(*, session: Session, unit_id: int, role: ContactRole, target: str) -> bool:
    """Add a notification target for a unit's office, head or discipline office; idempotent."""
    if session.get(Unit, unit_id) is None:
        raise NotFoundError(f"没有编号为 {unit_id} 的单位", f"no unit {unit_id}")
    target = _target(target)
    exists = session.exec(
        select(NotifyContact.id).where(
            NotifyContact.unit_id == unit_id,
            NotifyContact.role == role,
            NotifyContact.target == target,
        )
    ).first()
    if exists is not None:
        return False
    session.add(NotifyContact(unit_id=unit_id, role=role, target=target))
    session.flush()
    return True
