"""Phase summaries and the written report over a national-size campaign.

    .venv/bin/python benchmarks/phase_summaries.py [UNITS]

Builds the campaign of ``benchmarks/escalation_sweep.py`` (its ``build``, reused): about UNITS
units (50,000 by default: a province, 20 cities, 200 counties and the institutions under them),
the coi-2012 campaign with its 整改纠正 (``rectify``) phase, and per institution an open
``rectify_summary`` deliverable, two findings with their rectification items and a rules-review
item — in a temporary SQLite file (WAL, as the service runs it), by Core inserts, in a forked
child process so that building does not count in the memory figures. Then it prints, each with
wall and CPU seconds and the peak RSS of this process during the step (the kernel's high-water
mark, reset before each step; in brackets, the growth over the RSS at the step's start):
  1. compute_summaries of the whole tree for the ``rectify`` phase (the set-based summary);
  2. record_phase_summaries, first run (one PhaseSummary row per unit inserted) and second run
     (the same rows updated);
  3. collect_report_data for the root, then write_report as ``md`` and as ``docx``;
  4. the same three for one child of the root: a city, about 1/20 of the tree (the built root is
     itself a province, so a city is the nearest thing to "one province's subtree").
and the machine's load averages (2 cores, shared) before and after.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).parent))
# escalation_sweep reads UNITS and DELIVER from sys.argv when imported: import it with an
# argv of its own, then set the size its build() reads.
_argv, sys.argv = sys.argv, sys.argv[:1]
import escalation_sweep  # noqa: E402
from escalation_sweep import AS_OF, build  # noqa: E402

sys.argv = _argv

from models.campaign import Campaign  # noqa: E402
from models.enums import Level  # noqa: E402
from models.summary import PhaseSummary  # noqa: E402
from models.unit import Unit  # noqa: E402
from qinglian.core.db import engine_for  # noqa: E402
from qinglian.reporting.document.data import collect_report_data  # noqa: E402
from qinglian.reporting.document.render import write_report  # noqa: E402
from qinglian.reporting.summary_figures import compute_summaries, walk  # noqa: E402
from qinglian.reporting.summary_store import record_phase_summaries  # noqa: E402

UNITS = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
PHASE = "rectify"  # the phase build() creates; a phase of the coi-2012 template
_peaks: list[float] = []  # each step's peak RSS (resetting the mark resets ru_maxrss too)


def _build(url: str, units: int) -> None:
    escalation_sweep.UNITS = units
    build(engine_for(url))


def _rss_mib(field: str) -> float:
    """VmRSS or VmHWM of this process, in MiB (ru_maxrss when /proc is not there)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1)) / 1024


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0); False when it cannot be reset."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def measure(label: str, step: Callable[[], Any]) -> Any:
    """Run ``step`` once; print its wall and CPU seconds and the peak RSS while it ran."""
    resettable = _reset_peak()
    start_rss = _rss_mib("VmRSS")
    cpu = time.process_time()
    started = time.perf_counter()
    result = step()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = max(_rss_mib("VmHWM"), start_rss)  # the mark is synced lazily: never below the start
    _peaks.append(peak)
    note = f"({peak - start_rss:+,.0f})" if resettable else "(process peak)"
    print(f"  {label:<34} {wall:7.2f} s wall {cpu:7.2f} s CPU  peak RSS {peak:6,.0f} MiB {note}")
    return result


def _summaries(url: str, campaign_id: int) -> Any:
    with Session(engine_for(url)) as session:
        return compute_summaries(
            session=session, campaign_id=campaign_id, as_of=AS_OF, phase_key=PHASE
        )


def _record(url: str, campaign_id: int) -> Any:
    with Session(engine_for(url)) as session:
        return record_phase_summaries(
            session=session, campaign_id=campaign_id, phase_key=PHASE, as_of=AS_OF
        )


def _collect(url: str, campaign_id: int, unit_code: str) -> Any:
    with Session(engine_for(url)) as session:
        return collect_report_data(
            session=session, campaign_id=campaign_id, unit_code=unit_code, as_of=AS_OF
        )


def _report(url: str, campaign_id: int, unit_code: str, label: str, folder: Path) -> None:
    data = measure(f"collect_report_data ({label})", lambda: _collect(url, campaign_id, unit_code))
    for fmt in ("md", "docx"):
        path = folder / f"report.{fmt}"
        measure(
            f"write_report {fmt} ({label})",
            lambda path=path, fmt=fmt: write_report(data, path, fmt),
        )
        print(f"    {path.name}: {path.stat().st_size / 1024:,.0f} KiB")
    print(
        f"    {data.units:,} units, {len(data.children)} children, "
        f"{sum(data.rectification_by_status.values()):,} rectification items, "
        f"{len(data.lagging):,} lagging units named"
    )


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="qinglian-summaries-"))
    try:
        url = f"sqlite:///{workdir / 'bench.db'}"
        print(f"load average before: {_load()} (2 cores, shared)")
        started = time.perf_counter()
        child = multiprocessing.get_context("fork").Process(target=_build, args=(url, UNITS))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"building failed (exit code {child.exitcode})")
        with Session(engine_for(url)) as session:
            campaign = session.exec(select(Campaign)).one()
            assert campaign.id is not None
            campaign_id = campaign.id
            root = session.get(Unit, campaign.root_unit_id)
            assert root is not None
            city = session.exec(
                select(Unit).where(Unit.parent_id == root.id, Unit.level == Level.city)
            ).first()
            assert city is not None
            units = session.exec(select(func.count()).select_from(Unit)).one()
            city_units = session.exec(
                select(func.count()).select_from(Unit).where(col(Unit.path).startswith(city.path))
            ).one()
            root_code, city_code = root.code, city.code
        print(
            f"built {units:,} units (campaign {campaign.template_key}, phase {PHASE}) in "
            f"{time.perf_counter() - started:.1f} s; RSS of this process "
            f"{_rss_mib('VmRSS'):,.0f} MiB"
        )

        print(f"1. phase summary of the whole tree ({units:,} units), as of {AS_OF}")
        tree = measure("compute_summaries", lambda: _summaries(url, campaign_id))
        print(
            f"    {sum(1 for _ in walk(tree)):,} units summarised, "
            f"{tree.subtree.deliverables.expected:,} deliverables, "
            f"{tree.subtree.findings:,} findings, "
            f"{tree.subtree.rectification_items:,} rectification items "
            f"({tree.subtree.rectification_overdue:,} overdue), "
            f"{len(tree.lagging_children)} lagging children of the root"
        )
        del tree

        print("2. record_phase_summaries")
        for run in ("first run (insert)", "second run (update)"):
            measure(run, lambda: _record(url, campaign_id))
            with Session(engine_for(url)) as session:
                rows = session.exec(select(func.count()).select_from(PhaseSummary)).one()
            print(f"    {rows:,} PhaseSummary rows")

        print(f"3. the written report of the root ({root_code}, {units:,} units)")
        (workdir / "root").mkdir()
        _report(url, campaign_id, root_code, "root", workdir / "root")

        print(f"4. the written report of one city ({city_code}, {city_units:,} units)")
        (workdir / "city").mkdir()
        _report(url, campaign_id, city_code, "city", workdir / "city")

        print(f"peak RSS of this process over the steps {max(_peaks):,.0f} MiB")
        print(f"load average after: {_load()}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
