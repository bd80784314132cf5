"""Portal sessions: a random cookie token, known to the database only by its sha256.

A session ends after :data:`IDLE` without a request, or :data:`ABSOLUTE` after login, whichever
comes first. Every login makes a new token (no session fixation); a password change or reset,
or disabling the account, ends the account's other sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from models import Unit
from models.account import Account, PortalSession
from models.enums import AccountRole
from qinglian.core.clock import as_utc

IDLE = timedelta(hours=2)
ABSOLUTE = timedelta(hours=12)
# last_seen_at is written at most this often, not on every request.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SessionUser:
    """Who is behind a request: the account, its unit and role, and the session's CSRF token."""

    session_id: int
    account_id: int
    login: str
    role: AccountRole
    unit_id: int
    unit_code: str
    unit_name: str
    unit_path: str
    csrf_token: str
    must_change_password: bool
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(*, session: Session, account_id: int, now: datetime) -> tuple[str, PortalSession]:
    """A new session for the account: the cookie token (returned once) and its row."""
    token = secrets.token_urlsafe(32)
    row = PortalSession(
        token_hash=token_hash(token),
        account_id=account_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE,
    )
    session.add(row)
    session.flush()
    return token, row


def find_session(*, session: Session, token: str, now: datetime) -> SessionUser | None:
    """The live session behind a cookie token, touched; ``None`` if unknown, idle or expired."""
    if not token or len(token) > 100:
        return None
    found = session.exec(
        select(PortalSession, Account, Unit)
        .join(Account, col(Account.id) == PortalSession.account_id)
        .join(Unit, col(Unit.id) == Account.unit_id)
        .where(PortalSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    row, account, unit = found
    if account.disabled or as_utc(row.expires_at) <= now or as_utc(row.last_seen_at) + IDLE <= now:
        session.delete(row)
        return None
    if now - as_utc(row.last_seen_at) >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    assert row.id is not None and account.id is not None and unit.id is not None
    return SessionUser(
        session_id=row.id,
        account_id=account.id,
        login=account.login,
        role=account.role,
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        unit_path=unit.path,
        csrf_token=row.csrf_token,
        must_change_password=account.must_change_password,
        expires_at=min(as_utc(row.expires_at), as_utc(row.last_seen_at) + IDLE),
    )


def close_session(*, session: Session, token: str) -> None:
    session.exec(delete(PortalSession).where(col(PortalSession.token_hash) == token_hash(token)))


def purge_expired(*, session: Session, now: datetime) -> int:
    """Delete sessions past their end; how many."""
    result = session.exec(
        delete(PortalSession).where(
            (col(PortalSession.expires_at) <= now) | (col(PortalSession.last_seen_at) <= now - IDLE)
        )
    )
    return result.rowcount or 0
