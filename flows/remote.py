"""Subtrees on the work pool: Prefect's own distributed engine, not ours (DESIGN.md §8).

Each subtree is a run of the ``phase-subtree`` deployment, started with ``run_deployment`` as
a subflow of the phase run (the UI keeps the tree) and an idempotency key per pass, subtree
and attempt: a phase run retried by Prefect never starts a subtree twice, and a re-run after
a crash starts a new attempt only where the last one ended without finishing. The phase run
then waits, bounded while no worker takes the run, and reads the outcome from the database.
"""

from __future__ import annotations

import time

import anyio
from prefect import get_run_logger
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.objects import FlowRun, StateType, WorkerStatus
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound

from flows.units import unit_labels
from models.enums import Level
from models.flow_inputs import SubtreeRunInput
from models.outcome import PhaseContext
from qinglian.core import progress
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from tasks.phase_pass import PassPlan, SubtreePlan

# Each waiting subtree polls its run: 31 provinces at 1 s were the server's busiest endpoint.
POLL_SECONDS = 3.0
_MAX_ATTEMPTS = 50
_WAITING = (StateType.SCHEDULED, StateType.PENDING)


def idempotency_key(plan: PassPlan, subtree: SubtreePlan, attempt: int) -> str:
    return f"qinglian-pass-{plan.pass_id}-g{plan.generation}-{subtree.root.code}-{attempt}"


async def run_on_workers(context: PhaseContext, plan: PassPlan, subtree: SubtreePlan) -> None:
    """Run one subtree on the pool and wait for it; fail naming it if it does not complete."""
    settings = get_settings()
    await _check_deployment(settings.subtree_deployment)
    province = subtree.root.name if subtree.root.level is Level.province else None
    labels = unit_labels(context.campaign_id, context.phase_key, subtree.root.level, province)
    name = f"{context.phase_title} · {subtree.root.name} · {subtree.root.code}"
    parameters = {
        "params": SubtreeRunInput(pass_id=plan.pass_id, unit_code=subtree.root.code).model_dump()
    }
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        run: FlowRun = await run_deployment(  # type: ignore[misc]
            settings.subtree_deployment,
            parameters=parameters,
            flow_run_name=name,
            tags=sorted(labels),
            idempotency_key=idempotency_key(plan, subtree, attempt),
            timeout=0,
            as_subflow=True,
        )
        state = run.state
        if state is not None and state.is_final() and not state.is_completed():
            continue  # an earlier attempt that crashed or failed: the next attempt's key
        break
    else:
        raise QinglianError(
            f"子树 {subtree.root.code} 已尝试 {_MAX_ATTEMPTS} 次",
            f"subtree {subtree.root.code} was attempted {_MAX_ATTEMPTS} times",
        )
    get_run_logger().info(
        "子树 %s 在工作池运行：%s / subtree %s runs on the pool: flow run %s",
        subtree.root.code,
        run.id,
        subtree.root.code,
        run.id,
    )
    final = await _wait(run, subtree, settings.worker_wait_seconds)
    if final.state is None or not final.state.is_completed():
        state_name = final.state.name if final.state else "?"
        raise QinglianError(
            f"子树 {subtree.root.name}（{subtree.root.code}）的运行未完成：{state_name}",
            f"the run of subtree {subtree.root.code} did not complete: {state_name}",
        )
    progress.units_done(subtree.units)


async def _wait(run: FlowRun, subtree: SubtreePlan, worker_wait: float) -> FlowRun:
    """Poll until the run is final. Waiting in the queue while the pool has a worker online is
    fine (a national phase queues 31 provinces on a few slots); ``worker_wait`` seconds with
    the run waiting and no worker online is an error, not a hang."""
    unattended_since = time.monotonic()
    async with get_client() as client:
        while True:
            run = await client.read_flow_run(run.id)
            state = run.state
            if state is not None and state.is_final():
                return run
            waiting = state is not None and state.type in _WAITING
            if not waiting or await _workers_online(client, run):
                unattended_since = time.monotonic()
            elif time.monotonic() - unattended_since > worker_wait:
                raise QinglianError(
                    f"子树 {subtree.root.code} 的运行等待 {worker_wait:.0f} 秒仍无 worker "
                    "接手：请在工作池 qinglian 启动 worker（prefect worker start --pool "
                    "qinglian），再重新运行本阶段",
                    f"no worker took the run of subtree {subtree.root.code} within "
                    f"{worker_wait:.0f} s: start a worker on pool qinglian (prefect worker "
                    "start --pool qinglian), then run the phase again",
                )
            await anyio.sleep(POLL_SECONDS)


async def _workers_online(client: PrefectClient, run: FlowRun) -> bool:
    if not run.work_pool_name:
        return False
    workers = await client.read_workers_for_work_pool(run.work_pool_name)
    return any(worker.status is WorkerStatus.ONLINE for worker in workers)


async def _check_deployment(name: str) -> None:
    async with get_client() as client:
        try:
            await client.read_deployment_by_name(name)
        except ObjectNotFound:
            raise QinglianError(
                f"没有部署 {name}：请先运行 qinglian prefect setup 与 prefect deploy --all",
                f"no deployment {name}: run `qinglian prefect setup` and "
                "`prefect deploy --all` first",
            ) from None
