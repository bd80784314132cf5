"""Tasks of a complaint case's verification (调查核实): read the case, record the decision."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import task

from models.complaint import VerificationCase
from models.decisions import VerificationDecisionBase
from qinglian.complaints.cases import list_cases, record_verification
from qinglian.complaints.views import CaseView
from qinglian.core.db import session_scope
from qinglian.core.errors import NotFoundError
from tasks.retries import DB_RETRIES


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
def record_decision(case_id: int, decision: VerificationDecisionBase) -> CaseView:
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
