"""The notification outbox: digests to send, the item-steps each carries, and who to tell.

A digest (``OutboxMessage``) is one message to one target per sweep. ``OutboxItem`` records
which (item, ladder step) it carries, UNIQUE per (campaign, target, item, step), so no item-step
is ever put in two digests. Targets are names (``lyg-wecom``) or ``email:<address>``; the
Apprise URL behind a name lives in the environment, never here.

A delivery that claims a digest (``sending``) records who it is: host, pid and the process's
start marker, so a later run can tell a claim whose process is gone from one still at work
(:mod:`qinglian.oversight.claims`). The ``claimed_*`` columns describe the last claim.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow
from models.enums import ContactRole, MessageFormat, OutboxStatus


class OutboxMessage(SQLModel, table=True):
    """One message for one target: a digest, one numbered part of a digest too long for its
    channel (``part`` of ``parts``, each with its own key derived from the digest's), or the
    daily 督办榜 picture (``format`` image, ``image_id``).

    ``key`` is sha256(campaign, target, sweep day, item-steps) for a whole digest.
    ``mentions`` are the mobile numbers to @-mention (personal data: they go into the bot's
    request only, never into ``body``, ``last_error`` or a log). ``reply_to`` is the intake
    address with the recipient unit's reply token, for mail.
    """

    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_outboxmessage_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    target: str = Field(max_length=300, index=True)
    key: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=64)
    sweep_on: date
    title: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    item_count: int = 0
    format: MessageFormat = MessageFormat.text
    part: int = 1
    parts: int = 1
    mentions: list[str] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True), repr=False
    )
    image_id: int | None = Field(default=None, foreign_key="boardimage.id")
    reply_to: str | None = Field(default=None, max_length=300, repr=False)
    unit_id: int | None = Field(
        default=None, foreign_key="unit.id", description="the recipient's unit, when one"
    )
    status: OutboxStatus = OutboxStatus.pending
    attempts: int = 0
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_error: str | None = Field(default=None, max_length=1000)
    sent_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    claimed_by_host: str | None = Field(default=None, max_length=255)
    claimed_by_pid: int | None = None
    claimed_by_start: str | None = Field(
        default=None, max_length=100, description="boot id and start time of the claiming process"
    )
    claimed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class OutboxItem(SQLModel, table=True):
    """One (item, ladder step) carried by a digest; ``item_key`` includes the deadline."""

    __table_args__ = (UniqueConstraint("campaign_id", "target", "item_key", "step"),)

    # No index of its own on campaign_id: the unique constraint leads with it.
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    message_id: int = Field(foreign_key="outboxmessage.id", index=True)
    target: str = Field(max_length=300)
    item_key: str = Field(max_length=100)
    step: str = Field(max_length=32)
    unit_id: int = Field(foreign_key="unit.id")
    deadline: date


class NotifyContact(SQLModel, table=True):
    """An extra notification target of a unit, beyond the columns ``Unit`` has.

    The unit head has no address on ``Unit`` (only a name), so a head is reached through a
    ``head`` contact; ``office`` and ``discipline`` contacts add to the unit's own columns.
    """

    __table_args__ = (UniqueConstraint("unit_id", "role", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: ContactRole
    target: str = Field(max_length=300, description="a target name or email:<address>")


class BoardImage(SQLModel, table=True):
    """The daily 督办榜 of one unit's subtree: a PNG, sent as a picture or as a portal link.

    A bot that takes only a URL (DingTalk, Feishu) gets ``/board/<token>``; only the token's
    sha256 is kept, and the link stops working at ``expires_at``.
    """

    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "sweep_on"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id")
    sweep_on: date
    png: bytes = Field(sa_column=Column(LargeBinary, nullable=False), repr=False)
    md5: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
