"""A phase of a campaign as a tree of flow runs that mirrors the org tree."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, tags
from prefect.context import TagsContext
from prefect.runtime import flow_run
from pydantic import BaseModel, Field

from models.enums import Level
from models.outcome import UnitOutcome, UnitRef, UnitRunInput
from qinglian.core.clock import today_in_china
from qinglian.reporting.artifacts import percent
from qinglian.rules.rollup import roll_up
from tasks.complaints import cross_check_complaints, publish_complaints_summary
from tasks.find import examine_unit_forms
from tasks.publish import (
    assess_unit,
    load_phase,
    phase_run_name,
    publish_phase_summary,
    publish_unit_table,
)
from tasks.rectify import assess_rectification, ensure_items
from tasks.summaries import export_assessment, record_summaries, write_root_report


class PhaseRunInput(BaseModel):
    """Run one phase of a campaign as of a day (defaults to today in China)."""

    campaign_id: int = Field(description="专项活动编号 campaign id", ge=1)
    phase: str = Field(description="阶段 phase key, e.g. mobilize", min_length=1)
    as_of: date | None = Field(default=None, description="按此日期计算 (simulated clock)")


# The unit code closes the run name: the UI's run graph draws names with a Latin-only font, so
# the code is what stays readable there (「查找问题 · 连云港市妇幼保健院 · JS-LYG-FB」).
@flow(name="unit", flow_run_name="{params.phase_title} · {params.unit.name} · {params.unit.code}")
def unit_flow(params: UnitRunInput) -> UnitOutcome:
    """One unit: its own work for the phase, then each child unit's flow, rolled up."""
    forms = examine_unit_forms(params) if "declarations" in params.activities else None
    rectification = assess_rectification(params) if "rectification" in params.activities else None
    assessment = assess_unit(params.campaign_id, params.phase_id, params.unit.unit_id, params.as_of)
    children = [_run_child(params, child, assessment.province) for child in assessment.children]
    outcome = roll_up(params.unit, assessment.own, children, forms, rectification)
    publish_unit_table(params, assessment, children, forms)
    return outcome


def _run_child(params: UnitRunInput, child: UnitRef, province: str | None) -> UnitOutcome:
    # Children run one after another: on the embedded SQLite the ephemeral API answers 503
    # under a few hundred concurrent runs, and one unit's run is ~0.15 s anyway.
    # The child's tags are set, not added: `tags()` unions with the parent's, and a department
    # would otherwise carry level:province, level:city … from every unit above it.
    labels = {
        f"campaign:{params.campaign_id}",
        f"phase:{params.phase_key}",
        f"level:{child.level.value}",
    }
    if child.level is Level.province:
        province = child.name  # a province's own run carries its own name
    if province:
        labels.add(f"province:{province}")
    with TagsContext(current_tags=labels):
        return unit_flow(params.model_copy(update={"unit": child}))


def _phase_run_name() -> str:
    params = flow_run.parameters["params"]
    if isinstance(params, dict):
        params = PhaseRunInput.model_validate(params)
    return phase_run_name(params.campaign_id, params.phase)


@flow(name="phase", flow_run_name=_phase_run_name)
def run_phase(params: PhaseRunInput) -> UnitOutcome:
    """A campaign phase: the root unit's flow (recursively), then the phase's artifacts."""
    as_of = params.as_of or today_in_china()
    context = load_phase(params.campaign_id, params.phase)
    root = UnitRunInput(
        campaign_id=context.campaign_id,
        phase_id=context.phase_id,
        phase_key=context.phase_key,
        phase_title=context.phase_title,
        activities=context.activities,
        unit=context.root,
        as_of=as_of,
    )
    if "rectification" in context.activities:
        # Every confirmed finding (inspection findings too) has an item before units roll up.
        ensure_items(context.campaign_id, context.phase_ends_on)
    with tags(f"campaign:{context.campaign_id}", f"phase:{context.phase_key}"):
        outcome = unit_flow(root)
    if "complaints" in context.activities:
        # After the forms are in: complaints are matched and cross-checked campaign-wide, and
        # the findings and cases they open are counted into the summary.
        complaints = cross_check_complaints(context.campaign_id, as_of)
        publish_complaints_summary(context, complaints, as_of)
    summary = record_summaries(context, as_of)
    if "inspection" in context.activities:
        export_assessment(context, as_of)
    if "report" in context.activities:
        write_root_report(context, as_of)
    publish_phase_summary(context, outcome, as_of, summary)
    get_run_logger().info(
        "%s（截至 %s）：%s 个单位，上报率 %s，缺报 %s 项；滞后的下级单位：%s",
        context.phase_title,
        as_of,
        outcome.units,
        percent(outcome.subtree.rate),
        outcome.subtree.missing,
        "、".join(summary.lagging_children) or "无",
    )
    return outcome


def start_phase(params: PhaseRunInput) -> UnitOutcome:
    """Run a phase from the CLI or the demo, its run tagged with its campaign and phase."""
    with tags(f"campaign:{params.campaign_id}", f"phase:{params.phase}"):
        return run_phase(params)
