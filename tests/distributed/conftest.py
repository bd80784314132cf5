"""The distributed path's fixtures: PostgreSQL databases of its own, a Prefect server on one of
them, the ``qinglian`` pool and deployments, and two process workers (tests/distributed/cluster.py).

Needs PostgreSQL (QINGLIAN_TEST_PG_URL): its databases are created beside that one, named
after it, and dropped at the end. One cluster serves the package: test_cluster.py (both
workers online) runs before test_phase_on_workers.py (which loses one of them).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.databases import PG_URL
from tests.distributed.cluster import (
    BIN,
    PATIENCE,
    POOL,
    REPO,
    Cluster,
    Databases,
    base_env,
    cluster,
    databases,
)

WORKERS = ("worker-1", "worker-2")
# Seconds without a heartbeat before a flow run is crashed: longer than one 30 s beat, shorter
# than the documented 90 s so that a lost worker's run is given up on within the test.
ZOMBIE_SECONDS = 40
_NO_PG = (
    "QINGLIAN_TEST_PG_URL is not set: the distributed test runs a Prefect server and workers "
    "on PostgreSQL"
)


@pytest.fixture(scope="package")
def pg() -> Iterator[Databases]:
    if not PG_URL:
        pytest.skip(_NO_PG)
    with databases(PG_URL) as found:
        yield found


@pytest.fixture(scope="package")
def qinglian_url(pg: Databases) -> str:
    """qinglian's database for the workers and the phase runs, migrated."""
    url = pg.url(pg.create("qinglian"))
    result = subprocess.run(
        [str(BIN / "qinglian"), "db", "upgrade"],
        env=base_env("migrate") | {"QINGLIAN_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return url


@pytest.fixture(scope="package")
def prefect_cluster(
    pg: Databases, qinglian_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Server on PostgreSQL, `qinglian prefect setup`, `prefect deploy --all`, two workers."""
    root = tmp_path_factory.mktemp("cluster")
    server_database = pg.url(pg.create("prefect"), driver="asyncpg")
    env = {
        "QINGLIAN_DATABASE_URL": qinglian_url,
        "QINGLIAN_CHECKOUT": str(REPO),
        "QINGLIAN_HOME": str(root / "qinglian"),
        "PREFECT_HOME": str(root / "client"),
        # A worker asks for runs every second (Prefect's default is 10 s): tests wait less.
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    }
    with cluster(root, server_database, env) as up:
        up.run("qinglian", "prefect", "setup", "--zombie-seconds", str(ZOMBIE_SECONDS))
        up.run("prefect", "--no-prompt", "deploy", "--all")
        for name in WORKERS:
            up.start_worker(name)
        wait_for_workers(up, set(WORKERS))
        yield up


def online_workers(api: str) -> set[str]:
    with (
        temporary_settings(updates={PREFECT_API_URL: api}),
        get_client(sync_client=True) as client,
    ):
        workers = client.read_workers_for_work_pool(
            POOL, worker_filter=WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"]))
        )
    return {worker.name for worker in workers}


def wait_for_workers(up: Cluster, names: set[str]) -> None:
    deadline = time.monotonic() + PATIENCE
    while online_workers(up.api) < names:
        for name in names:
            process = up.workers[name]
            assert process.poll() is None, up.log(name)
        assert time.monotonic() < deadline, [up.log(name) for name in names]
        time.sleep(0.5)
