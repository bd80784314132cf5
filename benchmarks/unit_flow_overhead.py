"""Cost of one nested flow run: this project's unit flow against Prefect's default subflow.

    .venv/bin/python benchmarks/unit_flow_overhead.py [N]

Runs, in one process and on the embedded default (SQLite + Prefect's ephemeral API):
  1. N plain default Prefect subflows (empty body, Prefect's own heartbeat context);
  2. N unit flow runs of this project with Prefect's own heartbeat context;
  3. N unit flow runs of this project as shipped (prompt heartbeat shutdown).
The unit flows do their real work: a flat tree of N units under one root, coi-2012 launched,
each unit run reads its deliverables, computes status, rolls up and publishes its artifact.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

N = int(sys.argv[1]) if len(sys.argv) > 1 else 40
HOME = Path(tempfile.mkdtemp(prefix="qinglian-bench-"))
os.environ["QINGLIAN_HOME"] = str(HOME)
os.environ.pop("QINGLIAN_DATABASE_URL", None)
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect import flow  # noqa: E402

from flows.phase import unit_flow  # noqa: E402  (importing a flow module installs the prompt heartbeats)
from models import Unit  # noqa: E402
from models.enums import Level, UnitKind  # noqa: E402
from models.outcome import UnitRef, UnitRunInput  # noqa: E402
from qinglian.campaigns.launch import launch_campaign  # noqa: E402
from qinglian.campaigns.lookup import get_phase  # noqa: E402
from qinglian.core import db  # noqa: E402
from qinglian.core import heartbeats as prefect_heartbeats  # noqa: E402


def build_tree(count: int) -> list[UnitRunInput]:
    """A flat tree (one city bureau, ``count`` hospitals) under a launched coi-2012."""
    db.ensure_schema()
    with db.session_scope() as session:
        root = Unit(
            code="ROOT", name="基准测试卫生局", level=Level.city, kind=UnitKind.health_admin
        )
        session.add(root)
        session.flush()
        root.path = f"/{root.id}/"
        children = []
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
            children.append(child)
        campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code="ROOT")
        phase = get_phase(session=session, campaign=campaign, key="mobilize")
        assert campaign.id and phase.id
        return [
            UnitRunInput(
                campaign_id=campaign.id,
                phase_id=phase.id,
                phase_key="mobilize",
                phase_title=phase.title,
                unit=UnitRef(unit_id=c.id, code=c.code, name=c.name, level=c.level),
                as_of=date(2012, 8, 1),
            )
            for c in children
            if c.id
        ]


@flow(name="plain-subflow")
def plain_subflow(index: int) -> int:
    return index


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


@flow(name="bench-plain")
def bench_plain(count: int) -> list[float]:
    return [_timed(lambda i=i: plain_subflow(i)) for i in range(count)]


@flow(name="bench-units")
def bench_units(units: list[UnitRunInput]) -> list[float]:
    return [_timed(lambda u=u: unit_flow(u)) for u in units]


def _line(label: str, times: list[float]) -> str:
    return (
        f"  {label:<34} mean {statistics.mean(times):6.3f} s   median "
        f"{statistics.median(times):6.3f} s   total {sum(times):7.2f} s"
    )


def main() -> None:
    units = build_tree(N)
    bench_plain(2)  # warm up the ephemeral API and imports
    prefect_heartbeats.uninstall()
    plain = bench_plain(N)
    default_units = bench_units(units)
    assert prefect_heartbeats.install()
    ours = bench_units(units)
    print(f"N = {N} nested flow runs each, one process, embedded SQLite + ephemeral API")
    print(_line("plain default Prefect subflow", plain))
    print(_line("unit flow, Prefect's heartbeats", default_units))
    print(_line("unit flow as shipped", ours))
    print(
        "  ratio plain default / shipped unit flow: "
        f"mean {statistics.mean(plain) / statistics.mean(ours):4.1f}x, "
        f"median {statistics.median(plain) / statistics.median(ours):4.1f}x"
    )


if __name__ == "__main__":
    main()
