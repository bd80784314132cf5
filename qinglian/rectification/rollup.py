"""Where a campaign's rectification stands on a day: the items listed, and a unit's counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from models.enums import FindingCategory, RectificationStatus
from models.finding import Finding
from models.outcome import UnitRectification
from models.rectification import RectificationExtension, RectificationItem, RectificationItemPublic
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.sql import chunked
from qinglian.org.units import unit_path
from qinglian.rectification.records import public
from qinglian.rectification.status import (
    RectificationState,
    rectification_state,
    rectification_status_on,
)

S = RectificationStatus


class RectificationView(RectificationItemPublic):
    """One item as listed, with its unit and its state on ``as_of``; never the finding's text."""

    unit_code: str
    unit_name: str
    category: FindingCategory
    state: RectificationState
    days_overdue: int = 0
    extensions: int = 0


def items_found_by(campaign_id: int, as_of: date) -> Select[Any]:
    """(unit_id, status, due_on, done_on, verified_on) of the campaign's items whose finding
    was found by ``as_of``: what an item's state on that day is read from."""
    return (
        select(
            RectificationItem.unit_id,
            RectificationItem.status,
            RectificationItem.due_on,
            RectificationItem.done_on,
            RectificationItem.verified_on,
        )
        .join(Finding, col(Finding.id) == RectificationItem.finding_id)
        .where(col(RectificationItem.campaign_id) == campaign_id, col(Finding.found_on) <= as_of)
    )


def unit_rectification(
    *, session: Session, campaign_id: int, unit_id: int, as_of: date
) -> UnitRectification:
    """A unit's own items on ``as_of``: how many in each status, and how many overdue."""
    counts: dict[str, int] = {}
    overdue = 0
    for _unit_id, status, due_on, done_on, verified_on in session.exec(
        items_found_by(campaign_id, as_of).where(col(RectificationItem.unit_id) == unit_id)
    ):
        state = rectification_status_on(status, done_on, verified_on, as_of)
        counts[state.value] = counts.get(state.value, 0) + 1
        if state in (S.planned, S.in_progress) and due_on < as_of:
            overdue += 1
    return UnitRectification(by_status=counts, overdue=overdue)


def list_rectification_items(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    unit_id: int | None = None,
    state: RectificationState | None = None,
) -> list[RectificationView]:
    """The campaign's items (or a unit subtree's) with their state on ``as_of``."""
    get_campaign(session=session, campaign_id=campaign_id)
    query = (
        select(RectificationItem, Unit.code, Unit.name, Finding.category)
        .join(Unit, col(Unit.id) == RectificationItem.unit_id)
        .join(Finding, col(Finding.id) == RectificationItem.finding_id)
        .where(col(RectificationItem.campaign_id) == campaign_id)
    )
    if unit_id is not None:
        query = query.where(col(Unit.path).startswith(unit_path(session=session, unit_id=unit_id)))
    rows = session.exec(query.order_by(col(Unit.path), col(RectificationItem.id))).all()
    counts = _extension_counts(session, [item.id for item, *_ in rows if item.id is not None])
    views = []
    for item, code, name, category in rows:
        item_state = rectification_state(
            item.status, item.due_on, item.done_on, item.verified_on, as_of
        )
        if state is not None and item_state is not state:
            continue
        views.append(
            RectificationView(
                **public(item).model_dump(),
                unit_code=code,
                unit_name=name,
                category=category,
                state=item_state,
                days_overdue=(as_of - item.due_on).days
                if item_state is RectificationState.overdue
                else 0,
                extensions=counts.get(item.id or 0, 0),
            )
        )
    return views


def _extension_counts(session: Session, item_ids: Sequence[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for chunk in chunked(item_ids):
        for item_id in session.exec(
            select(RectificationExtension.item_id).where(
                col(RectificationExtension.item_id).in_(chunk)
            )
        ):
            counts[item_id] = counts.get(item_id, 0) + 1
    return counts
