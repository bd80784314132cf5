"""A phase pass at real size: the find phase of coi-2012 over a province or the whole nation.

    .venv/bin/python benchmarks/phase_pass.py province --runs-down-to county       (< 60 s)
    .venv/bin/python benchmarks/phase_pass.py province --runs-down-to institution  (< 6 min)
    .venv/bin/python benchmarks/phase_pass.py nation --runs-down-to county --server (< 10 min,
        all processes < 2 GB: a Prefect server on PostgreSQL, 2 process workers --limit 2)
    .venv/bin/python benchmarks/phase_pass.py nation --generate-only   (the generator alone)
    .venv/bin/python benchmarks/phase_pass.py small                    (31 units: a smoke test)

1. Generates the campaign with ``benchmarks/trees.py`` in a forked child (so that building
   does not count in this process's memory): a province (6,774 units, about 9,000 in-scope
   cadres and their forms) or the nation (49,477 units, about 1,000,000), coi-2012 launched
   with ``launch_campaign``, deliveries recorded. The province goes into a temporary
   QINGLIAN_HOME's SQLite file, the nation into a temporary PostgreSQL database (created here,
   dropped at the end; ``--database`` chooses).
2. Runs the find phase as of its last day through the public entry point
   ``flows.phase.start_phase(PhaseRunInput(…, runs_down_to=…, subtrees_on=…))``: on the
   embedded default (Prefect's ephemeral API, its own PREFECT_HOME under the temporary
   directory) or, with ``--server``, on a Prefect server on PostgreSQL with two process workers
   (``prefect_server_and_workers``: the machinery of tests/distributed/cluster.py).
3. Prints: units, cadres, forms; generation time (rows/s); the phase's wall time and cost per
   unit; the flow runs it created (runs tagged ``campaign:<id>`` and ``phase:find`` started
   after the benchmark began, counted through the Prefect client); the peak RSS (VmHWM) and CPU
   of every process involved, read before it exits, and their total; the load averages.

Figures are printed, not asserted. ``--timeout`` stops a phase that runs too long and still
prints what it created so far. Prefect's log level defaults to WARNING here (as in
``unit_flow_overhead.py``); set PREFECT_LOGGING_LEVEL to change it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from types import FrameType

HERE = Path(__file__).resolve().parent
LEVELS = ("province", "city", "county", "institution", "department")
PHASE = "find"
AS_OF = date(2012, 8, 31)  # the find phase's last day


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "shape", choices=("province", "nation", "small"), help="the tree's size (small: 31 units)"
    )
    parser.add_argument("--runs-down-to", choices=LEVELS, default="county", help="run depth")
    parser.add_argument(
        "--server",
        action="store_true",
        help="a Prefect server on PostgreSQL and process workers (subtrees on the workers)",
    )
    parser.add_argument("--workers", type=int, default=2, help="process workers with --server")
    parser.add_argument(
        "--worker-limit",
        type=int,
        default=2,
        help="subtree runs at once per worker (each is a process of 200-400 MB)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        help="qinglian's database (default: sqlite for a province, postgresql for the nation)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432",
        help="the PostgreSQL server (without a database name)",
    )
    parser.add_argument(
        "--pg-database",
        default=f"bench_phase_pass_{os.getpid()}",
        help="the temporary database to create and drop (it must not exist)",
    )
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF, help="the phase's day")
    parser.add_argument("--generate-only", action="store_true", help="stop after generating")
    parser.add_argument("--timeout", type=float, help="stop the phase after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    return parser


# Prefect and qinglian read their settings on import or first use: point them at a temporary
# home (and database) before anything is imported.
ARGS = _parser().parse_args()
DATABASE = ARGS.database or ("postgresql" if ARGS.shape == "nation" else "sqlite")
WORKDIR = Path(tempfile.mkdtemp(prefix="qinglian-phase-pass-"))
if DATABASE == "postgresql":
    os.environ["QINGLIAN_DATABASE_URL"] = f"{ARGS.pg_url}/{ARGS.pg_database}"
else:
    os.environ.pop("QINGLIAN_DATABASE_URL", None)
os.environ["QINGLIAN_HOME"] = str(WORKDIR / "home")
os.environ["PREFECT_HOME"] = str(WORKDIR / "prefect")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent))  # tests.distributed.cluster: the cluster of --server

# As `qinglian phase run` runs it: the CLI package's Prefect defaults, and its embedded API
# server (tied to this process; SQLite writes begun IMMEDIATE, see qinglian/cli/embedded_app.py).
importlib.import_module("qinglian.cli")

from prefect.client.orchestration import SyncPrefectClient, get_client  # noqa: E402
from prefect.client.schemas.filters import (  # noqa: E402
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
    WorkerFilter,
    WorkerFilterStatus,
)
from prefect.client.schemas.objects import FlowRun, StateType  # noqa: E402
from prefect.events.worker import EventsWorker  # noqa: E402
from prefect.logging.handlers import APILogWorker  # noqa: E402
from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from trees import SHAPES, Built, Shape, build  # noqa: E402

from flows.phase import start_phase  # noqa: E402
from models.flow_inputs import PhaseRunInput  # noqa: E402
from qinglian.core import db, migrations  # noqa: E402
from tests.crash.peers import MARK_ENV  # noqa: E402
from tests.distributed.cluster import (  # noqa: E402
    PATIENCE,
    POOL,
    REPO,
    Cluster,
    Databases,
    cluster,
)


@dataclass
class Process:
    """A process of the pass, measured from /proc before it exits."""

    label: str
    pid: int
    peak_mib: float = 0.0
    cpu_seconds: float = 0.0


class PhaseTimedOut(Exception):
    pass


def main() -> None:
    shape = SHAPES[ARGS.shape]
    began = datetime.now(UTC)
    print(f"load average before: {_load()} (2 cores, shared)")
    print(f"workdir {WORKDIR}; qinglian on {DATABASE}")
    try:
        if DATABASE == "postgresql":
            _create_database()
        built, generator = _generate(shape)
        _print_built(built, generator)
        if ARGS.generate_only:
            return
        if ARGS.server:
            with prefect_server_and_workers(WORKDIR, ARGS.workers) as processes:
                _phase(built, began, "workers", processes)
        else:
            _phase(built, began, None, [])
        print(f"load average after: {_load()}")
    finally:
        if DATABASE == "postgresql" and not ARGS.keep:
            _drop_database()
        if not ARGS.keep:
            shutil.rmtree(WORKDIR, ignore_errors=True)


# --- generation ------------------------------------------------------------------------------


def _generate(shape: Shape) -> tuple[Built, Process]:
    """Schema and campaign, built in a forked child; what it built and its peak memory."""
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_build_child, args=(shape, send))
    started = time.perf_counter()
    child.start()
    send.close()
    try:
        built, peak, cpu = receive.recv()
    except EOFError:
        built = None
    child.join()
    if child.exitcode or built is None:
        raise SystemExit(f"generating failed (exit code {child.exitcode})")
    built.seconds["total"] = time.perf_counter() - started
    assert child.pid is not None
    return built, Process("generator (forked, exited before the phase)", child.pid, peak, cpu)


def _build_child(shape: Shape, send: Pipe) -> None:
    print("generation (each step as it ends):")
    started = time.perf_counter()
    if DATABASE == "postgresql":
        migrations.upgrade()
    else:
        db.ensure_schema()
    _step("schema (migrations)", time.perf_counter() - started, None)
    built = build(db.get_engine(), shape, as_of=ARGS.as_of, report=_step)
    built.report = None
    self_ = _measure(Process("generator", os.getpid()))
    db.get_engine().dispose()
    send.send((built, self_.peak_mib, self_.cpu_seconds))
    send.close()


def _print_built(built: Built, generator: Process) -> None:
    levels = ", ".join(f"{n:,} {level}" for level, n in built.units.items())
    print(f"units {built.unit_count:,} ({levels})")
    print(
        f"cadres {built.cadres:,} in scope (+{built.out_of_scope:,} who left too long ago); "
        f"forms {built.forms:,} filed by {ARGS.as_of} ({built.late_forms:,} late), "
        f"{built.versions:,} declaration versions, {built.section_rows:,} section rows"
    )
    print(
        f"deliverables {built.deliverables:,} (launch_campaign), {built.delivered:,} delivered "
        f"by {ARGS.as_of}"
    )
    written = sum(rows for step, rows in built.rows.items() if step != "deliveries")
    print(
        f"generation {built.seconds['total']:.1f} s in all, {written:,} rows inserted; "
        f"without launch_campaign {built.seconds['total'] - built.seconds['launch_campaign']:.1f}"
        f" s; generator peak RSS {generator.peak_mib:,.0f} MiB, CPU {generator.cpu_seconds:.1f} s"
    )


def _step(step: str, seconds: float, rows: int | None) -> None:
    rate = f"  {rows:>10,} rows  {rows / seconds:>9,.0f} rows/s" if rows else ""
    print(f"  {step:<24} {seconds:7.2f} s{rate}", flush=True)


# --- the phase -------------------------------------------------------------------------------


def _phase(built: Built, began: datetime, subtrees_on: str | None, others: list[Process]) -> None:
    labels = [f"campaign:{built.campaign_id}", f"phase:{PHASE}"]
    started = time.perf_counter()
    asyncio.run(_count_runs(labels, began))  # starts the ephemeral API: not the phase's time
    print(f"Prefect API ready in {time.perf_counter() - started:.1f} s")
    params = PhaseRunInput(
        campaign_id=built.campaign_id,
        phase=PHASE,
        as_of=ARGS.as_of,
        runs_down_to=ARGS.runs_down_to,
        subtrees_on=subtrees_on,
    )
    print(
        f"phase {PHASE}, runs down to {ARGS.runs_down_to}, subtrees on "
        f"{subtrees_on or 'the setting (local)'} …",
        flush=True,
    )
    cpu = time.process_time()
    started = time.perf_counter()
    outcome, error = None, None
    with _deadline(ARGS.timeout):
        try:
            outcome = start_phase(params)
        except (PhaseTimedOut, Exception) as exc:  # a benchmark reports it
            error = exc
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    runs, completed = asyncio.run(_count_runs(labels, began))
    known = {process.pid for process in others}  # the cluster's: children of this one too
    children = [process for process in _children() if process.pid not in known]
    processes = [_measure(Process("this process (phase)", os.getpid())), *children, *others]
    processes = [_measure(process) for process in processes]

    if error is not None:
        print(f"phase did NOT finish: {type(error).__name__}: {str(error)[:300]}")
    else:
        assert outcome is not None
        forms = outcome.forms
        print(
            f"outcome: {outcome.units:,} units; deliverables {outcome.subtree.received:,}/"
            f"{outcome.subtree.due:,} due received; forms "
            + (
                f"{forms.received:,}/{forms.expected:,} ({forms.late:,} late, "
                f"{forms.missing:,} missing)"
                if forms
                else "-"
            )
            + f"; findings {sum(outcome.findings.values()):,} ({outcome.new_findings:,} new)"
        )
    print(f"phase wall {wall:.1f} s, CPU of this process {cpu:.1f} s")
    print(
        f"per unit {wall / built.unit_count * 1000:.1f} ms ({built.unit_count:,} units); "
        f"per flow run {wall / runs * 1000 if runs else float('nan'):.0f} ms"
    )
    print(f"flow runs created {runs:,} ({completed:,} completed)")
    print("peak RSS (VmHWM) and CPU of every process:")
    for process in processes:
        print(
            f"  {process.label:<44} pid {process.pid:>7}  {process.peak_mib:7,.0f} MiB  "
            f"{process.cpu_seconds:7.1f} s CPU"
        )
    total = sum(process.peak_mib for process in processes)
    print(f"  {'total':<56} {total:7,.0f} MiB (the generator, exited before, not counted)")


@contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise PhaseTimedOut in this thread after ``seconds`` (none: no limit)."""
    if not seconds:
        yield
        return

    def _expired(_signum: int, _frame: FrameType | None) -> None:
        raise PhaseTimedOut(f"stopped after --timeout {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


async def _count_runs(labels: list[str], since: datetime) -> tuple[int, int]:
    """Flow runs carrying every label and started since ``since``: all, and completed."""
    tagged = FlowRunFilter(
        tags=FlowRunFilterTags(all_=labels), start_time=FlowRunFilterStartTime(after_=since)
    )
    done = tagged.model_copy(
        update={
            "state": FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))
        }
    )
    async with get_client() as client:
        return (
            await client.count_flow_runs(flow_run_filter=tagged),
            await client.count_flow_runs(flow_run_filter=done),
        )


# --- processes -------------------------------------------------------------------------------


def _children() -> list[Process]:
    """This process's descendants still running (the ephemeral API server, for one)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    mine, found = {os.getpid()}, []
    for pid in sorted(parents):  # children have larger pids, barring wrap-around
        if parents[pid] in mine:
            mine.add(pid)
            found.append(Process(_command(pid), pid))
    return found


def _command(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [Path(a.decode()).name if i == 0 else a.decode() for i, a in enumerate(argv) if a]
    return " ".join(words)[:44]


def _measure(process: Process) -> Process:
    """VmHWM and user+system CPU of a running process (zeros once it is gone)."""
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
        stat = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return process
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    process.peak_mib = int(match.group(1)) / 1024 if match else 0.0
    process.cpu_seconds = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return process


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


# --- PostgreSQL --------------------------------------------------------------------------------


def _create_database() -> None:
    name = ARGS.pg_database
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"--pg-database {name!r}: lower-case letters, digits and _ only")
    with _admin() as connection:
        if connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            raise SystemExit(f"database {name} exists already: choose another --pg-database")
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    print(f"created database {name}")


def _drop_database() -> None:
    with _admin() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{ARGS.pg_database}" WITH (FORCE)'))
    print(f"dropped database {ARGS.pg_database}")


@contextmanager
def _admin() -> Iterator[object]:
    engine = create_engine(f"{ARGS.pg_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


# --- the nation case's orchestration: a Prefect server on PostgreSQL and process workers -------

SUBTREE = "phase-subtree"  # the subtree flow's name
SAMPLE_SECONDS = 0.5  # how often the processes of the cluster are read (flow runs end unseen)
SUBTREE_UNIT_CONCURRENCY = "4"  # per subtree run: 2 workers x 2 runs x 4 = 16 against the API


@contextmanager
def prefect_server_and_workers(workdir: Path, workers: int) -> Iterator[list[Process]]:
    """A Prefect server on PostgreSQL and ``workers`` process workers, for the block's length.

    The machinery of tests/distributed (``tests.distributed.cluster``): every process in a
    session of its own, marked in its environment, so the flow runs the workers start (in
    sessions of their own) are found too. In order:
      1. Prefect's own database ``<--pg-database>_prefect`` beside qinglian's, ``prefect server
         start`` on it (a free port, PREFECT_HOME under ``workdir``), this process pointed at it
         (``temporary_settings``);
      2. ``qinglian prefect setup`` (the pool ``qinglian``), ``prefect --no-prompt deploy --all``
         (QINGLIAN_CHECKOUT: this checkout), and ``workers`` process workers (``--limit``
         ``--worker-limit``) with qinglian's database, until all are ONLINE;
      3. yields a ``Process`` per process: server and workers at once, then every flow-run
         process as a sampler thread finds it (every 0.5 s, VmHWM and CPU read as it runs);
      4. on exit: prints the subtree runs' waits and durations and the processes' largest
         RSS at one moment, stops every process group, kills what outlived them, drops
         Prefect's database.
    """
    prefect_db = Databases(admin_url=f"{ARGS.pg_url}/postgres", prefix=ARGS.pg_database)
    root = workdir / "cluster"
    root.mkdir(parents=True, exist_ok=True)
    env = {
        "QINGLIAN_DATABASE_URL": os.environ["QINGLIAN_DATABASE_URL"],
        "QINGLIAN_CHECKOUT": str(REPO),
        "QINGLIAN_HOME": str(root / "qinglian"),
        "QINGLIAN_UNIT_CONCURRENCY": os.environ.get(
            "QINGLIAN_UNIT_CONCURRENCY", SUBTREE_UNIT_CONCURRENCY
        ),
        "PREFECT_HOME": str(root / "client"),
        "PREFECT_LOGGING_LEVEL": os.environ["PREFECT_LOGGING_LEVEL"],
        # As the README's production server (Prefect's defaults are 5 and 10).
        "PREFECT_SERVER_DATABASE_SQLALCHEMY_POOL_SIZE": "20",
        "PREFECT_SERVER_DATABASE_SQLALCHEMY_MAX_OVERFLOW": "20",
        # A worker asks for runs every 2 s (Prefect's default, 10 s, would idle each worker
        # slot up to 10 s between 31 subtree runs).
        "PREFECT_WORKER_QUERY_SECONDS": os.environ.get("PREFECT_WORKER_QUERY_SECONDS", "2"),
    }
    try:
        server_url = prefect_db.url(prefect_db.create("prefect"), driver="asyncpg")
        print(f"created database {prefect_db.names[-1]} (Prefect's)")
        started = time.perf_counter()
        with cluster(root, server_url, env) as up:
            print(f"Prefect server {up.api} healthy in {time.perf_counter() - started:.1f} s")
            up.run("qinglian", "prefect", "setup")
            up.run("prefect", "--no-prompt", "deploy", "--all")
            names = [f"worker-{n}" for n in range(1, workers + 1)]
            for name in names:
                _start_worker(up, name, ARGS.worker_limit)
            _wait_for_workers(up, set(names))
            print(
                f"cluster up in {time.perf_counter() - started:.1f} s: pool {POOL}, {workers} "
                f"workers --limit {ARGS.worker_limit}, subtree runs' QINGLIAN_UNIT_CONCURRENCY="
                f"{env['QINGLIAN_UNIT_CONCURRENCY']}, PREFECT_WORKER_QUERY_SECONDS="
                f"{env['PREFECT_WORKER_QUERY_SECONDS']}",
                flush=True,
            )
            processes = [Process("Prefect server", up.started[0].pid)]
            processes += [Process(name, up.workers[name].pid) for name in names]
            sampler = _Sampler(up.mark, processes)
            with temporary_settings(updates={PREFECT_API_URL: up.api}):
                try:
                    with sampler.running():
                        yield processes
                finally:
                    APILogWorker.drain_all(timeout=30)
                    EventsWorker.drain_all(timeout=30)
                    _print_subtree_runs(sampler)
            print(
                f"all processes at one moment (sampled every {SAMPLE_SECONDS:g} s): largest "
                f"RSS sum {sampler.largest_sum:,.0f} MiB ({sampler.largest_count} processes)"
            )
    finally:
        prefect_db.drop_all()
        print(f"dropped Prefect's database {ARGS.pg_database}_prefect")


def _start_worker(up: Cluster, name: str, limit: int) -> None:
    home = up.root / name
    home.mkdir(exist_ok=True)
    up.start(
        name,
        *("prefect", "worker", "start", "--pool", POOL, "--type", "process"),
        *("--name", name, "--limit", str(limit)),
        env={"PREFECT_HOME": str(home / "prefect"), "QINGLIAN_HOME": str(home / "qinglian")},
    )


def _wait_for_workers(up: Cluster, names: set[str]) -> None:
    online = WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"]))
    deadline = time.monotonic() + PATIENCE
    with (
        temporary_settings(updates={PREFECT_API_URL: up.api}),
        get_client(sync_client=True) as client,
    ):
        while {w.name for w in client.read_workers_for_work_pool(POOL, worker_filter=online)} < (
            names
        ):
            for name in names:
                if up.workers[name].poll() is not None:
                    raise SystemExit(f"{name} exited:\n{up.log(name)}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the workers were not online within {PATIENCE:.0f} s")
            time.sleep(0.5)


class _Sampler:
    """Reads every process of the cluster (and this one) while the phase runs.

    A flow run's process lives in a session of its own and is gone when the phase ends: its
    VmHWM and CPU are the last read. The RSS of all at one moment is summed at each read.
    """

    def __init__(self, mark: str, processes: list[Process]) -> None:
        self.needle = f"{MARK_ENV}={mark}".encode()
        self.processes = processes
        self.by_pid = {process.pid: process for process in processes}
        self.flow_runs: dict[int, str] = {}  # pid: flow run id
        self.largest_sum = 0.0
        self.largest_count = 0
        self._stop = threading.Event()

    @contextmanager
    def running(self) -> Iterator[None]:
        thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join()
            self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> None:
        rss_sum, count = _rss_mib(os.getpid()), 1
        for pid, environ in self._marked():
            process = self.by_pid.get(pid)
            if process is None:
                run = next((v for v in environ if v.startswith(b"PREFECT__FLOW_RUN_ID=")), b"")
                run_id = run.partition(b"=")[2].decode()
                label = f"flow run {run_id[:8]}" if run_id else _command(pid)
                process = self.by_pid[pid] = Process(label, pid)
                self.processes.append(process)
                if run_id:
                    self.flow_runs[pid] = run_id
            _measure(process)
            rss_sum += _rss_mib(pid)
            count += 1
        if rss_sum > self.largest_sum:
            self.largest_sum, self.largest_count = rss_sum, count

    def _marked(self) -> Iterator[tuple[int, list[bytes]]]:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    environ = (entry / "environ").read_bytes().split(b"\0")
                except OSError:
                    continue
                if self.needle in environ:
                    yield int(entry.name), environ


def _rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def _print_subtree_runs(sampler: _Sampler) -> None:
    """The subtree runs: how long each waited for a worker and ran, and its process's peak."""
    with get_client(sync_client=True) as client:
        runs = _all_runs(client, FlowFilter(name=FlowFilterName(any_=[SUBTREE])), None)
        cities = _all_runs(
            client,
            FlowFilter(name=FlowFilterName(any_=["unit"])),
            FlowRunFilter(tags=FlowRunFilterTags(all_=["level:city"])),
        )
    first_city: dict[str, datetime] = {}  # province tag: when its first city's run was created
    for city in cities:
        for tag in city.tags:
            if tag.startswith("province:") and city.created:
                first_city[tag] = min(first_city.get(tag, city.created), city.created)
    process_of = {run_id: sampler.by_pid[pid] for pid, run_id in sampler.flow_runs.items()}
    timed = sorted(
        (run for run in runs if run.start_time and run.end_time and run.created),
        key=lambda run: run.start_time,
    )
    if not timed:
        print(f"subtree runs on the workers: {len(runs)}, none finished")
        return
    waits = sorted((run.start_time - run.created).total_seconds() for run in timed)
    spans = sorted((run.end_time - run.start_time).total_seconds() for run in timed)
    first, last = min(run.created for run in timed), max(run.end_time for run in timed)
    print(
        f"subtree runs on the workers: {len(runs)} ({len(timed)} finished), from the first "
        f"created to the last ended {(last - first).total_seconds():.1f} s; waited (for a worker, "
        f"then its process to start) {_spread(waits)}; ran {_spread(spans)}, "
        f"{sum(spans):.0f} s in all"
    )
    print(
        "  (computed: from its start to its first city's unit run; published: from then to its end)"
    )
    for run in timed:
        code = run.name.rsplit(" · ", 1)[-1]
        city = next((first_city[tag] for tag in run.tags if tag in first_city), None)
        split = (
            f"computed {(city - run.start_time).total_seconds():5.1f} s  published "
            f"{(run.end_time - city).total_seconds():5.1f} s"
            if city
            else "no city run found"
        )
        process = process_of.get(str(run.id))
        seen = (
            f"pid {process.pid:>7} {process.peak_mib:5,.0f} MiB {process.cpu_seconds:6.1f} s CPU"
            if process
            else "process not seen"
        )
        print(
            f"  {code:<4} {str(run.id)[:8]}  created "
            f"+{(run.created - first).total_seconds():6.1f} s  started "
            f"+{(run.start_time - first).total_seconds():6.1f} s  ran "
            f"{(run.end_time - run.start_time).total_seconds():6.1f} s  {split}  "
            f"{run.state_name:<9} {seen}"
        )


def _all_runs(
    client: SyncPrefectClient, flows: FlowFilter, runs: FlowRunFilter | None
) -> list[FlowRun]:
    """Every run matching, page by page (the server answers 200 at most)."""
    found: list[FlowRun] = []
    while page := client.read_flow_runs(
        flow_filter=flows, flow_run_filter=runs, limit=200, offset=len(found)
    ):
        found += page
    return found


def _spread(values: list[float]) -> str:
    return f"min {values[0]:.1f} / median {values[len(values) // 2]:.1f} / max {values[-1]:.1f} s"


if __name__ == "__main__":
    main()
