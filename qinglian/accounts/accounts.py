"""Creating, listing, disabling and resetting accounts; logging in, with lock-out.

A login that fails :data:`MAX_FAILED` times in a row locks the account for
:data:`LOCK_MINUTES`; the message never tells a wrong login from a wrong password.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models import Unit
from models.account import Account, PortalSession
from models.enums import AccountRole
from qinglian.accounts.passwords import (
    check_new_password,
    hash_password,
    initial_password,
    needs_rehash,
    verify_password,
)
from qinglian.core.clock import as_utc
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.org.units import get_unit_by_code

MAX_FAILED = 5
LOCK_MINUTES = 15
LOGIN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")


class AccountPublic(BaseModel):
    """An account as listed: never its hash."""

    id: int
    login: str
    role: AccountRole
    unit_code: str
    unit_name: str
    disabled: bool
    must_change_password: bool
    locked_until: datetime | None
    last_login_at: datetime | None


class LoginFailed(QinglianError):
    """Wrong login or password, a disabled or a locked account: one message for all."""

    def __init__(self) -> None:
        super().__init__(
            "登录名或密码错误，或账号已停用、暂时锁定",
            "wrong login or password, or the account is disabled or locked for a while",
        )


def check_login(login: str) -> str:
    if not LOGIN_PATTERN.fullmatch(login):
        raise QinglianError(
            f"登录名「{login[:64]}」无效：2–64 个字母、数字或 . _ @ -，以字母或数字开头",
            f"invalid login {login[:64]!r}: 2–64 letters, digits or . _ @ -, starting with a "
            "letter or digit",
        )
    return login


def add_account(
    *, session: Session, unit_code: str, role: AccountRole, login: str, password: str | None
) -> tuple[AccountPublic, str | None]:
    """Create an account; without ``password`` a one-time initial password is made and returned."""
    check_login(login)
    unit = get_unit_by_code(session=session, code=unit_code)
    if session.exec(select(Account.id).where(Account.login == login)).first() is not None:
        raise QinglianError(f"登录名「{login}」已存在", f"the login {login!r} exists already")
    initial = None
    if password is None:
        initial = password = initial_password()
    else:
        check_new_password(password, login=login)
    assert unit.id is not None
    account = Account(
        login=login,
        unit_id=unit.id,
        role=role,
        password_hash=hash_password(password),
        must_change_password=initial is not None,
    )
    session.add(account)
    session.flush()
    return _public(account, unit), initial


def list_accounts(*, session: Session, unit_code: str | None = None) -> list[AccountPublic]:
    query = select(Account, Unit).join(Unit, col(Unit.id) == Account.unit_id)
    if unit_code is not None:
        unit = get_unit_by_code(session=session, code=unit_code)
        query = query.where(col(Unit.path).startswith(unit.path))
    return [_public(a, u) for a, u in session.exec(query.order_by(Unit.path, Account.login))]


def disable_account(*, session: Session, login: str) -> AccountPublic:
    """Disable an account and end its sessions."""
    account = get_account(session=session, login=login)
    account.disabled = True
    end_sessions(session=session, account_id=_id(account))
    session.add(account)
    return _public(account, session.get(Unit, account.unit_id))


def reset_password(
    *, session: Session, login: str, password: str | None
) -> tuple[AccountPublic, str | None]:
    """Set a new password (or make a one-time one), unlock the account, end its sessions."""
    account = get_account(session=session, login=login)
    initial = None
    if password is None:
        initial = password = initial_password()
    else:
        check_new_password(password, login=login)
    account.password_hash = hash_password(password)
    account.must_change_password = initial is not None
    account.failed_logins = 0
    account.locked_until = None
    end_sessions(session=session, account_id=_id(account))
    session.add(account)
    return _public(account, session.get(Unit, account.unit_id)), initial


def change_password(
    *, session: Session, account_id: int, current: str, new: str, keep_session_id: int | None
) -> None:
    """The account's holder changes its password; every other session of it ends."""
    account = session.get(Account, account_id)
    if account is None or not verify_password(account.password_hash, current):
        raise QinglianError("当前密码不正确", "the current password is wrong")
    check_new_password(new, login=account.login)
    if verify_password(account.password_hash, new):
        raise QinglianError("新密码不能与当前密码相同", "the new password must differ")
    account.password_hash = hash_password(new)
    account.must_change_password = False
    end_sessions(session=session, account_id=account_id, keep=keep_session_id)
    session.add(account)


def authenticate(*, session: Session, login: str, password: str, now: datetime) -> Account:
    """The account if ``password`` is right and it may log in; else :class:`LoginFailed`.

    Each failure counts, committed by the caller even though it raises (see the portal's login).
    """
    account = session.exec(select(Account).where(Account.login == login)).first()
    ok = verify_password(account.password_hash if account else None, password)
    if account is None:
        raise LoginFailed()
    locked = account.locked_until is not None and as_utc(account.locked_until) > now
    if account.disabled or locked:
        raise LoginFailed()
    if not ok:
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILED:
            account.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            account.failed_logins = 0
        session.add(account)
        raise LoginFailed()
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    session.add(account)
    return account


def get_account(*, session: Session, login: str) -> Account:
    account = session.exec(select(Account).where(Account.login == login)).first()
    if account is None:
        raise NotFoundError(f"没有登录名为「{login}」的账号", f"no account with login {login!r}")
    return account


def end_sessions(*, session: Session, account_id: int, keep: int | None = None) -> int:
    """End every session of an account (but ``keep``); how many ended."""
    rows: Sequence[PortalSession] = session.exec(
        select(PortalSession).where(PortalSession.account_id == account_id)
    ).all()
    ended = 0
    for row in rows:
        if row.id != keep:
            session.delete(row)
            ended += 1
    return ended


def _id(account: Account) -> int:
    assert account.id is not None
    return account.id


def _public(account: Account, unit: Unit | None) -> AccountPublic:
    assert account.id is not None and unit is not None
    return AccountPublic(
        id=account.id,
        login=account.login,
        role=account.role,
        unit_code=unit.code,
        unit_name=unit.name,
        disabled=account.disabled,
        must_change_password=account.must_change_password,
        locked_until=account.locked_until,
        last_login_at=account.last_login_at,
    )
