"""Tasks of a rectification item's verification (整改验收): read the item, record the verdict."""

from __future__ import annotations

from prefect import task

from models.decisions import RectificationDecisionBase
from models.enums import RectificationStatus, VerificationOutcome
from models.rectification import RectificationItemPublic
from qinglian.core.db import session_scope
from qinglian.rectification.progress import get_rectification
from qinglian.rectification.status import TransitionError
from qinglian.rectification.verification import verify_rectification
from tasks.retries import DB_RETRIES


@task(**DB_RETRIES)
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


@task(**DB_RETRIES)
def record_rectification_decision(
    item_id: int, decision: RectificationDecisionBase
) -> RectificationItemPublic:
    """Record the managing unit's verdict: passed verifies the item, rejected sends it back."""
    with session_scope() as session:
        return verify_rectification(
            session=session,
            item_id=item_id,
            by=decision.verified_by,
            outcome=VerificationOutcome(decision.outcome),
            note=decision.note.strip(),
            verified_on=decision.verified_on,
        )
