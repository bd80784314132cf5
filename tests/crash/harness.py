"""The crash harness: the real ``qinglian`` command SIGKILLed at random moments, then re-run.

Two kinds of trial, on copies of one small campaign (:mod:`tests.crash.data`):

- ``phase``: ``qinglian phase run <c> find --as-of 2012-08-31`` (forms examined, findings
  recorded, unit runs, summaries);
- ``sweep``: ``qinglian escalate --campaign <c> --as-of 2012-11-20``, the escalation sweep with
  delivery to a JSON webhook receiver on 127.0.0.1 (:class:`tests.crash.peers.Receiver`).

First an uninterrupted run of each gives the reference: the normalised dump of every table
(:mod:`tests.crash.dump`), the messages the receiver got, its duration and the span in which it
wrote (the database polled while it ran). Then each trial copies the starting database, starts
the command in a process group of its own and SIGKILLs the command's process (not its group: a
crash takes the process, and whatever it started must go by itself) after a delay drawn from a
seeded RNG: a duration drawn from the full runs so far, then a moment anywhere in it (half the
kills) or in its writing span (the other half). Then the command is re-run; with ``kills`` > 1
the re-runs are killed too, all but the last, which must finish (a re-run that says the run is
"already running" is tried again after a second). A kill that finds the command already ended
counts as "missed", ends the chain, and is not a kill point. Then:

1. ``re-run``: the last re-run exits 0 and no output holds a traceback;
2. ``database``: the dump equals the reference's;
3. ``messages``: every message of the reference arrived at least once (by idempotency key)
   and nothing else did;
4. ``duplicates``: at most ``workers`` extra arrivals per kill (the documented window: one
   message per delivery worker whose receipt was not recorded; a re-send counts against the
   killed run in which its key last arrived), never more than one extra per key and kill,
   none by a run that was not killed, each extra identical to the first;
5. ``flow runs``: no flow run created during the trial is left RUNNING or PENDING in
   Prefect's database;
6. ``processes``: within a grace period after the last re-run, no process that carries the
   trial's mark in its environment (the command and whatever it started, Prefect's embedded
   server included) is alive. Survivors are then killed so they do not blur the next trial.

Prefect runs either embedded (each command starts the ephemeral API server, the default
install; its flow runs are read from ``$PREFECT_HOME/prefect.db``) or as one ``prefect server``
the harness starts for every command (``PREFECT_API_URL``; its runs are read from the server's
database file once the trial's commands are gone). Reproduce a run with its printed seed
(``QINGLIAN_CRASH_SEED`` for the test, ``--seed`` for the benchmark); the timings of a shared
machine still move the moments a little.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from inspect import signature
from pathlib import Path

from qinglian.oversight.delivery import deliver
from tests.crash import data
from tests.crash.dump import Dump, Dumper, volatile_columns
from tests.crash.peers import (
    MARK_ENV,
    FlowRun,
    Received,
    Receiver,
    Survivor,
    duplicates,
    flow_runs,
    kill_all,
    prefect_server,
    receiver,
    unfinished,
    wait_for_no_marked,
)
from tests.crash.stores import PostgresStore, SqliteStore, Store

KINDS = ("phase", "sweep")
QINGLIAN = Path(sys.executable).with_name("qinglian")
# Delivery workers of the sweep's send: the most messages a kill may leave sent but unrecorded.
WORKERS = int(signature(deliver).parameters["workers"].default)
ALREADY_RUNNING = ("already running", "正在运行")
LANDINGS = ("before its first write", "mid-run", "after its last write", "missed")
CHECKS = ("re-run", "database", "messages", "duplicates", "flow runs", "processes")


@dataclass(frozen=True)
class Config:
    workdir: Path
    kill_points: dict[str, int]  # kills that must land, per kind
    seed: int
    kills: int = 1  # kills per trial before the re-run that must finish
    pg_url: str | None = None  # None: the embedded SQLite default
    # "embedded": each command starts Prefect's ephemeral API server (the default install);
    # "server": one `prefect server start` for every command (PREFECT_API_URL), as in service.
    prefect: str = "embedded"
    receiver_delay: float = 0.2  # seconds the receiver takes to answer
    grace: float = 3.0  # seconds a command's processes get to go after it ends
    timeout: float = 240.0  # seconds a re-run may take
    twice: bool = False  # run the phase's reference twice: a check of the dump's normalisation
    log: bool = True  # print a line per trial


@dataclass(frozen=True)
class Reference:
    kind: str
    args: tuple[str, ...]
    base: str  # the store's name of the database every trial starts from
    dump: Dump
    messages: dict[str, Received]
    seconds: float
    writing: tuple[float, float]  # first and last change, seconds after the start


@dataclass
class Kill:
    delay: float
    landed: str  # "before its first write", "mid-run", "after its last write", "missed"
    received: int  # messages received while the killed command ran
    extra: int = 0  # arrivals of a key already received, in the run right after this kill


@dataclass
class Trial:
    kind: str
    number: int
    kills: list[Kill] = field(default_factory=list)
    reruns: int = 0
    seconds: float = 0.0
    extra: Counter[str] = field(default_factory=Counter)
    unexplained: int = 0  # re-sends by a run that was not killed
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.number:03d}"

    def line(self) -> str:
        kills = ", ".join(
            f"{kill.delay:.2f}s {kill.landed}"
            + (f", {kill.received} delivered" if kill.received else "")
            + (f", +{kill.extra} re-sent after" if kill.extra else "")
            for kill in self.kills
        )
        verdict = (
            "ok"
            if not self.failures
            else "FAILED " + "; ".join(f"[{check}] {text}" for check, text in self.failures.items())
        )
        return (
            f"{self.name}: kill at {kills}; re-runs {self.reruns}; "
            f"duplicates {sum(self.extra.values())}; {self.seconds:.1f}s: {verdict}"
        )


@dataclass
class Report:
    seed: int
    database: str
    prefect: str
    kills_per_trial: int
    references: dict[str, Reference]
    trials: list[Trial] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Trial]:
        return [trial for trial in self.trials if trial.failures]

    def of(self, kind: str) -> list[Trial]:
        return [trial for trial in self.trials if trial.kind == kind]

    def landed(self, kind: str | None = None) -> int:
        """Kills that hit a running command (not one that had already ended)."""
        trials = self.trials if kind is None else self.of(kind)
        return sum(kill.landed != "missed" for trial in trials for kill in trial.kills)

    def failures_by_check(self) -> Counter[str]:
        return Counter(check for trial in self.trials for check in trial.failures)

    def figures(self) -> str:
        """The harness's figures: per kind, where kills landed, duplicates, failures."""
        lines = [
            f"crash harness: seed {self.seed}; {self.database}, Prefect {self.prefect}; "
            f"{self.kills_per_trial} kill(s) per trial; {len(self.trials)} trials, "
            f"{self.landed()} kills landed; wall {self.seconds:.0f} s"
        ]
        for kind, reference in self.references.items():
            trials = self.of(kind)
            kills = [kill for trial in trials for kill in trial.kills]
            landed = Counter(kill.landed for kill in kills)
            lines.append(
                f"  {kind}: reference {reference.seconds:.1f} s (writing "
                f"{reference.writing[0]:.1f}–{reference.writing[1]:.1f} s), "
                f"{reference.dump.rows()} rows, {len(reference.messages)} messages; "
                f"{len(trials)} trials, {len(kills)} kills: "
                + ", ".join(f"{landed[where]} {where}" for where in LANDINGS if landed[where])
                + f"; duplicates {sum(kill.extra for kill in kills)} after "
                f"{sum(kill.extra > 0 for kill in kills)} kills (max "
                f"{max((kill.extra for kill in kills), default=0)} per kill, window {WORKERS}); "
                f"failed trials {sum(bool(trial.failures) for trial in trials)}"
            )
        checks = self.failures_by_check()
        lines.append(
            "  failed checks: "
            + (", ".join(f"{check} {checks[check]}" for check in CHECKS if checks[check]) or "none")
        )
        lines.append(f"  normalised columns: {', '.join(volatile_columns())}")
        return "\n".join(lines)

    def failure_text(self, shown: int = 8) -> str:
        return "\n".join(trial.line() for trial in self.failed[:shown])


# --- the harness ----------------------------------------------------------------------------


class CrashHarness:
    """Build the campaign, take the references, then run trials (see the module's docstring)."""

    def __init__(
        self, config: Config, receiver: Receiver, store: Store, api_url: str | None = None
    ) -> None:
        self.config = config
        self.receiver = receiver
        self.store = store
        self.rng = random.Random(config.seed)
        self.api_url = api_url
        self.prefect_home = config.workdir / "prefect"
        # Where the flow runs are stored: the ephemeral API's file, or the server's.
        self.runs_home = config.workdir / "prefect-server" if api_url else self.prefect_home
        self.logs = config.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.references: dict[str, Reference] = {}
        # Every uninterrupted run's duration per kind: what the kill delays are drawn from.
        self.durations: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.campaign_id = 0

    # -- the references --

    def prepare(self) -> None:
        """The starting databases and an uninterrupted run of each kind."""
        store, files = self.store, self.config.workdir / "files"
        store.create("find-state")
        self.campaign_id = data.build_find_state(store.settings("find-state"), files)
        store.release("find-state")
        phase = data.phase_args(self.campaign_id)
        if self.config.twice:
            # Two uninterrupted runs must dump alike, or the normalisation misses a volatile
            # column (and the first one pays for migrating Prefect's own database).
            twin = self._reference("phase", phase, "find-state", "phase-twin")
        self.references["phase"] = self._reference("phase", phase, "find-state", "phase-reference")
        if self.config.twice:
            drift = twin.dump.differences(self.references["phase"].dump)
            if drift:
                raise AssertionError("two uninterrupted phase runs differ: " + "; ".join(drift))
        store.copy("phase-reference", "sweep-state")
        data.build_sweep_state(store.settings("sweep-state"), files, self.campaign_id)
        store.release("sweep-state")
        sweep = data.sweep_args(self.campaign_id)
        self.references["sweep"] = self._reference("sweep", sweep, "sweep-state", "sweep-reference")
        if not self.references["sweep"].messages:
            raise AssertionError("the reference sweep sent nothing: no overdue item to escalate")
        if not flow_runs(self.runs_home):  # else "no run left RUNNING" would hold vacuously
            raise AssertionError(f"no flow run found under {self.runs_home}")

    def _reference(self, kind: str, args: tuple[str, ...], base: str, name: str) -> Reference:
        self.store.copy(base, name)
        url = self.store.url(name)
        mark = self.receiver.mark()
        dumper = Dumper(url)
        before = dumper()
        changes: list[float] = []
        stop = threading.Event()
        started = time.monotonic()

        def watch() -> None:  # when the database changes while the command runs
            last = before
            while not stop.is_set():
                current = dumper()
                if current != last:
                    changes.append(time.monotonic() - started)
                    last = current
                stop.wait(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            result = self._command(args, name, f"{self._token}-{name}", kill_after=None)
        finally:
            stop.set()
            watcher.join()
        after = dumper()
        dumper.close()
        if result.exit_code != 0:
            raise AssertionError(f"the reference {kind} run failed: {result.tail()}")
        received = self.receiver.since(mark)
        arrivals = [item.at - started for item in received]
        moments = changes + arrivals or [0.0, result.seconds]
        messages = {item.key: item for item in received}
        if len(messages) != len(received):
            raise AssertionError(f"the reference {kind} run sent duplicates: {len(received)}")
        self.durations[kind].append(result.seconds)
        return Reference(
            kind=kind,
            args=args,
            base=base,
            dump=after,
            messages=messages,
            seconds=result.seconds,
            writing=(min(moments), max(moments)),
        )

    # -- trials --

    def run(self) -> Report:
        """Trials until each kind has its kill points landed; the report with every figure.

        Kinds take turns, so a slow stretch of a shared machine does not hit one kind only. A
        kind gets at most twice the trials its kill points need.
        """
        started = time.monotonic()
        report = Report(
            seed=self.config.seed,
            database=self.store.kind,
            prefect=self.config.prefect,
            kills_per_trial=self.config.kills,
            references=self.references,
        )
        wanted = {kind: self.config.kill_points.get(kind, 0) for kind in KINDS}
        cap = {kind: 2 * -(-wanted[kind] // self.config.kills) for kind in KINDS}
        while True:
            due = [kind for kind in KINDS if report.landed(kind) < wanted[kind]]
            due = [kind for kind in due if len(report.of(kind)) < cap[kind]]
            if not due:
                break
            for kind in due:
                trial = self.trial(kind, len(report.of(kind)) + 1)
                report.trials.append(trial)
                if self.config.log:
                    print(trial.line(), flush=True)
        report.seconds = time.monotonic() - started
        return report

    def trial(self, kind: str, number: int) -> Trial:
        """Copy the starting database; kill, kill …, re-run to the end; check everything."""
        reference = self.references[kind]
        trial = Trial(kind=kind, number=number)
        started = time.monotonic()
        mark = f"{self._token}-{trial.name}"
        self.store.copy(reference.base, trial.name)
        runs_before = flow_runs(self.runs_home)
        arrivals: list[list[Received]] = []  # what each command of the trial delivered
        outputs: list[str] = []
        dump = Dumper(self.store.url(trial.name))
        state = initial = dump()
        for _ in range(self.config.kills):
            delay = self._delay(reference)
            since = self.receiver.mark()
            result = self._command(reference.args, trial.name, mark, kill_after=delay)
            outputs.append(result.output)
            arrivals.append(self.receiver.since(since))
            after = dump()
            landed = _landed(result, state, after, reference.dump)
            trial.kills.append(Kill(delay=delay, landed=landed, received=len(arrivals[-1])))
            if landed == "missed" and state == initial:
                self.durations[kind].append(result.seconds)  # a full run, uninterrupted
            state = after
            if landed == "missed":
                break  # the command finished: a later kill would only hit a run with no work
        since = self.receiver.mark()
        final = self._rerun(reference.args, trial.name, mark, trial)
        outputs.append(final.output)
        arrivals.append(self.receiver.since(since))
        if final.exit_code == 0 and trial.reruns == 1 and state == initial:
            self.durations[kind].append(final.seconds)  # it did all the work: a full run
        survivors = wait_for_no_marked(mark, self.config.grace)
        _count_extra(trial, arrivals)
        self._check(trial, reference, final, outputs, dump(), arrivals, runs_before, survivors)
        dump.close()
        kill_all(survivors)
        trial.seconds = time.monotonic() - started
        if not trial.failures:
            self.store.drop(trial.name)
        return trial

    def _delay(self, reference: Reference) -> float:
        """A duration drawn from the uninterrupted runs so far; the kill lands anywhere in it
        (half the time) or in its writing span, scaled from the reference's (the other half)."""
        # The reference was slowed by the polling that timed its writes: once trials give
        # full runs of their own, those are the sample.
        samples = self.durations[reference.kind]
        duration = self.rng.choice(samples[1:] if len(samples) > 2 else samples)
        if self.rng.random() < 0.5:
            return self.rng.uniform(0.0, duration)
        scale = duration / reference.seconds
        first, last = (moment * scale for moment in reference.writing)
        return self.rng.uniform(max(first - 0.2, 0.0), last + 0.2)

    def _rerun(self, args: tuple[str, ...], name: str, mark: str, trial: Trial) -> Finished:
        """Re-run until done; a run still said to be running (its lock) is tried again."""
        for _ in range(5):
            trial.reruns += 1
            result = self._command(args, name, mark, kill_after=None)
            if result.exit_code == 0 or not any(text in result.output for text in ALREADY_RUNNING):
                return result
            time.sleep(1.0)
        return result

    def _check(
        self,
        trial: Trial,
        reference: Reference,
        final: Finished,
        outputs: list[str],
        final_dump: Dump,
        arrivals: list[list[Received]],
        runs_before: dict[str, FlowRun],
        survivors: list[Survivor],
    ) -> None:
        failures = trial.failures
        if final.exit_code != 0:
            failures["re-run"] = f"exit {final.exit_code}: {final.tail()}"
        elif any("Traceback" in output for output in outputs):
            failures["re-run"] = "a traceback in the output"
        differences = final_dump.differences(reference.dump)
        if differences:
            failures["database"] = f"{len(differences)} tables differ: " + " | ".join(differences)
        received = [item for run in arrivals for item in run]
        keys = {item.key for item in received}
        lost, unknown = set(reference.messages) - keys, keys - set(reference.messages)
        if lost or unknown:
            failures["messages"] = f"{len(lost)} lost, {len(unknown)} not in the reference"
        kills = len(trial.kills)
        worst = max((kill.extra for kill in trial.kills), default=0)
        varied = [
            key
            for key in trial.extra
            if len({(item.path, item.title, item.body) for item in received if item.key == key}) > 1
        ]
        if trial.unexplained:
            failures["duplicates"] = f"{trial.unexplained} re-sent by a run that was not killed"
        elif worst > WORKERS or max(trial.extra.values(), default=0) > kills:
            failures["duplicates"] = (
                f"{sum(trial.extra.values())} extra arrivals of {len(trial.extra)} keys, "
                f"{worst} after one kill (window {WORKERS} per kill, one per key and kill)"
            )
        elif varied:
            failures["duplicates"] = f"{len(varied)} keys re-sent with another body"
        left = unfinished(flow_runs(self.runs_home), runs_before)
        if left:
            shown = "; ".join(str(run) for run in left[:4])
            failures["flow runs"] = f"{len(left)} left unfinished: {shown}"
        if survivors:
            shown = "; ".join(str(process) for process in survivors[:3])
            failures["processes"] = f"{len(survivors)} alive after the re-run: {shown}"

    # -- one command --

    @property
    def _token(self) -> str:
        return f"crash{os.getpid()}"

    def _env(self, name: str, mark: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("QINGLIAN_", "PREFECT_"))
        }
        env.update(self.store.env(name))
        env.update(
            {
                "PREFECT_HOME": str(self.prefect_home),
                **({"PREFECT_API_URL": self.api_url} if self.api_url else {}),
                "QINGLIAN_NOTIFIER": "apprise",
                MARK_ENV: mark,
                "COLUMNS": "200",
            }
        )
        for target in data.targets():
            env[f"QINGLIAN_NOTIFY__{target.upper()}"] = self.receiver.url(target)
        return env

    def _command(
        self, args: tuple[str, ...], name: str, mark: str, kill_after: float | None
    ) -> Finished:
        """Run ``qinglian <args>`` on the named database; SIGKILL it after ``kill_after``."""
        log = self.logs / f"{name}-{time.monotonic_ns()}.log"
        started = time.monotonic()
        # Output to a file, not a pipe: a server the command left behind may hold it open.
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(QINGLIAN), *args],
                env=self._env(name, mark),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.config.workdir,
            )
            killed = timed_out = False
            try:
                process.wait(timeout=kill_after if kill_after is not None else self.config.timeout)
            except subprocess.TimeoutExpired:
                if kill_after is None:
                    timed_out = True
                    os.killpg(process.pid, signal.SIGKILL)  # hung: the whole group
                else:
                    os.kill(process.pid, signal.SIGKILL)  # the crash: the command alone
                    killed = True
                process.wait()
            except BaseException:  # the harness itself interrupted: take the command along
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise
        text = log.read_text(errors="replace")
        if timed_out:
            text += f"\n(timed out after {self.config.timeout:.0f} s)"
        return Finished(
            exit_code=None if killed else process.returncode,
            killed=killed,
            seconds=time.monotonic() - started,
            output=text,
        )


@dataclass(frozen=True)
class Finished:
    exit_code: int | None
    killed: bool
    seconds: float
    output: str

    def tail(self) -> str:
        lines = [line for line in self.output.splitlines() if line.strip()]
        return " / ".join(lines[-3:])[:400]


def _count_extra(trial: Trial, arrivals: list[list[Received]]) -> None:
    """Extra arrivals per key, and per kill: a re-send of a key is counted against the killed
    run in which it last arrived (its receipt was never recorded there). One that no kill
    explains (sent twice by a run that was not killed) is ``trial.unexplained``."""
    trial.extra = duplicates([item for run in arrivals for item in run])
    last_run: dict[str, int] = {}
    for number, run in enumerate(arrivals):
        for item in run:
            culprit = last_run.get(item.key)
            if culprit is not None and culprit < len(trial.kills):
                trial.kills[culprit].extra += 1
            elif culprit is not None:
                trial.unexplained += 1
            last_run[item.key] = number


def _landed(result: Finished, before: Dump, after: Dump, reference: Dump) -> str:
    if not result.killed:
        return "missed"
    if after == before:
        return "before its first write"
    if after == reference:
        return "after its last write"
    return "mid-run"


@contextmanager
def crash_harness(config: Config) -> Iterator[CrashHarness]:
    """A prepared harness: receiver listening, references taken; every database dropped after."""
    config.workdir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        peer = stack.enter_context(receiver(config.receiver_delay))
        store: Store = (
            PostgresStore(config.workdir / "homes", config.pg_url)
            if config.pg_url
            else SqliteStore(config.workdir / "homes")
        )
        stack.callback(store.drop_all)
        api_url = None
        if config.prefect == "server":
            api_url = stack.enter_context(prefect_server(config.workdir / "prefect-server"))
        harness = CrashHarness(config, peer, store, api_url)
        harness.prepare()
        yield harness


def seed_from(text: str | None) -> int:
    """The seed given, else a fresh one (printed by the report, to reproduce the run)."""
    return int(text) if text else random.SystemRandom().randrange(1, 2**31)
