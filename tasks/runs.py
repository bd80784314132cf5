"""Flow runs that a dead process left unfinished, marked crashed so none stays Running forever."""

from __future__ import annotations

from uuid import UUID

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
    TaskRunFilter,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.states import Crashed

ORPHANED = "进程已退出，运行未结束 / the process that ran this died"
_PAGE = 200
_UNFINISHED = [StateType.RUNNING, StateType.PENDING]
# Which runs are orphans once no live process runs what their tags name: running or pending
# ones; and scheduled ones that no worker will start because they have no deployment (a flow's
# own retry, waiting in a process that is gone). A scheduled run of a deployment is left to
# its worker.
_ORPHANED_STATES = (
    FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=_UNFINISHED))),
    FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
        deployment_id=FlowRunFilterDeploymentId(is_null_=True),
    ),
)


@task(retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def crash_orphaned_runs(labels: list[str], current_run_id: UUID) -> int:
    """Mark CRASHED the flow runs tagged with all ``labels`` that a dead process left unfinished.

    Call it only while holding the lock of what the labels name (a phase, a sweep): then no
    live process runs it, and every such run but the current one is an orphan. The current
    run is tagged first, so that if its own process dies the next run finds it.
    """
    with get_client(sync_client=True) as client:
        _tag(client, current_run_id, labels)
        orphans = _crash_flow_runs(client, labels, current_run_id)
        tasks = _crash_task_runs(client, orphans)
    logger = get_run_logger()
    if orphans:
        logger.warning(
            "已将进程退出后遗留的 %s 个流程运行（%s 个任务运行）标记为 CRASHED / marked %s flow "
            "runs (%s task runs) left by a dead process as crashed",
            len(orphans),
            tasks,
            len(orphans),
            tasks,
        )
    else:
        logger.info("没有进程退出后遗留的运行 / no runs left by a dead process")
    return len(orphans)


def _tag(client: SyncPrefectClient, run_id: UUID, labels: list[str]) -> None:
    # A run started from a deployment carries the deployment's tags, not these.
    tags = client.read_flow_run(run_id).tags
    missing = [label for label in labels if label not in tags]
    if missing:
        client.update_flow_run(run_id, tags=[*tags, *missing])


def _crash_flow_runs(client: SyncPrefectClient, labels: list[str], current: UUID) -> list[UUID]:
    crashed: list[UUID] = []
    for orphaned in _ORPHANED_STATES:
        while True:
            # A crashed page drops out of the filter; the ids already seen are excluded too,
            # so a run that somehow kept its state cannot loop forever.
            page = client.read_flow_runs(
                flow_run_filter=orphaned.model_copy(
                    update={
                        "tags": FlowRunFilterTags(all_=labels),
                        "id": FlowRunFilterId(not_any_=[current, *crashed]),
                    }
                ),
                limit=_PAGE,
            )
            if not page:
                break
            for run in page:
                client.set_flow_run_state(run.id, Crashed(message=ORPHANED), force=True)
                crashed.append(run.id)
    return crashed


def _crash_task_runs(client: SyncPrefectClient, flow_runs: list[UUID]) -> int:
    """The task runs the orphans were in the middle of, crashed with them."""
    crashed: set[UUID] = set()
    for start in range(0, len(flow_runs), _PAGE):
        while True:
            page = client.read_task_runs(
                flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=flow_runs[start : start + _PAGE])
                ),
                task_run_filter=TaskRunFilter(
                    state=TaskRunFilterState(type=TaskRunFilterStateType(any_=_UNFINISHED))
                ),
                limit=_PAGE,
            )
            fresh = [task_run.id for task_run in page if task_run.id not in crashed]
            if not fresh:
                break
            for task_run_id in fresh:
                client.set_task_run_state(task_run_id, Crashed(message=ORPHANED), force=True)
            crashed.update(fresh)
    return len(crashed)
