"""One rectification item read by id and shown, and the date check every writer shares."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from models.rectification import RectificationItem, RectificationItemPublic
from qinglian.core.errors import NotFoundError, QinglianError


def public(item: RectificationItem) -> RectificationItemPublic:
    return RectificationItemPublic.model_validate(item, from_attributes=True)


def get_item(session: Session, item_id: int) -> RectificationItem:
    """The item with this id, or a bilingual :class:`NotFoundError`."""
    item = session.get(RectificationItem, item_id)
    if item is None:
        raise NotFoundError(f"没有编号为 {item_id} 的整改事项", f"no rectification item {item_id}")
    return item


def check_not_before_start(checked: date, start_on: date, zh: str, en: str) -> None:
    """Refuse a date (``zh``/``en`` name it) earlier than the campaign's start."""
    if checked < start_on:
        raise QinglianError(
            f"{zh} {checked.isoformat()} 早于专项活动开始日期 {start_on.isoformat()}",
            f"{en} {checked.isoformat()} is before the campaign started ({start_on.isoformat()})",
        )
