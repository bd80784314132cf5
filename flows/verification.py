"""Verifying a complaint case (调查核实): a human decision taken in the Prefect UI.

The flow waits with a form (a ``RunInput``) that the verifying discipline office fills in the
Prefect UI — outcome, reason, who decided — and records it once submitted. A deployment's run is
suspended while it waits and holds no process (see flows/human_decision.py); it is executed again
from the top when resumed, so everything before the wait only reads. The form's description says
which case and which category only: never the complaint's text or its complainant (those are
read through `qinglian complaints case`, by the managing unit's office alone).
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.input import RunInput

from flows.human_decision import wait_for_decision
from models.decisions import VerificationDecisionBase
from models.flow_inputs import VerifyCaseInput
from qinglian.complaints.views import CaseView
from qinglian.core import heartbeats
from tasks.verify_case import load_case, record_decision

# Every run here ends without waiting out Prefect's heartbeat sleep, as the unit runs do
# (see qinglian/core/heartbeats.py).
heartbeats.install()


class VerificationDecision(RunInput, VerificationDecisionBase):
    """核实结论 — the form the discipline office fills in the Prefect UI."""


@flow(name="verify-case", flow_run_name="调查核实 · 案件 {params.case_id}")
def verify_case(params: VerifyCaseInput) -> CaseView:
    """Wait (suspended) for the verifying office's decision on a case, then record it."""
    case = load_case(params.case_id)
    category = case.alleged_category.label if case.alleged_category else "未注明类别"
    decision = wait_for_decision(
        # Nothing pre-filled: Prefect's with_initial_data replaces a pre-filled field's schema
        # (its description and min_length), and the outcome must be a deliberate choice.
        VerificationDecision.with_initial_data(
            description=f"案件 {case.id}（{category}）：请核实后填写结论",
        ),
        timeout_hours=params.timeout_hours,
    )
    # Recording the same decision again changes nothing (record_verification), so a run
    # executed once more after it was recorded does no harm.
    result = record_decision(params.case_id, decision)
    get_run_logger().info("案件 %s 已核实：%s", result.id, result.outcome)
    return result
