"""Whether a unit a report or summary is asked of lies inside the campaign's tree."""

from __future__ import annotations

from sqlmodel import Session

from models import Campaign, Unit
from qinglian.campaigns.lookup import campaign_root
from qinglian.oversight.tracking import raise_outside


def check_in_campaign(*, session: Session, campaign: Campaign, unit: Unit) -> Unit:
    """The campaign's root unit; ``NotFoundError`` when ``unit`` is not below it."""
    root = campaign_root(session=session, campaign=campaign)
    if not unit.path.startswith(root.path):
        raise_outside(unit, campaign.id)
    return root
