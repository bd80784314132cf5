"""Who is told: each unit's notification targets, and the audience of a step resolved to them.

:func:`contact_directory` reads the campaign's tree with every unit's channels (its own columns
plus the :class:`NotifyContact` rows :func:`add_contact` adds); :class:`Recipients` climbs the
tree where a unit has none of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import or_
from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.enums import ContactRole
from models.outbox import NotifyContact
from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root
from qinglian.core.errors import NotFoundError
from qinglian.notify.targets import EMAIL_PREFIX, email_target, is_email_target, normalise_target
from qinglian.rules.ladder import Audience


@dataclass(frozen=True, slots=True)
class Mobiles:
    """The mobile numbers of a unit's office contact and head, for @-mentions.

    Personal data: the repr shows neither, so a traceback or a logged entry cannot carry them.
    """

    office: str | None = field(default=None, repr=False)
    head: str | None = field(default=None, repr=False)


NO_MOBILES = Mobiles()


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
    depth: int = 0
    mobiles: Mobiles = NO_MOBILES


def contact_directory(*, session: Session, campaign: Campaign) -> dict[int, UnitEntry]:
    """Every unit of the campaign's tree and its ancestors, with its notification targets."""
    root = campaign_root(session=session, campaign=campaign)
    ancestors = [int(part) for part in root.path.strip("/").split("/") if part]
    extra: dict[tuple[int, ContactRole], list[str]] = defaultdict(list)
    for unit_id, role, target in session.exec(
        select(NotifyContact.unit_id, NotifyContact.role, NotifyContact.target)
    ):
        extra[(unit_id, ContactRole(role))].append(_target(target))
    directory: dict[int, UnitEntry] = {}
    # Fetched at once: iterating a result fetches a national tree's rows one by one.
    rows = (
        session.connection()
        .execute(
            select(
                Unit.id,
                Unit.code,
                Unit.name,
                Unit.parent_id,
                Unit.head,
                Unit.office_webhook,
                Unit.office_email,
                Unit.discipline_email,
                Unit.depth,
                Unit.office_mobile,
                Unit.head_mobile,
            ).where(or_(col(Unit.path).startswith(root.path), col(Unit.id).in_(ancestors)))
        )
        .all()
    )
    for (
        unit_id,
        code,
        name,
        parent_id,
        head,
        webhook,
        office_email,
        discipline_email,
        depth,
        office_mobile,
        head_mobile,
    ) in rows:
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
            office=_unique(office, extra.get((unit_id, ContactRole.office), ())),
            head_targets=_unique(extra.get((unit_id, ContactRole.head), ())),
            discipline=_unique(discipline, extra.get((unit_id, ContactRole.discipline), ())),
            depth=depth,
            mobiles=(
                Mobiles(office_mobile, head_mobile) if office_mobile or head_mobile else NO_MOBILES
            ),
        )
    return directory


def recipient_units(directory: Mapping[int, UnitEntry]) -> dict[str, int]:
    """Each target's own unit: the unit whose contact it is (the highest, when several are).

    A notice that climbed the tree reaches a target of an ancestor: that ancestor is the
    recipient, whose people are @-mentioned and whose reply token a mail carries.
    """
    best: dict[str, tuple[int, str, int]] = {}
    for unit in directory.values():
        for target in (*unit.office, *unit.head_targets, *unit.discipline):
            found = best.get(target)
            if found is None or (unit.depth, unit.code) < found[:2]:
                best[target] = (unit.depth, unit.code, unit.id)
    return {target: found[2] for target, found in best.items()}


def _target(text: str) -> str:
    text = text.strip()
    if is_email_target(text):
        return email_target(text.removeprefix(EMAIL_PREFIX).strip().lower())
    if "@" in text:
        return email_target(text.lower())
    return normalise_target(text)


def _unique(own: Sequence[str], added: Sequence[str] = ()) -> tuple[str, ...]:
    """``own`` then ``added``, each target once (most units have one or none in all)."""
    if not added and len(own) <= 1:
        return tuple(own)
    return tuple(dict.fromkeys([*own, *added]))


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
