"""The portal under attack, its sessions (issue 13): forged POSTs (CSRF), session fixation,
password guessing, replayed, expired and disabled sessions, and the headers and cookie flags
every page carries. Each refusal is checked for what it must not do: write a row or a file.
(Hostile input, uploads above all: ``test_security_input.py``.)"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from models.account import Account, PortalSession
from qinglian.accounts.accounts import LOCK_MINUTES, MAX_FAILED
from qinglian.core import db
from qinglian.portal.deps import PRELOGIN_COOKIE, SESSION_COOKIE
from tests.factories import FB
from tests.portal.conftest import PASSWORD, Portal, PortalClient, csrf_of, log_in
from tests.portal.workbooks import XLSX_TYPE, fill

FORMS = f"/units/{FB}/forms"
UNIT_PAGES = ("", "/forms", "/deliverables", "/summaries", "/rectification", "/rates")

# --- helpers -------------------------------------------------------------------------------------


def written(portal: Portal) -> tuple[dict[str, list[tuple[str, ...]]], list[str]]:
    """Every row but the sessions' (a request may touch its own), and every stored file."""
    rows = {name: rows for name, rows in portal.cli.dump().items() if name != "portalsession"}
    uploads = portal.home / "uploads"
    files = (
        sorted(str(p.relative_to(uploads)) for p in uploads.rglob("*")) if uploads.exists() else []
    )
    return rows, files


def session_token(client: TestClient) -> str:
    tokens = [c.value for c in client.cookies.jar if c.name == SESSION_COOKIE]
    assert len(tokens) == 1, tokens
    return tokens[0] or ""


def with_cookie(portal: Portal, token: str) -> PortalClient:
    """A fresh client that replays a session token."""
    client = portal.anonymous()
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    return client


def goes_to_login(client: TestClient, path: str = f"/units/{FB}") -> bool:
    response = client.get(path)
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def template(client: PortalClient) -> bytes:
    response = client.get(f"{FORMS}/template.xlsx")
    assert response.status_code == 200
    return response.content


def account(login: str) -> Account:
    with db.session_scope() as session:
        row = session.exec(select(Account).where(Account.login == login)).one()
        session.expunge(row)
        return row


def change_account(login: str, **values: Any) -> None:
    with db.session_scope() as session:
        row = session.exec(select(Account).where(Account.login == login)).one()
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


def change_sessions(login: str, **values: Any) -> None:
    with db.session_scope() as session:
        owner = session.exec(select(Account.id).where(Account.login == login)).one()
        rows = session.exec(select(PortalSession).where(PortalSession.account_id == owner)).all()
        assert rows
        for row in rows:
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)


def login_attempt(client: TestClient, login: str, password: str) -> Any:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["none", "empty", "wrong"])
def test_a_post_without_the_sessions_token_is_refused_and_writes_nothing(
    portal: Portal, token: str | None
) -> None:
    client = portal.client("FB", "office")
    data = fill(template(client))
    fields = {} if token is None else {"csrf_token": token}
    before = written(portal)
    posts = [
        client.post(FORMS, data=fields, files={"file": ("a.xlsx", data, XLSX_TYPE)}),
        client.post(f"/units/{FB}/summaries/mobilize", data={**fields, "text": "总结"}),
        client.post(f"/units/{FB}/deliverables/leading-group", data={**fields, "leaders": "甲"}),
        client.post("/logout", data=fields),
    ]
    headers = {} if token is None else {"X-CSRF-Token": token}
    files = {"file": ("a.xlsx", data, XLSX_TYPE)}
    posts.append(client.post(f"/api/units/{FB}/forms", headers=headers, files=files))
    assert [p.status_code for p in posts] == [403] * len(posts)
    assert "表单已过期或来源不明" in posts[0].text
    assert written(portal) == before
    assert client.get(f"/units/{FB}").status_code == 200  # the refused logout ended nothing


def test_another_sessions_token_is_refused(portal: Portal) -> None:
    theirs = portal.client("LYG", "office").csrf
    client = portal.client("FB", "office")
    before = written(portal)
    response = client.post(
        f"/units/{FB}/summaries/mobilize", data={"csrf_token": theirs, "text": "x"}
    )
    assert response.status_code == 403
    assert written(portal) == before


def test_the_login_form_needs_its_pre_login_token(portal: Portal) -> None:
    client = portal.anonymous()
    credentials = {"login": "fb-office", "password": PASSWORD}
    assert client.post("/login", data=credentials).status_code == 403
    # A token in the field but no pre-login cookie (a page elsewhere posting here) …
    assert client.post("/login", data={**credentials, "csrf_token": "x" * 43}).status_code == 403
    # … or the cookie and another token.
    client.get("/login")
    assert client.post("/login", data={**credentials, "csrf_token": "x" * 43}).status_code == 403
    assert SESSION_COOKIE not in client.cookies
    assert account("fb-office").last_login_at is None


# --- sessions ------------------------------------------------------------------------------------


def test_logging_in_makes_a_new_session_and_ends_the_one_brought(portal: Portal) -> None:
    client = portal.client("FB", "office")
    first = session_token(client)
    log_in(client, "fb-office", PASSWORD)  # again, with the first session's cookie sent
    second = session_token(client)
    assert second != first
    assert goes_to_login(with_cookie(portal, first))
    assert not goes_to_login(with_cookie(portal, second))


def test_a_planted_cookie_is_not_the_session_after_login(portal: Portal) -> None:
    planted = secrets.token_urlsafe(32)
    client = with_cookie(portal, planted)
    log_in(client, "fb-office", PASSWORD)
    assert session_token(client) != planted
    assert goes_to_login(with_cookie(portal, planted))


def test_logout_ends_the_session_on_the_server(portal: Portal) -> None:
    client = portal.client("FB", "office")
    token = session_token(client)
    response = client.post("/logout", data={"csrf_token": client.csrf})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    with db.session_scope() as session:
        owner = account("fb-office").id
        assert not session.exec(
            select(PortalSession).where(PortalSession.account_id == owner)
        ).all()
    replayed = with_cookie(portal, token)
    assert goes_to_login(replayed)
    assert replayed.get(f"/api/units/{FB}/status").status_code == 401


@pytest.mark.parametrize(
    "column", ["expires_at", "last_seen_at"], ids=["absolute-expiry", "idle-expiry"]
)
def test_an_expired_session_goes_back_to_login(portal: Portal, column: str) -> None:
    client = portal.client("FB", "office")
    change_sessions("fb-office", **{column: datetime.now(UTC) - timedelta(hours=13)})
    assert goes_to_login(client)
    assert client.get(f"/api/units/{FB}/status").status_code == 401
    before = written(portal)
    posted = client.post(f"/units/{FB}/summaries/mobilize", data={"csrf_token": client.csrf})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/login")
    assert written(portal) == before


def test_a_disabled_accounts_session_stops_working(portal: Portal) -> None:
    client = portal.client("FB", "office")
    assert client.get(f"/units/{FB}").status_code == 200
    change_account("fb-office", disabled=True)
    assert goes_to_login(client)
    assert login_attempt(portal.anonymous(), "fb-office", PASSWORD).status_code == 401


# --- password guessing ---------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(portal: Portal) -> None:
    guesser = portal.anonymous()
    for _ in range(MAX_FAILED):
        assert login_attempt(guesser, "fb-office", "Guess-Guess-1").status_code == 401
    started = datetime.now(UTC)
    right = login_attempt(guesser, "fb-office", PASSWORD)
    assert right.status_code == 401
    assert "登录名或密码错误" in right.text  # the same words as a wrong password: nothing told
    assert SESSION_COOKIE not in guesser.cookies
    api = portal.anonymous().post("/api/login", json={"login": "fb-office", "password": PASSWORD})
    assert api.status_code == 401
    locked_until = account("fb-office").locked_until
    assert locked_until is not None
    left = locked_until.replace(tzinfo=locked_until.tzinfo or UTC) - started
    assert timedelta(minutes=LOCK_MINUTES - 1) < left <= timedelta(minutes=LOCK_MINUTES)
    # Another account is not locked by these guesses.
    assert login_attempt(portal.anonymous(), "fb-head", PASSWORD).status_code == 303
    # Fifteen minutes later (the lock moved into the past, not slept through) it opens again.
    change_account("fb-office", locked_until=datetime.now(UTC) - timedelta(seconds=1))
    assert login_attempt(portal.anonymous(), "fb-office", PASSWORD).status_code == 303


def test_four_wrong_passwords_then_the_right_one_log_in(portal: Portal) -> None:
    client = portal.anonymous()
    for _ in range(MAX_FAILED - 1):
        assert login_attempt(client, "fb-office", "Guess-Guess-1").status_code == 401
    assert login_attempt(client, "fb-office", PASSWORD).status_code == 303
    assert account("fb-office").failed_logins == 0


# --- headers and cookies ---------------------------------------------------------------------


def assert_security_headers(response: Any) -> None:
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_page_carries_the_security_headers(portal: Portal) -> None:
    anonymous = portal.anonymous()
    responses = [anonymous.get("/login"), anonymous.get(f"/units/{FB}")]
    client = portal.client("FB", "office")
    responses += [client.get(f"/units/{FB}{tail}") for tail in UNIT_PAGES]
    responses += [
        client.get("/units/NOPE"),
        client.get(f"/api/units/{FB}/status"),
        client.get(f"{FORMS}/template.xlsx"),
        client.post(FORMS, data={"csrf_token": "forged"}),
    ]
    for response in responses:
        assert_security_headers(response)
    assert responses[0].headers["x-frame-options"] == "DENY"


def test_the_session_cookie_is_httponly_secure_and_lax(portal: Portal) -> None:
    client = portal.anonymous()
    form = client.get("/login")
    prelogin = form.headers["set-cookie"]
    assert prelogin.startswith(f"{PRELOGIN_COOKIE}=")
    assert "HttpOnly" in prelogin and "Secure" in prelogin and "SameSite=strict" in prelogin
    response = client.post(
        "/login",
        data={"login": "fb-office", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 303
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith(f"{SESSION_COOKIE}=")
    )
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "httponly" in flags and "secure" in flags
    assert flags["samesite"].lower() == "samesite=lax" and flags["path"] == "Path=/"
