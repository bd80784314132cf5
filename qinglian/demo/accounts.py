"""The demo's portal accounts: one per role at 连妇保, 连云港市卫生局 and 江苏省卫生厅.

Their passwords are made afresh on every run and printed once in the demo's closing table;
they need no change at first login (a demo, on a machine of one's own). An account left by an
earlier run is reset: a new password, enabled again, unlocked, its sessions ended.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from sqlmodel import Session, select

from models.account import Account
from models.enums import AccountRole
from qinglian.accounts.accounts import add_account, get_account, reset_password
from qinglian.accounts.passwords import initial_password
from qinglian.org.units import get_unit_by_code

# Login prefix → unit code, in the order the table lists them.
DEMO_UNITS = {"fb": "JS-LYG-FB", "lyg": "JS-LYG", "js": "JS"}


@dataclass(frozen=True)
class DemoAccount:
    login: str
    role: AccountRole
    unit_name: str
    password: str


def demo_accounts(*, session: Session) -> list[DemoAccount]:
    """Create (or reset) one account per role at each of :data:`DEMO_UNITS`."""
    made: list[DemoAccount] = []
    for prefix, code in DEMO_UNITS.items():
        unit = get_unit_by_code(session=session, code=code)
        assert unit.id is not None
        for role in AccountRole:
            login = f"{prefix}-{role.value}"
            password = initial_password()
            if session.exec(select(Account.id).where(Account.login == login)).first() is None:
                add_account(
                    session=session, unit_code=code, role=role, login=login, password=password
                )
            else:
                reset_password(session=session, login=login, password=password)
            account = get_account(session=session, login=login)
            account.unit_id, account.role = unit.id, role
            account.disabled = False
            account.must_change_password = False
            session.add(account)
            made.append(DemoAccount(login, role, unit.name, password))
    return made


def accounts_table(accounts: list[DemoAccount]) -> Table:
    table = Table(
        "登录名 login",
        "角色 role",
        "单位 unit",
        "密码 password",
        title="演示账号（密码只显示这一次）/ demo accounts (passwords shown once)",
    )
    for account in accounts:
        table.add_row(
            account.login,
            f"{account.role.label} {account.role.value}",
            account.unit_name,
            account.password,
        )
    return table
