"""A phase of a campaign: computed set-based, subtree by subtree, published as a run tree.

The phase run opens (or resumes) its pass, starts one run per subtree (by default per
province: in this process, or on the work pool's workers with ``run_deployment``), then
computes the top of the tree from the subtrees' stored outcomes and publishes it: the phase
run is the root unit's run. Unit runs go down to the run depth; units below are table rows.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from datetime import date
from uuid import UUID

from prefect import flow, get_run_logger, tags
from prefect.context import TagsContext
from prefect.runtime import flow_run
from prefect.settings import PREFECT_API_URL

from flows.remote import run_on_workers
from flows.subtree import run_subtree
from flows.units import holding, publish, unit_labels, unit_params
from models.enums import Level
from models.flow_inputs import PhaseRunInput, SubtreeRunInput
from models.outcome import PhaseContext, UnitOutcome
from qinglian.campaigns.lookup import campaign_root, get_campaign, get_phase
from qinglian.core import locks, progress
from qinglian.core.clock import today_in_china
from qinglian.core.db import session_scope
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from qinglian.reporting.artifacts import percent
from tasks.campaign import load_phase
from tasks.complaints import cross_check_complaints, publish_complaints_summary
from tasks.phase_pass import (
    PassPlan,
    SubtreePlan,
    compute_top,
    finish_phase_pass,
    open_phase_pass,
    subtree_outcomes,
)
from tasks.publish import publish_phase_summary
from tasks.rectify import ensure_items
from tasks.runs import crash_orphaned_runs
from tasks.summaries import export_assessment, record_summaries, write_root_report


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
async def run_phase(params: PhaseRunInput) -> UnitOutcome:
    """A campaign phase, one run at a time, on one snapshot of what was imported.

    The phase's lock is held to the end, failure included (a crash drops it with the process):
    no other process runs the phase, so its runs still unfinished are a dead process's, and
    are marked crashed. The inputs are read-locked for the whole run: an import waits for the
    run to end, and the run for an import under way.
    """
    with phase_lock(params.campaign_id, params.phase):
        crash_orphaned_runs(phase_labels(params.campaign_id, params.phase), UUID(flow_run.id))
        with locks.hold(locks.INPUTS, shared=True, on_wait=_waiting_for_import):
            return await _phase(params)


def _waiting_for_import() -> None:
    get_run_logger().info("正在等待导入结束… / waiting for an import to finish…")


def _split_level(depth: Level) -> Level:
    """Where the tree splits into subtree runs: the setting, but never below the run depth."""
    level = Level(get_settings().subtree_level)
    return level if level.rank <= depth.rank else depth


async def _phase(params: PhaseRunInput) -> UnitOutcome:
    """The pass: subtrees, then the top of the tree, then the phase's own products."""
    as_of = params.as_of or today_in_china()
    context = load_phase(params.campaign_id, params.phase)
    depth = Level(params.runs_down_to) if params.runs_down_to else context.run_depth
    where = params.subtrees_on or get_settings().subtrees
    if "rectification" in context.activities:
        # Every confirmed finding (inspection findings too) has an item before units roll up.
        ensure_items(context.campaign_id, context.phase_ends_on)
    plan = open_phase_pass(context, as_of, depth, _split_level(depth))
    logger = get_run_logger()
    if plan.resumed:
        done = [subtree.root.code for subtree in plan.subtrees if subtree.published]
        logger.info(
            "继续上次未完成的计算（第 %s 轮）：已完成的子树 %s 个，不再重算 / resuming the pass "
            "(round %s): %s finished subtrees are not computed again",
            plan.generation,
            len(done),
            plan.generation,
            len(done),
        )
    progress.phase_started(context.phase_title, plan.total, _ui_url())
    progress.units_done(sum(subtree.units for subtree in plan.subtrees if subtree.published))
    with tags(*phase_labels(context.campaign_id, context.phase_key)):
        await _subtrees(context, plan, where)
        outcome = await _top(context, plan, as_of)
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
    finish_phase_pass(plan.pass_id)
    logger.info(
        "%s（截至 %s）：%s 个单位，上报率 %s，缺报 %s 项；滞后的下级单位：%s",
        context.phase_title,
        as_of,
        outcome.units,
        percent(outcome.subtree.rate),
        outcome.subtree.missing,
        "、".join(summary.lagging_children) or "无",
    )
    return outcome


def _ui_url() -> str | None:
    """The phase run in the Prefect UI, when a Prefect server (not the ephemeral API) is used."""
    return flow_run.ui_url if PREFECT_API_URL.value() else None


async def _subtrees(context: PhaseContext, plan: PassPlan, where: str) -> None:
    """Every subtree not yet published, at once (bounded); fails naming the ones that failed."""
    todo = [subtree for subtree in plan.subtrees if not subtree.published]
    if not todo:
        return
    if where == "workers":
        outcomes = await asyncio.gather(
            *(run_on_workers(context, plan, subtree) for subtree in todo), return_exceptions=True
        )
    else:
        with holding(plan.pass_id, {}) as slots:
            outcomes = await asyncio.gather(
                *(slots.run(_run_here(context, plan, subtree)) for subtree in todo),
                return_exceptions=True,
            )
    failed = [
        (subtree, outcome)
        for subtree, outcome in zip(todo, outcomes, strict=True)
        if isinstance(outcome, BaseException)
    ]
    for subtree, error in failed:
        get_run_logger().error(
            "子树 %s（%s）运行失败 / subtree %s failed: %s",
            subtree.root.code,
            subtree.root.name,
            subtree.root.code,
            error,
        )
    if failed:
        names = "、".join(f"{subtree.root.name}（{subtree.root.code}）" for subtree, _ in failed)
        codes = ", ".join(subtree.root.code for subtree, _ in failed)
        raise QinglianError(
            f"{len(failed)} 个子树运行失败：{names}；重新运行本阶段将继续，已完成的子树不再重算",
            f"{len(failed)} subtree run(s) failed: {codes}; run the phase again to resume "
            "(finished subtrees are not computed again)",
        )


async def _run_here(context: PhaseContext, plan: PassPlan, subtree: SubtreePlan) -> UnitOutcome:
    province = subtree.root.name if subtree.root.level is Level.province else None
    labels = unit_labels(context.campaign_id, context.phase_key, subtree.root.level, province)
    with TagsContext(current_tags=labels):
        return await run_subtree(SubtreeRunInput(pass_id=plan.pass_id, unit_code=subtree.root.code))


async def _top(context: PhaseContext, plan: PassPlan, as_of: date) -> UnitOutcome:
    """The units above the split, rolled up from the subtrees; the phase run is the root's."""
    root_id = context.root.unit_id
    if not plan.top_units:  # the root is itself the one subtree
        return subtree_outcomes(plan.pass_id, [root_id])[root_id]
    results = compute_top(context, plan, as_of)
    elsewhere = subtree_outcomes(plan.pass_id, [subtree.root.unit_id for subtree in plan.subtrees])
    params = unit_params(context, plan.pass_id, context.root, as_of, plan.run_depth)
    with holding(plan.pass_id, results, elsewhere):
        return await publish(params, results, lend=False)


async def start_phase_async(params: PhaseRunInput) -> UnitOutcome:
    """Run a phase, its run tagged with its campaign and phase (from a flow or the CLI).

    The phase's lock is taken here first, then again (by this same thread) in the flow: a
    phase already running is one error line here, not a failed flow run and its traceback.
    """
    with (
        phase_lock(params.campaign_id, params.phase),
        tags(*phase_labels(params.campaign_id, params.phase)),
    ):
        return await run_phase(params)


def start_phase(params: PhaseRunInput) -> UnitOutcome:
    """:func:`start_phase_async` from plain code (the CLI, the demo, tests)."""
    return asyncio.run(start_phase_async(params))
