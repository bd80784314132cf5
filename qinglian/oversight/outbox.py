"""The outbox: a sweep writes digests, delivery sends them; no item-step is ever told twice.

:func:`sweep` computes what is due (:mod:`qinglian.oversight.notices`), keeps only the
item-steps no earlier digest carried (``OutboxItem`` is UNIQUE per campaign, target, item,
step) and writes the new digests in ONE transaction, which it commits. A crash before the commit
leaves nothing; a re-run computes the same digests again. Each digest is composed for its
target's channel (``channel_of``): markdown for bots that take it, and in numbered parts where
it is over the channel's limit; a part is a row of its own, with its own key, and carries the
item-steps it lists or counts, so a re-run computes the same parts and keys. Sending them is
:mod:`qinglian.oversight.delivery`'s; :func:`retry_outbox` puts failed, given-up and stuck
digests back in the queue.

Persistence only, no Prefect. ``hook`` is called with ``sweep.planned``, ``sweep.written`` and
``sweep.committed``: tests inject crashes there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
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
from qinglian.core.settings import Settings, get_settings
from qinglian.core.sql import chunked
from qinglian.notify.channels import Channel
from qinglian.notify.protocol import NotifyError
from qinglian.org.reply_tokens import ensure_reply_tokens
from qinglian.oversight.claims import Owner, Stuck, census, this_host
from qinglian.oversight.digests import Digest, Routing, by_mail, compose_digests
from qinglian.oversight.hooks import Hook, call_hook
from qinglian.oversight.notices import Notice, due_notices
from qinglian.oversight.recipients import UnitEntry, contact_directory, recipient_units
from qinglian.rules.ladder import Ladder

# What a target's channel takes (``Notifier.channel``); NotifyError when it is not configured.
ChannelOf = Callable[[str], Channel]

_WRITE_BATCH = 50_000


class SweepResult(BaseModel):
    campaign_id: int
    as_of: date
    open_items: int = 0
    due_item_steps: int = 0
    already_queued: int = 0
    new_item_steps: int = 0
    digests: int = 0  # messages written: a digest sent in parts counts each part
    parts: int = 0  # of those, the parts of digests too long for their channel
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
    channel_of: ChannelOf | None = None,
    settings: Settings | None = None,
) -> SweepResult:
    """Write one digest per target for every item-step due by ``as_of`` and not yet queued.

    ``channel_of`` says what each target's channel takes (None: every target a plain webhook,
    text without a limit). ``settings`` give the portal's address for links and the intake
    address mail replies go to (default: the service's settings).
    Commits. Running it again (the same day or later) queues nothing already queued.
    """
    for attempt in range(2):
        try:
            plan = plan_sweep(
                session=session,
                campaign_id=campaign_id,
                as_of=as_of,
                ladder=ladder,
                channel_of=channel_of,
                settings=settings,
            )
            return _sweep(session, campaign_id, as_of, plan, hook)
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
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    ladder: Ladder | None = None,
    channel_of: ChannelOf | None = None,
    settings: Settings | None = None,
) -> SweepPlan:
    """Compute the messages a sweep on ``as_of`` would write (a dry run: no outbox row; the
    reply tokens of units first mailed are made, flushed, not committed)."""
    started = time.perf_counter()
    settings = settings or get_settings()
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
        routing = _routing(session, due.notices, directory, channel_of, settings)
        digests = compose_digests(
            due.notices, campaign=campaign, as_of=as_of, directory=directory, routing=routing
        )
    result = SweepResult(
        campaign_id=campaign_id,
        as_of=as_of,
        open_items=due.open_items,
        due_item_steps=due.due_item_steps,
        already_queued=due.already_queued,
        new_item_steps=sum(len(d.notices) for d in digests),
        digests=len(digests),
        parts=sum(1 for d in digests if d.parts > 1),
        unreachable=due.unreachable,
        seconds_computing=time.perf_counter() - started,
    )
    return SweepPlan(result=result, digests=digests)


def _routing(
    session: Session,
    notices: Sequence[Notice],
    directory: Mapping[int, UnitEntry],
    channel_of: ChannelOf | None,
    settings: Settings,
) -> Routing:
    """Each target's channel, and the reply tokens of the units mail goes to."""
    targets = sorted({notice.target for notice in notices})
    channels: dict[str, Channel] = {}
    if channel_of is not None:
        for target in targets:
            try:
                channels[target] = channel_of(target)
            except NotifyError:
                # Not configured: composed as plain text; delivery reports the target.
                continue
    tokens: dict[int, str] = {}
    if settings.intake_address:
        owners = recipient_units(directory)
        mailed = {
            owners[target]
            for target in targets
            if target in owners and by_mail(target, channels.get(target))
        }
        tokens = ensure_reply_tokens(session, mailed)
    return Routing(
        channels=channels,
        portal_url=settings.portal_url,
        intake_address=settings.intake_address,
        reply_tokens=tokens,
    )


def _sweep(
    session: Session, campaign_id: int, as_of: date, plan: SweepPlan, hook: Hook | None
) -> SweepResult:
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
                "format": digest.format,
                "part": digest.part,
                "parts": digest.parts,
                "mentions": list(digest.mentions) or None,
                "image_id": None,
                "reply_to": digest.reply_to,
                "unit_id": digest.unit_id,
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
