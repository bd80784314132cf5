"""Verifying a complaint case (调查核实): a human decision taken in the Prefect UI.

The flow pauses with a form (a ``RunInput``) that the verifying discipline office fills in the
Prefect UI — outcome, reason, who decided — and resumes to record it. The pause description says
which case and which category only: never the complaint's text or its complainant (those are
read through `qinglian complaints case`, by the managing unit's office alone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, Field

from models.complaint import VerificationCase
from qinglian.complaints.service import CaseView, list_cases, record_verification
from qinglian.core.db import session_scope
from qinglian.core.errors import NotFoundError
from tasks.publish import DB_RETRIES


class VerifyCaseInput(BaseModel):
    """Wait for the verifying office's decision on one case."""

    case_id: int = Field(ge=1, description="核实案件编号 case id")
    timeout_hours: int = Field(
        default=72, ge=1, le=24 * 30, description="等待核实结论的时长 hours to wait"
    )


class VerificationDecision(RunInput):
    """核实结论 — the form the discipline office fills in the Prefect UI."""

    outcome: Literal["substantiated", "partly", "unsubstantiated"] = Field(
        description="属实 substantiated / 部分属实 partly / 不属实 unsubstantiated"
    )
    reason: str = Field(min_length=2, max_length=2000, description="理由 reason")
    decided_by: str = Field(min_length=1, max_length=100, description="核实人 who decided")


@task(**DB_RETRIES)
def load_case(case_id: int) -> CaseView:
    """The case as its verifying office sees it in lists: no complaint text, no complainant."""
    with session_scope() as session:
        case = session.get(VerificationCase, case_id)
        if case is None:
            raise NotFoundError(
                f"没有编号为 {case_id} 的核实案件", f"no verification case {case_id}"
            )
        views = list_cases(
            session=session, campaign_id=case.campaign_id, office_unit_id=case.managing_unit_id
        )
        return next(view for view in views if view.id == case_id)


@task(**DB_RETRIES)
def record_decision(case_id: int, decision: VerificationDecision) -> CaseView:
    """Close the case with the office's outcome; the finding follows it."""
    with session_scope() as session:
        return record_verification(
            session=session,
            case_id=case_id,
            outcome=decision.outcome,
            reason=decision.reason,
            decided_by=decision.decided_by,
            decided_at=datetime.now(UTC),
        )


@flow(name="verify-case", flow_run_name="调查核实 · 案件 {params.case_id}")
def verify_case(params: VerifyCaseInput) -> CaseView:
    """Pause for the verifying office's decision on a case, then record it."""
    case = load_case(params.case_id)
    category = case.alleged_category.label if case.alleged_category else "未注明类别"
    decision = pause_flow_run(
        # Nothing pre-filled: Prefect's with_initial_data replaces a pre-filled field's schema
        # (its description and min_length), and the outcome must be a deliberate choice.
        wait_for_input=VerificationDecision.with_initial_data(
            description=f"案件 {case.id}（{category}）：请核实后填写结论",
        ),
        timeout=params.timeout_hours * 3600,
        poll_interval=2,
    )
    result = record_decision(params.case_id, decision)
    get_run_logger().info("案件 %s 已核实：%s", result.id, result.outcome)
    return result
