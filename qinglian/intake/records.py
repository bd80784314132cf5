"""The intake's record of every mail (``IntakeMail``): claimed before it is processed, settled
with its outcome, listed for administrators; and the raw mail kept for a quarantined one.

A mail's row is written ``received`` and committed before anything is imported (the claim).
``summary`` holds counts only (the attempts, the workbooks by kind with the importers'
counts), never a name, a file name or a cell. A mail claimed more than :data:`MAX_ATTEMPTS`
times without being settled (each run that took it died) is quarantined unread, so that one
mail that crashes the intake cannot stop every mail after it.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.enums import IntakeStatus
from models.intake import IntakeMail
from models.unit import Unit
from qinglian.intake.messages import MailHeader

MAX_ATTEMPTS = 3
# Refusals answered per sender a day: past it a sender (or a loop of auto-answers that carry
# no auto-submitted mark) gets no more replies until the next day.
REFUSALS_PER_DAY = 20
_REASON_MAX = IntakeMail.__table__.columns["reason"].type.length  # type: ignore[attr-defined]


class IntakeView(BaseModel):
    """One mail as ``qinglian intake list`` shows it: no personal data but the sender."""

    id: int
    received_at: datetime
    processed_at: datetime | None
    status: IntakeStatus
    sender: str
    unit_code: str | None
    identified_by: str
    receipt_code: str | None
    reason: str


def find_mail(session: Session, key: str) -> IntakeMail | None:
    return session.exec(select(IntakeMail).where(IntakeMail.message_key == key)).first()


def claim_mail(
    session: Session,
    *,
    key: str,
    header: MailHeader,
    uid: int,
    uid_validity: int,
    now: datetime,
) -> IntakeMail:
    """The mail's row, ``received`` (flushed; the caller commits it before going on)."""
    row = IntakeMail(
        message_key=key,
        message_id=header.message_id,
        mailbox_uid=uid,
        uid_validity=uid_validity,
        sender=header.sender,
        subject=header.subject,
        status=IntakeStatus.received,
        summary={"attempts": 0},
        received_at=now,
    )
    session.add(row)
    session.flush()
    return row


def count_attempt(row: IntakeMail, step: int = 1) -> int:
    """One more (or, ``step`` -1, one fewer) run that took the mail; the count after."""
    attempts = max(0, int(row.summary.get("attempts", 0)) + step)
    row.summary = {**row.summary, "attempts": attempts}
    return attempts


def highest_uid(session: Session, uid_validity: int) -> int | None:
    """The highest UID recorded under this UIDVALIDITY; None before the first mail."""
    return session.exec(
        select(func.max(IntakeMail.mailbox_uid)).where(IntakeMail.uid_validity == uid_validity)
    ).one()


def refusals_answered(session: Session, sender: str, since: datetime) -> int:
    """Refusals already answered to ``sender`` since ``since``."""
    return session.exec(
        select(func.count())
        .select_from(IntakeMail)
        .where(
            IntakeMail.sender == sender,
            col(IntakeMail.status).in_([IntakeStatus.rejected, IntakeStatus.quarantined]),
            col(IntakeMail.reply_message_id).is_not(None),
            col(IntakeMail.processed_at) >= since,
        )
    ).one()


def reason_text(zh: str, en: str) -> str:
    """A reason as stored: both languages, cut to the column."""
    text = f"{zh} / {en}"
    return text if len(text) <= _REASON_MAX else text[: _REASON_MAX - 1] + "…"


def list_mails(
    *, session: Session, status: IntakeStatus | None = None, limit: int = 50
) -> list[IntakeView]:
    """The latest mails, newest first; every one when ``limit`` is 0."""
    query = (
        select(IntakeMail, Unit.code)
        .join(Unit, col(Unit.id) == IntakeMail.unit_id, isouter=True)
        .order_by(col(IntakeMail.id).desc())
    )
    if status is not None:
        query = query.where(IntakeMail.status == status)
    if limit:
        query = query.limit(limit)
    return [
        IntakeView(
            id=row.id or 0,
            received_at=row.received_at,
            processed_at=row.processed_at,
            status=row.status,
            sender=row.sender,
            unit_code=code,
            identified_by=row.identified_by,
            receipt_code=row.receipt_code,
            reason=row.reason,
        )
        for row, code in session.exec(query)
    ]


def status_counts(*, session: Session) -> dict[IntakeStatus, int]:
    counts = dict(
        session.exec(select(IntakeMail.status, func.count()).group_by(IntakeMail.status)).all()
    )
    return {status: int(counts.get(status, 0)) for status in IntakeStatus}


def keep_quarantined(home: Path, key: str, raw: bytes) -> Path:
    """The raw mail under ``home/intake/quarantine/<key>.eml``, readable by its owner only,
    written whole or not at all (the same file again when a crashed run is re-run)."""
    if len(key) != 64 or not all(char in "0123456789abcdef" for char in key):
        raise ValueError("not a message key")
    folder = home / "intake" / "quarantine"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / f"{key}.eml"
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
