"""Tasks that publish a phase's state as Prefect artifacts."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact
from prefect.cache_policies import NO_CACHE

from models.outcome import PhaseContext, UnitOutcome
from models.summary import UnitSummary
from qinglian.reporting.artifacts import artifact_key, phase_summary_markdown


@task(cache_policy=NO_CACHE)
def publish_phase_summary(
    context: PhaseContext, outcome: UnitOutcome, as_of: date, summary: UnitSummary | None = None
) -> None:
    """The phase's progress bar and its Markdown summary for the Prefect UI."""
    create_progress_artifact(
        progress=round(outcome.subtree.rate * 100, 1),
        key=artifact_key(context.campaign_id, context.phase_key, "progress"),
        description=f"{context.phase_title}：全系统上报率（截至 {as_of}）",
    )
    create_markdown_artifact(
        key=artifact_key(context.campaign_id, context.phase_key, "summary"),
        markdown=phase_summary_markdown(context, outcome, as_of, summary),
        description=f"{context.campaign_title} · {context.phase_title} 阶段小结",
    )
