"""The progress of a run as ``phase run``, ``campaign run`` and ``demo`` show it: a Rich bar per
phase pass on a terminal, one plain line per pass that ended anywhere else, and the run's
address in the Prefect UI when the flows give one.

The flows' reports are driven directly (``progress.phase_started`` / ``units_done``) through a
small command under the CLI runner, then once through a real ``phase run`` on the embedded
default (SQLite and Prefect's ephemeral API), as its own process.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from qinglian.cli.common import friendly
from qinglian.cli.progress_bar import done_line, showing_progress, url_line
from qinglian.core import progress
from qinglian.core.errors import QinglianError
from tests.factories import MOH, WIDE, qinglian_cli, write_units

QINGLIAN = Path(sys.executable).with_name("qinglian")
PATIENCE = 600.0  # seconds for a whole command: Prefect starts slowly on a loaded machine
URL = "http://127.0.0.1:4200/runs/flow-run/0b4c2f55-1d2e-4c1a-9d5e-2f6a7b8c9d0e"

# What the flows report for two phases, the second run on a Prefect server; then, maybe, a
# failure inside the second.
_app = typer.Typer()


@_app.command()
@friendly
def _report(fail: bool = False) -> None:
    with showing_progress():
        progress.phase_started("动员部署", 3)
        progress.units_done(1)
        progress.units_done(2)
        progress.phase_started("查找问题", 2, URL)
        progress.units_done(1)
        if fail:
            raise QinglianError("出错了", "it failed")
        progress.units_done(0)  # nothing done: nothing reported
        progress.units_done(1)


def test_each_pass_that_ended_is_one_plain_line_when_stderr_is_not_a_terminal() -> None:
    result = CliRunner().invoke(_app, [])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "动员部署：3/3 个单位完成 / units done",
        f"Prefect 运行：{URL} / run in the Prefect UI",
        "查找问题：2/2 个单位完成 / units done",
    ]


def test_a_failed_pass_leaves_the_error_as_its_only_line() -> None:
    result = CliRunner().invoke(_app, ["--fail"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[:2] == ["动员部署：3/3 个单位完成 / units done", url_line(URL)]
    assert lines[2:] == ["错误 / error: 出错了 / it failed"]


def test_no_pass_reported_prints_nothing() -> None:
    out = io.StringIO()
    with showing_progress(Console(file=out)):
        progress.units_done(5)  # before any pass: nobody to count it
    assert out.getvalue() == ""


def test_the_url_is_printed_once_per_run_and_never_without_one() -> None:
    out = io.StringIO()
    with showing_progress(Console(file=out, width=40)):
        progress.phase_started("动员部署", 0, URL)
        progress.phase_started("动员部署", 0, URL)  # the same run, reported again
        progress.phase_started("查找问题", 0, None)
    # Never wrapped, even on a narrow console: the address must stay one line to be clicked.
    assert out.getvalue().splitlines() == [
        url_line(URL),
        done_line("动员部署", 0, 0),
        done_line("动员部署", 0, 0),
        done_line("查找问题", 0, 0),
    ]


def test_on_a_terminal_each_pass_is_a_bar_of_units_done_out_of_total() -> None:
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, force_interactive=True, width=120)
    with showing_progress(terminal) as bar:
        progress.phase_started("动员部署", 326, URL)
        progress.units_done(300)
        progress.units_done(26)
        progress.phase_started("查找问题", 40, None)
        progress.units_done(10)
    drawn = _plain(out.getvalue())
    assert url_line(URL) in drawn
    final = drawn.splitlines()[-2:]  # the bars as they were left when the run ended
    # Rich pads the counts to one column's width.
    assert re.match(r"动员部署 .* 326/326\s+个单位 units", final[0]), final[0]
    assert re.match(r"查找问题 .* 10/40\s+个单位 units", final[1]), final[1]
    assert "用时" in final[1] and "剩余 ETA" in final[1]
    assert "个单位完成" not in drawn  # no plain line where a bar is drawn
    assert bar._bars is not None and not bar._bars.live.is_started


def test_a_phase_run_on_the_embedded_default_ends_with_its_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = launched_home(tmp_path, monkeypatch)
    ran = run_qinglian(home, tmp_path / "prefect", "phase", "run", "1", "mobilize")
    assert ran.returncode == 0, ran.stderr
    summary = ran.stdout.splitlines()[-1]
    units = re.fullmatch(r"mobilize 完成 / done: (\d+) 个单位 units，上报率 .*", summary)
    assert units, (summary, ran.stderr)
    counted = [line for line in ran.stderr.splitlines() if "个单位完成" in line]
    # Every unit of the tree counted, once; no address on the ephemeral API.
    assert counted == [done_line("动员部署", int(units[1]), int(units[1]))]
    assert "Prefect 运行" not in ran.stderr and "Traceback" not in ran.stderr


# --- helpers, shared with tests/cli/test_ephemeral_startup.py -------------------------------


def launched_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A QINGLIAN_HOME (SQLite, the embedded default) with the seeds' tree and coi-2012 (id 1)."""
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as cli:
        cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
        cli.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH)
    return cli.home


def run_qinglian(
    home: Path, prefect_home: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real ``qinglian`` command, as its own process, on ``home`` and Prefect's embedded
    API under ``prefect_home``; no QINGLIAN_ or PREFECT_ setting of ours leaks in."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QINGLIAN_", "PREFECT_"))
    }
    clean.update(WIDE, QINGLIAN_HOME=str(home), PREFECT_HOME=str(prefect_home), **(env or {}))
    return subprocess.run(
        [str(QINGLIAN), *args, "--as-of", "2012-08-01"],
        env=clean,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )


def _plain(drawn: str) -> str:
    """What a terminal shows, give or take cursor moves: the escape sequences taken out."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn).replace("\r", "\n")
