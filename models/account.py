"""Portal accounts, their sessions, the files they upload and the receipts they are given.

Passwords are argon2id hashes; a session is known by the sha256 of its cookie token, never the
token itself, so a copy of the database opens no session. Uploaded files live under
``QINGLIAN_HOME/uploads`` by content hash; a row here says who gave which file for what.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow
from models.enums import AccountRole, UploadPurpose


class Account(SQLModel, table=True):
    """One person's login at one unit, with one role there."""

    __table_args__ = (UniqueConstraint("login"),)

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: AccountRole
    password_hash: str = Field(max_length=200)
    must_change_password: bool = True
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    last_login_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PortalSession(SQLModel, table=True):
    """A logged-in browser or script: ``token_hash`` is sha256 of the cookie's token."""

    __table_args__ = (UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    last_seen_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Upload(SQLModel, table=True):
    """One accepted file: stored once by its sha256, given by an account for a unit."""

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    media_type: str = Field(max_length=100)
    filename: str = Field(max_length=200, description="the sanitised name it was given with")
    purpose: UploadPurpose
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    # What it is attached to: "deliverable:12", "rectification:7", "summary:find" …
    subject: str = Field(default="", max_length=100)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Receipt(SQLModel, table=True):
    """A receipt (回执) for an accepted submission: its number is what the unit keeps."""

    __table_args__ = (UniqueConstraint("number"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    account_id: int = Field(foreign_key="account.id")
    kind: UploadPurpose
    upload_id: int | None = Field(default=None, foreign_key="upload.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
