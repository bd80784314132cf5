"""Logging in, out, and the one-time password."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from models.account import PortalSession
from models.enums import AccountRole
from qinglian.accounts.accounts import add_account
from qinglian.core import db
from tests.portal.conftest import PASSWORD, Portal, csrf_of, log_in


def test_login_lands_on_the_units_tasks(portal: Portal) -> None:
    client = portal.client("FB", "office")
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/units/JS-LYG-FB"


def test_a_page_without_a_session_redirects_to_login(portal: Portal) -> None:
    response = portal.anonymous().get("/units/JS-LYG-FB")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_wrong_password_is_one_message_and_no_cookie(portal: Portal) -> None:
    client = portal.anonymous()
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"login": "fb-office", "password": "wrong-password", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "登录名或密码错误" in response.text
    assert "qinglian_session" not in client.cookies


def test_one_time_password_must_be_changed_first(portal: Portal) -> None:
    with db.session_scope() as session:
        _account, initial = add_account(
            session=session,
            unit_code="JS-LYG-FB",
            role=AccountRole.office,
            login="new-office",
            password=None,
        )
    assert initial
    client = portal.anonymous()
    log_in(client, "new-office", initial)
    assert client.get("/units/JS-LYG-FB").headers["location"] == "/password"
    response = client.post(
        "/password",
        data={"current": initial, "new": PASSWORD, "confirm": PASSWORD, "csrf_token": client.csrf},
    )
    assert response.status_code == 303
    assert client.get("/").headers["location"] == "/units/JS-LYG-FB"


def test_an_expired_session_says_so_on_the_login_page(portal: Portal) -> None:
    client = portal.client("FB", "office")
    with db.session_scope() as session:
        for row in session.exec(select(PortalSession)):
            row.expires_at = datetime(2000, 1, 1, tzinfo=UTC)
            session.add(row)
    response = client.get("/units/JS-LYG-FB")
    assert response.status_code == 303
    assert "expired=1" in response.headers["location"]
    page = client.get(response.headers["location"])
    assert "登录已过期" in page.text and "session has expired" in page.text
