"""The outbox: a sweep writes digests, delivery sends them; no item-step is ever told twice.

:func:`sweep` computes what is due (:mod:`qinglian.oversight.notices`), keeps only the
item-steps no earlier digest carried (``OutboxItem`` is UNIQUE per campaign, target, item,
step) and writes the new digests in ONE transaction, which it commits. A crash before the commit
leaves nothing; a re-run computes the same digests again. Sending them is
:mod:`qinglian.oversight.delivery`'s; :func:`retry_outbox` puts failed, given-up and stuck
digests back in the queue.

Persistence only, no Prefect. ``hook`` is called with ``sweep.planned``, ``sweep.written`` and
``sweep.committed``: tests inject crashes there.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import BaseModel, field_validator
from sqlalchemy import func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.campaign import utcnow
from models.enums import OutboxStatus
from models.outbox import OutboxItem, OutboxMessage
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.errors import QinglianError
from qinglian.core.gc_pause import gc_paused
from qinglian.core.sql import chunked
from qinglian.oversight.claims import Owner, Stuck, census, this_host
from qinglian.oversight.digests import Digest, compose_digests
from qinglian.oversight.hooks import Hook, call_hook
from qinglian.oversight.notices import due_notices
from qinglian.oversight.recipients import contact_directory
from qinglian.rules.ladder import Ladder

_WRITE_BATCH = 50_000


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
    claimed_by_host: str | None = None
    claimed_by_pid: int | None = None
    claimed_at: datetime | None = None

    @field_validator("next_attempt_at", "sent_at", "claimed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # SQLite hands timestamps back naive; they are stored in UTC.
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


# --- sweep: enqueue ------------------------------------------------------------------------


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
    with gc_paused():
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        directory = contact_directory(session=session, campaign=campaign)
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
    call_hook(hook, "sweep.planned")
    if plan.digests:
        with gc_paused():
            _write(session, campaign_id, as_of, plan.digests)
    call_hook(hook, "sweep.written")
    session.commit()
    result.seconds_writing = time.perf_counter() - computed
    call_hook(hook, "sweep.committed")
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
    for batch in chunked(items, _WRITE_BATCH):
        connection.execute(insert(table), batch)


def _queued(session: Session, campaign_id: int) -> set[tuple[str, str, str]]:
    """Every (target, item, step) the campaign's outbox already carries (Core rows: many)."""
    rows = session.connection().execute(
        select(OutboxItem.target, OutboxItem.item_key, OutboxItem.step).where(
            col(OutboxItem.campaign_id) == campaign_id
        )
    )
    return {(target, item_key, step) for target, item_key, step in rows}


# --- the store, for the CLI ----------------------------------------------------------------


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


class HeldClaim(BaseModel):
    """A ``sending`` row ``retry_outbox`` left alone, and whose claim it is."""

    id: int
    host: str | None
    pid: int | None
    lease_ends: datetime | None
    here: bool  # claimed on this host, by a process that still runs


class RetryResult(BaseModel):
    requeued: int = 0  # failed and given-up rows
    recovered: int = 0  # ``sending`` rows whose deliverer is gone or whose lease has passed
    held: list[HeldClaim] = []  # ``sending`` rows a live (or unverifiable) deliverer still holds

    @property
    def total(self) -> int:
        return self.requeued + self.recovered


_INTERRUPTED = (
    "发送中断后重新排队，接收方可能收到两次（幂等键相同） / "
    "requeued after an interrupted send; it may arrive twice, with the same idempotency key"
)


def retry_outbox(
    *,
    session: Session,
    now: datetime,
    ids: Sequence[int] | None = None,
    campaign_id: int | None = None,
) -> RetryResult:
    """Send failed, given-up and stuck rows again from ``now``, with a fresh attempt budget.

    A ``sending`` row is stuck when the process that claimed it is gone from this host or its
    lease has passed (:mod:`qinglian.oversight.claims`); one a live deliverer holds is left
    alone and listed in ``held``. Flushes; the caller commits.
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
    result = RetryResult(requeued=int(done.rowcount))  # type: ignore[attr-defined]
    found = census(session=session, now=now, campaign_id=campaign_id, ids=ids)
    for stuck in (*found.gone, *found.expired):
        result.recovered += _requeue_stuck(session, stuck, now)
    result.held = [_held(stuck) for stuck in found.held]
    session.flush()
    return result


def _requeue_stuck(session: Session, stuck: Stuck, now: datetime) -> int:
    # Only if no deliverer claimed it again since the census read it.
    done = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == stuck.id,
            col(OutboxMessage.status) == OutboxStatus.sending,
            col(OutboxMessage.attempts) == stuck.attempts,
        )
        .values(
            status=OutboxStatus.pending, attempts=0, next_attempt_at=now, last_error=_INTERRUPTED
        )
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def _held(stuck: Stuck) -> HeldClaim:
    owner: Owner | None = stuck.owner
    return HeldClaim(
        id=stuck.id,
        host=owner.host if owner else None,
        pid=owner.pid if owner else None,
        lease_ends=stuck.lease_ends,
        here=owner is not None and owner.host == this_host(),
    )
