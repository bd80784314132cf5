"""Named locks between processes, which the system releases when their process dies.

A lock belongs to the process that took it: a crash, even a SIGKILL, never leaves one behind,
so there is no stale lock to clean up and no lease to wait out.

- On PostgreSQL a lock is a session-level advisory lock (``pg_advisory_lock``) on a connection
  of its own, outside the pool the work uses; the server drops it with the connection.
- On SQLite (the embedded default, or a configured ``sqlite:`` URL) a lock is ``flock`` on a
  file in ``locks/`` beside the database file; the kernel drops it with the process.

A lock is taken again freely by the thread that holds it (so a command can take a lock before
it starts a flow that takes the same lock). Other threads, like other processes, wait or are
refused.

Locks here, not transactions: a phase run is many flow runs and tasks, each with sessions of
its own, over minutes; no one transaction spans it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from qinglian.core import db
from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings, get_settings

# What a phase run reads (units, cadres, forms, deliveries…): held shared by every phase run
# for its whole run, exclusive by every import, so an import lands wholly before or after.
# One lock for all campaigns: units and cadres belong to no campaign.
INPUTS = "inputs"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# The locks this thread holds, by name: True when held shared.
_local = threading.local()


class LockBusy(QinglianError):
    """A lock asked for without waiting is held by another process."""


@contextmanager
def hold(
    name: str,
    *,
    shared: bool = False,
    wait: bool = True,
    busy: QinglianError | None = None,
    on_wait: Callable[[], None] | None = None,
    timeout: float | None = None,
) -> Iterator[None]:
    """Hold the lock ``name`` until the block ends, however it ends.

    ``shared`` locks go together; an exclusive one goes alone. When the lock is taken and
    ``wait`` is false, raise ``busy`` (by default a :class:`LockBusy` naming the lock); when
    ``wait`` is true, call ``on_wait`` once and wait for it — at most ``timeout`` seconds, if
    given, then raise ``busy`` (a web request must not hang on a phase run).
    """
    held = _held()
    if name in held:
        if held[name] and not shared:
            raise RuntimeError(f"lock {name!r} is held shared by this thread: it cannot upgrade")
        yield
        return
    opened = _postgres_lock if _is_postgres(get_settings()) else _file_lock
    with opened(name, shared) as take:
        if not take(False):
            if not wait:
                raise busy or _busy(name)
            if on_wait is not None:
                on_wait()
            if timeout is None:
                take(True)
            elif not _take_within(take, timeout):
                raise busy or _busy(name)
        held[name] = shared
        try:
            yield
        finally:
            del held[name]


def _take_within(take: Take, timeout: float) -> bool:
    """Try for the lock until ``timeout`` passes, on the one connection or file already open.

    Holders of this lock keep it for milliseconds (a portal write), so short jittered waits: in
    step, the waiters would take turns unfairly.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(random.uniform(0.005, 0.03))
        if take(False):
            return True
    return False


def key(name: str) -> int:
    """The advisory lock key of ``name``: a signed 64-bit hash, the same in every process."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_folder(settings: Settings) -> Path:
    """Where the lock files of a SQLite database are: ``locks/`` beside the database file."""
    if settings.is_embedded:
        return settings.home / "locks"
    database = make_url(settings.effective_database_url).database
    if not database or database == ":memory:":
        return settings.home / "locks"
    return Path(database).resolve().parent / "locks"


def _held() -> dict[str, bool]:
    if not hasattr(_local, "held"):
        _local.held = {}
    return _local.held  # type: ignore[no-any-return]


def _busy(name: str) -> LockBusy:
    return LockBusy(f"「{name}」正被另一进程占用", f"{name!r} is held by another process")


def _is_postgres(settings: Settings) -> bool:
    return make_url(settings.effective_database_url).get_backend_name() == "postgresql"


# A backend's lock opens what it locks and yields `take(block)`: True once the lock is held,
# False (only when not blocking) when another holder is in the way.
Take = Callable[[bool], bool]


@contextmanager
def _postgres_lock(name: str, shared: bool) -> Iterator[Take]:
    suffix = "_shared" if shared else ""
    # Autocommit: no transaction left open for the whole run (an idle-in-transaction timeout
    # would end it, and the lock with it).
    with db.get_engine().execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        # Out of the pool for good: closing it really closes it, and the lock goes with it.
        connection.detach()

        def take(block: bool) -> bool:
            function = f"pg_advisory_lock{suffix}" if block else f"pg_try_advisory_lock{suffix}"
            held = connection.execute(text(f"SELECT {function}(:key)"), {"key": key(name)})
            return block or bool(held.scalar_one())

        try:
            yield take
        finally:
            # Released now, not when the server gets round to ending the session: the next
            # run may start the moment this one returns. A connection that is gone took the
            # lock with it.
            with suppress(DBAPIError):
                connection.execute(text("SELECT pg_advisory_unlock_all()"))


@contextmanager
def _file_lock(name: str, shared: bool) -> Iterator[Take]:
    folder = lock_folder(get_settings())
    folder.mkdir(parents=True, exist_ok=True)
    readable = _UNSAFE.sub("_", name)[:60]
    path = folder / f"{readable}-{key(name) & 0xFFFFFFFF:08x}.lock"
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    # Never inherited by a child process (PEP 446): a lock must not outlive its process.
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def take(block: bool) -> bool:
        try:
            fcntl.flock(descriptor, mode if block else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        yield take
    finally:
        os.close(descriptor)  # the lock goes with the descriptor
