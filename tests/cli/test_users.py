"""`qinglian users`: portal accounts made, listed, disabled and reset from the command line; the
one-time password printed once, good for one login that must change it (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from qinglian.cli.main import app
from qinglian.portal.app import create_app
from tests.factories import FB, JS, LYG, Qinglian, assert_one_error, write_units
from tests.portal.conftest import PortalClient, csrf_of, log_in

PASSWORD = "Stdin-Pass-2012"
ONE_TIME = re.compile(r"one-time password: (\S+)")


@pytest.fixture
def tree(cli: Qinglian, tmp_path: Path) -> Qinglian:
    cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
    return cli


def with_stdin(cli: Qinglian, text: str, *args: str) -> Result:
    """The command with ``text`` on its standard input (a script piping a password)."""
    return CliRunner().invoke(app, list(args), input=text, env=cli.env)


def one_time_password(result: Result) -> str:
    found = ONE_TIME.findall(result.stdout)
    assert len(found) == 1, result.stdout  # printed once
    return found[0]


def client() -> PortalClient:
    return PortalClient(create_app(), base_url="https://testserver", follow_redirects=False)


def login_status(login: str, password: str) -> int:
    with client() as browser:
        token = csrf_of(browser.get("/login").text)
        response = browser.post(
            "/login", data={"login": login, "password": password, "csrf_token": token}
        )
        return response.status_code


def listing(cli: Qinglian, *args: str) -> dict[str, str]:
    """``users list`` as {login: its row}."""
    out = cli.ok("users", "list", *args).stdout
    assert "$argon2" not in out
    return {
        login: line
        for line in out.splitlines()
        for login in re.findall(r"^\S*\s*([a-z][\w.@-]+-\w+)\s", line)
    }


def test_the_printed_one_time_password_works_once_and_must_be_changed(tree: Qinglian) -> None:
    result = tree.ok("users", "add", "--unit", FB, "--role", "office", "--login", "fb-new")
    initial = one_time_password(result)
    assert "只显示这一次" in result.stdout
    assert "首次登录后须修改" in result.stdout
    assert "是" in listing(tree)["fb-new"]  # must change

    with client() as browser:
        log_in(browser, "fb-new", initial)
        assert browser.get("/").headers["location"] == "/password"
        changed = browser.post(
            "/password",
            data={
                "current": initial,
                "new": PASSWORD,
                "confirm": PASSWORD,
                "csrf_token": browser.csrf,
            },
        )
        assert changed.status_code == 303
        assert browser.get("/").headers["location"] == f"/units/{FB}"
    assert login_status("fb-new", initial) == 401
    assert login_status("fb-new", PASSWORD) == 303


def test_a_password_on_stdin_is_never_echoed_and_needs_no_change(tree: Qinglian) -> None:
    result = with_stdin(
        tree, f"{PASSWORD}\n", "users", "add", "--unit", LYG, "--role", "head", "--login",
        "lyg-boss", "--password-stdin",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "one-time" not in result.stdout
    assert "单位负责人" in result.stdout
    with client() as browser:
        log_in(browser, "lyg-boss", PASSWORD)
        assert browser.get("/").headers["location"] == f"/units/{LYG}"


def test_list_shows_role_unit_and_state_never_hashes(tree: Qinglian) -> None:
    tree.ok("users", "add", "--unit", JS, "--role", "admin", "--login", "js-admin")
    tree.ok("users", "add", "--unit", FB, "--role", "discipline", "--login", "fb-jj")
    tree.ok("users", "disable", "fb-jj")
    everyone = listing(tree)
    assert set(everyone) == {"js-admin", "fb-jj"}
    assert "管理员 admin" in everyone["js-admin"]
    assert "江苏省卫生厅" in everyone["js-admin"]
    assert "纪检 discipline" in everyone["fb-jj"]
    assert set(listing(tree, "--unit", LYG)) == {"fb-jj"}  # LYG's subtree holds 连妇保


def test_a_disabled_account_cannot_log_in(tree: Qinglian) -> None:
    with_stdin(
        tree, PASSWORD, "users", "add", "--unit", FB, "--role", "office", "--login", "fb-office",
        "--password-stdin",
    )  # fmt: skip
    assert login_status("fb-office", PASSWORD) == 303
    assert "fb-office" in tree.ok("users", "disable", "fb-office").stdout
    assert login_status("fb-office", PASSWORD) == 401


def test_reset_password_prints_a_new_one_time_password(tree: Qinglian) -> None:
    with_stdin(
        tree, PASSWORD, "users", "add", "--unit", FB, "--role", "office", "--login", "fb-office",
        "--password-stdin",
    )  # fmt: skip
    fresh = one_time_password(tree.ok("users", "reset-password", "fb-office"))
    assert login_status("fb-office", PASSWORD) == 401
    with client() as browser:
        log_in(browser, "fb-office", fresh)
        assert browser.get("/").headers["location"] == "/password"


def test_reset_password_from_stdin(tree: Qinglian) -> None:
    tree.ok("users", "add", "--unit", FB, "--role", "head", "--login", "fb-head")
    new = "Another-Pass-2012"
    result = with_stdin(
        tree, f"{new}\r\n", "users", "reset-password", "fb-head", "--password-stdin"
    )
    assert result.exit_code == 0, result.output
    assert new not in result.output
    assert "one-time" not in result.stdout
    assert login_status("fb-head", new) == 303
    assert "是" not in listing(tree)["fb-head"]  # no change required, not disabled


@pytest.mark.parametrize(
    ("args", "stdin", "code", "says"),
    [
        (("--unit", "NOPE", "--role", "office", "--login", "x-office"), None, 1, "NOPE"),
        (("--unit", FB, "--role", "boss", "--login", "x-office"), None, 2, "--role"),
        (("--unit", FB, "--role", "office", "--login", "bad login!"), None, 1, "invalid login"),
        (("--unit", FB, "--role", "office", "--login", "x-office"), "short\n", 1, "at least 10"),
        (("--unit", FB, "--role", "office", "--login", "x-office"), "\n", 1, "standard input"),
        (
            ("--unit", FB, "--role", "office", "--login", "x-office-2012"),
            "X-Office-2012\n",
            1,
            "login name",
        ),
    ],
    ids=["unknown-unit", "bad-role", "bad-login", "too-short", "empty-stdin", "same-as-login"],
)
def test_bad_input_is_one_line_and_adds_nothing(
    tree: Qinglian, args: tuple[str, ...], stdin: str | None, code: int, says: str
) -> None:
    before = tree.counts()
    if stdin is None:
        result = tree("users", "add", *args)
    else:
        result = with_stdin(tree, stdin, "users", "add", *args, "--password-stdin")
    line = assert_one_error(result)
    assert result.exit_code == code
    assert says in line
    password = (stdin or "").strip()
    if password and password.casefold() != args[-1]:
        assert password not in line  # a refused password is not echoed either
    assert tree.counts() == before


def test_a_duplicate_login_is_refused(tree: Qinglian) -> None:
    tree.ok("users", "add", "--unit", FB, "--role", "office", "--login", "fb-office")
    before = tree.counts()
    line = assert_one_error(
        tree("users", "add", "--unit", LYG, "--role", "head", "--login", "fb-office")
    )
    assert "exists already" in line
    assert tree.counts() == before


@pytest.mark.parametrize("command", ["disable", "reset-password"])
def test_an_unknown_login_is_one_line(tree: Qinglian, command: str) -> None:
    line = assert_one_error(tree("users", command, "nobody"))
    assert "no account with login 'nobody'" in line
