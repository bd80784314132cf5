"""The outbox: a sweep writes digests, delivery sends them; no item-step is ever told twice.

:func:`sweep` computes what is due (:mod:`qinglian.escalation`), keeps only the item-steps no
earlier digest carried (``OutboxItem`` is UNIQUE per campaign, target, item, step) and writes
the new digests in ONE transaction, which it commits. A crash before the commit leaves nothing;
a re-run computes the same digests again.

:func:`deliver` sends what is pending: it marks a batch ``sending`` and commits, sends, then marks
each ``sent`` and commits. A crash between a receiver accepting and the outbox recording it
leaves the row ``sending``; once its lease has passed the next run sends it again, once, with
the same idempotency key (Message-ID, ``Idempotency-Key`` header, ``key`` in JSON payloads) so
the receiver can drop it. A failed send is retried with exponential backoff, computed from the
``now`` passed in, until it is sent or ``max_attempts`` is spent (``given_up``).

Persistence only, no Prefect. ``hook`` is called at each step with its name
(``sweep.planned``, ``sweep.written``, ``sweep.committed``, ``deliver.claimed``,
``deliver.sent``, ``deliver.recorded``): tests inject crashes there.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, field_validator
from sqlalchemy import func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.campaign import utcnow
from models.enums import OutboxStatus
from models.outbox import OutboxItem, OutboxMessage
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.errors import QinglianError
from qinglian.notify.notifier import SECRETS, Message, Notifier, redact
from qinglian.oversight.escalation import Digest, compose_digests, due_notices, unit_directory
from qinglian.rules.ladder import Ladder

Hook = Callable[[str], None]

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
# How long a claimed row may stay ``sending`` before a later run counts it as crashed.
LEASE = timedelta(minutes=10)
_ERROR_MAX = OutboxMessage.__table__.columns["last_error"].type.length  # type: ignore[attr-defined]
_WRITE_BATCH = 50_000
# Core updates on the table: the ORM's bulk-update bookkeeping costs more than the UPDATE.
_MESSAGES = OutboxMessage.__table__  # type: ignore[attr-defined]
_CLAIMABLE = (OutboxStatus.pending, OutboxStatus.failed, OutboxStatus.sending)


class SweepResult(BaseModel):
    campaign_id: int
    as_of: date
    open_items: int = 0
    due_item_steps: int = 0
    already_queued: int = 0
    new_item_steps: int = 0
    digests: int = 0
    unreachable: int = 0
    seconds_computing: float = 0.0
    seconds_writing: float = 0.0


class DeliveryResult(BaseModel):
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    resent: int = 0
    skipped: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.given_up


class OutboxView(BaseModel):
    id: int
    campaign_id: int
    target: str
    title: str
    item_count: int
    sweep_on: date
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    key: str
    idempotency_key: str

    @field_validator("next_attempt_at", "sent_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # SQLite hands timestamps back naive; they are stored in UTC.
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


def exponential_backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd, 4th … failed attempt, at most 6 hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


# --- sweep ---------------------------------------------------------------------------------


def sweep(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    ladder: Ladder | None = None,
    hook: Hook | None = None,
) -> SweepResult:
    """Write one digest per target for every item-step due by ``as_of`` and not yet queued.

    Commits. Running it again (the same day or later) queues nothing already queued.
    """
    for attempt in range(2):
        try:
            return _sweep(session, campaign_id, as_of, ladder, hook)
        except IntegrityError:
            # Another sweep of the same campaign committed first: recompute against its rows.
            session.rollback()
            if attempt:
                raise QinglianError(
                    "另一次督办扫描正在写入发件箱，请稍后重新运行",
                    "another sweep is writing the outbox; run it again later",
                ) from None
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """What a sweep would write: the digests, and the counts for its result."""

    result: SweepResult
    digests: list[Digest]


def plan_sweep(
    *, session: Session, campaign_id: int, as_of: date, ladder: Ladder | None = None
) -> SweepPlan:
    """Compute the digests a sweep on ``as_of`` would write; writes nothing (a dry run)."""
    started = time.perf_counter()
    with _gc_paused():
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        directory = unit_directory(session=session, campaign=campaign)
        due = due_notices(
            session=session,
            campaign_id=campaign_id,
            as_of=as_of,
            ladder=ladder,
            directory=directory,
            queued=_queued(session, campaign_id),
        )
        digests = compose_digests(due.notices, campaign=campaign, as_of=as_of, directory=directory)
    result = SweepResult(
        campaign_id=campaign_id,
        as_of=as_of,
        open_items=due.open_items,
        due_item_steps=due.due_item_steps,
        already_queued=due.already_queued,
        new_item_steps=sum(len(d.notices) for d in digests),
        digests=len(digests),
        unreachable=due.unreachable,
        seconds_computing=time.perf_counter() - started,
    )
    return SweepPlan(result=result, digests=digests)


def _sweep(
    session: Session, campaign_id: int, as_of: date, ladder: Ladder | None, hook: Hook | None
) -> SweepResult:
    plan = plan_sweep(session=session, campaign_id=campaign_id, as_of=as_of, ladder=ladder)
    result = plan.result
    computed = time.perf_counter()
    _call(hook, "sweep.planned")
    if plan.digests:
        with _gc_paused():
            _write(session, campaign_id, as_of, plan.digests)
    _call(hook, "sweep.written")
    session.commit()
    result.seconds_writing = time.perf_counter() - computed
    _call(hook, "sweep.committed")
    return result


def _write(session: Session, campaign_id: int, as_of: date, digests: Sequence[Digest]) -> None:
    """Core inserts (a national sweep writes hundreds of thousands of item rows)."""
    connection = session.connection()
    messages = OutboxMessage.__table__  # type: ignore[attr-defined]
    now = utcnow()
    connection.execute(
        insert(messages),
        [
            {
                "campaign_id": campaign_id,
                "target": digest.target,
                "key": digest.key,
                "idempotency_key": digest.key,
                "sweep_on": as_of,
                "title": digest.title,
                "body": digest.body,
                "item_count": len(digest.notices),
                "status": OutboxStatus.pending,
                "attempts": 0,
                "next_attempt_at": None,
                "last_error": None,
                "sent_at": None,
                "created_at": now,
            }
            for digest in digests
        ],
    )
    # Keys are unique: read the new ids back by key (faster than RETURNING per row here).
    by_key = dict(
        connection.execute(
            select(messages.c.key, messages.c.id).where(
                messages.c.campaign_id == campaign_id, messages.c.sweep_on == as_of
            )
        ).all()
    )
    ids = [by_key[digest.key] for digest in digests]
    items = [
        {
            "campaign_id": campaign_id,
            "message_id": message_id,
            "target": digest.target,
            "item_key": notice.item.key,
            "step": notice.step.key,
            "unit_id": notice.item.unit_id,
            "deadline": notice.item.deadline,
        }
        for message_id, digest in zip(ids, digests, strict=True)
        for notice in digest.notices
    ]
    table = OutboxItem.__table__  # type: ignore[attr-defined]
    for start in range(0, len(items), _WRITE_BATCH):
        connection.execute(insert(table), items[start : start + _WRITE_BATCH])


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A sweep builds millions of small tuples and dicts and no cycles; without this pause the
    cyclic collector rescans them over and over (about 40% of a national sweep's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _queued(session: Session, campaign_id: int) -> set[tuple[str, str, str]]:
    """Every (target, item, step) the campaign's outbox already carries (Core rows: many)."""
    rows = session.connection().execute(
        select(OutboxItem.target, OutboxItem.item_key, OutboxItem.step).where(
            col(OutboxItem.campaign_id) == campaign_id
        )
    )
    return {(target, item_key, step) for target, item_key, step in rows}


# --- delivery ------------------------------------------------------------------------------


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
            _call(hook, "deliver.claimed")
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
                _call(hook, "deliver.sent")
            _record(session, claim, error, now, max_attempts, backoff, result)
            session.commit()
            _call(hook, "deliver.recorded")
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


def _call(hook: Hook | None, point: str) -> None:
    if hook is not None:
        hook(point)


# --- for the CLI ---------------------------------------------------------------------------


def list_outbox(
    *,
    session: Session,
    campaign_id: int | None = None,
    status: OutboxStatus | None = None,
    target: str | None = None,
    limit: int = 100,
) -> list[OutboxView]:
    """Outbox rows, newest first."""
    query = select(OutboxMessage)
    if campaign_id is not None:
        query = query.where(col(OutboxMessage.campaign_id) == campaign_id)
    if status is not None:
        query = query.where(col(OutboxMessage.status) == status)
    if target is not None:
        query = query.where(col(OutboxMessage.target) == target)
    rows = session.exec(query.order_by(col(OutboxMessage.id).desc()).limit(limit)).all()
    return [OutboxView.model_validate(row, from_attributes=True) for row in rows]


def outbox_counts(*, session: Session, campaign_id: int | None = None) -> dict[OutboxStatus, int]:
    query = select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    if campaign_id is not None:
        query = query.where(col(OutboxMessage.campaign_id) == campaign_id)
    counts = {OutboxStatus(status): n for status, n in session.exec(query).all()}
    return {status: counts.get(status, 0) for status in OutboxStatus}


def retry_outbox(
    *,
    session: Session,
    now: datetime,
    ids: Sequence[int] | None = None,
    campaign_id: int | None = None,
) -> int:
    """Send failed and given-up rows again from ``now``, with a fresh attempt budget.

    Flushes; the caller commits. Returns how many rows were re-queued.
    """
    now = now.astimezone(UTC)
    query = update(OutboxMessage).where(
        col(OutboxMessage.status).in_((OutboxStatus.failed, OutboxStatus.given_up))
    )
    if ids is not None:
        query = query.where(col(OutboxMessage.id).in_(list(ids)))
    if campaign_id is not None:
        query = query.where(col(OutboxMessage.campaign_id) == campaign_id)
    done = session.execute(
        query.values(status=OutboxStatus.pending, attempts=0, next_attempt_at=now)
    )
    session.flush()
    return int(done.rowcount)  # type: ignore[attr-defined]
