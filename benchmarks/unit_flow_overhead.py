"""Cost of one nested flow run: the shipped unit run against Prefect's sync and async subflows.

    .venv/bin/python benchmarks/unit_flow_overhead.py [N]

Runs, in one process and on the embedded default (SQLite + Prefect's ephemeral API), one after
another so each run is timed alone:
  1. N plain default Prefect subflows: sync, empty body, Prefect's own heartbeat context (the
     engine joins its heartbeat thread, which sleeps in 1 s steps);
  2. N bare async Prefect subflows: empty body, in an async parent;
  3. N unit runs as shipped (flows.units.unit_flow): a flat tree of N hospitals under one city
     bureau, coi-2012 launched, the mobilisation pass computed set-based first (timed apart),
     then each unit run publishes its table artifact from the pass, as in a phase run.
Targets (issue 11): plain ÷ shipped ≥ 8×; shipped ÷ bare async ≤ 1.2×.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

N = int(sys.argv[1]) if len(sys.argv) > 1 else 40
HOME = Path(tempfile.mkdtemp(prefix="qinglian-bench-"))
os.environ["QINGLIAN_HOME"] = str(HOME)
os.environ.pop("QINGLIAN_DATABASE_URL", None)
os.environ["PREFECT_HOME"] = str(HOME / "prefect")  # its own ephemeral API database
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

# As the CLI runs flows: its Prefect defaults and its embedded API server (qinglian.cli).
importlib.import_module("qinglian.cli")

from prefect import flow  # noqa: E402

from flows.units import holding, unit_flow  # noqa: E402
from models import Unit  # noqa: E402
from models.enums import Level, UnitKind  # noqa: E402
from models.outcome import UnitResult, UnitRunInput  # noqa: E402
from qinglian.campaigns.launch import launch_campaign  # noqa: E402
from qinglian.campaigns.lookup import get_phase  # noqa: E402
from qinglian.campaigns.templates import get_template  # noqa: E402
from qinglian.core import db  # noqa: E402
from qinglian.reporting.pass_store import open_pass, store_part  # noqa: E402
from qinglian.reporting.phase_pass import PassPart, compute_part  # noqa: E402

AS_OF = date(2012, 8, 1)


def build_pass(count: int) -> tuple[list[UnitRunInput], dict[int, UnitResult], int, float]:
    """A flat tree (one city bureau, ``count`` hospitals), coi-2012, its mobilisation pass."""
    db.ensure_schema()
    with db.session_scope() as session:
        root = Unit(
            code="ROOT", name="基准测试卫生局", level=Level.city, kind=UnitKind.health_admin
        )
        session.add(root)
        session.flush()
        root.path = f"/{root.id}/"
        for index in range(count):
            child = Unit(
                code=f"H{index:05d}",
                name=f"第{index + 1}医院",
                level=Level.institution,
                kind=UnitKind.public_medical,
                parent_id=root.id,
                depth=1,
            )
            session.add(child)
            session.flush()
            child.path = f"{root.path}{child.id}/"
        campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code="ROOT")
        phase = get_phase(session=session, campaign=campaign, key="mobilize")
        assert campaign.id and phase.id and root.id
        state = open_pass(
            session=session,
            campaign_id=campaign.id,
            phase_key="mobilize",
            as_of=AS_OF,
            runs_down_to="institution",
        )
        started = time.perf_counter()
        activities = get_template(campaign.template_key).phase("mobilize").activities
        results = compute_part(
            session=session,
            part=PassPart(
                campaign_id=campaign.id,
                phase_id=phase.id,
                activities=list(activities),
                as_of=AS_OF,
                root_id=root.id,
            ),
        )
        store_part(session=session, pass_id=state.pass_id, root_id=root.id, results=results)
        computed = time.perf_counter() - started
        inputs = [
            UnitRunInput(
                pass_id=state.pass_id,
                campaign_id=campaign.id,
                phase_id=phase.id,
                phase_key="mobilize",
                phase_title=phase.title,
                unit=result.unit,
                as_of=AS_OF,
            )
            for unit_id, result in results.items()
            if unit_id != root.id
        ]
        return inputs, results, state.pass_id, computed


@flow(name="plain-subflow")
def plain_subflow(index: int) -> int:
    return index


@flow(name="bare-async-subflow")
async def bare_async_subflow(index: int) -> int:
    return index


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


async def _atimed(call: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await call()
    return time.perf_counter() - start


@flow(name="bench-plain")
def bench_plain(count: int) -> list[float]:
    return [_timed(lambda i=i: plain_subflow(i)) for i in range(count)]


@flow(name="bench-async")
async def bench_async(count: int) -> list[float]:
    return [await _atimed(lambda i=i: bare_async_subflow(i)) for i in range(count)]


@flow(name="bench-units")
async def bench_units(units: list[UnitRunInput], pass_id: int) -> list[float]:
    with holding(pass_id, _results):
        return [await _atimed(lambda u=u: unit_flow(u)) for u in units]


_results: dict[int, UnitResult] = {}


def _line(label: str, times: list[float]) -> str:
    return (
        f"  {label:<34} mean {statistics.mean(times):6.3f} s   median "
        f"{statistics.median(times):6.3f} s   total {sum(times):7.2f} s"
    )


def main() -> None:
    units, results, pass_id, computed = build_pass(N)
    _results.update(results)
    bench_plain(2)  # warm up the ephemeral API and imports
    asyncio.run(bench_async(2))
    plain = bench_plain(N)
    bare = asyncio.run(bench_async(N))
    ours = asyncio.run(bench_units(units, pass_id))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"N = {N} nested flow runs each, one process, embedded SQLite + ephemeral API")
    print(f"  load average {load} (2 cores, shared)")
    print(f"  the pass over {N + 1} units, computed set-based once: {computed:.3f} s")
    print(_line("plain default sync subflow", plain))
    print(_line("bare async subflow", bare))
    print(_line("unit run as shipped (async)", ours))
    print(
        "  plain default / shipped unit run: "
        f"mean {statistics.mean(plain) / statistics.mean(ours):4.1f}x, "
        f"median {statistics.median(plain) / statistics.median(ours):4.1f}x (target ≥ 8x)"
    )
    print(
        "  shipped unit run / bare async subflow: "
        f"mean {statistics.mean(ours) / statistics.mean(bare):4.2f}x, "
        f"median {statistics.median(ours) / statistics.median(bare):4.2f}x (target ≤ 1.2x)"
    )


if __name__ == "__main__":
    main()
