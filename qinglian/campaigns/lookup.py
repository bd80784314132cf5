"""Finding a campaign, its phases and its root unit."""

from __future__ import annotations

from sqlmodel import Session, select

from models import Campaign, Phase, Unit
from qinglian.core.errors import NotFoundError


def get_campaign(*, session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"没有编号为 {campaign_id} 的专项活动", f"no campaign {campaign_id}")
    return campaign


def get_phase(*, session: Session, campaign: Campaign, key: str) -> Phase:
    phase = session.exec(
        select(Phase).where(Phase.campaign_id == campaign.id, Phase.key == key)
    ).first()
    if phase is None:
        keys = session.exec(
            select(Phase.key).where(Phase.campaign_id == campaign.id).order_by(Phase.seq)
        ).all()
        raise NotFoundError(
            f"专项活动 {campaign.id} 没有阶段「{key}」（可选：{'、'.join(keys)}）",
            f"campaign {campaign.id} has no phase {key!r} (choose from {', '.join(keys)})",
        )
    return phase


def campaign_root(*, session: Session, campaign: Campaign) -> Unit:
    """The unit the campaign was launched at: the top of its tree."""
    root = session.get(Unit, campaign.root_unit_id)
    if root is None:
        raise NotFoundError(
            f"专项活动 {campaign.id} 的牵头单位已不存在",
            f"campaign {campaign.id} has lost its root unit",
        )
    return root
