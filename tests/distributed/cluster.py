"""A Prefect cluster on this machine, as production runs one: a Prefect server on PostgreSQL,
the ``qinglian`` process work pool, the deployments of prefect.yaml, and process workers.

Every process is started in a session (process group) of its own, with a mark in its
environment (``QINGLIAN_CRASH_MARK``, as the crash harness marks its processes). Children
inherit the mark, so what a worker starts is found even after it left the worker's group:
Prefect 3.8's process worker starts each flow run in a session of its own.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.crash.peers import MARK_ENV, Survivor, kill_all, marked_processes, wait_for_no_marked

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PATIENCE = 240.0  # seconds: a Prefect server migrating PostgreSQL on a loaded 2-core machine
POOL = "qinglian"


# --- PostgreSQL -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Databases:
    """Databases of this run, named after QINGLIAN_TEST_PG_URL's database and a random tag."""

    admin_url: str  # QINGLIAN_TEST_PG_URL: where CREATE/DROP DATABASE is issued
    prefix: str
    names: list[str] = field(default_factory=list)

    def create(self, suffix: str, *, template: str | None = None) -> str:
        name = f"{self.prefix}_{suffix}"
        clause = f' TEMPLATE "{template}"' if template else ""
        self._execute(f'CREATE DATABASE "{name}"{clause}')
        self.names.append(name)
        return name

    def url(self, name: str, driver: str = "psycopg") -> str:
        base = make_url(self.admin_url).set(drivername=f"postgresql+{driver}", database=name)
        return base.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in reversed(self.names):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.names.clear()

    def _execute(self, statement: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()


@contextmanager
def databases(admin_url: str) -> Iterator[Databases]:
    base = make_url(admin_url).database or "qinglian"
    found = Databases(admin_url=admin_url, prefix=f"{base}_dist_{uuid.uuid4().hex[:8]}")
    try:
        yield found
    finally:
        found.drop_all()


# --- processes ------------------------------------------------------------------------------


@dataclass
class Cluster:
    """What the tests talk to: the server's API, the workers, and every process started."""

    api: str
    mark: str
    env: dict[str, str]  # the environment a process of this cluster gets (workers' included)
    root: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def run(self, *command: str, env: Mapping[str, str] | None = None) -> str:
        """A command to its end (in its own session); its output, or an error showing it."""
        result = subprocess.run(
            [str(BIN / command[0]), *command[1:]],
            cwd=REPO,
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
            start_new_session=True,
            check=False,
        )
        assert result.returncode == 0, (command, result.stdout[-4000:], result.stderr[-4000:])
        return result.stdout

    def start(self, name: str, *command: str, env: Mapping[str, str] | None = None) -> None:
        """A long-running process in a session of its own, its output in ``<name>.log``."""
        with (self.root / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [str(BIN / command[0]), *command[1:]],
                cwd=REPO,
                env={**self.env, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        if command[:2] == ("prefect", "worker"):
            self.workers[name] = process

    def start_worker(self, name: str) -> None:
        home = self.root / name
        home.mkdir(exist_ok=True)
        self.start(
            name,
            "prefect",
            "worker",
            "start",
            "--pool",
            POOL,
            "--type",
            "process",
            "--name",
            name,
            env={"PREFECT_HOME": str(home / "prefect"), "QINGLIAN_HOME": str(home / "qinglian")},
        )

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")[-6000:]

    def stop(self) -> list[Survivor]:
        """Every process started here ended (SIGTERM to its group, then SIGKILL); what had to
        be killed after that is returned: a process that outlived its group's end."""
        for process in self.started:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.started:
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(process, signal.SIGKILL)
            process.wait()
        survivors = wait_for_no_marked(self.mark, grace=10)
        kill_all(survivors)
        return survivors


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_env(mark: str) -> dict[str, str]:
    """This environment without Prefect's or qinglian's settings, the venv first on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QINGLIAN_", "PREFECT_"))
    }
    return env | {
        MARK_ENV: mark,
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "COLUMNS": "1000",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def wait_until_healthy(cluster: Cluster, server: str) -> None:
    process = cluster.started[-1]
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        assert process.poll() is None, cluster.log(server)
        try:
            if httpx.get(f"{cluster.api}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"the Prefect server did not answer within {PATIENCE:.0f} s")


@contextmanager
def cluster(root: Path, server_database_url: str, env: Mapping[str, str]) -> Iterator[Cluster]:
    """A Prefect server on ``server_database_url`` (postgresql+asyncpg), for the block's length.

    ``env``: what every process of the cluster gets besides (QINGLIAN_DATABASE_URL…).
    """
    mark = f"dist-{uuid.uuid4().hex[:12]}"
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    started = Cluster(api=api, mark=mark, env=base_env(mark) | dict(env), root=root)
    server_env = {
        "PREFECT_HOME": str(root / "server"),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": server_database_url,
        "PREFECT_UI_ENABLED": "false",
    }
    try:
        started.start(
            "server",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env=server_env,
        )
        wait_until_healthy(started, "server")
        started.env["PREFECT_API_URL"] = api  # every process from now on is the server's client
        yield started
    finally:
        survivors = started.stop()
        left = marked_processes(mark)
        kill_all(left)
        assert not survivors and not left, [str(s) for s in survivors + left]


# --- a worker's flow runs -------------------------------------------------------------------


def flow_run_processes(flow_run_id: str, mark: str) -> list[Survivor]:
    """The live processes executing a flow run (the worker gives each its run's id)."""
    needle = f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode()
    found = []
    for process in marked_processes(mark):
        with suppress(OSError):
            environ = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
            if needle in environ:
                found.append(process)
    return found


def parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/stat").read_text()
    return int(status.rsplit(")", 1)[1].split()[1])


def worker_running(cluster: Cluster, processes: list[Survivor]) -> str:
    """The name of the worker whose descendants ``processes`` are."""
    by_pid = {process.pid: name for name, process in cluster.workers.items()}
    for process in processes:
        pid = process.pid
        with suppress(OSError, ValueError):
            while pid > 1:
                if pid in by_pid:
                    return by_pid[pid]
                pid = parent_of(pid)
    raise AssertionError(f"no worker started {[str(p) for p in processes]}")


def lose_machine(cluster: Cluster, worker: str, runs: list[Survivor]) -> None:
    """SIGKILL a worker's process group and the sessions of its flow runs: a machine lost."""
    process = cluster.workers.pop(worker)
    _signal_group(process, signal.SIGKILL)
    process.wait()
    for run in runs:
        if run.pgid:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(run.pgid, signal.SIGKILL)
        with suppress(ProcessLookupError):
            os.kill(run.pid, signal.SIGKILL)
