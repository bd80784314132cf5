"""A campaign as a whole: launching it, and running its phases in order up to a day.

The campaign flow's run tree is the campaign → its phases → the org tree of unit runs; the
summarize phase writes the root's comprehensive report and marks the campaign complete.
"""

from __future__ import annotations

import asyncio

from prefect import flow, get_run_logger

from flows.phase import start_phase_async
from models.flow_inputs import CampaignRunInput, LaunchInput, PhaseRunInput
from models.outcome import UnitOutcome
from qinglian.core.clock import today_in_china
from tasks.campaign import LaunchedCampaign, launch, load_phases


@flow(name="launch-campaign", flow_run_name="发起专项活动 · {params.template} · {params.root_code}")
def launch_campaign_flow(params: LaunchInput) -> LaunchedCampaign:
    """Create the campaign, its phases and every unit's cascaded deadlines."""
    launched = launch(params.template, params.root_code, params.start_on, params.runs_down_to)
    get_run_logger().info(
        "专项活动 %s：%s（%s）",
        launched.campaign_id,
        launched.title,
        "新建" if launched.created else "已存在，未改动",
    )
    return launched


@flow(name="campaign", flow_run_name="专项活动 {params.campaign_id}")
async def run_campaign(params: CampaignRunInput) -> dict[str, UnitOutcome]:
    """Each phase started by ``as_of``, run as of its end (or ``as_of`` if sooner)."""
    as_of = params.as_of or today_in_china()
    outcomes: dict[str, UnitOutcome] = {}
    for phase in load_phases(params.campaign_id):
        if phase.starts_on > as_of:
            break
        outcomes[phase.key] = await start_phase_async(
            PhaseRunInput(
                campaign_id=params.campaign_id,
                phase=phase.key,
                as_of=min(phase.ends_on, as_of),
                runs_down_to=params.runs_down_to,
            )
        )
    return outcomes


def start_campaign(params: CampaignRunInput) -> dict[str, UnitOutcome]:
    """:func:`run_campaign` from plain code (the CLI, the demo, tests)."""
    return asyncio.run(run_campaign(params))
