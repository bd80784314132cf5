"""Runs of a deployment, executed as a worker executes them: one process per execution.

A suspended run must leave no process behind, so each execution here is its own
``python -m prefect.engine <flow run id>`` — what a process worker starts — against the test
harness's API, in the repository (the deployment's pull step, as in prefect.yaml).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.settings import get_current_settings

REPO = Path(__file__).resolve().parents[2]
_EXECUTION_TIMEOUT_SECONDS = 180  # a bound on a child process, not simulated time


def start_deployment_run(flow_name: str, entrypoint: str, parameters: dict[str, Any]) -> UUID:
    """Register a deployment of ``entrypoint`` and create a scheduled run of it."""

    async def create() -> UUID:
        async with get_client() as client:
            flow_id = await client.create_flow_from_name(flow_name)
            deployment_id = await client.create_deployment(
                flow_id=flow_id,
                name="test-suspend",
                entrypoint=entrypoint,
                pull_steps=[
                    {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
                ],
            )
            run = await client.create_flow_run_from_deployment(deployment_id, parameters=parameters)
            return run.id

    return asyncio.run(create())


def execute(flow_run_id: UUID) -> subprocess.CompletedProcess[str]:
    """Execute the run in a process of its own, as a worker does; return once it has exited."""
    env = {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url)}
    return subprocess.run(
        [sys.executable, "-m", "prefect.engine", str(flow_run_id)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=_EXECUTION_TIMEOUT_SECONDS,
        check=False,
    )


def read_run(flow_run_id: UUID) -> FlowRun:
    async def read() -> FlowRun:
        async with get_client() as client:
            return await client.read_flow_run(flow_run_id)

    return asyncio.run(read())


def run_input(flow_run: FlowRun, field: str) -> Any:
    """One entry of the input keyset of a waiting run (its form's schema or description)."""
    assert flow_run.state and flow_run.state.state_details.run_input_keyset
    key = flow_run.state.state_details.run_input_keyset[field]

    async def read() -> Any:
        async with get_client() as client:
            return json.loads(await client.read_flow_run_input(flow_run.id, key))

    return asyncio.run(read())


def task_runs_by_task(flow_run_id: UUID) -> dict[str, int]:
    """How many times each task ran in the flow run, over all its executions."""

    async def read() -> dict[str, int]:
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
        counts: dict[str, int] = {}
        for run in runs:
            task = run.task_key.rsplit("-", 1)[0]
            counts[task] = counts.get(task, 0) + 1
        return counts

    return asyncio.run(read())
