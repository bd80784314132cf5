"""A phase, a sweep and an import across processes: one run of a phase at a time, an import
wholly before or after a run, and the runs a killed process left behind marked crashed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.states import Cancelled, Pending, Running, Scheduled
from sqlmodel import func, select
from typer.testing import Result

from flows.escalation import escalation_replay
from flows.phase import run_phase, start_phase
from flows.units import unit_flow
from models.flow_inputs import PhaseRunInput, ReplayInput
from models.unit import Unit
from qinglian.core import db, locks
from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings
from tasks.campaign import load_phase
from tasks.runs import ORPHANED
from tests.core.test_locks import ANSWER, LockHolder
from tests.factories import UNITS, Qinglian, assert_one_error, launch_seed_campaign, write_units

AS_OF = date(2012, 9, 1)


@pytest.fixture
def campaign_id(qinglian_home: Settings, tmp_path: Path) -> int:
    with db.session_scope() as session:
        return launch_seed_campaign(session, tmp_path)


@pytest.fixture
def cli(qinglian_home: Settings) -> Qinglian:
    """The `qinglian` command on the flow test's own database."""
    return Qinglian(kind="flow", home=qinglian_home.home)


@pytest.fixture
def other() -> Iterator[LockHolder]:
    """Another process, standing for a command running elsewhere."""
    holder = LockHolder()
    yield holder
    holder.close()


@pytest.fixture
def client() -> Iterator[SyncPrefectClient]:
    with get_client(sync_client=True) as client:
        yield client


def test_a_phase_running_elsewhere_refuses_a_second_run_in_one_line(
    campaign_id: int, cli: Qinglian, other: LockHolder
) -> None:
    other.hold(f"phase:{campaign_id}:mobilize")
    line = assert_one_error(cli("phase", "run", str(campaign_id), "mobilize", "--as-of", AS_OF))
    assert (
        f"专项活动 {campaign_id} 的阶段 mobilize 正在运行（另一进程），请等它结束后再运行" in line
    )
    assert f"phase mobilize of campaign {campaign_id} is already running in another process" in line
    # Started as a deployment would start it (no CLI around it): the flow run itself refuses.
    with pytest.raises(QinglianError, match="正在运行"):
        asyncio.run(
            run_phase(PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=AS_OF))
        )


def test_a_sweep_running_elsewhere_refuses_a_second_sweep_or_replay(
    campaign_id: int, cli: Qinglian, other: LockHolder
) -> None:
    other.hold(f"sweep:{campaign_id}")
    line = assert_one_error(cli("escalate", "--campaign", str(campaign_id), "--as-of", AS_OF))
    assert f"专项活动 {campaign_id} 的督办扫描正在运行（另一进程）" in line
    with pytest.raises(QinglianError, match="already running"):
        escalation_replay(ReplayInput(campaign_id=campaign_id, start=AS_OF, end=AS_OF))


def test_a_failed_run_lets_go_of_its_phase(campaign_id: int, other: LockHolder) -> None:
    with pytest.raises(QinglianError):  # no such phase: the flow run fails
        asyncio.run(
            run_phase(PhaseRunInput(campaign_id=campaign_id, phase="nonesuch", as_of=AS_OF))
        )
    other.hold(f"phase:{campaign_id}:nonesuch", wait=False)


class Background(threading.Thread):
    """A command run in another thread, its result kept for the test."""

    def __init__(self, command: object) -> None:
        super().__init__(daemon=True)
        self.command = command
        self.result: object = None

    def run(self) -> None:
        self.result = self.command()  # type: ignore[operator]


def _units() -> int:
    with db.session_scope() as session:
        return session.exec(select(func.count()).select_from(Unit)).one()


def test_an_import_waits_for_the_phase_running_and_then_lands(
    campaign_id: int, cli: Qinglian, other: LockHolder, tmp_path: Path
) -> None:
    other.hold(locks.INPUTS, shared=True)  # what a phase run holds for its whole run
    grown = [*UNITS, {**UNITS[-1], "单位编码": "JS-LYG-FB-YWK", "单位名称": "医务科"}]
    importer = Background(lambda: cli("units", "import", write_units(tmp_path / "more.csv", grown)))
    importer.start()
    importer.join(2.0)  # a bound on the check, not a sleep: it must still be waiting
    assert importer.is_alive()
    assert _units() == len(UNITS)
    other.release()
    importer.join(ANSWER)
    assert not importer.is_alive()
    result = importer.result
    assert isinstance(result, Result) and result.exit_code == 0, result
    assert "正在等待运行中的阶段结束… / waiting for the running phase to finish…" in result.stderr
    assert _units() == len(UNITS) + 1


def test_a_single_record_waits_for_the_phase_running_too(
    campaign_id: int, cli: Qinglian, other: LockHolder
) -> None:
    """Not only file imports: a delivery recorded by hand is an input the phase reads."""
    other.hold(locks.INPUTS, shared=True)
    recorder = Background(
        lambda: cli(
            "deliver",
            "record",
            str(campaign_id),
            "JS-LYG-FB",
            "mobilization_meeting",
            "--on",
            "2012-07-25",
        )
    )
    recorder.start()
    recorder.join(2.0)  # a bound on the check, not a sleep: it must still be waiting
    assert recorder.is_alive()
    other.release()
    recorder.join(ANSWER)
    result = recorder.result
    assert isinstance(result, Result) and result.exit_code == 0, result
    assert "waiting for the running phase to finish" in result.stderr


def test_a_phase_run_waits_for_an_import_under_way(campaign_id: int, other: LockHolder) -> None:
    other.hold(locks.INPUTS)  # what an import holds until it commits
    params = PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=AS_OF)
    phase = Background(lambda: start_phase(params))
    phase.start()
    phase.join(2.0)
    assert phase.is_alive()
    other.release()
    phase.join(ANSWER)
    assert not phase.is_alive() and phase.result is not None


def _zombie(client: SyncPrefectClient, tags: list[str], state: object) -> FlowRun:
    """A run as a SIGKILLed process leaves it: created, never finished."""
    return client.create_flow_run(unit_flow, tags=tags, state=state)  # type: ignore[arg-type]


def _state(client: SyncPrefectClient, run: FlowRun | UUID) -> StateType | None:
    found = client.read_flow_run(run if isinstance(run, UUID) else run.id)
    return found.state.type if found.state else None


def test_the_next_run_marks_crashed_what_a_killed_process_left_running(
    campaign_id: int, other: LockHolder, client: SyncPrefectClient
) -> None:
    mine = [f"campaign:{campaign_id}", "phase:mobilize"]
    running = _zombie(client, [*mine, "level:ministry"], Running())
    pending = _zombie(client, [*mine, "level:province"], Pending())
    retrying = _zombie(client, mine, Scheduled())  # a flow's retry, its process gone
    task_run = client.create_task_run(load_phase, running.id, "0", state=Running())
    others = [
        _zombie(client, [f"campaign:{campaign_id}", "phase:find"], Running()),
        _zombie(client, [f"campaign:{campaign_id + 1}", "phase:mobilize"], Running()),
        _zombie(client, [f"campaign:{campaign_id}", "escalation"], Running()),
    ]
    # Another phase running elsewhere reads the same inputs: both go ahead together.
    other.hold(f"phase:{campaign_id}:find")
    other.hold(locks.INPUTS, shared=True)
    try:
        # Run as a deployment runs it, without the CLI's tags: the run tags itself.
        state = asyncio.run(
            run_phase(
                PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=AS_OF),
                return_state=True,
            )
        )
        assert state.is_completed()
        for zombie in (running, pending, retrying):
            crashed = client.read_flow_run(zombie.id).state
            assert crashed is not None and crashed.type is StateType.CRASHED
            assert crashed.message == ORPHANED
        task_state = client.read_task_run(task_run.id).state
        assert task_state is not None and task_state.type is StateType.CRASHED
        assert [_state(client, run) for run in others] == [StateType.RUNNING] * 3
        assert state.state_details.flow_run_id is not None
        this = client.read_flow_run(state.state_details.flow_run_id)
        assert set(mine) <= set(this.tags)
        # The run itself is no orphan: it ended as it should.
        assert _state(client, this.id) is StateType.COMPLETED

        # The sweep cleans up after a killed sweep the same way.
        replayed = escalation_replay(ReplayInput(campaign_id=campaign_id, start=AS_OF, end=AS_OF))
        assert len(replayed) == 1
        assert _state(client, others[2]) is StateType.CRASHED
        assert _state(client, others[0]) is StateType.RUNNING
    finally:
        for run in others:  # the harness's API outlives the test: leave nothing running in it
            if _state(client, run) is StateType.RUNNING:
                client.set_flow_run_state(run.id, Cancelled(), force=True)
