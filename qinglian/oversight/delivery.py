"""Delivery: sending what the outbox holds, each digest once, whatever crashes in between.

:func:`deliver` sends what is pending: it marks a batch ``sending`` and commits, sends, then marks
each ``sent`` and commits. A crash between a receiver accepting and the outbox recording it
leaves the row ``sending``; once its lease has passed the next run sends it again, once, with
the same idempotency key (Message-ID, ``Idempotency-Key`` header, ``key`` in JSON payloads) so
the receiver can drop it. A failed send is retried with exponential backoff, computed from the
``now`` passed in, until it is sent or ``max_attempts`` is spent (``given_up``).

Persistence only, no Prefect. ``hook`` is called with ``deliver.claimed``, ``deliver.sent`` and
``deliver.recorded``: tests inject crashes there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from models.enums import OutboxStatus
from models.outbox import OutboxMessage
from qinglian.core.errors import QinglianError
from qinglian.notify.protocol import Message, Notifier
from qinglian.notify.redaction import SECRETS, redact
from qinglian.oversight.hooks import Hook, call_hook

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
# How long a claimed row may stay ``sending`` before a later run counts it as crashed.
LEASE = timedelta(minutes=10)
_ERROR_MAX = OutboxMessage.__table__.columns["last_error"].type.length  # type: ignore[attr-defined]
# Core updates on the table: the ORM's bulk-update bookkeeping costs more than the UPDATE.
_MESSAGES = OutboxMessage.__table__  # type: ignore[attr-defined]
_CLAIMABLE = (OutboxStatus.pending, OutboxStatus.failed, OutboxStatus.sending)


class DeliveryResult(BaseModel):
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    resent: int = 0
    skipped: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.given_up


def exponential_backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd, 4th … failed attempt, at most 6 hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass(frozen=True, slots=True)
class _Claim:
    id: int
    target: str
    title: str
    body: str
    key: str
    attempts: int
    resend: bool


def deliver(
    *,
    session_factory: Callable[[], Session],
    notifier: Notifier,
    now: datetime,
    max_attempts: int = 5,
    backoff: Callable[[int], timedelta] = exponential_backoff,
    lease: timedelta = LEASE,
    campaign_id: int | None = None,
    batch_size: int = 50,
    workers: int = 4,
    limit: int | None = None,
    hook: Hook | None = None,
) -> DeliveryResult:
    """Send every digest due by ``now`` (pending, failed and due again, or crashed mid-send).

    ``workers`` sends run in parallel; the database is touched from the calling thread only.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)  # stored in UTC: SQLite compares the text
    if max_attempts < 1 or batch_size < 1 or workers < 1:
        raise ValueError("max_attempts, batch_size and workers must be >= 1")
    result = DeliveryResult()
    after = 0
    with session_factory() as session, ThreadPoolExecutor(max_workers=workers) as pool:
        while limit is None or result.attempted < limit:
            size = batch_size if limit is None else min(batch_size, limit - result.attempted)
            rows = _due_rows(session, now, campaign_id, after, size)
            if not rows:
                break
            after = rows[-1][0]
            claims = _claim(session, rows, now, lease, max_attempts, result)
            session.commit()
            call_hook(hook, "deliver.claimed")
            _send_all(session, pool, notifier, claims, now, max_attempts, backoff, result, hook)
    return result


def _due_rows(
    session: Session, now: datetime, campaign_id: int | None, after: int, size: int
) -> Sequence[Any]:
    # Ids first, on the narrow (status, next_attempt_at) index; bodies only for those ids.
    query = select(OutboxMessage.id).where(
        col(OutboxMessage.status).in_(_CLAIMABLE),
        or_(
            col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= now
        ),
        col(OutboxMessage.id) > after,
    )
    if campaign_id is not None:
        query = query.where(col(OutboxMessage.campaign_id) == campaign_id)
    ids = session.exec(query.order_by(col(OutboxMessage.id)).limit(size)).all()
    if not ids:
        return []
    return session.exec(
        select(
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.target,
            OutboxMessage.title,
            OutboxMessage.body,
            OutboxMessage.idempotency_key,
        )
        .where(col(OutboxMessage.id).in_(ids))
        .order_by(col(OutboxMessage.id))
    ).all()


def _claim(
    session: Session,
    rows: Sequence[Any],
    now: datetime,
    lease: timedelta,
    max_attempts: int,
    result: DeliveryResult,
) -> list[_Claim]:
    """Mark rows ``sending`` (conditionally, so two deliverers never claim the same row)."""
    claims = []
    for message_id, status, attempts, target, title, body, key in rows:
        mine = (
            _MESSAGES.c.id == message_id,
            _MESSAGES.c.status == status,
            _MESSAGES.c.attempts == attempts,
        )
        if attempts >= max_attempts:
            # Only a row that crashed mid-send gets here: it may or may not have arrived.
            session.connection().execute(
                update(_MESSAGES)
                .where(*mine)
                .values(
                    status=OutboxStatus.given_up,
                    last_error="发送后未能记录结果，投递情况不明 / "
                    "the outcome of the last send was never recorded",
                )
            )
            result.given_up += 1
            continue
        claimed = session.connection().execute(
            update(_MESSAGES)
            .where(*mine)
            .values(status=OutboxStatus.sending, attempts=attempts + 1, next_attempt_at=now + lease)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            result.skipped += 1
            continue
        claims.append(
            _Claim(
                id=message_id,
                target=target,
                title=title,
                body=body,
                key=key,
                attempts=attempts + 1,
                resend=status == OutboxStatus.sending,
            )
        )
    return claims


def _send_all(
    session: Session,
    pool: ThreadPoolExecutor,
    notifier: Notifier,
    claims: Sequence[_Claim],
    now: datetime,
    max_attempts: int,
    backoff: Callable[[int], timedelta],
    result: DeliveryResult,
    hook: Hook | None,
) -> None:
    futures: dict[Future[str | None], _Claim] = {
        pool.submit(_send, notifier, claim): claim for claim in claims
    }
    try:
        for future in as_completed(futures):
            claim = futures[future]
            error = future.result()
            if error is None:
                call_hook(hook, "deliver.sent")
            _record(session, claim, error, now, max_attempts, backoff, result)
            session.commit()
            call_hook(hook, "deliver.recorded")
    finally:
        # After a crash, sends not yet started stay unsent (their rows stay ``sending``).
        for future in futures:
            future.cancel()


def _send(notifier: Notifier, claim: _Claim) -> str | None:
    """None when sent, else the reason, with every known secret masked."""
    try:
        notifier.send(
            Message(target=claim.target, title=claim.title, body=claim.body, key=claim.key)
        )
    except QinglianError as exc:
        return mask_error(str(exc))
    except Exception as exc:  # a notifier's own bug must not stop the other sends
        return mask_error(f"{type(exc).__name__}: {exc}")
    return None


def mask_error(text: str) -> str:
    """An error as stored: known URL and token parts masked, cut to the column's width."""
    cleaned = redact(text, SECRETS.values)
    return cleaned if len(cleaned) <= _ERROR_MAX else cleaned[: _ERROR_MAX - 1] + "…"


def _record(
    session: Session,
    claim: _Claim,
    error: str | None,
    now: datetime,
    max_attempts: int,
    backoff: Callable[[int], timedelta],
    result: DeliveryResult,
) -> None:
    mine = (
        _MESSAGES.c.id == claim.id,
        _MESSAGES.c.status == OutboxStatus.sending,
        _MESSAGES.c.attempts == claim.attempts,
    )
    if error is None:
        values: dict[str, Any] = {
            "status": OutboxStatus.sent,
            "sent_at": now,
            "next_attempt_at": None,
            "last_error": None,
        }
        result.sent += 1
        result.resent += claim.resend
    elif claim.attempts >= max_attempts:
        values = {"status": OutboxStatus.given_up, "next_attempt_at": None, "last_error": error}
        result.given_up += 1
    else:
        values = {
            "status": OutboxStatus.failed,
            "next_attempt_at": now + backoff(claim.attempts),
            "last_error": error,
        }
        result.failed += 1
    session.connection().execute(update(_MESSAGES).where(*mine).values(**values))
