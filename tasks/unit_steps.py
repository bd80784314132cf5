"""The plain steps of one unit's flow run: its deliverables, forms, rectification and table.

These run once per unit, inside the unit's own flow run, and are deliberately plain functions
rather than tasks. Measured on the embedded default (benchmarks/unit_flow_overhead.py): each task
run is recorded by the ephemeral API in the background, and at one unit flow every ~0.2 s those
writes collide with the flow-run writes on SQLite; the API answers 503 "database is locked" and
the client backs off ~2 s, every few seconds. Without per-unit tasks the unit flow costs ~0.15 s
and never hits a 503. The unit's flow run is what the UI shows per unit; its logs and artifacts
carry what the tasks would.
"""

from __future__ import annotations

from datetime import date

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import select

from models import Finding, Unit
from models.outcome import UnitForms, UnitOutcome, UnitRectification, UnitRef, UnitRunInput
from models.rate import ReportingRate
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.db import session_scope
from qinglian.declarations.completeness import (
    cadre_forms,
    forms_rate,
    missing_cadres,
    sync_forms_deliverable,
)
from qinglian.declarations.findings import detect_findings
from qinglian.org.units import province_of
from qinglian.oversight.tracking import DeliverableView, unit_deliverables
from qinglian.rectification.rollup import unit_rectification
from qinglian.reporting.artifacts import artifact_key, unit_forms_markdown, unit_table_rows


class UnitAssessment(BaseModel):
    deliverables: list[DeliverableView]
    own: ReportingRate
    children: list[UnitRef]
    province: str | None


def _ref(unit: Unit) -> UnitRef:
    assert unit.id is not None
    return UnitRef(unit_id=unit.id, code=unit.code, name=unit.name, level=unit.level)


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


def examine_unit_forms(params: UnitRunInput) -> UnitForms:
    """Completeness of the unit's own forms on ``as_of``; detection over them; their findings."""
    with session_scope() as session:
        campaign = get_campaign(session=session, campaign_id=params.campaign_id)
        unit = session.get(Unit, params.unit.unit_id)
        assert unit is not None and unit.id is not None
        forms = cadre_forms(
            session=session, campaign=campaign, root=unit, as_of=params.as_of, own_only=True
        ).get(unit.id, [])
        sync_forms_deliverable(
            session=session, campaign_id=params.campaign_id, unit_id=unit.id, forms=forms
        )
        counts = detect_findings(
            session=session, campaign_id=params.campaign_id, as_of=params.as_of, unit_ids=[unit.id]
        )
        by_category = session.exec(
            select(Finding.category, func.count())
            .where(Finding.campaign_id == params.campaign_id, Finding.unit_id == unit.id)
            .group_by(Finding.category)
        ).all()
        return UnitForms(
            rate=forms_rate(forms),
            missing=[f"{form.staff_no} {form.name}" for form in missing_cadres(forms)],
            findings={category.value: count for category, count in by_category},
            new_findings=counts.created,
        )


def assess_rectification(params: UnitRunInput) -> UnitRectification:
    """The unit's own rectification items on ``as_of``, by status, and how many overdue."""
    with session_scope() as session:
        return unit_rectification(
            session=session,
            campaign_id=params.campaign_id,
            unit_id=params.unit.unit_id,
            as_of=params.as_of,
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
