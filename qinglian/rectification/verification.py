"""The managing unit's verification (验收) of a done rectification item.

A passed verification marks the item ``verified`` and its finding ``rectified``; a rejected
one sends the item back to ``in_progress``. Keyword-only, session first, flush but never
commit, never Prefect.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from models.campaign import utcnow
from models.enums import FindingStatus, VerificationOutcome
from models.finding import Finding
from models.rectification import RectificationItemPublic, RectificationVerification
from qinglian.core.errors import QinglianError
from qinglian.rectification.records import get_item, public
from qinglian.rectification.status import verification_result


def verify_rectification(
    *,
    session: Session,
    item_id: int,
    by: str,
    outcome: VerificationOutcome,
    note: str = "",
    verified_on: date,
) -> RectificationItemPublic:
    """The managing unit's verification; passing marks the finding ``rectified``."""
    item = get_item(session, item_id)
    status = verification_result(item.status, outcome)
    if not by.strip():
        raise QinglianError("须写明验收人", "say who verified the item")
    if item.done_on is not None and verified_on < item.done_on:
        raise QinglianError(
            f"验收日期 {verified_on.isoformat()} 早于完成日期 {item.done_on.isoformat()}",
            f"the verification date {verified_on.isoformat()} is before the item was done"
            f" ({item.done_on.isoformat()})",
        )
    session.add(
        RectificationVerification(
            item_id=item_id,
            outcome=outcome,
            verified_by=by.strip(),
            verified_on=verified_on,
            note=note,
        )
    )
    item.status = status
    if outcome is VerificationOutcome.passed:
        item.verified_on = verified_on
        item.verified_by = by.strip()
        finding = session.get(Finding, item.finding_id)
        if finding is not None and finding.status == FindingStatus.rectifying:
            finding.status = FindingStatus.rectified
            session.add(finding)
    else:
        item.done_on = None
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    return public(item)
