"""What every route depends on: the database session, the logged-in user, CSRF, the unit in
scope, the campaign and the day the portal stands on."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlmodel import Session, col, select

from models import Campaign, Unit
from qinglian.accounts.scope import OutOfScope, may_change, unit_in_scope
from qinglian.accounts.sessions import SessionUser, find_session
from qinglian.core import db, locks
from qinglian.core.clock import today_in_china
from qinglian.core.errors import QinglianError

SESSION_COOKIE = "qinglian_session"
PRELOGIN_COOKIE = "qinglian_prelogin"  # double-submit CSRF token of the login form
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# How long a write waits for a phase run that is reading the inputs before it gives up.
INPUTS_WAIT_SECONDS = 20.0


class LoginRequired(Exception):
    """No live session: a page redirects to the login form, the API answers 401."""


class PasswordChangeRequired(Exception):
    """The account still has its one-time password: only the change-password page opens."""


class CsrfRefused(QinglianError):
    def __init__(self) -> None:
        super().__init__(
            "表单已过期或来源不明，请刷新页面后重试", "the form expired or came from elsewhere"
        )


class Busy(QinglianError):
    """The inputs stayed locked (a phase run reading them, or a queue of writes): HTTP 503."""

    def __init__(self) -> None:
        super().__init__(
            "系统正忙（正在运行阶段汇总，或同时提交的单位较多），请稍后再试，未写入任何数据",
            "busy (a phase run is reading the inputs, or many units are submitting at once); "
            "try again shortly (nothing was written)",
        )


def now() -> datetime:
    return datetime.now(UTC)


def get_db() -> Iterator[Session]:
    """One session per request: committed when the route returns, rolled back if it raises."""
    with db.session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def optional_user(request: Request) -> SessionUser | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    with db.session_scope() as session:
        return find_session(session=session, token=token, now=now())


def any_user(user: Annotated[SessionUser | None, Depends(optional_user)]) -> SessionUser:
    """A logged-in user, even one who must still change the one-time password."""
    if user is None:
        raise LoginRequired()
    return user


def current_user(user: Annotated[SessionUser, Depends(any_user)]) -> SessionUser:
    """A logged-in user who may use the portal (the one-time password has been changed)."""
    if user.must_change_password:
        raise PasswordChangeRequired()
    return user


AnyUser = Annotated[SessionUser, Depends(any_user)]
CurrentUser = Annotated[SessionUser, Depends(current_user)]


async def check_csrf(request: Request, user: AnyUser) -> SessionUser:
    """Every POST carries the session's CSRF token: a form field, or the API's header."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), user.csrf_token.encode()):
        raise CsrfRefused()
    return user


CsrfUser = Annotated[SessionUser, Depends(check_csrf)]


def checked_writer(user: CsrfUser) -> SessionUser:
    """A POST by a user who passed CSRF and has changed the one-time password."""
    if user.must_change_password:
        raise PasswordChangeRequired()
    return user


Writer = Annotated[SessionUser, Depends(checked_writer)]


def scoped_unit(session: Session, user: SessionUser, code: str) -> Unit:
    """The unit ``code`` if the user may see it; a 404 otherwise (see :mod:`accounts.scope`)."""
    return unit_in_scope(session=session, user=user, code=code)


def writable_unit(session: Session, user: SessionUser, code: str) -> Unit:
    """The unit ``code`` if the user may change its records; a 404 otherwise."""
    unit = unit_in_scope(session=session, user=user, code=code)
    if not may_change(user, unit):
        raise OutOfScope()
    return unit


CampaignParam = Annotated[int | None, Query(alias="campaign", ge=1, le=2**31 - 1)]


def unit_campaign(session: Session, unit: Unit, campaign_id: int | None) -> Campaign:
    """The campaign asked for, if the unit is in its tree; else the latest one the unit is in."""
    roots = [int(part) for part in unit.path.strip("/").split("/") if part]
    query = select(Campaign).where(col(Campaign.root_unit_id).in_(roots))
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    campaign = session.exec(query.order_by(col(Campaign.id).desc())).first()
    if campaign is None:
        if campaign_id is not None:
            raise OutOfScope()
        raise QinglianError(
            f"{unit.name} 尚未参加任何专项活动", f"{unit.code} takes part in no campaign yet"
        )
    return campaign


def portal_day(campaign: Campaign) -> date:
    """The day the portal shows: a replayed campaign's simulated day, else today in China."""
    return campaign.simulated_as_of or today_in_china()


def inputs_write() -> AbstractContextManager[None]:
    """Hold the inputs lock for a write, as an import does: wait a little for a phase run (or
    other writes), then answer 503 rather than hang the request."""
    return locks.hold(locks.INPUTS, timeout=INPUTS_WAIT_SECONDS, busy=Busy())
