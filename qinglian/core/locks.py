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
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings, get_settings

# What a phase run reads (units, cadres, forms, deliveries…): held shared by every phase run
# for its whole run, exclusive by every import, so an import lands wholly before or after.
# One lock for all campaigns: units and cadres belong to no campaign.
INPUTS = "inputs"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout ran out
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
        if not take(0.0):
            if not wait:
                raise busy or _busy(name)
            if on_wait is not None:
                on_wait()
            if not take(timeout):
                raise busy or _busy(name)
        held[name] = shared
        try:
            yield
        finally:
            del held[name]


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


# A backend's lock opens what it locks and yields `take(timeout)`: True once the lock is held,
# False when another holder is still in the way after `timeout` seconds (0: a mere try; None:
# wait for as long as it takes).
Take = Callable[[float | None], bool]


@lru_cache(maxsize=8)
def _lock_engine(url: str) -> Engine:
    return create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": 10}, hide_parameters=True
    )


@contextmanager
def _postgres_lock(name: str, shared: bool) -> Iterator[Take]:
    suffix = "_shared" if shared else ""
    # Autocommit: no transaction left open for the whole run (an idle-in-transaction timeout
    # would end it, and the lock with it).
    # A connection of its own, never from the pool the work uses: a writer waiting for the lock
    # must not wait for a pooled connection that other waiters hold. Closing it really closes
    # it, and the lock goes with it.
    engine = _lock_engine(get_settings().effective_database_url)
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:

        def take(timeout: float | None) -> bool:
            if timeout == 0:
                held = connection.execute(
                    text(f"SELECT pg_try_advisory_lock{suffix}(:key)"), {"key": key(name)}
                )
                return bool(held.scalar_one())
            # Waiting in the server's lock queue: first come, first served.
            if timeout is not None:
                connection.execute(text(f"SET lock_timeout = {max(1, int(timeout * 1000))}"))
            try:
                connection.execute(
                    text(f"SELECT pg_advisory_lock{suffix}(:key)"), {"key": key(name)}
                )
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                    return False
                raise
            finally:
                if timeout is not None:
                    with suppress(DBAPIError):
                        connection.execute(text("SET lock_timeout = 0"))
            return True

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

    def attempt() -> bool:
        try:
            fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def take(timeout: float | None) -> bool:
        if timeout is None:
            fcntl.flock(descriptor, mode)
            return True
        # flock has no timeout: short jittered tries (in step, waiters would take turns
        # unfairly), for writers that hold the lock for milliseconds.
        deadline = time.monotonic() + timeout
        while not attempt():
            if time.monotonic() >= deadline:
                return False
            time.sleep(random.uniform(0.005, 0.03))
        return True

    try:
        yield take
    finally:
        os.close(descriptor)  # the lock goes with the descriptor
