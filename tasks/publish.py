"""Tasks that read a phase's state from the database and publish it as Prefect artifacts."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from sqlmodel import select

from models import Unit
from models.outcome import PhaseContext, UnitForms, UnitOutcome, UnitRef, UnitRunInput
from models.rate import ReportingRate
from models.summary import UnitSummary
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.campaigns.templates import get_template
from qinglian.core.db import session_scope
from qinglian.core.errors import QinglianError
from qinglian.org.units import province_of
from qinglian.oversight.tracking import DeliverableView, unit_deliverables
from qinglian.reporting.artifacts import (
    artifact_key,
    phase_summary_markdown,
    unit_forms_markdown,
    unit_table_rows,
)

DB_RETRIES = {"retries": 2, "retry_delay_seconds": [1, 5], "cache_policy": NO_CACHE}


class UnitAssessment(BaseModel):
    deliverables: list[DeliverableView]
    own: ReportingRate
    children: list[UnitRef]
    province: str | None


def _ref(unit: Unit) -> UnitRef:
    assert unit.id is not None
    return UnitRef(unit_id=unit.id, code=unit.code, name=unit.name, level=unit.level)


@task(**DB_RETRIES)
def load_phase(campaign_id: int, phase_key: str) -> PhaseContext:
    """Resolve a campaign's phase and root unit to ids and names."""
    with session_scope() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        phase = get_phase(session=session, campaign=campaign, key=phase_key)
        root = session.get(Unit, campaign.root_unit_id)
        assert root is not None and phase.id is not None and campaign.id is not None
        return PhaseContext(
            campaign_id=campaign.id,
            campaign_title=campaign.title,
            phase_id=phase.id,
            phase_key=phase.key,
            phase_title=phase.title,
            phase_ends_on=phase.ends_on,
            activities=list(get_template(campaign.template_key).phase(phase.key).activities),
            root=_ref(root),
        )


# assess_unit and publish_unit_table run once per unit, inside the unit's own flow run, and are
# deliberately plain functions rather than tasks. Measured on the embedded default
# (benchmarks/unit_flow_overhead.py): each task run is recorded by the ephemeral API in the
# background, and at one unit flow every ~0.2 s those writes collide with the flow-run writes on
# SQLite; the API answers 503 "database is locked" and the client backs off ~2 s, every few
# seconds. Without per-unit tasks the unit flow costs ~0.15 s and never hits a 503. The unit's
# flow run is what the UI shows per unit; its logs and artifact carry what the tasks would.
def assess_unit(campaign_id: int, phase_id: int, unit_id: int, as_of: date) -> UnitAssessment:
    """A unit's own deliverables with their status on ``as_of``, and its children."""
    with session_scope() as session:
        views = unit_deliverables(
            session=session,
            campaign_id=campaign_id,
            unit_id=unit_id,
            phase_id=phase_id,
            as_of=as_of,
        )
        children = session.exec(
            select(Unit).where(Unit.parent_id == unit_id).order_by(Unit.code)
        ).all()
        unit = session.get(Unit, unit_id)
        assert unit is not None
        province = province_of(session=session, unit=unit)
        return UnitAssessment(
            deliverables=views,
            own=ReportingRate.of(view.status for view in views),
            children=[_ref(child) for child in children],
            province=province.name if province else None,
        )


def publish_unit_table(
    params: UnitRunInput,
    assessment: UnitAssessment,
    children: list[UnitOutcome],
    forms: UnitForms | None = None,
) -> None:
    """A table artifact: the children's completeness, or a leaf unit's own deliverables."""
    what = "下级单位完成情况" if children else "本级事项"
    create_table_artifact(
        key=artifact_key(params.campaign_id, params.phase_key, params.unit.unit_id),
        table=unit_table_rows(assessment.deliverables, children),
        description=f"{params.phase_title} · {params.unit.name}：{what}",
    )
    if forms is not None:
        # The unit's own office sees who has not filed; levels above see only counts.
        create_markdown_artifact(
            key=artifact_key(params.campaign_id, params.phase_key, f"{params.unit.unit_id}-forms"),
            markdown=unit_forms_markdown(params.unit.name, forms, params.as_of),
            description=f"{params.phase_title} · {params.unit.name}：报告表收集情况（本单位）",
        )


def phase_run_name(campaign_id: int, phase_key: str) -> str:
    """「动员部署 · 卫生部（专项活动 3）」, or the raw key when the phase does not exist."""
    try:
        with session_scope() as session:
            campaign = get_campaign(session=session, campaign_id=campaign_id)
            phase = get_phase(session=session, campaign=campaign, key=phase_key)
            root = session.get(Unit, campaign.root_unit_id)
            return f"{phase.title} · {root.name if root else ''}（专项活动 {campaign_id}）"
    except QinglianError:
        return f"{phase_key} · 专项活动 {campaign_id}"


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
