"""The ``qinglian`` work pool: a process pool whose flow runs beat as the zombie automation expects.

``prefect deploy --all`` reads every deployment's work pool from the server before it runs any
build or push step, and stops when the pool does not exist (Prefect 3.8,
``prefect/cli/deploy/_core.py``): a ``prefect.yaml`` cannot create its own pool. So
``qinglian prefect setup`` creates it (or brings an existing one up to date) first.

The pool's base job template is Prefect's own for process workers, with one default added:
the environment of every flow run carries ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY=30``, so even a
deployment made by hand into this pool beats every 30 s.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
from prefect.exceptions import ObjectNotFound
from prefect.workers.process import ProcessWorker

from deployments.zombies import HEARTBEAT_ENV, HEARTBEAT_SECONDS, Outcome, api_url
from qinglian.core.errors import QinglianError

POOL_NAME = "qinglian"
POOL_TYPE = "process"
POOL_DESCRIPTION = "qinglian 的流程运行（各省子树等）/ qinglian's flow runs (phase subtrees…)"


def pool_job_template() -> dict[str, Any]:
    """Prefect's process template, whose ``env`` variable defaults to a 30 s heartbeat."""
    template = deepcopy(ProcessWorker.get_default_base_job_template())
    template["variables"]["properties"]["env"]["default"] = {HEARTBEAT_ENV: str(HEARTBEAT_SECONDS)}
    return template


def ensure_work_pool() -> Outcome:
    """Create the pool, or update its template and description: the same pool, either way."""
    url = api_url()
    try:
        return _ensure()
    except httpx.HTTPError as exc:
        raise QinglianError(
            f"无法访问 Prefect 服务 {url}：{exc}",
            f"cannot reach the Prefect server at {url}: {exc}",
        ) from None


def _ensure() -> Outcome:
    template = pool_job_template()
    with get_client(sync_client=True) as client:
        try:
            existing = client.read_work_pool(POOL_NAME)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=POOL_NAME,
                    type=POOL_TYPE,
                    description=POOL_DESCRIPTION,
                    base_job_template=template,
                )
            )
            return Outcome.created
        if existing.type != POOL_TYPE:
            raise QinglianError(
                f"工作池「{POOL_NAME}」已存在，类型为 {existing.type}，不是 {POOL_TYPE}："
                f"请先删除它（prefect work-pool delete {POOL_NAME}）",
                f"the work pool {POOL_NAME!r} exists with type {existing.type!r}, not "
                f"{POOL_TYPE!r}: delete it first (prefect work-pool delete {POOL_NAME})",
            )
        client.update_work_pool(
            POOL_NAME,
            WorkPoolUpdate(description=POOL_DESCRIPTION, base_job_template=template),
        )
        return Outcome.updated
