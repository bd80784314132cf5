"""Outbox rows for the delivery tests: many digests at once, and claims as a crash leaves them."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from threading import Lock

from sqlalchemy import update
from sqlmodel import Session

from models.enums import OutboxStatus
from models.outbox import OutboxMessage
from qinglian.notify.protocol import Message
from qinglian.oversight.claims import Owner

HOOK = "hook"  # the one target every digest here goes to


def add_messages(session: Session, campaign_id: int, count: int) -> list[str]:
    """``count`` pending digests to ``hook``; their keys, in id order. Commits."""
    keys = [hashlib.sha256(f"{campaign_id}/{n}".encode()).hexdigest() for n in range(count)]
    session.add_all(
        OutboxMessage(
            campaign_id=campaign_id,
            target=HOOK,
            key=key,
            idempotency_key=key,
            sweep_on=date(2012, 9, 15),
            title=f"督办 {n}",
            body=f"逾期事项 {n}",
            item_count=1,
        )
        for n, key in enumerate(keys)
    )
    session.commit()
    return keys


def leave_claimed(
    session: Session, key: str, owner: Owner | None, lease_ends: datetime | None
) -> None:
    """The row as a deliverer that claimed it and then vanished leaves it. Commits."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key == key)  # type: ignore[arg-type]
        .values(
            status=OutboxStatus.sending,
            attempts=1,
            next_attempt_at=lease_ends,
            claimed_by_host=owner.host if owner else None,
            claimed_by_pid=owner.pid if owner else None,
            claimed_by_start=owner.start if owner else None,
            claimed_at=lease_ends,
        )
    )
    session.commit()


@dataclass
class CountingNotifier:
    """Counts every send by idempotency key; thread-safe, for concurrent deliverers."""

    counts: Counter[str] = field(default_factory=Counter)
    lock: Lock = field(default_factory=Lock)

    def send(self, message: Message) -> None:
        with self.lock:
            self.counts[message.key] += 1

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())
