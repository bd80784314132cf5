"""`qinglian campaign run`: every started phase in order, as Prefect flows."""

from __future__ import annotations

import typer

from flows.campaign import start_campaign
from models.flow_inputs import CampaignRunInput
from qinglian.campaigns.lookup import get_campaign
from qinglian.cli.common import AsOf, CampaignArg, RunsDownTo, console, friendly
from qinglian.cli.database import DatabaseGroup, campaign_as_of, in_session
from qinglian.cli.progress_bar import showing_progress
from qinglian.reporting.artifacts import percent

app = typer.Typer(cls=DatabaseGroup)


@app.command("run")
@friendly
def campaign_run(
    campaign: CampaignArg,
    as_of: AsOf = None,
    runs_down_to: RunsDownTo = None,
) -> None:
    """按顺序运行已开始的各阶段（检查总结阶段生成报告并结束活动）/ run every started phase."""
    campaign_id, day = campaign_as_of(campaign, as_of)
    with showing_progress():
        outcomes = start_campaign(
            CampaignRunInput(campaign_id=campaign_id, as_of=day, runs_down_to=runs_down_to)
        )
    for key, outcome in outcomes.items():
        console.print(
            f"{key}: 上报率 rate {percent(outcome.subtree.rate)}，缺报 {outcome.subtree.missing}"
        )
    done = in_session(get_campaign, campaign_id=campaign_id)
    if done.completed_on:
        console.print(f"专项活动已完成 / completed {done.completed_on}: {done.report_path}")
