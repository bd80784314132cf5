"""A case is verified through a form in the Prefect UI: a deployment's run is suspended while it
waits (no process), a run started directly pauses in its own process; both record the decision
once when the office submits the form."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterName,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import FlowRun
from prefect.flow_runs import resume_flow_run
from sqlmodel import func, select

from flows.verification import verify_case
from models import Finding, FindingStatus
from models.complaint import AuditEvent, VerificationCase
from models.enums import AuditAction, CaseStatus
from models.flow_inputs import VerifyCaseInput
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.intake import add_complaint
from qinglian.complaints.matching import match_complaints
from qinglian.core import db
from qinglian.core.settings import Settings
from tests.factories import launch_seed_campaign
from tests.flows.deployed_runs import (
    execute,
    read_run,
    run_input,
    start_deployment_run,
    task_runs_by_task,
)

SECRET_TEXT = "举报内容：其配偶经营药品批发（测试）"
DECISION = {"outcome": "substantiated", "reason": "经核实属实", "decided_by": "李纪检"}


@pytest.fixture
def case_id(qinglian_home: Settings, tmp_path: Path, complaint_key: str) -> int:
    with db.session_scope() as session:
        campaign_id = launch_seed_campaign(session, tmp_path)
        add_complaint(
            session=session,
            campaign_id=campaign_id,
            channel="hotline",
            received_on=date(2012, 8, 14),
            anonymous=True,
            accused_name="施庆喜",
            accused_unit="连妇保",
            alleged_category="relative_business",
            content=SECRET_TEXT,
            contact=None,
            as_of=date(2012, 8, 31),
        )
        match_complaints(session=session, campaign_id=campaign_id)
        cross_check(session=session, campaign_id=campaign_id, as_of=date(2012, 8, 31))
        case = session.exec(select(VerificationCase)).one()
        assert case.id is not None
        return case.id


def _paused_run(name: str, deadline: float) -> FlowRun:
    async def read() -> list[FlowRun]:
        async with get_client() as client:
            return await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])), limit=5
            )

    while time.monotonic() < deadline:  # waiting for another thread, not for simulated time
        runs = [run for run in asyncio.run(read()) if run.state and run.state.is_paused()]
        if runs:
            return runs[0]
        time.sleep(0.2)
    raise AssertionError(f"{name} never paused")


def _verified_audit_rows(case_id: int) -> int:
    with db.session_scope() as session:
        return session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.case_id == case_id, AuditEvent.action == AuditAction.verified)
        ).one()


def _logged_fallback(run: FlowRun, deadline: float) -> bool:
    """Whether the run's log says why it paused instead of suspending (logs arrive in batches)."""

    async def read() -> list[str]:
        async with get_client() as client:
            logs = await client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
            )
            return [log.message for log in logs]

    while time.monotonic() < deadline:  # waiting for Prefect's log batches, not simulated time
        if any(
            "无法挂起" in line and "cannot be suspended" in line for line in asyncio.run(read())
        ):
            return True
        time.sleep(0.5)
    return False


def _assert_decided(case_id: int) -> None:
    with db.session_scope() as session:
        case = session.get(VerificationCase, case_id)
        assert case is not None and case.outcome == "substantiated"
        assert case.decided_by == "李纪检"
        finding = session.get(Finding, case.finding_id)
        assert finding is not None
        assert finding.status is FindingStatus.confirmed
        assert finding.category == "concealment"
    assert _verified_audit_rows(case_id) == 1


def test_a_deployment_run_is_suspended_without_a_process_and_decided_once(case_id: int) -> None:
    run_id = start_deployment_run(
        "verify-case",
        "flows/verification.py:verify_case",
        {"params": {"case_id": case_id, "timeout_hours": 5}},
    )
    waiting = execute(run_id)
    # The worker's process has exited: nothing is held while the office decides.
    assert waiting.returncode == 0, waiting.stderr[-3000:]
    run = read_run(run_id)
    assert run.state and run.state.is_paused() and run.state.name == "Suspended"
    details = run.state.state_details
    assert details.pause_reschedule and details.pause_timeout is not None
    assert timedelta(hours=5) - timedelta(minutes=5) < details.pause_timeout - run.state.timestamp
    assert details.pause_timeout - run.state.timestamp <= timedelta(hours=5)
    shown = run_input(run, "description")
    assert f"案件 {case_id}" in shown and SECRET_TEXT not in shown
    with db.session_scope() as session:
        case = session.get(VerificationCase, case_id)
        assert case is not None and case.status is CaseStatus.open
    assert _verified_audit_rows(case_id) == 0

    resume_flow_run(run_id, run_input=DECISION)
    assert (state := read_run(run_id).state) and state.is_scheduled()  # back to a worker
    resumed = execute(run_id)  # executed again from the top, with the form's answer
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    run = read_run(run_id)
    assert run.state and run.state.is_completed()
    # The resumed execution read the case again, and recorded the decision once.
    assert task_runs_by_task(run_id) == {"load_case": 2, "record_decision": 1}
    _assert_decided(case_id)


def test_the_office_decides_in_the_ui_form_and_the_finding_follows(case_id: int) -> None:
    """A run started directly (no deployment) cannot be suspended: it pauses in its process."""
    results: list[object] = []
    context = contextvars.copy_context()  # the test harness's API settings live in contextvars
    worker = threading.Thread(
        target=context.run,
        args=(lambda: results.append(verify_case(VerifyCaseInput(case_id=case_id))),),
    )
    worker.start()
    run = _paused_run(f"调查核实 · 案件 {case_id}", time.monotonic() + 60)
    assert SECRET_TEXT not in str(run.state)  # the pause shows the case, not the complaint
    assert run.state and run.state.name == "Paused"

    resume_flow_run(run.id, run_input=DECISION)
    worker.join(timeout=60)
    assert not worker.is_alive() and results
    _assert_decided(case_id)
    assert _logged_fallback(run, time.monotonic() + 30)
