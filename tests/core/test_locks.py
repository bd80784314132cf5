"""Locks between processes: another real process holds a lock (a file lock on SQLite, an advisory
lock on PostgreSQL) and this one asks for it, shared or exclusive, waiting or not."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from qinglian.core import db, locks
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from tests.databases import PG_URL

NAME = "phase:1:mobilize"
PREFIX = "QINGLIAN_"
# How long an answer may take on a loaded machine: a bound on a wait, never a sleep.
ANSWER = 60.0


def _serve(pipe: Connection) -> None:
    """The other process: holds the locks it is told to, until told to let them all go."""
    held = ExitStack()
    while True:
        command, *arguments = pipe.recv()
        try:
            if command == "hold":
                environment, name, shared, wait = arguments
                for variable in [key for key in os.environ if key.startswith(PREFIX)]:
                    del os.environ[variable]
                os.environ.update(environment)
                get_settings.cache_clear()
                db.engine_for.cache_clear()
                held.enter_context(locks.hold(name, shared=shared, wait=wait))
            elif command == "release":
                held.close()
            else:
                held.close()
                pipe.send("done")
                return
            pipe.send("done")
        except Exception as exc:  # said to the test, which fails with it
            pipe.send(repr(exc))


class LockHolder:
    """Another process that takes locks with the test's settings, and lets them go when told."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        self._pipe, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()

    def hold(self, name: str, *, shared: bool = False, wait: bool = True) -> None:
        environment = {key: value for key, value in os.environ.items() if key.startswith(PREFIX)}
        self._ask("hold", environment, name, shared, wait)

    def release(self) -> None:
        self._ask("release")

    def close(self) -> None:
        if self.process.is_alive():
            self._ask("exit")
        self.process.join(ANSWER)

    def kill(self) -> None:
        assert self.process.pid is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(ANSWER)
        assert self.process.exitcode == -signal.SIGKILL

    def _ask(self, *command: object) -> None:
        self._pipe.send(command)
        assert self._pipe.poll(ANSWER), "the holding process did not answer"
        answer = self._pipe.recv()
        assert answer == "done", answer


class Waiter(threading.Thread):
    """Asks for a lock, waiting for it: ``waited`` is set if it had to, ``done`` once it has it."""

    def __init__(self, name: str, *, shared: bool = False) -> None:
        super().__init__(daemon=True)
        self.lock_name, self.shared = name, shared
        self.waited, self.done = threading.Event(), threading.Event()

    def run(self) -> None:
        with locks.hold(self.lock_name, shared=self.shared, on_wait=self.waited.set):
            self.done.set()


@pytest.fixture(params=["sqlite", "sqlite-url", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Settings that choose the lock: the embedded SQLite, a configured SQLite file, PostgreSQL."""
    monkeypatch.setenv("QINGLIAN_HOME", str(tmp_path / "home"))
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("QINGLIAN_TEST_PG_URL is not set: PostgreSQL variant skipped")
        monkeypatch.setenv("QINGLIAN_DATABASE_URL", PG_URL)
    elif request.param == "sqlite-url":
        monkeypatch.setenv("QINGLIAN_DATABASE_URL", f"sqlite:///{tmp_path / 'db' / 'q.db'}")
    else:
        monkeypatch.delenv("QINGLIAN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    db.engine_for.cache_clear()
    yield request.param
    db.get_engine().dispose()
    get_settings.cache_clear()
    db.engine_for.cache_clear()


@pytest.fixture(scope="module")
def other() -> Iterator[LockHolder]:
    holder = LockHolder()
    yield holder
    holder.close()


@pytest.fixture
def holder(other: LockHolder, backend: str) -> Iterator[LockHolder]:
    yield other
    other.release()


def _acquired(name: str, *, shared: bool) -> bool:
    try:
        with locks.hold(name, shared=shared, wait=False):
            return True
    except locks.LockBusy:
        return False


# (what the other process holds, what this one asks for) → given at once (True) or refused.
AT_ONCE = [
    pytest.param(None, False, True, id="free-exclusive"),
    pytest.param(None, True, True, id="free-shared"),
    pytest.param(True, True, True, id="shared-shared"),
    pytest.param(True, False, False, id="shared-exclusive"),
    pytest.param(False, True, False, id="exclusive-shared"),
    pytest.param(False, False, False, id="exclusive-exclusive"),
]


@pytest.mark.parametrize(("held_shared", "shared", "given"), AT_ONCE)
def test_a_lock_asked_without_waiting(
    holder: LockHolder, held_shared: bool | None, shared: bool, given: bool
) -> None:
    if held_shared is not None:
        holder.hold(NAME, shared=held_shared)
    assert _acquired(NAME, shared=shared) is given
    assert _acquired("phase:1:find", shared=False)  # another name is another lock


# (held, asked) → whether the asker waits until the other process lets go.
WAITING = [
    pytest.param(True, True, False, id="shared-shared"),
    pytest.param(True, False, True, id="shared-exclusive"),
    pytest.param(False, True, True, id="exclusive-shared"),
    pytest.param(False, False, True, id="exclusive-exclusive"),
]


@pytest.mark.parametrize(("held_shared", "shared", "waits"), WAITING)
def test_a_lock_asked_with_waiting(
    holder: LockHolder, held_shared: bool, shared: bool, waits: bool
) -> None:
    holder.hold(NAME, shared=held_shared)
    waiter = Waiter(NAME, shared=shared)
    waiter.start()
    if waits:
        assert waiter.waited.wait(ANSWER)
        assert not waiter.done.is_set()  # it cannot have it while the other process holds it
        holder.release()
    assert waiter.done.wait(ANSWER)
    assert waiter.waited.is_set() is waits
    waiter.join(ANSWER)


def test_a_lock_held_by_a_killed_process_is_free_at_once(backend: str) -> None:
    victim = LockHolder()
    victim.hold(NAME)
    victim.kill()
    # No lease, no clean-up: the system released it with the process (PostgreSQL ends the
    # session as soon as it reads the closed socket, hence a waiting ask, not a try).
    waiter = Waiter(NAME)
    waiter.start()
    assert waiter.done.wait(ANSWER)
    waiter.join(ANSWER)  # and let go of it
    assert _acquired(NAME, shared=False)


def test_a_lock_given_up_is_free_for_the_next_process(holder: LockHolder) -> None:
    with locks.hold(NAME):
        pass
    holder.hold(NAME, wait=False)  # refused if the release were left to the server


def test_the_thread_holding_a_lock_takes_it_again_and_no_other_thread_does(backend: str) -> None:
    with locks.hold(NAME, wait=False), locks.hold(NAME, wait=False), locks.hold(NAME, shared=True):
        other = Waiter(NAME, shared=True)
        other.start()
        assert other.waited.wait(ANSWER)
    assert other.done.wait(ANSWER)
    other.join(ANSWER)
    with locks.hold(NAME, shared=True), pytest.raises(RuntimeError, match="upgrade"):
        locks.hold(NAME).__enter__()


def test_a_refused_lock_raises_the_error_it_is_given(holder: LockHolder) -> None:
    holder.hold(NAME)
    busy = QinglianError("正在运行", "already running")
    with pytest.raises(QinglianError) as refused, locks.hold(NAME, wait=False, busy=busy):
        pass
    assert refused.value is busy


def test_a_lock_asked_with_a_timeout_is_given_up_on_with_the_error_given(
    holder: LockHolder,
) -> None:
    holder.hold(NAME, shared=True)  # a phase run reading the inputs
    busy = QinglianError("系统正忙", "busy")
    with pytest.raises(QinglianError) as refused, locks.hold(NAME, timeout=0.1, busy=busy):
        pass
    assert refused.value is busy
    holder.release()
    with locks.hold(NAME, timeout=0.1, busy=busy):  # taken as soon as it is free
        pass


def test_sqlite_locks_live_beside_the_database_file(tmp_path: Path, backend: str) -> None:
    with locks.hold(NAME):
        pass
    folder = {"sqlite": tmp_path / "home", "sqlite-url": tmp_path / "db"}.get(backend)
    if folder is None:
        assert not (tmp_path / "home" / "locks").exists()  # PostgreSQL: no file at all
    else:
        assert [path.name for path in (folder / "locks").iterdir()] == [
            f"phase_1_mobilize-{locks.key(NAME) & 0xFFFFFFFF:08x}.lock"
        ]
