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
    notices: list[Notice] = []
    append = notices.append
    steps = ladder.steps
    # The steps reached (rank, step, item-step suffix), by deadline: a national sweep's
    # 200,000 items share a few dozen deadlines.
    reached_by_deadline: dict[date, tuple[tuple[int, LadderStep, str], ...]] = {}
    # Each unit's targets, step by step: one look-up per item.
    targets_by_unit: dict[int, list[tuple[str, ...]]] = {}
    open_count = due_item_steps = already_queued = unreachable = 0
    for item in items:
        open_count += 1
        reached = reached_by_deadline.get(item.deadline)
        if reached is None:
            days = (as_of - item.deadline).days
            reached = reached_by_deadline[item.deadline] = tuple(
                (rank, steps[rank], f"#{steps[rank].key}")
                for rank in range(steps_reached(ladder, days))
            )
        due_item_steps += len(reached)
        unit_targets = targets_by_unit.get(item.unit_id)
        if unit_targets is None:
            unit_targets = targets_by_unit[item.unit_id] = [
                recipients(item.unit_id, step.audience) for step in steps
            ]
        for rank, step, suffix in reached:
            targets = unit_targets[rank]
            if not targets:
                unreachable += 1
                continue
            item_step = item.key + suffix
            for target in targets:
                if queued and (target, item.key, step.key) in queued:
                    already_queued += 1
                else:
                    # tuple.__new__: a NamedTuple's own __new__ is Python code, twice as slow.
                    append(_new(Notice, (target, item, step, rank, item_step)))
    return DueNotices(notices, open_count, due_item_steps, already_queued, unreachable)


_new = tuple.__new__
