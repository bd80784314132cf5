"""The ladder's reminders (催办) a report counts: items and units, never messages.

An item climbs several ladder steps and one digest carries many items, so neither steps nor
messages say how much was reminded. A report counts the distinct items reminded while already
overdue (the digest's sweep day after the item's deadline) and the distinct units they belong
to, within the report's subtree, up to its day. An extension gives an item a new key
(``r:12@2012-10-31``); it is still one item, so the deadline is dropped before counting.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.enums import OutboxStatus
from models.outbox import OutboxItem, OutboxMessage
from models.report import OTHER_REMINDER_KIND, REMINDER_KINDS, Reminders
from models.unit import Unit


def overdue_reminders(*, session: Session, campaign_id: int, path: str, as_of: date) -> Reminders:
    """Items reminded while overdue in the subtree at ``path`` by ``as_of``, and their units.

    A digest given up (never delivered) reminded no one and is left out.
    """
    items: dict[str, set[str]] = defaultdict(set)
    units: set[int] = set()
    for item_key, unit_id in session.exec(
        _reminded(campaign_id, path, as_of, OutboxItem.item_key, OutboxItem.unit_id).distinct()
    ):
        kind, _, rest = item_key.partition(":")
        items[REMINDER_KINDS.get(kind, OTHER_REMINDER_KIND)].add(rest.partition("@")[0])
        units.add(unit_id)
    if not units:
        return Reminders()
    messages = session.exec(
        _reminded(campaign_id, path, as_of, func.count(func.distinct(OutboxItem.message_id)))
    ).one()
    order = [*REMINDER_KINDS.values(), OTHER_REMINDER_KIND]
    return Reminders(
        items=sum(len(keys) for keys in items.values()),
        units=len(units),
        by_kind={label: len(items[label]) for label in order if items.get(label)},
        messages=messages,
    )


def _reminded(campaign_id: int, path: str, as_of: date, *columns: Any) -> Any:
    """``columns`` of the outbox's item-steps sent about overdue items in the subtree."""
    return (
        select(*columns)
        .join(OutboxMessage, col(OutboxMessage.id) == OutboxItem.message_id)
        .join(Unit, col(Unit.id) == OutboxItem.unit_id)
        .where(
            OutboxItem.campaign_id == campaign_id,
            col(Unit.path).startswith(path),
            OutboxMessage.sweep_on <= as_of,
            col(OutboxMessage.sweep_on) > col(OutboxItem.deadline),
            OutboxMessage.status != OutboxStatus.given_up,
        )
    )
