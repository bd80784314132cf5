"""Rectification items (整改事项) made for confirmed findings, each with the unit that verifies it.

Persistence functions are keyword-only, take the session first, flush but never commit, and
never import Prefect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import utcnow
from models.enums import FindingStatus, RectificationStatus
from models.finding import Finding
from models.rectification import RectificationItem
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.sql import chunked
from qinglian.rectification.records import check_not_before_start

# Findings that get an item: confirmed ones, and any already marked rectifying without one.
_NEEDS_ITEM = (FindingStatus.confirmed, FindingStatus.rectifying)


def ensure_rectification_items(*, session: Session, campaign_id: int, default_due: date) -> int:
    """Give every confirmed finding of the campaign its item (due ``default_due``); idempotent.

    The finding moves on to ``rectifying``. Returns how many items were created.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    check_not_before_start(default_due, campaign.start_on, "整改时限", "the deadline")
    finding_ids = session.exec(
        select(Finding.id)
        .outerjoin(RectificationItem, col(RectificationItem.finding_id) == Finding.id)
        .where(
            col(Finding.campaign_id) == campaign_id,
            col(Finding.status).in_(_NEEDS_ITEM),
            col(RectificationItem.id).is_(None),
        )
        .order_by(col(Finding.id))
    ).all()
    return create_rectification_items(
        session=session,
        campaign_id=campaign_id,
        items={finding_id: {"due_on": default_due} for finding_id in finding_ids if finding_id},
    )


def create_rectification_items(
    *, session: Session, campaign_id: int, items: Mapping[int, Mapping[str, Any]]
) -> int:
    """Insert items for findings (by id) with the given fields (``due_on`` at least).

    The managing unit (who verifies) is the cadre's managing unit, or for a finding without a
    cadre the parent of the finding's unit. The findings move on to ``rectifying``.
    """
    if not items:
        return 0
    finding_ids = sorted(items)
    owners = managing_units(session=session, finding_ids=finding_ids)
    now = utcnow()
    rows = []
    for finding_id in finding_ids:
        unit_id, managing_unit_id = owners[finding_id]
        fields = items[finding_id]
        rows.append(
            {
                "campaign_id": campaign_id,
                "finding_id": finding_id,
                "unit_id": unit_id,
                "managing_unit_id": managing_unit_id,
                "measure": fields.get("measure", ""),
                "responsible": fields.get("responsible", ""),
                "evidence": fields.get("evidence", ""),
                "status": fields.get("status", RectificationStatus.planned),
                "done_on": fields.get("done_on"),
                "due_on": fields["due_on"],
                "original_due_on": fields["due_on"],
                "created_at": now,
                "updated_at": now,
            }
        )
    session.execute(insert(RectificationItem), rows)
    for chunk in chunked(finding_ids):
        session.execute(
            update(Finding)
            .where(
                col(Finding.id).in_(chunk),
                col(Finding.status) == FindingStatus.confirmed,
            )
            .values(status=FindingStatus.rectifying)
        )
    session.flush()
    return len(rows)


def managing_units(*, session: Session, finding_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per finding: (its unit, the unit that verifies its rectification)."""
    owners: dict[int, tuple[int, int]] = {}
    for chunk in chunked(finding_ids):
        for finding_id, unit_id, managing, parent in session.exec(
            select(Finding.id, Finding.unit_id, Cadre.managing_unit_id, Unit.parent_id)
            .join(Unit, col(Unit.id) == Finding.unit_id)
            .outerjoin(Cadre, col(Cadre.id) == Finding.cadre_id)
            .where(col(Finding.id).in_(chunk))
        ):
            assert finding_id is not None
            owners[finding_id] = (unit_id, managing or parent or unit_id)
    return owners
