"""A phase of a campaign as a tree of flow runs that mirrors the org tree."""

from __future__ import annotations

from contextlib import AbstractContextManager
from uuid import UUID

from prefect import flow, get_run_logger, tags
from prefect.context import TagsContext
from prefect.runtime import flow_run

from models.enums import Level
from models.flow_inputs import PhaseRunInput
from models.outcome import UnitOutcome, UnitRef, UnitRunInput
from qinglian.campaigns.lookup import campaign_root, get_campaign, get_phase
from qinglian.core import heartbeats, locks
from qinglian.core.clock import today_in_china
from qinglian.core.db import session_scope
from qinglian.core.errors import QinglianError
from qinglian.reporting.artifacts import percent
from qinglian.rules.rollup import roll_up
from tasks.campaign import load_phase
from tasks.complaints import cross_check_complaints, publish_complaints_summary
from tasks.publish import publish_phase_summary
from tasks.rectify import ensure_items
from tasks.runs import crash_orphaned_runs
from tasks.summaries import export_assessment, record_summaries, write_root_report
from tasks.unit_steps import (
    assess_rectification,
    assess_unit,
    examine_unit_forms,
    publish_unit_table,
)

# A phase is a tree of nested unit runs, thousands of them: each must end without waiting out
# Prefect's heartbeat sleep (see qinglian/core/heartbeats.py).
heartbeats.install()


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
    """「动员部署 · 卫生部（专项活动 3）」, or the raw key when the phase does not exist.

    A plain read, not a task: Prefect calls this to name the run before the run exists.
    """
    params = flow_run.parameters["params"]
    if isinstance(params, dict):
        params = PhaseRunInput.model_validate(params)
    try:
        with session_scope() as session:
            campaign = get_campaign(session=session, campaign_id=params.campaign_id)
            phase = get_phase(session=session, campaign=campaign, key=params.phase)
            root = campaign_root(session=session, campaign=campaign)
            return f"{phase.title} · {root.name}（专项活动 {params.campaign_id}）"
    except QinglianError:
        return f"{params.phase} · 专项活动 {params.campaign_id}"


def phase_labels(campaign_id: int, phase: str) -> list[str]:
    """The tags of every run of a phase, its unit runs included."""
    return [f"campaign:{campaign_id}", f"phase:{phase}"]


def phase_lock(campaign_id: int, phase: str) -> AbstractContextManager[None]:
    """The lock a run of the phase holds to its end: a second run, anywhere, fails at once."""
    return locks.hold(
        f"phase:{campaign_id}:{phase}",
        wait=False,
        busy=QinglianError(
            f"专项活动 {campaign_id} 的阶段 {phase} 正在运行（另一进程），请等它结束后再运行",
            f"phase {phase} of campaign {campaign_id} is already running in another process; "
            "run it again when that one ends",
        ),
    )


@flow(name="phase", flow_run_name=_phase_run_name)
def run_phase(params: PhaseRunInput) -> UnitOutcome:
    """A campaign phase, one run at a time, on one snapshot of what was imported.

    The phase's lock is held to the end, failure included (a crash drops it with the process):
    no other process runs the phase, so its runs still unfinished are a dead process's, and
    are marked crashed. The inputs are read-locked for the whole run: an import waits for the
    run to end, and the run for an import under way.
    """
    with phase_lock(params.campaign_id, params.phase):
        crash_orphaned_runs(phase_labels(params.campaign_id, params.phase), UUID(flow_run.id))
        with locks.hold(locks.INPUTS, shared=True, on_wait=_waiting_for_import):
            return _phase(params)


def _waiting_for_import() -> None:
    get_run_logger().info("正在等待导入结束… / waiting for an import to finish…")


def _phase(params: PhaseRunInput) -> UnitOutcome:
    """The root unit's flow (recursively), then the phase's artifacts."""
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
    with tags(*phase_labels(context.campaign_id, context.phase_key)):
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
    """Run a phase from the CLI or the demo, its run tagged with its campaign and phase.

    The phase's lock is taken here first, then again (by this same thread) in the flow: a
    phase already running is one error line here, not a failed flow run and its traceback.
    """
    with (
        phase_lock(params.campaign_id, params.phase),
        tags(*phase_labels(params.campaign_id, params.phase)),
    ):
        return run_phase(params)
