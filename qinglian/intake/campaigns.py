"""Which campaign a returned workbook is for.

A reply names the mail it answers (``In-Reply-To``/``References``), and a message the outbox
sent has ``<key@domain>`` for its Message-ID: when that message was sent to the unit (or to a
target of a campaign the unit takes part in), its campaign is the one. Otherwise it is the
unit's most recent active campaign (launched on the unit or above it, started by the day,
not completed): the one its reminders are about. A unit in no active campaign is told so.
"""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.outbox import OutboxMessage
from models.unit import Unit
from qinglian.org.units import ancestor_ids
from qinglian.oversight.active_campaigns import active_campaign_ids

_OUTBOX_KEY = re.compile(r"^([0-9a-f]{64})@", re.IGNORECASE)


def choose_campaign(
    session: Session, *, unit: Unit, references: tuple[str, ...], as_of: date
) -> Campaign | None:
    """The campaign of the reminder answered, else the unit's latest active one (see docs)."""
    roots = ancestor_ids(unit)
    keys = [found.group(1).lower() for ref in references if (found := _OUTBOX_KEY.match(ref))]
    if keys:
        answered = session.exec(
            select(Campaign)
            .join(OutboxMessage, col(OutboxMessage.campaign_id) == Campaign.id)
            .where(
                col(OutboxMessage.key).in_(keys),
                col(Campaign.root_unit_id).in_(roots),
                col(Campaign.completed_on).is_(None),
            )
            .order_by(col(Campaign.id).desc())
        ).first()
        if answered is not None:
            return answered
    active = active_campaign_ids(session=session, as_of=as_of)
    if not active:
        return None
    return session.exec(
        select(Campaign)
        .where(col(Campaign.id).in_(active), col(Campaign.root_unit_id).in_(roots))
        .order_by(col(Campaign.start_on).desc(), col(Campaign.id).desc())
    ).first()


def any_campaign(session: Session, unit: Unit) -> Campaign | None:
    """The latest campaign the unit takes part in, active or not: what a refusal is filed
    under when there is no active one (an outbox message belongs to a campaign)."""
    return session.exec(
        select(Campaign)
        .where(col(Campaign.root_unit_id).in_(ancestor_ids(unit)))
        .order_by(col(Campaign.id).desc())
    ).first()
