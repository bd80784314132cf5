"""`qinglian phase run`: one phase of a campaign as a Prefect flow."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.phase import start_phase
from models.flow_inputs import PhaseRunInput
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.cli.common import (
    CampaignArg,
    RunsDownTo,
    as_of_or_today,
    campaign_id_option,
    console,
    friendly,
)
from qinglian.cli.database import database_app
from qinglian.cli.progress_bar import showing_progress
from qinglian.core import db
from qinglian.reporting.artifacts import percent

app = database_app("phase", "阶段 / phases")


@app.command("run")
@friendly
def phase_run(
    campaign: CampaignArg,
    phase: Annotated[str, typer.Argument(help="阶段 phase key, e.g. mobilize")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="按此日期计算 as-of date")] = None,
    runs_down_to: RunsDownTo = None,
) -> None:
    """以 Prefect 流程运行一个阶段 / run a phase as a Prefect flow."""
    campaign_id = campaign_id_option(campaign)
    day = as_of_or_today(as_of)
    with db.session_scope() as session:
        get_phase(
            session=session,
            campaign=get_campaign(session=session, campaign_id=campaign_id),
            key=phase,
        )
    with showing_progress():
        outcome = start_phase(
            PhaseRunInput(
                campaign_id=campaign_id, phase=phase, as_of=day, runs_down_to=runs_down_to
            )
        )
    rate = outcome.subtree
    console.print(
        f"{phase} 完成 / done: {outcome.units} 个单位 units，上报率 rate {percent(rate.rate)}"
        f"（应报 {rate.expected}，按时 {rate.on_time}，逾期 {rate.late}，缺报 {rate.missing}，"
        f"未到期 {rate.pending}）",
        highlight=False,
    )
