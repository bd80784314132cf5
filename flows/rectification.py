"""Verifying a finished rectification item (整改验收): the managing unit decides in the Prefect UI.

The flow waits with a form (a ``RunInput``) that the managing unit fills in the Prefect UI —
passed or returned, its opinion, who verified and on which day — and records it once submitted,
through :func:`qinglian.rectification.items.verify_rectification`, the same rule as
``qinglian rectify verify``. A deployment's run is suspended while it waits and holds no
process (see flows/human_decision.py); it is executed again from the top when resumed, so
everything before the wait only reads. The form's description shows what the unit itself
wrote: the item, its measure and its deadline; never the finding's text, which may come from a
complaint. A run executed once more after its verdict was recorded (a crashed run retried by
hand) is refused by ``load_rectification`` while the item is no longer done.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.input import RunInput

from flows.human_decision import wait_for_decision
from models.decisions import RectificationDecisionBase
from models.enums import VerificationOutcome
from models.flow_inputs import VerifyRectificationInput
from models.rectification import RectificationItemPublic
from qinglian.core import heartbeats
from qinglian.core.clock import today_in_china
from tasks.verify_rectification import load_rectification, record_rectification_decision

# Every run here ends without waiting out Prefect's heartbeat sleep, as the unit runs do
# (see qinglian/core/heartbeats.py).
heartbeats.install()


class RectificationDecision(RunInput, RectificationDecisionBase):
    """验收结论 — the form the managing unit fills in the Prefect UI."""


def _form_description(item: RectificationItemPublic) -> str:
    measure = item.measure or "未填写整改措施"
    done = f"，{item.done_on.isoformat()} 完成" if item.done_on else ""
    return (
        f"整改事项 {item.id}：{measure}（整改时限 {item.due_on.isoformat()}{done}）。"
        "请管理单位验收后填写结论"
    )


@flow(name="verify-rectification", flow_run_name="整改验收 · 事项 {params.item_id}")
def verify_rectification_item(params: VerifyRectificationInput) -> RectificationItemPublic:
    """Wait (suspended) for the managing unit's verification of a done item, then record it."""
    item = load_rectification(params.item_id)
    decision = wait_for_decision(
        RectificationDecision.with_initial_data(
            description=_form_description(item), verified_on=today_in_china()
        ),
        timeout_hours=params.timeout_hours,
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
