"""Prefect's embedded API server dies with the command that started it, writes nothing to the
command's output, and first starts on one PREFECT_HOME take turns (issue 12).

Each test runs the real ``qinglian`` command as a process: a sweep on a tiny campaign, the
cheapest command that runs a flow and so starts the embedded API.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect.server.api.server import SubprocessASGIServer

from qinglian.cli import embedded_server
from qinglian.cli.embedded_server import LOG_NAME, SERVER_APP
from tests.factories import MOH, qinglian_cli, write_units

QINGLIAN = Path(sys.executable).with_name("qinglian")
SWEEP = ("escalate", "--campaign", "1", "--as-of", "2012-08-01", "--no-send")
PATIENCE = 180.0  # seconds: Prefect starts slowly on a loaded machine
KILLED = 30.0  # seconds for a killed command's output to close, and its server to end
RACE_SIGNS = ("Traceback", "already exists", "duplicate column", "database is locked")


@pytest.fixture
def campaign_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A QINGLIAN_HOME with the seeds' tree and coi-2012 launched on it.

    SQLite only: what is tested is Prefect's own process and database, whatever qinglian's.
    """
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as cli:
        cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
        cli.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH)
    return cli.home


def test_a_killed_command_takes_its_embedded_server_with_it(
    campaign_home: Path, tmp_path: Path
) -> None:
    command = _start(campaign_home, tmp_path / "prefect")
    with _ended(command):
        server = _wait_for_server(command)
        with _watched(server) as watched:
            command.kill()
            # EOF on both pipes: nothing the command started holds them (`qinglian … | tee`).
            _output(command, KILLED)
            assert watched.exited(KILLED), f"the embedded server {server} outlived its command"
        assert not _alive(server)


def test_first_starts_on_a_fresh_prefect_home_take_turns(
    campaign_home: Path, tmp_path: Path
) -> None:
    # Two databases of qinglian's, so the two sweeps share nothing but PREFECT_HOME.
    homes = [campaign_home, shutil.copytree(campaign_home, tmp_path / "second-home")]
    prefect_home = tmp_path / "prefect"
    commands = [_start(home, prefect_home) for home in homes]
    with ExitStack() as ended:
        for command in commands:
            ended.enter_context(_ended(command))
        outputs = [_output(command, PATIENCE) for command in commands]
    for command, (out, err) in zip(commands, outputs, strict=True):
        assert command.returncode == 0, err
        assert "督办" in out
        for sign in RACE_SIGNS:
            assert sign not in err
    log = (prefect_home / LOG_NAME).read_text(errors="replace")
    for sign in RACE_SIGNS:
        assert sign not in log


def test_the_patch_is_in_place_once_prefect_loads_its_server() -> None:
    assert embedded_server.installed()
    assert embedded_server.install()  # a second install changes nothing
    assert SubprocessASGIServer.start is embedded_server._start_in_turn


def test_the_root_command_loads_no_prefect_to_patch_it() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, qinglian.cli.main; print('prefect' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"


# --- processes ------------------------------------------------------------------------------


def _start(qinglian_home: Path, prefect_home: Path) -> subprocess.Popen[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QINGLIAN_", "PREFECT_"))
    }
    env.update(QINGLIAN_HOME=str(qinglian_home), PREFECT_HOME=str(prefect_home))
    return subprocess.Popen(
        [str(QINGLIAN), *SWEEP],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def _ended(command: subprocess.Popen[str]) -> Iterator[None]:
    """Whatever the test found, the command is gone afterwards."""
    try:
        yield
    finally:
        if command.poll() is None:
            command.kill()
        command.wait()
        for pipe in (command.stdout, command.stderr):
            if pipe is not None:
                pipe.close()


def _output(command: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """The command's stdout and stderr, read to their end."""
    try:
        return command.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the command's output was still open {timeout:.0f} s on")


def _servers_of(parent: int) -> list[int]:
    """The embedded servers ``parent`` started: ``python -m uvicorn … create_app`` children."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and argv[1:3] == [b"-m", b"uvicorn"] and SERVER_APP.encode() in argv:
            found.append(int(entry.name))
    return found


def _wait_for_server(command: subprocess.Popen[str]) -> int:
    """The pid of the command's embedded server, polled for until it appears."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        servers = _servers_of(command.pid)
        if servers:
            return servers[0]
        assert command.poll() is None, f"the command ended first: {command.communicate()}"
        time.sleep(0.05)
    raise AssertionError(f"no embedded server appeared within {PATIENCE:.0f} s")


@dataclass(frozen=True)
class _Watched:
    """A process watched through a pidfd, which no later process with its pid can stand for."""

    pid: int
    handle: int

    def exited(self, timeout: float) -> bool:
        """Whether the process ends within ``timeout`` seconds (a pidfd reads once it has)."""
        readable, _, _ = select.select([self.handle], [], [], timeout)
        return bool(readable)


@contextmanager
def _watched(pid: int) -> Iterator[_Watched]:
    """The process ``pid``, watched; killed afterwards if the test left it running."""
    handle = os.pidfd_open(pid)
    try:
        yield _Watched(pid, handle)
    finally:
        with suppress(ProcessLookupError):
            signal.pidfd_send_signal(handle, signal.SIGKILL)
        os.close(handle)


def _alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie (dead, waiting for its new parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
