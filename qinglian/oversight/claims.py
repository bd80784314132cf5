"""Who holds a ``sending`` digest, and whether a later run may take it over before its lease.

A delivery that claims a digest records its owner: host name, pid and a start marker (the
boot id and the process's start time in clock ticks, field 22 of ``/proc/<pid>/stat``), so a
pid the system has since given to another process is not mistaken for the claimant.

:func:`owner_is_gone` is the rule. A claim is **gone**, and taken over at once, only when its
owner ran on this host and that process no longer runs: no such pid, a zombie, or the pid now
belongs to a process with another start marker. Every other claim (a live owner, another
host's, or one from before owners were recorded) waits for its lease, as before.

:func:`census` sorts a campaign's ``sending`` rows by that rule and the lease; delivery takes
over the gone ones and ``outbox retry`` re-queues them. No Prefect.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlmodel import Session, col, select

from models.enums import OutboxStatus
from models.outbox import OutboxMessage

_PROC = Path("/proc")
# Field 22 of /proc/<pid>/stat, counted after the ")" that ends the command name (field 2).
_STARTTIME = 22 - 3
_DEAD_STATES = ("Z", "X")  # zombie, dead: exited, not yet (or never to be) reaped


@dataclass(frozen=True, slots=True)
class Owner:
    """The process that claimed a digest; ``start`` is "" where the platform gives none."""

    host: str
    pid: int
    start: str


StartOf = Callable[[int], str | None]


def owner_is_gone(owner: Owner | None, *, host: str, start_of: StartOf) -> bool:
    """True when ``owner`` ran on ``host`` and its process no longer runs.

    ``start_of(pid)`` is the start marker of the process with that pid now ("" if it runs but
    its marker cannot be read), or None if there is none. False means "not provably gone": the
    claim waits for its lease.
    """
    if owner is None or owner.host != host:
        return False
    now_running = start_of(owner.pid)
    if now_running is None:
        return True
    # "" on either side: a start marker that could not be read, so a reuse cannot be told.
    return bool(now_running and owner.start) and now_running != owner.start


def process_start(pid: int) -> str | None:
    """The start marker of the process ``pid``, or None when there is no such live process.

    On Linux: ``<boot id>:<start time in ticks>``. A live pid whose marker cannot be read (no
    ``/proc``, or another user's process hidden by ``hidepid``) gives "": a reused pid there
    counts as alive and its claims wait for their lease.
    """
    if pid <= 0:
        return None
    try:
        stat = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return _start_without_proc(pid)
    fields = stat.rpartition(")")[2].split()
    if len(fields) <= _STARTTIME or fields[0] in _DEAD_STATES:
        return None
    return f"{_boot_id()}:{fields[_STARTTIME]}"


def _start_without_proc(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return ""  # it exists, owned by another user
    return ""


@cache
def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


def this_host() -> str:
    return socket.gethostname()


def this_process() -> Owner:
    """The owner this process records on its claims (read afresh after a fork)."""
    return _owner(os.getpid())


@cache
def _owner(pid: int) -> Owner:
    return Owner(host=this_host(), pid=pid, start=process_start(pid) or "")


# --- the sending rows, sorted ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stuck:
    """A ``sending`` row as the census saw it; ``attempts`` guards a later conditional update."""

    id: int
    attempts: int
    owner: Owner | None
    lease_ends: datetime | None


@dataclass(slots=True)
class Census:
    """The ``sending`` rows: whose owner is gone, whose lease has passed, and the rest (held)."""

    gone: list[Stuck] = field(default_factory=list)
    expired: list[Stuck] = field(default_factory=list)
    held: list[Stuck] = field(default_factory=list)


def census(
    *,
    session: Session,
    now: datetime,
    campaign_id: int | None = None,
    ids: Sequence[int] | None = None,
    start_of: StartOf = process_start,
) -> Census:
    """Sort the ``sending`` rows (of a campaign, or these ids) by their owner and lease."""
    query = select(
        OutboxMessage.id,
        OutboxMessage.attempts,
        OutboxMessage.claimed_by_host,
        OutboxMessage.claimed_by_pid,
        OutboxMessage.claimed_by_start,
        OutboxMessage.next_attempt_at,
    ).where(col(OutboxMessage.status) == OutboxStatus.sending)
    if campaign_id is not None:
        query = query.where(col(OutboxMessage.campaign_id) == campaign_id)
    if ids is not None:
        query = query.where(col(OutboxMessage.id).in_(list(ids)))
    host = this_host()
    starts: dict[int, str | None] = {}

    def cached_start(pid: int) -> str | None:
        if pid not in starts:
            starts[pid] = start_of(pid)
        return starts[pid]

    found = Census()
    for message_id, attempts, owner_host, pid, start, lease_ends in session.exec(
        query.order_by(col(OutboxMessage.id))
    ).all():
        owner = None if owner_host is None or pid is None else Owner(owner_host, pid, start or "")
        stuck = Stuck(message_id, attempts, owner, _aware(lease_ends))
        if owner_is_gone(owner, host=host, start_of=cached_start):
            found.gone.append(stuck)
        elif stuck.lease_ends is None or stuck.lease_ends <= now:
            found.expired.append(stuck)
        else:
            found.held.append(stuck)
    return found


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands timestamps back naive; they are stored in UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
