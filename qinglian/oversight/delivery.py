"""Delivery: sending what the outbox holds, each digest once, whatever crashes in between.

:func:`deliver` claims a batch of due rows (``sending``, by a conditional UPDATE naming the
claiming process, host, pid and start marker, and the claim's time) and commits; on PostgreSQL
the batch is read ``FOR UPDATE SKIP LOCKED``, so concurrent deliverers split the outbox rather
than queue. It keeps ``workers`` sends in flight and records and commits each outcome as soon as
its send returns. Two deliverers never claim the same row: a claim matches only the state its
deliverer read; a record, renewal or give-back only the claim it made (``attempts`` and
``claimed_at``).

**Leases.** A claim holds for ``lease`` from the moment it is made and is renewed while its
batch is being sent, so a live deliverer keeps its rows however long the batch takes. When a
deliverer dies:

- killed (SIGKILL, power loss): its rows stay ``sending``. The next run on the same host sees
  the owner's process is gone (:mod:`qinglian.oversight.claims`) and takes them over at once
  (``DeliveryResult.taken_over``); another host's run, or rows whose owner it cannot check,
  wait for the lease.
- an exception (or Ctrl-C): claims not yet handed to a sender are given back at once; those in
  flight stay ``sending`` under the lease.

**The duplicate window.** A send the receiver accepted but whose outcome was never recorded goes
out again from whoever takes the row over, with the same idempotency key (Message-ID,
``Idempotency-Key`` header, ``key`` in JSON payloads) so the receiver can drop it. Sends are
handed out ``workers`` at a time and each outcome is committed as soon as it returns, so at most
``workers`` messages are ever sent-or-sending but unrecorded: one kill doubles at most
``workers`` messages (4 by default), each once. Claimed rows not yet handed to a sender were
never sent and go out once. ``DeliveryResult.resent`` counts rows sent again after a crashed
claim, an upper bound of the doubles. As with any delivery, a send that fails after the receiver
accepted it (a lost reply) is retried like any failure, with the same key.

**Outcomes.** A send the receiver accepted is ``sent``; the notifier checks the receiver's
reply where the HTTP status says nothing (WeCom, DingTalk and Feishu bots answer 200 to a
refused message: :mod:`qinglian.notify.bots`). A failed send is, by the notifier's verdict:

- refused for good (``NotifyError.permanent``: too long, a blocked keyword, a bad key or token,
  a picture the channel cannot take): ``given_up`` at once, with the reason in ``last_error``,
  and counted in ``DeliveryResult.rejected`` as well as ``given_up``;
- rate limited (``NotifyError.retry_after``): ``failed``, due again no earlier than
  ``now + max(backoff(attempts), retry_after)``;
- anything else (HTTP 5xx, no connection, an unknown error code): ``failed``, due again after
  exponential backoff from ``now``,

until it is sent or ``max_attempts`` is spent (``given_up``). The reason is stored with every
known secret masked; it never holds a URL, a token or a mobile number. ``now`` is the run's
logical time (what is due, ``sent_at``, backoff); leases run on ``clock()``, by default ``now``
plus the real time elapsed since the call began, so a run longer than the lease keeps its later
claims.

**What is sent.** The message is built from the row: ``format`` (text, markdown or image),
``mentions`` (mobile numbers to @-mention, personal data), ``reply_to`` (mail), and for a
picture row the PNG of its ``BoardImage``, read with the batch.

Persistence only, no Prefect. ``hook`` is called with ``deliver.claimed``, ``deliver.sent`` and
``deliver.recorded``: tests inject crashes there.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from models.enums import MessageFormat, OutboxStatus
from models.outbox import BoardImage, OutboxMessage
from qinglian.core.errors import QinglianError
from qinglian.notify.protocol import Image, Message, Notifier, NotifyError
from qinglian.notify.redaction import SECRETS, redact
from qinglian.oversight.claims import Owner, census, this_process
from qinglian.oversight.hooks import Hook, call_hook

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
# How long a claimed row may stay ``sending`` unrenewed before a later run counts it as crashed.
LEASE = timedelta(minutes=10)
_ERROR_MAX = OutboxMessage.__table__.columns["last_error"].type.length  # type: ignore[attr-defined]
# Core updates on the table: the ORM's bulk-update bookkeeping costs more than the UPDATE.
_MESSAGES = OutboxMessage.__table__  # type: ignore[attr-defined]
_CLAIMABLE = (OutboxStatus.pending, OutboxStatus.failed, OutboxStatus.sending)
_UNRECORDED = "发送后未能记录结果，投递情况不明 / the outcome of the last send was never recorded"


class DeliveryResult(BaseModel):
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    rejected: int = 0  # of ``given_up``: refused for good by the receiver (too long, keyword…)
    resent: int = 0
    skipped: int = 0
    taken_over: int = 0  # ``sending`` rows of a process gone from this host, taken over at once

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.given_up


def exponential_backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd, 4th … failed attempt, at most 6 hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def retry_delay(backoff: timedelta, retry_after: float | None) -> timedelta:
    """How long a failed send waits: its backoff, or longer if the receiver asked for it."""
    return max(backoff, timedelta(seconds=retry_after or 0))


@dataclass(frozen=True, slots=True)
class _Claim:
    id: int
    message: Message
    attempts: int
    claimed_at: datetime
    was: OutboxStatus

    @property
    def resend(self) -> bool:
        return self.was == OutboxStatus.sending


@dataclass(frozen=True, slots=True)
class _Failure:
    """A send that did not go through: the masked reason and what the notifier advised."""

    reason: str
    permanent: bool = False
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class _Run:
    """One call's settings, as every step below needs them."""

    notifier: Notifier
    now: datetime
    clock: Callable[[], datetime]
    lease: timedelta
    max_attempts: int
    backoff: Callable[[int], timedelta]
    workers: int
    owner: Owner
    hook: Hook | None


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
    clock: Callable[[], datetime] | None = None,
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
    run = _Run(
        notifier=notifier,
        now=now,
        clock=clock or _elapsed_since(now),
        lease=lease,
        max_attempts=max_attempts,
        backoff=backoff,
        workers=workers,
        owner=this_process(),
        hook=hook,
    )
    result = DeliveryResult()
    after = 0
    with session_factory() as session, ThreadPoolExecutor(max_workers=workers) as pool:
        result.taken_over = _take_over(session, run, campaign_id)
        session.commit()
        while limit is None or result.attempted < limit:
            size = batch_size if limit is None else min(batch_size, limit - result.attempted)
            rows = _due_rows(session, now, campaign_id, after, size)
            if not rows:
                break
            after = rows[-1][0]
            waiting = deque(_claim(session, run, rows, result))
            session.commit()
            try:
                call_hook(hook, "deliver.claimed")
                _send_all(session, pool, run, waiting, result)
            except BaseException:
                _give_back(session_factory, run, waiting)
                raise
    return result


def _elapsed_since(now: datetime) -> Callable[[], datetime]:
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def _take_over(session: Session, run: _Run, campaign_id: int | None) -> int:
    """Make the ``sending`` rows of a process gone from this host due now, without their lease."""
    taken = 0
    for stuck in census(session=session, now=run.now, campaign_id=campaign_id).gone:
        done = session.connection().execute(
            update(_MESSAGES)
            .where(
                _MESSAGES.c.id == stuck.id,
                _MESSAGES.c.status == OutboxStatus.sending,
                _MESSAGES.c.attempts == stuck.attempts,
            )
            .values(next_attempt_at=run.now)
        )
        taken += done.rowcount  # type: ignore[attr-defined]
    return taken


def _due_rows(
    session: Session, now: datetime, campaign_id: int | None, after: int, size: int
) -> Sequence[Any]:
    # Ids first, on the narrow (status, next_attempt_at) index; bodies only for those ids.
    # PostgreSQL skips rows another deliverer is claiming (SQLite has no row locks: its
    # writers are serialised, and the conditional UPDATE alone decides).
    query = select(OutboxMessage.id).where(
        col(OutboxMessage.status).in_(_CLAIMABLE),
        or_(
            col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= now
        ),
        col(OutboxMessage.id) > after,
    )
    if campaign_id is not None:
        query = query.where(col(OutboxMessage.campaign_id) == campaign_id)
    ids = session.exec(
        query.order_by(col(OutboxMessage.id)).limit(size).with_for_update(skip_locked=True)
    ).all()
    if not ids:
        return []
    # A picture row's PNG comes with it (one outer join): a batch holds a few at most.
    return session.exec(
        select(
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.target,
            OutboxMessage.title,
            OutboxMessage.body,
            OutboxMessage.idempotency_key,
            OutboxMessage.format,
            OutboxMessage.mentions,
            OutboxMessage.reply_to,
            BoardImage.png,
        )
        .outerjoin(BoardImage, col(BoardImage.id) == col(OutboxMessage.image_id))
        .where(col(OutboxMessage.id).in_(ids))
        .order_by(col(OutboxMessage.id))
    ).all()


def _claim(
    session: Session, run: _Run, rows: Sequence[Any], result: DeliveryResult
) -> list[_Claim]:
    """Mark rows ``sending`` by this process, each only if it is still as it was read."""
    claimed_at = run.clock().astimezone(UTC)
    claims = []
    for row in rows:
        message_id, status, attempts = row[0], row[1], row[2]
        as_read = (
            _MESSAGES.c.id == message_id,
            _MESSAGES.c.status == status,
            _MESSAGES.c.attempts == attempts,
        )
        if attempts >= run.max_attempts:
            # Only a row that crashed mid-send gets here: it may or may not have arrived.
            session.connection().execute(
                update(_MESSAGES)
                .where(*as_read)
                .values(status=OutboxStatus.given_up, last_error=_UNRECORDED)
            )
            result.given_up += 1
            continue
        claimed = session.connection().execute(
            update(_MESSAGES)
            .where(*as_read)
            .values(
                status=OutboxStatus.sending,
                attempts=attempts + 1,
                next_attempt_at=claimed_at + run.lease,
                claimed_by_host=run.owner.host,
                claimed_by_pid=run.owner.pid,
                claimed_by_start=run.owner.start,
                claimed_at=claimed_at,
            )
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            result.skipped += 1
            continue
        claims.append(
            _Claim(
                id=message_id,
                message=_message(row),
                attempts=attempts + 1,
                claimed_at=claimed_at,
                was=OutboxStatus(status),
            )
        )
    return claims


def _message(row: Any) -> Message:
    """The message a due row (as :func:`_due_rows` reads it) asks to send."""
    _, _, _, target, title, body, key, fmt, mentions, reply_to, png = row
    return Message(
        target=target,
        title=title,
        body=body,
        key=key,
        format=MessageFormat(fmt or MessageFormat.text).value,
        mentions=tuple(str(mobile) for mobile in mentions or ()),
        image=Image(png=bytes(png)) if png is not None else None,
        reply_to=reply_to or "",
    )


def _mine(claim: _Claim) -> tuple[Any, ...]:
    """The row still holds this very claim (not an earlier or a later one of the same row)."""
    return (
        _MESSAGES.c.id == claim.id,
        _MESSAGES.c.status == OutboxStatus.sending,
        _MESSAGES.c.attempts == claim.attempts,
        _MESSAGES.c.claimed_at == claim.claimed_at,
    )


def _send_all(
    session: Session,
    pool: ThreadPoolExecutor,
    run: _Run,
    waiting: deque[_Claim],
    result: DeliveryResult,
) -> None:
    """Keep ``workers`` sends in flight; record each as it returns; renew the batch's leases.

    A claim leaves ``waiting`` only when it is handed to a sender, so on an exception the
    caller gives back exactly the claims never sent.
    """
    running: dict[Future[_Failure | None], _Claim] = {}
    renewed = waiting[0].claimed_at if waiting else run.clock()
    # Wake up while a send hangs, to renew the leases before they run out.
    poll = max(run.lease.total_seconds() / 4, 1.0)
    while waiting or running:
        if run.clock() >= renewed + run.lease / 2:
            renewed = _renew(session, run, list(running.values()), waiting, result)
        while waiting and len(running) < run.workers:
            claim = waiting.popleft()
            running[pool.submit(_send, run.notifier, claim)] = claim
        done, _ = wait(running, timeout=poll, return_when=FIRST_COMPLETED)
        for future in done:
            claim = running.pop(future)
            error = future.result()
            if error is None:
                call_hook(run.hook, "deliver.sent")
            _record(session, run, claim, error, result)
            session.commit()
            call_hook(run.hook, "deliver.recorded")


def _renew(
    session: Session,
    run: _Run,
    running: Sequence[_Claim],
    waiting: deque[_Claim],
    result: DeliveryResult,
) -> datetime:
    """Extend the leases of the batch's claims; drop waiting claims another run took over."""
    renewed = run.clock()
    for claim in [*running, *waiting]:
        kept = session.connection().execute(
            update(_MESSAGES).where(*_mine(claim)).values(next_attempt_at=renewed + run.lease)
        )
        if not kept.rowcount and claim in waiting:  # type: ignore[attr-defined]
            waiting.remove(claim)  # taken over while this run stalled: not ours to send
            result.skipped += 1
    session.commit()
    return renewed


def _give_back(session_factory: Callable[[], Session], run: _Run, claims: Sequence[_Claim]) -> None:
    """After an exception: claims never handed to a sender become as they were, due now."""
    if not claims:
        return
    # Best effort while the original exception propagates: what is not given back here still
    # comes back when its lease passes.
    with contextlib.suppress(Exception), session_factory() as session:
        for claim in claims:
            session.connection().execute(
                update(_MESSAGES)
                .where(*_mine(claim))
                .values(status=claim.was, attempts=claim.attempts - 1, next_attempt_at=run.now)
            )
        session.commit()


def _send(notifier: Notifier, claim: _Claim) -> _Failure | None:
    """None when sent, else why not, with every known secret (and mention) masked."""
    try:
        notifier.send(claim.message)
    except NotifyError as exc:
        return _Failure(
            mask_error(str(exc), claim.message.mentions), exc.permanent, exc.retry_after
        )
    except QinglianError as exc:
        return _Failure(mask_error(str(exc), claim.message.mentions))
    except Exception as exc:  # a notifier's own bug must not stop the other sends
        return _Failure(mask_error(f"{type(exc).__name__}: {exc}", claim.message.mentions))
    return None


def mask_error(text: str, mentions: Sequence[str] = ()) -> str:
    """An error as stored: known URL and token parts and the message's mobiles masked, cut to
    the column's width."""
    cleaned = redact(redact(text, SECRETS.values), [m for m in mentions if m])
    return cleaned if len(cleaned) <= _ERROR_MAX else cleaned[: _ERROR_MAX - 1] + "…"


def _record(
    session: Session, run: _Run, claim: _Claim, error: _Failure | None, result: DeliveryResult
) -> None:
    if error is None:
        values: dict[str, Any] = {
            "status": OutboxStatus.sent,
            "sent_at": run.now,
            "next_attempt_at": None,
            "last_error": None,
        }
        result.sent += 1
        result.resent += claim.resend
    elif error.permanent or claim.attempts >= run.max_attempts:
        values = {
            "status": OutboxStatus.given_up,
            "next_attempt_at": None,
            "last_error": error.reason,
        }
        result.given_up += 1
        result.rejected += error.permanent
    else:
        values = {
            "status": OutboxStatus.failed,
            "next_attempt_at": run.now
            + retry_delay(run.backoff(claim.attempts), error.retry_after),
            "last_error": error.reason,
        }
        result.failed += 1
    session.connection().execute(update(_MESSAGES).where(*_mine(claim)).values(**values))
