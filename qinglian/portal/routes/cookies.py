"""The session cookie: HttpOnly, SameSite=Lax, Secure unless settings say otherwise, scoped to
the portal's root path."""

from __future__ import annotations

from fastapi import Request, Response

from qinglian.accounts.sessions import ABSOLUTE
from qinglian.core.settings import get_settings
from qinglian.portal.deps import SESSION_COOKIE


def cookie_path(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/") or "/"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ABSOLUTE.total_seconds()),
        path=cookie_path(request),
        secure=get_settings().portal_secure_cookies,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=cookie_path(request),
        secure=get_settings().portal_secure_cookies,
        httponly=True,
        samesite="lax",
    )
