"""Accounts: passwords, lock-out, sessions and scope, as plain functions on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from models.account import Account, PortalSession
from models.enums import AccountRole, Level, UnitKind
from qinglian.accounts.accounts import (
    LOCK_MINUTES,
    MAX_FAILED,
    LoginFailed,
    add_account,
    authenticate,
    change_password,
    disable_account,
    reset_password,
)
from qinglian.accounts.passwords import check_new_password, verify_password
from qinglian.accounts.scope import OutOfScope, may_change, unit_in_scope
from qinglian.accounts.sessions import ABSOLUTE, IDLE, find_session, open_session
from qinglian.core.errors import QinglianError
from tests.factories import add_unit

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PASSWORD = "Correct-Horse-12"


@pytest.fixture
def tree(session: Session) -> dict[str, int]:
    moh = add_unit(
        session, None, code="MOH", name="卫生部", level=Level.ministry, kind=UnitKind.health_admin
    )
    js = add_unit(
        session,
        moh,
        code="JS",
        name="江苏省卫生厅",
        level=Level.province,
        kind=UnitKind.health_admin,
    )
    lyg = add_unit(
        session,
        js,
        code="JS-LYG",
        name="连云港市卫生局",
        level=Level.city,
        kind=UnitKind.health_admin,
    )
    zj = add_unit(
        session,
        moh,
        code="ZJ",
        name="浙江省卫生厅",
        level=Level.province,
        kind=UnitKind.health_admin,
    )
    for role in AccountRole:
        add_account(
            session=session, unit_code="JS", role=role, login=f"js-{role.value}", password=PASSWORD
        )
    return {"MOH": moh.id, "JS": js.id, "JS-LYG": lyg.id, "ZJ": zj.id}  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("x" * 201, False),
        ("js-office", False),
        ("JS-OFFICE ", False),
        ("nul\x00character", False),
        ("long enough 10", True),
        ("长度足够的中文密码十个字", True),
    ],
)
def test_password_rule(password: str, ok: bool) -> None:
    if ok:
        check_new_password(password, login="js-office")
    else:
        with pytest.raises(QinglianError):
            check_new_password(password, login="js-office")


def test_hashes_are_argon2id_and_never_the_password(session: Session, tree: dict[str, int]) -> None:
    account = session.get(Account, 1)
    assert account is not None
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    assert verify_password(account.password_hash, PASSWORD)
    assert not verify_password(None, PASSWORD)


def test_initial_password_is_printed_once_and_must_be_changed(
    session: Session, tree: dict[str, int]
) -> None:
    public, initial = add_account(
        session=session, unit_code="JS-LYG", role=AccountRole.office, login="new", password=None
    )
    assert initial and public.must_change_password
    account = authenticate(session=session, login="new", password=initial, now=NOW)
    change_password(
        session=session, account_id=public.id, current=initial, new=PASSWORD, keep_session_id=None
    )
    assert not account.must_change_password
    with pytest.raises(QinglianError, match="当前密码不正确"):
        change_password(
            session=session,
            account_id=public.id,
            current=initial,
            new="Another-pass-1",
            keep_session_id=None,
        )


@pytest.mark.parametrize(
    ("failures", "then", "locked"),
    [
        (MAX_FAILED - 1, timedelta(0), False),
        (MAX_FAILED, timedelta(0), True),
        (MAX_FAILED, timedelta(minutes=LOCK_MINUTES - 1), True),
        (MAX_FAILED, timedelta(minutes=LOCK_MINUTES, seconds=1), False),
    ],
)
def test_lock_out_after_repeated_failures(
    session: Session, tree: dict[str, int], failures: int, then: timedelta, locked: bool
) -> None:
    for _ in range(failures):
        with pytest.raises(LoginFailed):
            authenticate(session=session, login="js-office", password="wrong-password", now=NOW)
    if locked:
        with pytest.raises(LoginFailed):
            authenticate(session=session, login="js-office", password=PASSWORD, now=NOW + then)
    else:
        assert authenticate(session=session, login="js-office", password=PASSWORD, now=NOW + then)


def test_unknown_login_and_disabled_account_fail_alike(
    session: Session, tree: dict[str, int]
) -> None:
    disable_account(session=session, login="js-head")
    for login in ("nobody", "js-head"):
        with pytest.raises(LoginFailed) as raised:
            authenticate(session=session, login=login, password=PASSWORD, now=NOW)
        assert raised.value.zh == LoginFailed().zh


@pytest.mark.parametrize(
    ("after", "alive"),
    [
        (timedelta(minutes=5), True),
        (IDLE - timedelta(seconds=1), True),
        (IDLE, False),
    ],
)
def test_sessions_end_when_idle(
    session: Session, tree: dict[str, int], after: timedelta, alive: bool
) -> None:
    token, _row = open_session(session=session, account_id=1, now=NOW)
    assert (find_session(session=session, token=token, now=NOW + after) is not None) is alive


def test_sessions_end_at_their_absolute_limit_even_when_busy(
    session: Session, tree: dict[str, int]
) -> None:
    token, _row = open_session(session=session, account_id=1, now=NOW)
    moment = NOW
    while moment < NOW + ABSOLUTE - timedelta(minutes=30):
        moment += timedelta(minutes=30)
        assert find_session(session=session, token=token, now=moment) is not None
    assert find_session(session=session, token=token, now=NOW + ABSOLUTE) is None


def test_a_reset_ends_every_session(session: Session, tree: dict[str, int]) -> None:
    token, _row = open_session(session=session, account_id=1, now=NOW)
    reset_password(session=session, login="js-office", password=None)
    assert find_session(session=session, token=token, now=NOW) is None
    assert session.query(PortalSession).count() == 0


@pytest.mark.parametrize(
    ("role", "code", "sees", "changes"),
    [
        ("office", "JS", True, True),
        ("office", "JS-LYG", False, False),
        ("office", "MOH", False, False),
        ("head", "JS", True, True),
        ("discipline", "JS", False, False),
        ("admin", "JS", True, True),
        ("admin", "JS-LYG", True, True),
        ("admin", "MOH", False, False),
        ("admin", "ZJ", False, False),
        ("admin", "NOPE", False, False),
    ],
)
def test_scope(
    session: Session, tree: dict[str, int], role: str, code: str, sees: bool, changes: bool
) -> None:
    token, _row = open_session(
        session=session, account_id=list(AccountRole).index(AccountRole(role)) + 1, now=NOW
    )
    user = find_session(session=session, token=token, now=NOW)
    assert user is not None and user.role == role
    if not sees:
        with pytest.raises(OutOfScope):
            unit_in_scope(session=session, user=user, code=code)
        return
    unit = unit_in_scope(session=session, user=user, code=code)
    assert may_change(user, unit) is changes
