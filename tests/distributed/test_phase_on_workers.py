"""A phase on Prefect's own engine: the province subtrees run on two process workers with
``run_deployment``, as children of the phase run; their roll-up is the embedded run's; a
worker lost mid-run costs a re-run, never a unit counted twice or lost.

One scenario in order (module-scoped cluster): the workers database W and its copy L (made
before any run, so both hold the same rows and ids) let the workers run and the local run
start from the same state.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal
from uuid import UUID

import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    temporary_settings,
)
from sqlmodel import select

from flows.phase import start_phase
from flows.subtree import subtree_lock
from models import Unit
from models.flow_inputs import PhaseRunInput
from models.outcome import UnitOutcome
from models.phase_pass import PhasePass, PhaseSubtree, PhaseUnitResult
from qinglian.core import db
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from tests.crash.peers import Survivor, marked_processes
from tests.distributed import tree
from tests.distributed.cluster import (
    Cluster,
    Databases,
    flow_run_processes,
    lose_machine,
    worker_running,
)
from tests.distributed.conftest import ZOMBIE_SECONDS

SUBTREE_FLOW = "phase-subtree"
PATIENCE = 120.0  # seconds for a run to reach a state on a loaded machine
LOST_RUN_GIVEN_UP = ZOMBIE_SECONDS + 120.0  # the automation's window, then its evaluation


@dataclass
class Scenario:
    cluster: Cluster
    workers_db: str  # W: what the workers use
    local_db: str  # L: W's copy, for the embedded runs
    campaign_id: int


@contextmanager
def using(url: str, home: Path) -> Iterator[None]:
    """qinglian in this process on ``url`` (the caches cleared around)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QINGLIAN_DATABASE_URL", url)
        patch.setenv("QINGLIAN_HOME", str(home))
        _reset()
        try:
            yield
        finally:
            db.get_engine().dispose()
            _reset()


def _reset() -> None:
    get_settings.cache_clear()
    db.engine_for.cache_clear()


@pytest.fixture(scope="module")
def scenario(
    prefect_cluster: Cluster,
    pg: Databases,
    qinglian_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Scenario]:
    folder = tmp_path_factory.mktemp("tree")
    with using(qinglian_url, folder / "home"), db.session_scope() as session:
        campaign_id = tree.build(session, folder)
    # W's copy, before any run: the local runs start where the workers' runs start.
    name = pg.create("local", template=qinglian_url.rsplit("/", 1)[1])
    settings = {PREFECT_API_URL: prefect_cluster.api, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 30}
    with temporary_settings(updates=settings):
        yield Scenario(prefect_cluster, qinglian_url, pg.url(name), campaign_id)
        # What this process's runs logged and emitted reaches the server before it stops.
        APILogWorker.drain_all(timeout=30)
        EventsWorker.drain_all(timeout=30)


def _phase(scenario: Scenario, where: Literal["workers", "local"], home: Path) -> UnitOutcome:
    url = scenario.workers_db if where == "workers" else scenario.local_db
    params = PhaseRunInput(
        campaign_id=scenario.campaign_id, phase=tree.PHASE, as_of=tree.END, subtrees_on=where
    )
    with using(url, home):
        return start_phase(params)


@contextmanager
def api() -> Iterator[SyncPrefectClient]:
    with get_client(sync_client=True) as client:
        yield client


def _runs(flow_name: str) -> dict[UUID, FlowRun]:
    with api() as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])), limit=200
        )
    return {run.id: run for run in runs}


def _code(run: FlowRun) -> str:
    return run.name.rsplit(" · ", 1)[-1]


def test_province_subtrees_run_on_the_workers_as_children_of_the_phase_run(
    scenario: Scenario, tmp_path: Path
) -> None:
    phases_before, subtrees_before = set(_runs("phase")), set(_runs(SUBTREE_FLOW))
    started = datetime.now()
    on_workers = _phase(scenario, "workers", tmp_path)
    print(f"phase on workers: {(datetime.now() - started).total_seconds():.1f} s")

    (phase_run,) = [run for key, run in _runs("phase").items() if key not in phases_before]
    subtrees = [run for key, run in _runs(SUBTREE_FLOW).items() if key not in subtrees_before]
    assert sorted(_code(run) for run in subtrees) == sorted(tree.PROVINCES)
    with api() as client:
        for run in subtrees:
            assert run.state_type == StateType.COMPLETED, run.name
            assert run.work_pool_name == "qinglian" and run.deployment_id is not None
            # run_deployment(as_subflow=True): the child's parent is a task run of the phase run.
            assert run.parent_task_run_id is not None, run.name
            parent = client.read_task_run(run.parent_task_run_id)
            assert parent.flow_run_id == phase_run.id, run.name
    assert phase_run.state_type == StateType.COMPLETED

    # (b) The embedded run of the same phase on the same rows rolls up to the same figures.
    local = _phase(scenario, "local", tmp_path)
    assert on_workers == local
    assert on_workers.forms is not None and on_workers.forms.received == 5
    assert on_workers.new_findings > 0


def test_a_lost_worker_costs_a_rerun_never_a_unit_twice_or_lost(
    scenario: Scenario, tmp_path: Path
) -> None:
    cluster = scenario.cluster
    with using(scenario.workers_db, tmp_path), db.session_scope() as session:
        (pass_id,) = session.exec(
            select(PhasePass.id).where(
                PhasePass.campaign_id == scenario.campaign_id,
                PhasePass.phase_key == tree.PHASE,
                PhasePass.as_of == tree.END,
            )
        ).all()
        assert pass_id is not None
        provinces = {code: tree.unit_ids(session, code) for code in tree.PROVINCES}
    js, zj = tree.PROVINCES
    before = set(_runs(SUBTREE_FLOW))

    # ZJ's subtree run waits for its lock (held here) once Running: there it loses its worker.
    with using(scenario.workers_db, tmp_path), subtree_lock(pass_id, zj):
        first = _in_thread(_phase, scenario, "workers", tmp_path / "first")
        runs = _wait_for(
            lambda found: (
                _state(found, js) == StateType.COMPLETED and _state(found, zj) == StateType.RUNNING
            ),
            before,
        )
        (lost,) = [run for run in runs if _code(run) == zj]
        processes = _wait_for_processes(str(lost.id), cluster.mark)
        worker = worker_running(cluster, processes)
        lose_machine(cluster, worker, processes)
        gone = {process.pid for process in processes}
        assert not _alive(cluster.mark, gone)

    with pytest.raises(QinglianError) as failed:
        first.result(timeout=LOST_RUN_GIVEN_UP)
    assert zj in failed.value.en and js not in failed.value.en  # names the lost subtree only
    with api() as client:
        assert client.read_flow_run(lost.id).state_type == StateType.CRASHED
    # The failed run stored JS (finished before the loss) and not ZJ (lost before computing).
    computed = _subtrees(scenario, tmp_path, pass_id)
    js_root, zj_root = _root(scenario, tmp_path, js), _root(scenario, tmp_path, zj)
    assert set(computed) == {js_root}

    again = _phase(scenario, "workers", tmp_path / "again")

    # Each subtree computed once: JS's stored row untouched by the re-run, ZJ's made by it.
    after = _subtrees(scenario, tmp_path, pass_id)
    assert after[js_root] == computed[js_root]
    # (the top of the tree, above the provinces, is stored as one more part of the pass)
    assert set(after) - {js_root} == {zj_root, _root(scenario, tmp_path, "MOH")}
    with using(scenario.workers_db, tmp_path), db.session_scope() as session:
        row = session.get(PhasePass, pass_id)
        assert row is not None and row.finished
        assert row.generation == 2  # (a) was the first; the failed run's pass was resumed
        results = session.exec(
            select(PhaseUnitResult.unit_id).where(PhaseUnitResult.pass_id == pass_id)
        ).all()
    assert len(results) == len(set(results))  # no unit twice
    assert provinces[js] | provinces[zj] <= set(results)  # no unit lost

    # In the API: JS ran once in this pass, ZJ twice (the lost run, then the re-run's).
    runs = [run for key, run in _runs(SUBTREE_FLOW).items() if key not in before]
    assert sorted(_code(run) for run in runs) == [js, zj, zj]
    assert sorted(str(run.state_type) for run in runs if _code(run) == zj) == sorted(
        [str(StateType.CRASHED), str(StateType.COMPLETED)]
    )

    # The same figures as the embedded run of the same re-run.
    assert again == _phase(scenario, "local", tmp_path / "local")
    # The lost worker stays gone; the other worker ran the re-run.
    assert worker not in cluster.workers and len(cluster.workers) == 1


# --- helpers ----------------------------------------------------------------------------------


def _in_thread(function: Callable[..., UnitOutcome], *args: object) -> Future[UnitOutcome]:
    """``function(*args)`` in a thread that sees this thread's Prefect settings."""
    context = contextvars.copy_context()
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(context.run, function, *args)
    pool.shutdown(wait=False)
    return future


def _state(runs: list[FlowRun], code: str) -> StateType | None:
    states = [run.state_type for run in runs if _code(run) == code]
    return states[-1] if states else None


def _wait_for(done: Callable[[list[FlowRun]], bool], before: set[UUID]) -> list[FlowRun]:
    deadline = time.monotonic() + PATIENCE
    while True:
        runs = [run for key, run in _runs(SUBTREE_FLOW).items() if key not in before]
        if done(runs):
            return runs
        assert time.monotonic() < deadline, [(run.name, run.state_type) for run in runs]
        time.sleep(0.2)


def _wait_for_processes(flow_run_id: str, mark: str) -> list[Survivor]:
    deadline = time.monotonic() + PATIENCE
    while not (found := flow_run_processes(flow_run_id, mark)):
        assert time.monotonic() < deadline, f"no process runs flow run {flow_run_id}"
        time.sleep(0.2)
    return found


def _root(scenario: Scenario, home: Path, code: str) -> int:
    with using(scenario.workers_db, home), db.session_scope() as session:
        unit_id = session.exec(select(Unit.id).where(Unit.code == code)).one()
    assert unit_id is not None
    return unit_id


def _subtrees(scenario: Scenario, home: Path, pass_id: int) -> dict[int, tuple[int, datetime]]:
    """The pass's stored subtrees: root unit id → (row id, computed at)."""
    with using(scenario.workers_db, home), db.session_scope() as session:
        rows = session.exec(
            select(PhaseSubtree.unit_id, PhaseSubtree.id, PhaseSubtree.computed_at).where(
                PhaseSubtree.pass_id == pass_id
            )
        ).all()
    return {unit_id: (row_id or 0, at) for unit_id, row_id, at in rows}


def _alive(mark: str, pids: set[int], patience: float = 30.0) -> set[int]:
    """Which of ``pids`` still run after ``patience`` s: a SIGKILLed process on a loaded machine
    may take a moment to become a zombie."""
    deadline = time.monotonic() + patience
    while True:
        alive = pids & {process.pid for process in marked_processes(mark)}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)
