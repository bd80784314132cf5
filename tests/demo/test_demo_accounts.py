"""The demo's portal accounts: one per role at 连妇保, 连云港市卫生局 and 江苏省卫生厅, their
passwords good at once (no change asked), and a second demo run resetting them (issue 13)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from models.account import Account
from models.enums import AccountRole
from qinglian.accounts.accounts import disable_account
from qinglian.core import db
from qinglian.demo.accounts import DEMO_UNITS, DemoAccount, accounts_table, demo_accounts
from qinglian.portal.app import create_app
from tests.factories import FB, JS, LYG, Qinglian, write_units
from tests.portal.conftest import PortalClient, csrf_of, log_in


def make_accounts() -> list[DemoAccount]:
    with db.session_scope() as session:
        return demo_accounts(session=session)


def login_status(login: str, password: str) -> int:
    with PortalClient(create_app(), base_url="https://testserver", follow_redirects=False) as c:
        token = csrf_of(c.get("/login").text)
        return c.post(
            "/login", data={"login": login, "password": password, "csrf_token": token}
        ).status_code


def test_one_account_per_role_at_each_demo_unit(cli: Qinglian, tmp_path: Path) -> None:
    cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
    assert set(DEMO_UNITS.values()) == {FB, LYG, JS}  # the seed tree's codes are the demo's
    made = make_accounts()
    assert {(a.login, a.role) for a in made} == {
        (f"{prefix}-{role.value}", role) for prefix in DEMO_UNITS for role in AccountRole
    }
    assert len({a.password for a in made}) == len(made) == 12
    with cli.session() as session:
        rows = session.exec(select(Account)).all()
    assert not any(row.must_change_password or row.disabled for row in rows)
    with PortalClient(create_app(), base_url="https://testserver", follow_redirects=False) as c:
        office = next(a for a in made if a.login == "fb-office")
        log_in(c, office.login, office.password)
        assert c.get("/").headers["location"] == f"/units/{FB}"  # straight in, no change asked
    table = accounts_table(made)
    assert table.row_count == 12


def test_a_second_run_resets_the_accounts_instead_of_failing(cli: Qinglian, tmp_path: Path) -> None:
    cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
    first = {a.login: a.password for a in make_accounts()}
    with db.session_scope() as session:
        disable_account(session=session, login="lyg-head")
    second = {a.login: a.password for a in make_accounts()}
    assert set(second) == set(first)
    assert login_status("lyg-head", first["lyg-head"]) == 401
    assert login_status("lyg-head", second["lyg-head"]) == 303  # enabled again, new password
    with cli.session() as session:
        assert len(session.exec(select(Account)).all()) == 12
