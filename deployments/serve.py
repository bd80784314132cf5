"""`qinglian serve`: the deployments of prefect.yaml, served from this process.

Administrators then trigger them from the Prefect UI (parameter forms from the flows' pydantic
inputs). Without PREFECT_API_URL a local Prefect server is started on 127.0.0.1:4200 first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from prefect import serve
from prefect.flows import Flow
from prefect.schedules import Cron

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


def ensure_api() -> subprocess.Popen[bytes] | None:
    """Use PREFECT_API_URL, or start a local Prefect server and wait until it answers."""
    if os.environ.get("PREFECT_API_URL"):
        return None
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
    for _ in range(120):
        try:
            if httpx.get(f"{LOCAL_API}/health", timeout=2).status_code == 200:
                os.environ["PREFECT_API_URL"] = LOCAL_API
                return server
        except httpx.HTTPError:
            pass
        time.sleep(1)
    server.terminate()
    raise QinglianError("本地 Prefect 服务未能启动", "the local Prefect server did not start")


def serve_deployments() -> None:
    server = ensure_api()
    try:
        serve(*load_deployments())
    finally:
        if server is not None:
            server.terminate()
