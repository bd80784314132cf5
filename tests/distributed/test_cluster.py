"""The cluster itself: `qinglian prefect setup` makes the pool `prefect deploy --all` needs, and
two process workers of that pool come online."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.pool import pool_job_template
from deployments.zombies import AUTOMATION_NAME, HEARTBEAT_ENV, HEARTBEAT_SECONDS
from tests.distributed.cluster import POOL, REPO, Cluster
from tests.distributed.conftest import WORKERS, ZOMBIE_SECONDS, online_workers


@pytest.fixture
def client(prefect_cluster: Cluster) -> Iterator[SyncPrefectClient]:
    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_cluster.api}),
        get_client(sync_client=True) as client,
    ):
        yield client


def test_pool_deployments_and_two_workers(
    prefect_cluster: Cluster, client: SyncPrefectClient
) -> None:
    assert online_workers(prefect_cluster.api) == set(WORKERS)
    pool = client.read_work_pool(POOL)
    assert pool.type == "process"
    assert pool.base_job_template == pool_job_template()
    env = pool.base_job_template["variables"]["properties"]["env"]["default"]
    assert env == {HEARTBEAT_ENV: str(HEARTBEAT_SECONDS)}

    subtree = client.read_deployment_by_name("phase-subtree/phase-subtree")
    assert subtree.work_pool_name == POOL
    assert subtree.enforce_parameter_schema
    assert subtree.job_variables == {"env": {HEARTBEAT_ENV: str(HEARTBEAT_SECONDS)}}
    assert subtree.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
    ]
    sweep = client.read_deployment_by_name("escalation-sweep/escalation-sweep")
    assert sweep.parameters == {"params": {}}

    (automation,) = client.read_automations_by_name(AUTOMATION_NAME)
    assert automation.trigger.within.total_seconds() == ZOMBIE_SECONDS  # type: ignore[union-attr]


def test_setup_again_changes_nothing(prefect_cluster: Cluster, client: SyncPrefectClient) -> None:
    before = client.read_work_pool(POOL)
    out = prefect_cluster.run(
        "qinglian", "prefect", "setup", "--zombie-seconds", str(ZOMBIE_SECONDS)
    )
    assert "已更新" in out and "updated" in out
    after = client.read_work_pool(POOL)
    assert (after.id, after.base_job_template) == (before.id, before.base_job_template)
    assert len(client.read_automations_by_name(AUTOMATION_NAME)) == 1
