"""The find phase's cross-check of complaints (信访举报) against declarations, campaign-wide.

Only counts leave this task: never a complaint's text, its complainant, or an accused name.
"""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from models.outcome import PhaseContext
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.matching import match_complaints
from qinglian.complaints.views import CrossCheckCounts, MatchCounts
from qinglian.core.db import session_scope
from qinglian.reporting.artifacts import artifact_key
from tasks.retries import DB_RETRIES


class ComplaintsOutcome(BaseModel):
    matching: MatchCounts
    cross_check: CrossCheckCounts


@task(**DB_RETRIES)
def cross_check_complaints(campaign_id: int, as_of: date) -> ComplaintsOutcome:
    """Match new complaints to cadres, then compare allegations with declarations; idempotent."""
    with session_scope() as session:
        matching = match_complaints(session=session, campaign_id=campaign_id)
        checked = cross_check(session=session, campaign_id=campaign_id, as_of=as_of)
        return ComplaintsOutcome(matching=matching, cross_check=checked)


@task(cache_policy=NO_CACHE)
def publish_complaints_summary(
    context: PhaseContext, outcome: ComplaintsOutcome, as_of: date
) -> None:
    """Counts of the cross-check for the campaign office: nothing of any complaint's content."""
    matching, checked = outcome.matching, outcome.cross_check
    create_markdown_artifact(
        key=artifact_key(context.campaign_id, context.phase_key, "complaints"),
        markdown=(
            f"# 信访举报排查 · {context.root.name}\n\n截至 {as_of.isoformat()}\n\n"
            f"- 本次匹配 {matching.complaints} 件：匹配到干部 {matching.matched} 件，"
            f"待人工确认 {matching.ambiguous} 件，未匹配 {matching.unmatched} 件，"
            f"重复举报（已关联）{matching.linked_duplicates} 件；其中反映单位 "
            f"{matching.about_units} 件；不同渠道可能同一事项、待人工确认 "
            f"{matching.links_proposed} 组\n"
            f"- 本次排查 {checked.complaints} 件：疑似隐瞒不报 {checked.concealment_suspected} 件"
            f"（其中未填报《报告表》{checked.no_form} 件），已如实报告 {checked.declared} 件，"
            f"反映单位 {checked.unit_complaint} 件\n"
            f"- 新建问题线索 {checked.findings_created} 条，关联已有线索 {checked.findings_linked} 条，"
            f"交干部管理单位调查核实 {checked.cases_opened} 件\n"
        ),
        description=f"{context.phase_title}：信访举报排查（仅统计数字）",
    )
