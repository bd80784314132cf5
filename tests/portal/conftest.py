"""The portal on a fresh database: the seed tree (卫生部 → 江苏省卫生厅 → 连云港市卫生局 →
连妇保 → two departments), coi-2012 launched on 卫生部, and one account per role at 连妇保,
连云港市卫生局 and 江苏省卫生厅, each with its one-time password already changed.

``portal.client("FB", "office")`` is a logged-in test client (HTTPS, so the Secure cookie is
sent); ``client.csrf`` is its CSRF token for POSTs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.account import Account
from models.enums import AccountRole
from qinglian.accounts.passwords import hash_password
from qinglian.core import db
from qinglian.org.units import get_unit_by_code
from qinglian.portal.app import create_app
from tests.databases import DATABASES
from tests.factories import FB, JS, LYG, Qinglian, launch_seed_campaign, qinglian_cli

PASSWORD = "Portal-Test-2012"
_HASH = hash_password(PASSWORD)
UNITS = {"FB": FB, "LYG": LYG, "JS": JS}
# A day inside the find phase, before the forms' deadlines cascade past it.
DAY = date(2012, 7, 20)


class PortalClient(TestClient):
    csrf: str = ""


@dataclass
class Portal:
    cli: Qinglian
    campaign_id: int
    home: Path
    clients: list[TestClient] = field(default_factory=list)

    def login_of(self, unit: str, role: str) -> str:
        return f"{unit.lower()}-{role}"

    def anonymous(self) -> PortalClient:
        client = PortalClient(create_app(), base_url="https://testserver", follow_redirects=False)
        self.clients.append(client)
        return client

    def client(self, unit: str, role: str) -> PortalClient:
        """A client logged in through the login form as ``unit``'s ``role`` account."""
        client = self.anonymous()
        log_in(client, self.login_of(unit, role), PASSWORD)
        return client


def log_in(client: PortalClient, login: str, password: str) -> None:
    page = client.get("/login")
    token = csrf_of(page.text)
    response = client.post(
        "/login", data={"login": login, "password": password, "csrf_token": token, "next": "/"}
    )
    assert response.status_code == 303, response.text
    client.csrf = csrf_of(client.get("/password").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def set_portal_day(campaign_id: int, day: date | None) -> None:
    """Stand the campaign on a simulated day (as the demo does)."""
    from models import Campaign

    with db.session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.simulated_as_of = day
        session.add(campaign)


def add_accounts(session: Session) -> None:
    """One account per role at each of :data:`UNITS`, password :data:`PASSWORD` (hashed once:
    argon2 costs a tenth of a second a hash, by design)."""
    for short, code in UNITS.items():
        unit = get_unit_by_code(session=session, code=code)
        assert unit.id is not None
        for role in AccountRole:
            session.add(
                Account(
                    login=f"{short.lower()}-{role.value}",
                    unit_id=unit.id,
                    role=role,
                    password_hash=_HASH,
                    must_change_password=False,
                )
            )
    session.flush()


def make_portal(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    with qinglian_cli(kind, tmp_path, monkeypatch) as cli:
        db.ensure_schema()
        with db.session_scope() as session:
            campaign_id = launch_seed_campaign(session, tmp_path)
            add_accounts(session)
        set_portal_day(campaign_id, DAY)
        portal = Portal(cli=cli, campaign_id=campaign_id, home=cli.home)
        try:
            yield portal
        finally:
            for client in portal.clients:
                client.close()


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    """The portal on SQLite (the embedded default)."""
    yield from make_portal("sqlite", tmp_path, monkeypatch)


@pytest.fixture(params=DATABASES)
def portal_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Portal]:
    """The portal on SQLite and on PostgreSQL (when QINGLIAN_TEST_PG_URL is set)."""
    yield from make_portal(request.param, tmp_path, monkeypatch)
