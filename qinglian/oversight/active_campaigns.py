"""Which campaigns the daily sweep covers when none is named: every active one on ``as_of``."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from models.campaign import Campaign


def active_campaign_ids(*, session: Session, as_of: date) -> list[int]:
    """Campaigns launched, not completed, and started by ``as_of``; by id."""
    return [
        campaign_id
        for campaign_id in session.exec(
            select(Campaign.id)
            .where(col(Campaign.completed_on).is_(None), col(Campaign.start_on) <= as_of)
            .order_by(col(Campaign.id))
        )
        if campaign_id is not None
    ]
