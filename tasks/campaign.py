"""Tasks that launch a campaign and read its phases."""

from __future__ import annotations

from datetime import date

from prefect import task
from pydantic import BaseModel
from sqlmodel import select

from models import Level, Phase
from models.flow_inputs import RunLevel
from models.outcome import PhaseContext, UnitRef
from qinglian.campaigns.launch import check_run_depth, launch_campaign
from qinglian.campaigns.lookup import campaign_root, get_campaign, get_phase
from qinglian.campaigns.templates import get_template
from qinglian.core.db import session_scope
from tasks.retries import DB_RETRIES


class LaunchedCampaign(BaseModel):
    campaign_id: int
    title: str
    created: bool
    run_depth: Level  # the campaign's own: a campaign launched before keeps the depth it has


class PhaseWindow(BaseModel):
    key: str
    title: str
    starts_on: date
    ends_on: date


@task(**DB_RETRIES)
def launch(
    template: str, root_code: str, start_on: date | None, runs_down_to: RunLevel = "institution"
) -> LaunchedCampaign:
    """Create the campaign, its phases and every unit's deadlines; idempotent."""
    with session_scope() as session:
        campaign, created = launch_campaign(
            session=session,
            template_key=template,
            root_code=root_code,
            start_on=start_on,
            run_depth=check_run_depth(runs_down_to),
        )
        assert campaign.id is not None
        return LaunchedCampaign(
            campaign_id=campaign.id,
            title=campaign.title,
            created=created,
            run_depth=campaign.run_depth,
        )


@task(**DB_RETRIES)
def load_phases(campaign_id: int) -> list[PhaseWindow]:
    """The campaign's phases in order, with their windows."""
    with session_scope() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        phases = session.exec(
            select(Phase).where(Phase.campaign_id == campaign.id).order_by(Phase.seq)
        ).all()
        return [
            PhaseWindow(
                key=phase.key, title=phase.title, starts_on=phase.starts_on, ends_on=phase.ends_on
            )
            for phase in phases
        ]


@task(**DB_RETRIES)
def load_phase(campaign_id: int, phase_key: str) -> PhaseContext:
    """Resolve a campaign's phase and root unit to ids and names."""
    with session_scope() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        phase = get_phase(session=session, campaign=campaign, key=phase_key)
        root = campaign_root(session=session, campaign=campaign)
        assert phase.id is not None and campaign.id is not None and root.id is not None
        return PhaseContext(
            campaign_id=campaign.id,
            campaign_title=campaign.title,
            phase_id=phase.id,
            phase_key=phase.key,
            phase_title=phase.title,
            phase_ends_on=phase.ends_on,
            activities=list(get_template(campaign.template_key).phase(phase.key).activities),
            root=UnitRef(unit_id=root.id, code=root.code, name=root.name, level=root.level),
            run_depth=campaign.run_depth,
        )
