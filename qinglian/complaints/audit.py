"""The audit trail of complaints: events without plaintext, and the times decisions carry.

Confidentiality: nothing in the complaints package logs, and nothing it returns outside
:func:`qinglian.complaints.cases.read_case` carries the complaint text or the complainant's
contact. Every step writes an :class:`AuditEvent` through :func:`write_audit`, without plaintext.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from models.complaint import AuditEvent
from models.enums import AuditAction
from qinglian.core.errors import QinglianError
from qinglian.core.sql import chunked

SYSTEM = "system"
ACTOR_MAX = AuditEvent.__table__.columns["actor"].type.length  # type: ignore[attr-defined]


def audit_event(
    campaign_id: int,
    action: AuditAction,
    actor: str,
    at: datetime,
    *,
    complaint_id: int | None = None,
    case_id: int | None = None,
    detail: dict[str, Any],
) -> dict[str, Any]:
    """One audit row, as :func:`write_audit` inserts it; ``detail`` never holds plaintext.

    An actor's name is never cut: a trail that shortened it would not say who acted.
    """
    if len(actor) > ACTOR_MAX:
        raise QinglianError(
            f"操作人姓名最长 {ACTOR_MAX} 个字符，实为 {len(actor)} 个",
            f"the actor's name is at most {ACTOR_MAX} characters ({len(actor)} given)",
        )
    return {
        "campaign_id": campaign_id,
        "at": at,
        "actor": actor,
        "action": action,
        "complaint_id": complaint_id,
        "case_id": case_id,
        "detail": detail,
    }


def write_audit(session: Session, events: Sequence[dict[str, Any]]) -> None:
    """Insert audit rows by Core executemany (a matching run writes one per complaint)."""
    for chunk in chunked(events, 5000):
        session.connection().execute(insert(AuditEvent.__table__), list(chunk))  # type: ignore[attr-defined]


def require_aware(moment: datetime) -> None:
    """Refuse a decision time without a time zone: the audit trail compares instants."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise QinglianError(
            "时间须带时区（例如 2012-09-10T10:00+08:00）",
            "the time must carry a time zone (for example 2012-09-10T10:00+08:00)",
        )
