"""`qinglian users`: the portal's accounts (网络直报账号) — add, list, disable, reset a password.

A password is never echoed: typed on standard input (``--password-stdin``, for scripts) or made
as a one-time initial password, printed once here and changed by its holder at first login.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from models.enums import AccountRole
from qinglian.accounts.accounts import (
    AccountPublic,
    add_account,
    disable_account,
    list_accounts,
    reset_password,
)
from qinglian.cli.common import UNIT_CODE, coded, console, friendly
from qinglian.cli.database import database_app, in_session
from qinglian.core.clock import as_utc, china_minute
from qinglian.core.errors import QinglianError

app = database_app("users", "门户账号 / portal accounts")

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="从标准输入读取密码（一行，供脚本使用）/ read the password from standard input "
        "(one line); otherwise a one-time password is printed once",
    ),
]
LoginArg = Annotated[str, typer.Argument(metavar="LOGIN", help="登录名 login")]


@app.command("add")
@friendly
def users_add(
    unit: Annotated[str, typer.Option("--unit", **UNIT_CODE, help="所属单位编码 unit code")],
    role: Annotated[
        AccountRole,
        typer.Option(
            "--role",
            **coded(AccountRole, "角色", "--role"),
            help="角色 office 办公室填报员 | head 单位负责人 | discipline 纪检 | admin 管理员",
        ),
    ],
    login: Annotated[str, typer.Option("--login", help="登录名 login")],
    password_stdin: PasswordStdin = False,
) -> None:
    """新建门户账号 / add a portal account."""
    password = _read_password() if password_stdin else None
    account, initial = in_session(
        add_account, unit_code=unit, role=role, login=login, password=password
    )
    console.print(
        f"已新建账号 account added: {account.login}（{account.role.label} {account.role.value}，"
        f"{account.unit_name} {account.unit_code}）",
        soft_wrap=True,
    )
    _show_initial(initial)


@app.command("list")
@friendly
def users_list(
    unit: Annotated[
        str | None,
        typer.Option("--unit", **UNIT_CODE, help="只列此单位及其下级 / this unit's subtree"),
    ] = None,
) -> None:
    """列出门户账号 / list portal accounts (never their passwords)."""
    accounts = in_session(list_accounts, unit_code=unit)
    if not accounts:
        console.print("还没有账号 / no accounts yet: qinglian users add --unit CODE --role ROLE …")
        return
    table = Table(
        "登录名 login",
        "角色 role",
        "单位 unit",
        "停用 disabled",
        "锁定 locked",
        "须改密码 must change",
        "最近登录 last login",
        title="门户账号 / portal accounts",
    )
    now = datetime.now(UTC)
    for account in accounts:
        table.add_row(
            account.login,
            f"{account.role.label} {account.role.value}",
            f"{account.unit_name} {account.unit_code}",
            "是" if account.disabled else "",
            _locked(account, now),
            "是" if account.must_change_password else "",
            _moment(account.last_login_at),
        )
    console.print(table)


@app.command("disable")
@friendly
def users_disable(login: LoginArg) -> None:
    """停用账号并结束其会话 / disable an account and end its sessions."""
    account = in_session(disable_account, login=login)
    console.print(f"已停用 disabled: {account.login}（{account.unit_name}）", soft_wrap=True)


@app.command("reset-password")
@friendly
def users_reset_password(login: LoginArg, password_stdin: PasswordStdin = False) -> None:
    """重置密码、解除锁定并结束其会话 / reset a password, unlock, end its sessions."""
    password = _read_password() if password_stdin else None
    account, initial = in_session(reset_password, login=login, password=password)
    console.print(f"已重置密码 password reset: {account.login}", soft_wrap=True)
    _show_initial(initial)


def _read_password() -> str:
    # One line: a script's `echo "$PW" | qinglian users add … --password-stdin`.
    password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not password:
        raise QinglianError(
            "标准输入中没有密码（应为一行）", "no password on standard input (one line expected)"
        )
    return password


def _show_initial(initial: str | None) -> None:
    if initial is None:
        return
    console.print(f"一次性初始密码 one-time password: {initial}", soft_wrap=True)
    console.print(
        "此密码只显示这一次，首次登录后须修改 / shown only once; it must be changed at first login"
    )


def _locked(account: AccountPublic, now: datetime) -> str:
    until = account.locked_until
    if until is None:
        return ""
    until = as_utc(until)
    return f"至 until {_moment(until)}" if until > now else ""


def _moment(moment: datetime | None) -> str:
    return china_minute(moment) if moment is not None else ""
