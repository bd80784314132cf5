"""`qinglian prefect setup` puts the documented zombie-run automation on a real Prefect server,
once however often it runs, and qinglian's flow runs send the heartbeats it watches."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import WorkPoolUpdate
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.pool import POOL_NAME, pool_job_template
from deployments.zombies import (
    AUTOMATION_NAME,
    CRASH_MESSAGE,
    HEARTBEAT_ENV,
    HEARTBEAT_SECONDS,
    zombie_automation,
)
from tests.factories import MOH, assert_one_error, qinglian_cli, write_units

ROOT = Path(__file__).resolve().parents[2]
QINGLIAN = Path(sys.executable).with_name("qinglian")
PATIENCE = 180.0  # seconds: a Prefect server starts slowly on a loaded machine
HEARTBEAT = "prefect.flow-run.heartbeat"


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server (SQLite, its own PREFECT_HOME) on a free port; its API URL."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    env = _env(home) | {"PREFECT_UI_ENABLED": "false"}
    command = [sys.executable, "-m", "prefect", "server", "start"]
    with (home / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/api"
    try:
        _wait_until_healthy(server, url, home / "server.log")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def client(prefect_server: str) -> Iterator[SyncPrefectClient]:
    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_server}),
        get_client(sync_client=True) as client,
    ):
        yield client


def test_setup_creates_the_documented_automation_once(
    prefect_server: str, client: SyncPrefectClient, tmp_path: Path
) -> None:
    env = _env(tmp_path) | {"PREFECT_API_URL": prefect_server}
    first = _qinglian("prefect", "setup", env=env)
    again = _qinglian("prefect", "setup", env=env)
    assert first.returncode == again.returncode == 0, (first.stderr, again.stderr)
    assert "已创建" in first.stdout and "created" in first.stdout
    assert "已更新" in again.stdout and "updated" in again.stdout
    for result in (first, again):
        assert f"{HEARTBEAT_ENV}={HEARTBEAT_SECONDS}" in result.stdout
        assert result.stderr == ""

    (automation,) = client.read_automations_by_name(AUTOMATION_NAME)
    assert automation.enabled
    trigger = automation.trigger
    assert isinstance(trigger, EventTrigger)
    assert trigger.posture == Posture.Proactive
    assert trigger.after == {HEARTBEAT}
    assert trigger.expect == {
        HEARTBEAT,
        "prefect.flow-run.Suspended",
        "prefect.flow-run.Completed",
        "prefect.flow-run.Failed",
        "prefect.flow-run.Cancelled",
        "prefect.flow-run.Crashed",
    }
    assert trigger.match.model_dump() == {"prefect.resource.id": ["prefect.flow-run.*"]}
    assert trigger.for_each == {"prefect.resource.id"}
    assert trigger.threshold == 1
    assert trigger.within == timedelta(seconds=90)
    (action,) = automation.actions
    assert isinstance(action, ChangeFlowRunState)
    assert action.state == StateType.CRASHED
    assert action.message == CRASH_MESSAGE


def test_setup_leaves_one_automation_of_its_name(
    prefect_server: str, client: SyncPrefectClient, tmp_path: Path
) -> None:
    # Two of the name already there (say, the documentation's script run twice by hand).
    client.create_automation(zombie_automation())
    client.create_automation(zombie_automation())
    result = _qinglian("prefect", "setup", env=_env(tmp_path) | {"PREFECT_API_URL": prefect_server})
    assert result.returncode == 0, result.stderr
    assert len(client.read_automations_by_name(AUTOMATION_NAME)) == 1


@pytest.mark.parametrize(
    ("api_url", "named"),
    [
        pytest.param(None, "PREFECT_API_URL", id="no-server"),
        pytest.param("http://127.0.0.1:{port}/api", "127.0.0.1", id="server-down"),
    ],
)
def test_setup_without_a_server_is_one_bilingual_line(
    api_url: str | None, named: str, tmp_path: Path
) -> None:
    env = _env(tmp_path)
    if api_url:
        env["PREFECT_API_URL"] = api_url.format(port=_free_port())
    result = _qinglian("prefect", "setup", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("错误 / error:") and named in line


def test_setup_refuses_in_process_too_without_a_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with (
        temporary_settings(restore_defaults={PREFECT_API_URL}),
        qinglian_cli("sqlite", tmp_path, monkeypatch) as cli,
    ):
        assert "PREFECT_API_URL" in assert_one_error(cli("prefect", "setup"))


def test_flow_runs_on_the_server_send_heartbeats(
    prefect_server: str,
    client: SyncPrefectClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sweep run against the server: its flow run beats (through qinglian.core.heartbeats)."""
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as cli:
        cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
        cli.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH)
    env = _env(tmp_path / "prefect") | {
        "PREFECT_API_URL": prefect_server,
        "QINGLIAN_HOME": str(cli.home),
    }
    sweep = ("escalate", "--campaign", "1", "--as-of", "2012-08-01", "--no-send")
    result = _qinglian(*sweep, env=env)
    assert result.returncode == 0, result.stderr

    # The sweep's own runs: a subflow ending at once may finish before its first beat.
    run_ids = {
        f"prefect.flow-run.{run.id}"
        for run in client.read_flow_runs()
        if run.parent_task_run_id is None
    }
    assert run_ids, "the sweep made no flow run on the server"
    deadline = time.monotonic() + PATIENCE  # the server stores events in batches
    beating: set[str] = set()
    while beating != run_ids and time.monotonic() < deadline:
        heartbeats = EventFilter(
            event=EventNameFilter(name=[HEARTBEAT]),
            resource=EventResourceFilter(id=sorted(run_ids)),
        )
        page = client.read_events(filter=heartbeats, limit=50)  # the server's largest page
        beating = {event.resource.id for event in page.events} & run_ids
        time.sleep(0.5)
    assert beating == run_ids


def test_setup_creates_the_work_pool_that_prefect_deploy_needs(
    prefect_server: str, client: SyncPrefectClient, tmp_path: Path
) -> None:
    env = _env(tmp_path) | {"PREFECT_API_URL": prefect_server}
    assert _qinglian("prefect", "setup", env=env).returncode == 0
    pool = client.read_work_pool(POOL_NAME)
    assert pool.type == "process"
    assert pool.base_job_template == pool_job_template()
    env_default = pool.base_job_template["variables"]["properties"]["env"]["default"]
    assert env_default == {HEARTBEAT_ENV: str(HEARTBEAT_SECONDS)}

    # Run again: the same pool, brought back to qinglian's template if someone changed it.
    client.update_work_pool(POOL_NAME, WorkPoolUpdate(base_job_template={}))
    again = _qinglian("prefect", "setup", env=env)
    assert again.returncode == 0 and "已更新工作池" in again.stdout
    after = client.read_work_pool(POOL_NAME)
    assert after.id == pool.id and after.base_job_template == pool_job_template()


@pytest.mark.parametrize(
    ("args", "env", "within"),
    [
        pytest.param(("--zombie-seconds", "45"), {}, 45, id="option"),
        pytest.param((), {"QINGLIAN_ZOMBIE_SECONDS": "50"}, 50, id="environment"),
        pytest.param((), {}, 90, id="default"),
    ],
)
def test_the_zombie_window_can_be_set(
    prefect_server: str,
    client: SyncPrefectClient,
    tmp_path: Path,
    args: tuple[str, ...],
    env: dict[str, str],
    within: int,
) -> None:
    full = _env(tmp_path) | {"PREFECT_API_URL": prefect_server} | env
    result = _qinglian("prefect", "setup", *args, env=full)
    assert result.returncode == 0, result.stderr
    assert f"{within} 秒无心跳" in result.stdout
    (automation,) = client.read_automations_by_name(AUTOMATION_NAME)
    assert automation.trigger.within == timedelta(seconds=within)  # type: ignore[union-attr]


@pytest.mark.parametrize("seconds", ["30", "5", "86401"])
def test_a_window_not_longer_than_a_heartbeat_is_refused(
    prefect_server: str, tmp_path: Path, seconds: str
) -> None:
    env = _env(tmp_path) | {"PREFECT_API_URL": prefect_server}
    result = _qinglian("prefect", "setup", "--zombie-seconds", seconds, env=env)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("错误 / error:") and "heartbeat" in line and seconds in line


def test_every_deployment_and_command_beats_as_the_automation_expects(tmp_path: Path) -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for deployment in config["deployments"]:
        env = deployment["work_pool"]["job_variables"]["env"]
        assert env[HEARTBEAT_ENV] == str(HEARTBEAT_SECONDS), deployment["name"]
    read = "import os, qinglian.cli; print(os.environ['PREFECT_FLOWS_HEARTBEAT_FREQUENCY'])"
    result = subprocess.run(
        [sys.executable, "-c", read], env=_env(tmp_path), capture_output=True, text=True
    )
    assert result.stdout.strip() == str(HEARTBEAT_SECONDS), result.stderr


# --- processes ------------------------------------------------------------------------------


def _env(prefect_home: Path) -> dict[str, str]:
    """This environment without Prefect's or qinglian's settings, and its own PREFECT_HOME."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QINGLIAN_", "PREFECT_"))
    }
    return env | {"PREFECT_HOME": str(prefect_home), "COLUMNS": "1000"}


def _qinglian(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(QINGLIAN), *args], env=env, capture_output=True, text=True, timeout=PATIENCE
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_healthy(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the Prefect server did not answer within {PATIENCE:.0f} s")
