"""Bad input and a bad environment, tried as a hostile user would: every case is one bilingual
line on stderr, the documented exit code (2 for the command line, 1 for what a command
refuses), no traceback, and a database that did not change."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from qinglian.cli.common import EPHEMERAL_TIMEOUT, friendly
from qinglian.core import db
from qinglian.core.settings import get_settings
from tests.factories import MOH, Qinglian, assert_one_error, write_units

TOO_BIG = str(2**64)
JUST_PAST = str(2**31)  # one past PostgreSQL's integer
ON = ("--on", "2012-09-01")


@pytest.fixture
def campaign(cli: Qinglian, tmp_path: Path) -> str:
    """The seeds' chain with coi-2012 launched on 卫生部: rows for a bad command to spoil."""
    cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
    return cli.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH).stdout.strip()


# (argv, what the line must quote); {c} is the campaign id.
USAGE = [
    # Ids: bounded to 1 … 2³¹−1 (PostgreSQL's integer) before the database is touched.
    pytest.param(
        ("complaints", "case", "abc", "--office", MOH, "--reader", "r"), "abc", id="case-abc"
    ),
    pytest.param(
        ("complaints", "case", "-1", "--office", MOH, "--reader", "r"), "-1", id="case-negative"
    ),
    pytest.param(
        ("complaints", "case", TOO_BIG, "--office", MOH, "--reader", "r"), TOO_BIG, id="case-2^64"
    ),
    pytest.param(
        ("complaints", "case", JUST_PAST, "--office", MOH, "--reader", "r"),
        JUST_PAST,
        id="case-2^31",
    ),
    pytest.param(
        ("complaints", "case", "0", "--office", MOH, "--reader", "r"), "「0」", id="case-zero"
    ),
    pytest.param(
        ("complaints", "case", "1_000", "--office", MOH, "--reader", "r"),
        "1_000",
        id="case-underscore",
    ),
    pytest.param(
        ("complaints", "case", "٣", "--office", MOH, "--reader", "r"), "٣", id="case-arabic-digit"
    ),
    pytest.param(("complaints", "assign", TOO_BIG, "S001", "--by", "x"), TOO_BIG, id="assign-2^64"),
    pytest.param(
        ("complaints", "verify", TOO_BIG, "--outcome", "partly", "--reason", "r", "--by", "x"),
        TOO_BIG,
        id="complaint-verify-2^64",
    ),
    pytest.param(
        ("rectify", "status", TOO_BIG, "--status", "done", *ON), TOO_BIG, id="rectify-status-2^64"
    ),
    pytest.param(
        ("rectify", "extend", TOO_BIG, "--to", "2012-12-01", "--reason", "r", "--by", "x"),
        TOO_BIG,
        id="rectify-extend-2^64",
    ),
    pytest.param(
        ("rectify", "verify", TOO_BIG, "--outcome", "passed", "--by", "x", *ON),
        TOO_BIG,
        id="rectify-verify-2^64",
    ),
    pytest.param(("outbox", "retry", TOO_BIG), TOO_BIG, id="retry-2^64"),
    pytest.param(("outbox", "retry", "abc"), "abc", id="retry-abc"),
    pytest.param(("outbox", "retry", "1", "¹"), "¹", id="retry-superscript"),
    # Coded options: one of the values --help lists.
    pytest.param(("outbox", "list", "--status", "bogus"), "bogus", id="outbox-status"),
    pytest.param(
        ("rectify", "status", "1", "--status", "bogus", *ON), "bogus", id="rectify-status"
    ),
    pytest.param(
        ("rectify", "verify", "1", "--outcome", "maybe", "--by", "x", *ON),
        "maybe",
        id="rectify-outcome",
    ),
    pytest.param(("units", "tree", "--depth", "-1"), "-1", id="depth-negative"),
    pytest.param(("units", "tree", "--depth", "1e3"), "1e3", id="depth-float"),
    # Click's own usage errors, in both languages.
    pytest.param(("complaints", "case"), "case", id="missing-argument"),
    pytest.param(("complaints", "case", "1"), "--office", id="missing-option"),
    pytest.param(
        ("complaints", "case", "1", "--office", MOH, "--reader", "r", "--bogus"),
        "--bogus",
        id="unknown-option",
    ),
    pytest.param(("complaints", "nope"), "nope", id="unknown-command"),
    pytest.param(("nope",), "nope", id="unknown-root-command"),
    pytest.param(("outbox", "list", "--status"), "--status", id="option-without-value"),
    pytest.param(("status", "{c}", "surplus"), "surplus", id="extra-argument"),
    pytest.param(("escalate", "--campaign", "{c}", "--send=yes"), "--send", id="flag-with-value"),
]


@pytest.mark.parametrize(("args", "quoted"), USAGE)
def test_a_bad_command_line_is_one_line_and_exit_2(
    cli: Qinglian, campaign: str, args: tuple[str, ...], quoted: str
) -> None:
    before = cli.counts()
    result = cli(*(arg.format(c=campaign) for arg in args))
    assert result.exit_code == 2, result.output
    line = assert_one_error(result)
    assert quoted in line
    assert cli.counts() == before


def test_ids_in_range_still_reach_the_command(cli: Qinglian, campaign: str) -> None:
    """The largest id parses; the command then says there is no such message (nothing to do)."""
    assert "0" in cli.ok("outbox", "retry", str(2**31 - 1), "1").stdout
    assert cli.ok("outbox", "list", "--status", "failed").stdout


def test_help_lists_the_coded_values_and_is_unchanged(cli: Qinglian) -> None:
    assert "[pending|sending|sent|failed|given_up]" in cli.ok("outbox", "list", "--help").stdout
    assert "[passed|rejected]" in cli.ok("rectify", "verify", "--help").stdout
    root = cli.ok("--help").stdout
    assert "complaints" in root and "Usage" in root
    bare = cli("complaints")  # a group typed alone shows its help, as before
    assert bare.exit_code == 2 and "case" in bare.stdout and "错误" not in bare.output


# (argv, what the line must quote); {c} campaign, {dir} an existing folder, {file} a file.
REPORT_PATHS = [
    pytest.param(("--out", "{dir}"), "{dir}", id="out-is-a-directory"),
    pytest.param(("--out", "/proc/x.md"), "/proc/x.md", id="out-in-proc"),
    pytest.param(("--out", "{file}/x.md"), "{file}", id="out-under-a-file"),
]


@pytest.mark.parametrize(("args", "quoted"), REPORT_PATHS)
def test_a_report_that_cannot_be_written_is_one_line(
    cli: Qinglian, campaign: str, tmp_path: Path, args: tuple[str, ...], quoted: str
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    file = tmp_path / "plain.txt"
    file.write_text("x", encoding="utf-8")
    values = {"dir": folder, "file": file}
    before = cli.counts()
    argv = [arg.format(**values) for arg in args]
    result = cli("report", campaign, "--unit", MOH, "--format", "md", *argv)
    assert result.exit_code == 1, result.output
    assert quoted.format(**values) in assert_one_error(result)
    assert list(folder.iterdir()) == []
    assert file.read_text(encoding="utf-8") == "x"
    assert not Path("/proc/x.md").exists()
    assert cli.counts() == before


def test_a_unit_code_cannot_lead_a_report_out_of_its_folder(
    cli: Qinglian, campaign: str, tmp_path: Path
) -> None:
    before = cli.counts()
    escaped = tmp_path / "escaped"
    result = cli("report", campaign, "--unit", f"../../../../{escaped}", "--format", "md")
    assert result.exit_code == 2  # a malformed code is a usage error, as a malformed id is
    assert_one_error(result)
    assert not [path for path in tmp_path.iterdir() if path.name.startswith("escaped")]
    assert cli.counts() == before


# (environment, the setting the line must name, what it must not show)
ENVIRONMENTS = [
    pytest.param(
        {"QINGLIAN_DATABASE_URL": "not a url"}, "QINGLIAN_DATABASE_URL", "", id="url-unparseable"
    ),
    pytest.param(
        {"QINGLIAN_DATABASE_URL": "foo://x/y"}, "QINGLIAN_DATABASE_URL", "", id="url-unknown-kind"
    ),
    pytest.param(
        {"QINGLIAN_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/x"},
        "QINGLIAN_DATABASE_URL",
        "",
        id="postgres-unreachable",
    ),
    pytest.param(
        {"QINGLIAN_DATABASE_URL": "postgresql+psycopg://u:hunter2@127.0.0.1:1/x"},
        "QINGLIAN_DATABASE_URL",
        "hunter2",
        id="postgres-unreachable-password-hidden",
    ),
    pytest.param(
        # No psycopg2 here: "the driver is not installed"; with it, "cannot connect".
        {"QINGLIAN_DATABASE_URL": "postgresql+psycopg2://u:hunter2@127.0.0.1:1/x"},
        "QINGLIAN_DATABASE_URL",
        "hunter2",
        id="postgres-other-driver",
    ),
    pytest.param(
        {"QINGLIAN_DATABASE_URL": "sqlite:////nonexistent-i12a/deeper/x.db"},
        "QINGLIAN_DATABASE_URL",
        "",
        id="sqlite-in-a-missing-folder",
    ),
    pytest.param({"QINGLIAN_HOME": "{file}"}, "QINGLIAN_HOME", "", id="home-is-a-file"),
    pytest.param({"QINGLIAN_HOME": "{file}/sub"}, "QINGLIAN_HOME", "", id="home-under-a-file"),
    pytest.param({"QINGLIAN_NOTIFIER": "bogus"}, "QINGLIAN_NOTIFIER", "", id="unknown-notifier"),
]
COMMANDS = [("outbox", "list"), ("status", "{c}"), ("db", "upgrade")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
@pytest.mark.parametrize(("environment", "setting", "hidden"), ENVIRONMENTS)
def test_a_bad_environment_is_one_line_naming_the_setting(
    cli: Qinglian,
    campaign: str,
    tmp_path: Path,
    command: tuple[str, ...],
    environment: dict[str, str],
    setting: str,
    hidden: str,
) -> None:
    file = tmp_path / "not-a-folder"
    file.write_text("x", encoding="utf-8")
    before = cli.counts()
    env = {name: value.format(file=file) for name, value in environment.items()}
    _forget_settings()
    try:
        result = cli(*(arg.format(c=campaign) for arg in command), env=env)
    finally:
        _forget_settings()
    assert result.exit_code == 1, result.output
    line = assert_one_error(result)
    assert setting in line
    assert not hidden or hidden not in line
    assert file.read_text(encoding="utf-8") == "x"
    assert cli.counts() == before


def _forget_settings() -> None:
    """The settings and engines are read once per process: forget them around a changed env."""
    get_settings.cache_clear()
    db.engine_for.cache_clear()


FAILURES = [
    pytest.param(IsADirectoryError(21, "Is a directory", "/tmp/x"), "/tmp/x", id="a-folder"),
    pytest.param(PermissionError(13, "Permission denied", "/etc/x"), "没有权限", id="read-only"),
    pytest.param(ConnectionRefusedError(111, "Connection refused"), "refused", id="no-file"),
    pytest.param(RuntimeError(f"{EPHEMERAL_TIMEOUT}. stdout: …"), "PREFECT_SERVER", id="slow-api"),
]


@pytest.mark.parametrize(("failure", "quoted"), FAILURES)
def test_a_command_that_meets_a_refused_file_or_a_slow_api_says_so_in_one_line(
    failure: Exception, quoted: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The safety net under every command: what the system refuses is one line, exit 1."""

    @friendly
    def command() -> None:
        raise failure

    with pytest.raises(typer.Exit) as exited:
        command()
    assert exited.value.exit_code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误 / error:") and quoted in lines[0]


def test_any_other_runtime_error_is_not_hidden() -> None:
    @friendly
    def command() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        command()
