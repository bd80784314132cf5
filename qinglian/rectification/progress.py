"""A rectification item's progress: reading it, changing its measure or status, extending it.

Persistence functions are keyword-only, take the session first, flush but never commit, and
never import Prefect. The status changes follow :mod:`qinglian.rectification.status`.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.campaign import utcnow
from models.enums import RectificationStatus
from models.rectification import (
    RectificationExtension,
    RectificationItem,
    RectificationItemPublic,
    RectificationItemUpdate,
)
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.rectification.records import check_not_before_start, get_item, public
from qinglian.rectification.status import TransitionError, check_transition

S = RectificationStatus


class ExtensionPublic(BaseModel):
    old_due_on: date
    new_due_on: date
    reason: str
    granted_by: str
    granted_at: datetime


def get_rectification(*, session: Session, item_id: int) -> RectificationItemPublic:
    return public(get_item(session, item_id))


def rectification_for_finding(
    *, session: Session, campaign_id: int, finding_id: int
) -> RectificationItemPublic:
    item = session.exec(
        select(RectificationItem).where(
            RectificationItem.campaign_id == campaign_id,
            RectificationItem.finding_id == finding_id,
        )
    ).first()
    if item is None:
        raise NotFoundError(
            f"问题 {finding_id} 在专项活动 {campaign_id} 中没有整改事项",
            f"finding {finding_id} has no rectification item in campaign {campaign_id}",
        )
    return public(item)


def update_rectification(
    *, session: Session, item_id: int, item_in: RectificationItemUpdate
) -> RectificationItemPublic:
    """Change the measure, the responsible person or the evidence (not the deadline: extend)."""
    item = get_item(session, item_id)
    _not_verified(item)
    changes = item_in.model_dump(exclude_unset=True, exclude_none=True)
    for key, value in changes.items():
        setattr(item, key, value.strip())
    if changes:
        item.updated_at = utcnow()
        session.add(item)
        session.flush()
    return public(item)


def update_rectification_status(
    *,
    session: Session,
    item_id: int,
    status: RectificationStatus,
    changed_on: date,
    evidence: str | None = None,
) -> RectificationItemPublic:
    """Move an item on (``done`` is dated ``changed_on``); reopening a done item clears its date."""
    item = get_item(session, item_id)
    status = S(status)
    check_transition(item.status, status)
    campaign = get_campaign(session=session, campaign_id=item.campaign_id)
    if status is S.done and item.status != S.done:
        check_not_before_start(changed_on, campaign.start_on, "完成日期", "the completion date")
        item.done_on = changed_on
    elif status is not S.done:
        item.done_on = None
    item.status = status
    if evidence is not None:
        item.evidence = evidence.strip()
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    return public(item)


def extend_rectification(
    *,
    session: Session,
    item_id: int,
    new_due_on: date,
    reason: str,
    granted_by: str,
    granted_at: datetime,
) -> RectificationItemPublic:
    """Grant an extension (延期): a later deadline with a reason, kept in the history."""
    item = get_item(session, item_id)
    if item.status in (S.done, S.verified):
        raise QinglianError(
            f"整改事项已{item.status.label}，无需延期",
            f"the item is already {item.status.value}; there is nothing to extend",
        )
    if not reason.strip():
        raise QinglianError("延期须说明理由", "an extension needs a reason")
    if not granted_by.strip():
        raise QinglianError("须写明批准延期的单位或人员", "say who granted the extension")
    if granted_at.tzinfo is None:
        raise ValueError("granted_at must be timezone-aware")
    if new_due_on <= item.due_on:
        raise QinglianError(
            f"新的整改时限 {new_due_on.isoformat()} 须晚于现有时限 {item.due_on.isoformat()}",
            f"the new deadline {new_due_on.isoformat()} must be after the current one"
            f" ({item.due_on.isoformat()})",
        )
    session.add(
        RectificationExtension(
            item_id=item_id,
            old_due_on=item.due_on,
            new_due_on=new_due_on,
            reason=reason.strip(),
            granted_by=granted_by.strip(),
            granted_at=granted_at,
        )
    )
    item.due_on = new_due_on
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    return public(item)


def list_extensions(*, session: Session, item_id: int) -> list[ExtensionPublic]:
    get_item(session, item_id)
    rows = session.exec(
        select(RectificationExtension)
        .where(RectificationExtension.item_id == item_id)
        .order_by(col(RectificationExtension.granted_at), col(RectificationExtension.id))
    ).all()
    return [ExtensionPublic.model_validate(row, from_attributes=True) for row in rows]


def _not_verified(item: RectificationItem) -> None:
    if item.status == S.verified:
        raise TransitionError(
            "整改事项已验收，不能再修改", "the item is verified and can no longer be changed"
        )
