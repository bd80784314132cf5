"""A done rectification item is verified through a form in the Prefect UI.

A deployment's run is suspended while it waits (no process); a run started directly pauses in
its own process. Both record the verdict once when the managing unit submits the form.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.objects import FlowRun
from prefect.flow_runs import resume_flow_run
from sqlmodel import select

from flows.rectification import RectificationDecision, verify_rectification_item
from models import Finding, FindingStatus
from models.cadre import Cadre
from models.enums import FindingCategory, FindingSource, RectificationStatus, VerificationOutcome
from models.flow_inputs import VerifyRectificationInput
from models.rectification import (
    RectificationItemPublic,
    RectificationItemUpdate,
    RectificationVerification,
)
from qinglian.core import db
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.core.settings import Settings
from qinglian.rectification.creation import ensure_rectification_items
from qinglian.rectification.progress import (
    get_rectification,
    rectification_for_finding,
    update_rectification,
    update_rectification_status,
)
from tests.factories import launch_seed_campaign
from tests.flows.deployed_runs import (
    execute,
    read_run,
    run_input,
    start_deployment_run,
    task_runs_by_task,
)

SECRET_TEXT = "举报内容：其配偶承揽本院药品配送（测试）"
MEASURE = "责令其配偶退出本院药品配送业务"
DUE = date(2012, 10, 31)
DONE_ON = date(2012, 10, 20)


@pytest.fixture
def item_id(qinglian_home: Settings, tmp_path: Path) -> int:
    """An item in progress for a confirmed finding that came from a complaint."""
    with db.session_scope() as session:
        campaign_id = launch_seed_campaign(session, tmp_path)
        cadre = session.exec(select(Cadre).where(Cadre.staff_no == "FB001")).one()
        assert cadre.id is not None
        finding = Finding(
            campaign_id=campaign_id,
            cadre_id=cadre.id,
            unit_id=cadre.unit_id,
            source=FindingSource.complaint,
            category=FindingCategory.relative_business,
            status=FindingStatus.confirmed,
            summary=SECRET_TEXT,
            evidence={"complaint": SECRET_TEXT},
            fingerprint="r" * 64,
            found_on=date(2012, 8, 20),
        )
        session.add(finding)
        session.flush()
        assert finding.id is not None
        ensure_rectification_items(session=session, campaign_id=campaign_id, default_due=DUE)
        item = rectification_for_finding(
            session=session, campaign_id=campaign_id, finding_id=finding.id
        )
        update_rectification(
            session=session,
            item_id=item.id,
            item_in=RectificationItemUpdate(measure=MEASURE, responsible="院纪委"),
        )
        update_rectification_status(
            session=session,
            item_id=item.id,
            status=RectificationStatus.in_progress,
            changed_on=date(2012, 9, 10),
        )
        return item.id


def _mark_done(item_id: int) -> None:
    with db.session_scope() as session:
        update_rectification_status(
            session=session,
            item_id=item_id,
            status=RectificationStatus.done,
            changed_on=DONE_ON,
            evidence="配送合同已解除",
        )


def _runs_named(name: str) -> set[str]:
    async def read() -> list[FlowRun]:
        async with get_client() as client:
            return await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name]))
            )

    return {str(run.id) for run in asyncio.run(read())}


def _paused_run(name: str, deadline: float, earlier: set[str]) -> tuple[FlowRun, str]:
    """The paused run (not one of ``earlier``, from another test) and its form's description."""

    async def read() -> list[FlowRun]:
        async with get_client() as client:
            return await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])), limit=50
            )

    async def description(run: FlowRun) -> str:
        assert run.state and run.state.state_details.run_input_keyset
        async with get_client() as client:
            key = run.state.state_details.run_input_keyset["description"]
            return json.loads(await client.read_flow_run_input(run.id, key))

    while time.monotonic() < deadline:  # waiting for another thread, not for simulated time
        runs = [
            run
            for run in asyncio.run(read())
            if run.state and run.state.is_paused() and str(run.id) not in earlier
        ]
        if runs:
            return runs[0], asyncio.run(description(runs[0]))
        time.sleep(0.2)
    raise AssertionError(f"{name} never paused")


def _decide(item_id: int, run_input: dict[str, Any]) -> RectificationItemPublic:
    """Run the flow in a thread, answer its form once paused, and return its result."""
    results: list[RectificationItemPublic] = []
    context = contextvars.copy_context()  # the test harness's API settings live in contextvars
    params = VerifyRectificationInput(item_id=item_id)
    worker = threading.Thread(
        target=context.run,
        args=(lambda: results.append(verify_rectification_item(params)),),
    )
    name = f"整改验收 · 事项 {item_id}"
    earlier = _runs_named(name)  # the SQLite and PostgreSQL variants reuse item ids
    worker.start()
    run, shown = _paused_run(name, time.monotonic() + 60, earlier)
    assert f"整改事项 {item_id}" in shown and MEASURE in shown and DUE.isoformat() in shown
    assert SECRET_TEXT not in shown and SECRET_TEXT not in str(run.state)
    assert run.state and run.state.name == "Paused"  # no deployment: it cannot be suspended

    resume_flow_run(run.id, run_input=run_input)
    worker.join(timeout=60)
    assert not worker.is_alive() and results
    return results[0]


def test_the_form_offers_exactly_the_verification_outcomes() -> None:
    outcome = RectificationDecision.model_fields["outcome"].annotation
    assert set(get_args(outcome)) == {o.value for o in VerificationOutcome}


def test_the_managing_unit_passes_the_item_in_the_ui_form(item_id: int) -> None:
    _mark_done(item_id)
    result = _decide(
        item_id,
        {
            "outcome": "passed",
            "note": "现场核查，合同已解除",
            "verified_by": "连云港市卫生局纪检组",
            "verified_on": "2012-10-25",
        },
    )
    assert result.status is RectificationStatus.verified

    with db.session_scope() as session:
        item = get_rectification(session=session, item_id=item_id)
        assert item.status is RectificationStatus.verified
        assert item.verified_by == "连云港市卫生局纪检组"
        assert item.verified_on == date(2012, 10, 25)
        finding = session.get(Finding, item.finding_id)
        assert finding is not None and finding.status is FindingStatus.rectified
        (record,) = session.exec(select(RectificationVerification)).all()
        assert record.outcome is VerificationOutcome.passed
        assert record.note == "现场核查，合同已解除"


def test_a_deployment_run_is_suspended_without_a_process_and_decided_once(item_id: int) -> None:
    _mark_done(item_id)
    run_id = start_deployment_run(
        "verify-rectification",
        "flows/rectification.py:verify_rectification_item",
        {"params": {"item_id": item_id, "timeout_hours": 48}},
    )
    waiting = execute(run_id)
    # The worker's process has exited: nothing is held while the managing unit decides.
    assert waiting.returncode == 0, waiting.stderr[-3000:]
    run = read_run(run_id)
    assert run.state and run.state.is_paused() and run.state.name == "Suspended"
    details = run.state.state_details
    assert details.pause_reschedule and details.pause_timeout is not None
    waits = details.pause_timeout - run.state.timestamp
    assert timedelta(hours=48) - timedelta(minutes=5) < waits <= timedelta(hours=48)
    shown = run_input(run, "description")
    assert f"整改事项 {item_id}" in shown and MEASURE in shown and SECRET_TEXT not in shown
    with db.session_scope() as session:
        assert get_rectification(session=session, item_id=item_id).status is (
            RectificationStatus.done
        )
        assert not session.exec(select(RectificationVerification)).all()

    resume_flow_run(
        run_id,
        run_input={
            "outcome": "passed",
            "note": "现场核查，合同已解除",
            "verified_by": "连云港市卫生局纪检组",
            "verified_on": "2012-10-25",
        },
    )
    assert (state := read_run(run_id).state) and state.is_scheduled()  # back to a worker
    resumed = execute(run_id)  # executed again from the top, with the form's answer
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    run = read_run(run_id)
    assert run.state and run.state.is_completed()
    # The resumed execution read the item again, and recorded the verdict once.
    assert task_runs_by_task(run_id) == {
        "load_rectification": 2,
        "record_rectification_decision": 1,
    }
    with db.session_scope() as session:
        item = get_rectification(session=session, item_id=item_id)
        assert item.status is RectificationStatus.verified
        assert item.verified_on == date(2012, 10, 25)
        (record,) = session.exec(select(RectificationVerification)).all()
        assert record.outcome is VerificationOutcome.passed


def test_a_returned_item_goes_back_in_progress(item_id: int) -> None:
    _mark_done(item_id)
    result = _decide(
        item_id,
        {
            "outcome": "rejected",
            "note": "未见解除合同原件",
            "verified_by": "连云港市卫生局纪检组",
            "verified_on": "2012-10-25",
        },
    )
    assert result.status is RectificationStatus.in_progress

    with db.session_scope() as session:
        item = get_rectification(session=session, item_id=item_id)
        assert item.status is RectificationStatus.in_progress
        assert item.done_on is None and item.verified_on is None and item.verified_by is None
        finding = session.get(Finding, item.finding_id)
        assert finding is not None and finding.status is FindingStatus.rectifying
        (record,) = session.exec(select(RectificationVerification)).all()
        assert record.outcome is VerificationOutcome.rejected
        assert record.note == "未见解除合同原件" and record.verified_on == date(2012, 10, 25)


def test_an_item_not_done_is_refused_before_any_wait_and_nothing_changes(item_id: int) -> None:
    with db.session_scope() as session:
        before = get_rectification(session=session, item_id=item_id)

    state = verify_rectification_item(VerifyRectificationInput(item_id=item_id), return_state=True)
    assert state.is_failed()
    with pytest.raises(QinglianError, match="只有「已完成」的整改事项才能验收") as refused:
        state.result()
    assert "only a done item can be verified" in str(refused.value)

    with db.session_scope() as session:
        assert get_rectification(session=session, item_id=item_id) == before
        assert not session.exec(select(RectificationVerification)).all()


def test_a_missing_item_is_refused(qinglian_home: Settings) -> None:
    state = verify_rectification_item(VerifyRectificationInput(item_id=999), return_state=True)
    assert state.is_failed()
    with pytest.raises(NotFoundError, match="没有编号为 999 的整改事项"):
        state.result()
