"""What is due to whom: the ladder applied to a campaign's open items, one notice per target.

The ladder (:mod:`qinglian.rules.ladder`) says which steps have come for an item; each step's
audience resolves to target names (:mod:`qinglian.oversight.recipients`). Set-based: one query
per kind of item and one for the unit tree, then plain Python over tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlmodel import Session

from qinglian.campaigns.lookup import get_campaign
from qinglian.oversight.campaign_rules import campaign_ladder
from qinglian.oversight.open_items import OpenItem, open_items
from qinglian.oversight.recipients import Recipients, UnitEntry, contact_directory
from qinglian.rules.ladder import Ladder, LadderStep, earliest_open_deadline, steps_reached


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
    directory = directory or contact_directory(session=session, campaign=campaign)
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
