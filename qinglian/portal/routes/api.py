"""The scripts' HTTP API (under ``/api``): log in with JSON, read a unit's status (the same
``qinglian.status/1`` document as ``qinglian status --json``), download and upload the report
forms. Errors are JSON ``{zh, en}`` (app.py); a POST carries the ``X-CSRF-Token`` header."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from qinglian.accounts.accounts import LoginFailed
from qinglian.accounts.sessions import SessionUser, close_session, find_session
from qinglian.core import db
from qinglian.oversight.status_json import status_json
from qinglian.portal.deps import (
    SESSION_COOKIE,
    CampaignParam,
    CsrfUser,
    CurrentUser,
    DbSession,
    Writer,
    now,
    portal_day,
    scoped_unit,
    unit_campaign,
)
from qinglian.portal.form_uploads import submit_forms, template_response
from qinglian.portal.routes.auth import log_in
from qinglian.portal.routes.cookies import clear_session_cookie, set_session_cookie

router = APIRouter()

_JSON = "application/json"
_MAX_BODY = 4096


class LoginIn(BaseModel):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


def _refuse(status: int, zh: str, en: str) -> JSONResponse:
    return JSONResponse({"zh": zh, "en": en}, status_code=status)


@router.post("/login")
async def api_login(request: Request) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != _JSON:
        return _refuse(415, "请以 JSON 提交登录名和密码", "send the login and password as JSON")
    body = await request.body()
    try:
        if len(body) > _MAX_BODY:
            raise ValueError("too large")
        credentials = LoginIn.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        return _refuse(
            422, "请求内容应为 {login, password}", "the body must be JSON {login, password}"
        )
    token = await run_in_threadpool(log_in, credentials.login.strip(), credentials.password)
    if token is None:
        failed = LoginFailed()
        return _refuse(401, failed.zh, failed.en)
    old = request.cookies.get(SESSION_COOKIE)
    user = await run_in_threadpool(_session_after_login, token, old)
    response = JSONResponse(
        {
            "csrf_token": user.csrf_token,
            "login": user.login,
            "role": user.role.value,
            "unit": {"code": user.unit_code, "name": user.unit_name},
            "must_change_password": user.must_change_password,
        }
    )
    set_session_cookie(response, request, token)
    return response


@router.post("/logout")
def api_logout(request: Request, _user: CsrfUser) -> Response:
    with db.session_scope() as session:
        close_session(session=session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = JSONResponse({"zh": "已退出", "en": "logged out"})
    clear_session_cookie(response, request)
    return response


@router.get("/units/{code}/status")
def api_status(
    code: str,
    user: CurrentUser,
    session: DbSession,
    campaign_id: CampaignParam = None,
    phase: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    unit = scoped_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    assert campaign.id is not None
    text = status_json(
        session=session,
        campaign_id=campaign.id,
        as_of=portal_day(campaign),
        unit_code=unit.code,
        phase=phase,
    )
    # The CLI's own bytes, final newline included.
    return Response(f"{text}\n", media_type=_JSON)


@router.get("/units/{code}/forms/template.xlsx")
def api_forms_template(code: str, user: CurrentUser, campaign_id: CampaignParam = None) -> Response:
    return template_response(user, code, campaign_id)


@router.post("/units/{code}/forms")
def api_forms_upload(
    code: str,
    user: Writer,
    file: Annotated[UploadFile, File()],
    reason: Annotated[str, Form(max_length=1000)] = "",
    campaign_id: CampaignParam = None,
) -> dict[str, Any]:
    return submit_forms(user, code, campaign_id, file, reason).as_json()


def _session_after_login(token: str, old: str | None) -> SessionUser:
    """The new session's user; the session the client brought, if any, is ended."""
    with db.session_scope() as session:
        if old and old != token:
            close_session(session=session, token=old)
        user = find_session(session=session, token=token, now=now())
        assert user is not None
        return user
