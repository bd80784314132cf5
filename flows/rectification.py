"""Verifying a finished rectification item (整改验收): the managing unit decides in the Prefect UI.

The flow pauses with a form (a ``RunInput``) that the managing unit fills in the Prefect UI —
passed or returned, its opinion, who verified and on which day — and resumes to record it
through :func:`qinglian.rectification.verify_rectification`, the same rule as
``qinglian rectify verify``. The pause description shows what the unit itself wrote: the item,
its measure and its deadline; never the finding's text, which may come from a complaint.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from prefect import State, Task, flow, get_run_logger, task
from prefect.client.schemas.objects import TaskRun
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, Field

from models.enums import RectificationStatus, VerificationOutcome
from models.rectification import RectificationItemPublic
from qinglian.core.clock import today_in_china
from qinglian.core.db import session_scope
from qinglian.core.errors import QinglianError
from qinglian.rectification.items import TransitionError, get_rectification, verify_rectification
from tasks.publish import DB_RETRIES


class VerifyRectificationInput(BaseModel):
    """Wait for the managing unit's verification of one finished rectification item."""

    item_id: int = Field(ge=1, description="整改事项编号 rectification item id")
    timeout_hours: int = Field(
        default=72, ge=1, le=24 * 30, description="等待验收结论的时长 hours to wait"
    )


class RectificationDecision(RunInput):
    """验收结论 — the form the managing unit fills in the Prefect UI."""

    # The values of VerificationOutcome; the outcome has no default, so it is always chosen.
    outcome: Literal["passed", "rejected"] = Field(
        description="验收通过 passed / 整改不到位，退回 rejected"
    )
    note: str = Field(default="", max_length=2000, description="验收意见 opinion")
    verified_by: str = Field(min_length=1, max_length=100, description="验收人 who verified")
    verified_on: date = Field(description="验收日期 date of verification")


def _worth_retrying(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry the database, not a refusal the user has to act on."""
    try:
        state.result()
    except QinglianError:
        return False
    except Exception:
        return True
    return True


@task(**DB_RETRIES, retry_condition_fn=_worth_retrying)
def load_rectification(item_id: int) -> RectificationItemPublic:
    """The item as its unit wrote it; refused unless it is done, as only then can it be verified."""
    with session_scope() as session:
        item = get_rectification(session=session, item_id=item_id)
    if item.status != RectificationStatus.done:
        raise TransitionError(
            f"整改事项 {item_id} 当前为「{item.status.label}」，"
            f"只有「{RectificationStatus.done.label}」的整改事项才能验收",
            f"rectification item {item_id} is {item.status.value}; only a done item can be"
            " verified",
        )
    return item


@task(**DB_RETRIES, retry_condition_fn=_worth_retrying)
def record_rectification_decision(
    item_id: int, decision: RectificationDecision
) -> RectificationItemPublic:
    """Record the managing unit's verdict: passed verifies the item, rejected sends it back."""
    with session_scope() as session:
        return verify_rectification(
            session=session,
            item_id=item_id,
            by=decision.verified_by,
            outcome=VerificationOutcome(decision.outcome),
            note=decision.note.strip(),
            on=decision.verified_on,
        )


def _pause_description(item: RectificationItemPublic) -> str:
    measure = item.measure or "未填写整改措施"
    done = f"，{item.done_on.isoformat()} 完成" if item.done_on else ""
    return (
        f"整改事项 {item.id}：{measure}（整改时限 {item.due_on.isoformat()}{done}）。"
        "请管理单位验收后填写结论"
    )


@flow(name="verify-rectification", flow_run_name="整改验收 · 事项 {params.item_id}")
def verify_rectification_item(params: VerifyRectificationInput) -> RectificationItemPublic:
    """Pause for the managing unit's verification of a done item, then record it."""
    item = load_rectification(params.item_id)
    decision = pause_flow_run(
        wait_for_input=RectificationDecision.with_initial_data(
            description=_pause_description(item), verified_on=today_in_china()
        ),
        timeout=params.timeout_hours * 3600,
        poll_interval=2,
    )
    result = record_rectification_decision(params.item_id, decision)
    get_run_logger().info(
        "整改事项 %s 验收：%s（%s），当前状态「%s」",
        result.id,
        VerificationOutcome(decision.outcome).label,
        decision.verified_by.strip(),
        result.status.label,
    )
    return result
