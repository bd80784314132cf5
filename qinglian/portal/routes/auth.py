"""Logging in and out, and changing a password (the one-time one first).

The login form is protected by a double-submit token (a pre-login cookie and a hidden field);
every login makes a new session token, and the one the browser brought is ended (no session
fixation).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from qinglian.accounts.accounts import LoginFailed, authenticate, change_password
from qinglian.accounts.sessions import close_session, open_session, purge_expired
from qinglian.core import db
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from qinglian.portal.deps import (
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    AnyUser,
    CsrfRefused,
    CsrfUser,
    now,
)
from qinglian.portal.pages import href, render
from qinglian.portal.routes.cookies import clear_session_cookie, cookie_path, set_session_cookie

router = APIRouter()
_EXPIRED = (
    "登录已过期（或已在别处退出），请重新登录",
    "your session has expired (or was ended); log in again",
)


@router.get("/login")
def login_page(request: Request, next: str = "/", expired: str = "") -> Response:
    notice = _EXPIRED if expired else None
    return _login_form(request, next, notice=notice)


@router.post("/login")
def login(
    request: Request,
    login: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    expected = request.cookies.get(PRELOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        raise CsrfRefused()
    token = _log_in(request, login.strip(), password)
    if token is None:
        failed = LoginFailed()
        return _login_form(request, next, error=(failed.zh, failed.en), login=login, status=401)
    response = RedirectResponse(href(request, _local(next)), status_code=303)
    set_session_cookie(response, request, token)
    response.delete_cookie(PRELOGIN_COOKIE, path=cookie_path(request))
    return response


@router.post("/logout")
def logout(request: Request, _user: CsrfUser) -> Response:
    with db.session_scope() as session:
        close_session(session=session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse(href(request, "/login"), status_code=303)
    clear_session_cookie(response, request)
    return response


@router.get("/password")
def password_page(request: Request, user: AnyUser) -> Response:
    return render(request, "password.html", user=user)


@router.post("/password")
def password_change(
    request: Request,
    user: CsrfUser,
    current: Annotated[str, Form(max_length=200)],
    new: Annotated[str, Form(max_length=200)],
    confirm: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        if new != confirm:
            raise QinglianError("两次输入的新密码不一致", "the new passwords differ")
        with db.session_scope() as session:
            change_password(
                session=session,
                account_id=user.account_id,
                current=current,
                new=new,
                keep_session_id=user.session_id,
            )
    except QinglianError as exc:
        return render(request, "password.html", user=user, error=exc, status_code=400)
    return RedirectResponse(href(request, "/?password=changed"), status_code=303)


def log_in(login: str, password: str) -> str | None:
    """A new session token for a right login and password, else ``None`` (the failure counted)."""
    with db.session_scope() as session:
        try:
            account = authenticate(session=session, login=login, password=password, now=now())
        except LoginFailed:
            return None  # the session still commits: the failure counts towards a lock-out
        assert account.id is not None
        purge_expired(session=session, now=now())
        token, _row = open_session(session=session, account_id=account.id, now=now())
        return token


def _log_in(request: Request, login: str, password: str) -> str | None:
    token = log_in(login, password)
    if token is not None:
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            with db.session_scope() as session:
                close_session(session=session, token=old)
    return token


def _login_form(
    request: Request,
    next: str,
    *,
    error: tuple[str, str] | None = None,
    notice: tuple[str, str] | None = None,
    login: str = "",
    status: int = 200,
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        csrf_token=token,
        next=_local(next),
        error=error,
        notice=notice,
        login=login,
        status_code=status,
    )
    response.set_cookie(
        PRELOGIN_COOKIE,
        token,
        max_age=3600,
        path=cookie_path(request),
        secure=get_settings().portal_secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return response


def _local(target: str) -> str:
    """Only a path inside the portal: never an open redirect to another site."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
