"""Mail read from the intake mailbox: returned workbooks, each mail processed once.

A mail is known by the sha256 of its Message-ID (``message_key``, unique), so a re-run after a
crash never imports it twice: the row is written (``received``) before anything is imported,
and the import and the row's new status commit together. The raw mail of a quarantined message
is kept under ``QINGLIAN_HOME/intake/quarantine`` (``quarantine_file``), never opened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow
from models.enums import IntakeStatus


class IntakeMail(SQLModel, table=True):
    """One mail of the intake mailbox and what became of it."""

    __table_args__ = (UniqueConstraint("message_key"),)

    id: int | None = Field(default=None, primary_key=True)
    message_key: str = Field(max_length=64, description="sha256 of the Message-ID")
    message_id: str = Field(max_length=998, repr=False)
    mailbox_uid: int | None = None
    uid_validity: int | None = None
    sender: str = Field(default="", max_length=300, repr=False)
    subject: str = Field(default="", max_length=500, repr=False)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    identified_by: str = Field(default="", max_length=16, description="token, sender or ''")
    status: IntakeStatus = Field(default=IntakeStatus.received, index=True)
    reason: str = Field(default="", max_length=2000)
    receipt_code: str | None = Field(default=None, max_length=32)
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    quarantine_file: str | None = Field(default=None, max_length=500)
    reply_message_id: int | None = Field(default=None, foreign_key="outboxmessage.id")
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    processed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
