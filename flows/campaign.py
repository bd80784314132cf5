"""A campaign as a whole: launching it, and running its phases in order up to a day.

The campaign flow's run tree is the campaign → its phases → the org tree of unit runs; the
summarize phase writes the root's comprehensive report and marks the campaign complete.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger
from pydantic import BaseModel, Field

from flows.phase import PhaseRunInput, start_phase
from models.outcome import UnitOutcome
from qinglian.core.clock import today_in_china
from tasks.campaign import LaunchedCampaign, launch, load_phases


class LaunchInput(BaseModel):
    """Launch a campaign from a template on a unit's subtree (idempotent)."""

    template: str = Field(default="coi-2012", min_length=1, description="活动模板 template key")
    root_code: str = Field(min_length=1, description="牵头单位编码 root unit code, e.g. MOH")
    start_on: date | None = Field(default=None, description="开始日期；默认为模板日期")


class CampaignRunInput(BaseModel):
    """Run every phase of a campaign that has started by ``as_of``, in order."""

    campaign_id: int = Field(ge=1, description="专项活动编号 campaign id")
    as_of: date | None = Field(default=None, description="按此日期运行 (simulated clock)")


@flow(name="launch-campaign", flow_run_name="发起专项活动 · {params.template} · {params.root_code}")
def launch_campaign_flow(params: LaunchInput) -> LaunchedCampaign:
    """Create the campaign, its phases and every unit's cascaded deadlines."""
    launched = launch(params.template, params.root_code, params.start_on)
    get_run_logger().info(
        "专项活动 %s：%s（%s）",
        launched.campaign_id,
        launched.title,
        "新建" if launched.created else "已存在，未改动",
    )
    return launched


@flow(name="campaign", flow_run_name="专项活动 {params.campaign_id}")
def run_campaign(params: CampaignRunInput) -> dict[str, UnitOutcome]:
    """Each phase started by ``as_of``, run as of its end (or ``as_of`` if sooner)."""
    as_of = params.as_of or today_in_china()
    outcomes: dict[str, UnitOutcome] = {}
    for phase in load_phases(params.campaign_id):
        if phase.starts_on > as_of:
            break
        outcomes[phase.key] = start_phase(
            PhaseRunInput(
                campaign_id=params.campaign_id, phase=phase.key, as_of=min(phase.ends_on, as_of)
            )
        )
    return outcomes
