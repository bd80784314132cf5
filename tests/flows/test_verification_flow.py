"""A case is verified through Prefect's pause-for-input step, resumed with the office's form."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.objects import FlowRun
from prefect.flow_runs import resume_flow_run
from sqlmodel import select

from flows.verification import verify_case
from models import Finding, FindingStatus
from models.complaint import VerificationCase
from models.flow_inputs import VerifyCaseInput
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.intake import add_complaint
from qinglian.complaints.matching import match_complaints
from qinglian.core import db
from qinglian.core.settings import Settings
from tests.factories import launch_seed_campaign

SECRET_TEXT = "举报内容：其配偶经营药品批发（测试）"


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


def test_the_office_decides_in_the_ui_form_and_the_finding_follows(case_id: int) -> None:
    results: list[object] = []
    context = contextvars.copy_context()  # the test harness's API settings live in contextvars
    worker = threading.Thread(
        target=context.run,
        args=(lambda: results.append(verify_case(VerifyCaseInput(case_id=case_id))),),
    )
    worker.start()
    run = _paused_run(f"调查核实 · 案件 {case_id}", time.monotonic() + 60)
    assert SECRET_TEXT not in str(run.state)  # the pause shows the case, not the complaint

    resume_flow_run(
        run.id,
        run_input={"outcome": "substantiated", "reason": "经核实属实", "decided_by": "李纪检"},
    )
    worker.join(timeout=60)
    assert not worker.is_alive() and results

    with db.session_scope() as session:
        case = session.get(VerificationCase, case_id)
        assert case is not None and case.outcome == "substantiated"
        assert case.decided_by == "李纪检"
        finding = session.get(Finding, case.finding_id)
        assert finding is not None
        assert finding.status is FindingStatus.confirmed
        assert finding.category == "concealment"
