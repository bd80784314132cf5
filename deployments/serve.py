"""`qinglian serve`: the deployments of prefect.yaml, served from this process.

Administrators then trigger them from the Prefect UI (parameter forms from the flows' pydantic
inputs). Without PREFECT_API_URL a local Prefect server is started on 127.0.0.1:4200 first.
Either way the server gets the zombie-run automation (deployments/zombies.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml
from prefect import serve
from prefect.flows import Flow
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

from deployments.zombies import HEARTBEAT_SECONDS, ensure_zombie_automation
from qinglian.core.errors import QinglianError

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"
LOCAL_API = "http://127.0.0.1:4200/api"


def load_deployments(path: Path = PREFECT_YAML) -> list[Any]:
    """Each deployment of prefect.yaml as a servable RunnerDeployment (schedules included)."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    servable = []
    for entry in config["deployments"]:
        module, name = entry["entrypoint"].split(":")
        flow: Flow[Any, Any] = getattr(
            __import__(module.removesuffix(".py").replace("/", "."), fromlist=[name]), name
        )
        schedules = entry.get("schedules") or []
        servable.append(
            flow.to_deployment(
                name=entry["name"],
                description=entry.get("description"),
                tags=entry.get("tags"),
                parameters=entry.get("parameters", {}),
                enforce_parameter_schema=entry.get("enforce_parameter_schema", True),
                schedules=[
                    Cron(item["cron"], timezone=item.get("timezone", "Asia/Shanghai"))
                    for item in schedules
                ],
            )
        )
    return servable


@contextmanager
def prefect_api() -> Iterator[str]:
    """The server of PREFECT_API_URL, or a local one started here for as long as we serve."""
    url = get_current_settings().api.url
    if url:
        yield url
        return
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            "4200",
        ]
    )
    try:
        _wait_for(server)
        # Prefect read its settings when it was imported: the variable alone would not reach it.
        os.environ["PREFECT_API_URL"] = LOCAL_API  # for the processes the runner starts
        with temporary_settings(updates={PREFECT_API_URL: LOCAL_API}):
            yield LOCAL_API
    finally:
        server.terminate()


def _wait_for(server: subprocess.Popen[bytes]) -> None:
    for _ in range(120):
        try:
            if httpx.get(f"{LOCAL_API}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            break
        time.sleep(1)
    raise QinglianError("本地 Prefect 服务未能启动", "the local Prefect server did not start")


def serve_deployments() -> None:
    with prefect_api():
        # Zombie runs are crashed on this server, and the runs served beat as that expects.
        ensure_zombie_automation()
        serve(*load_deployments(), heartbeat_seconds=HEARTBEAT_SECONDS)
