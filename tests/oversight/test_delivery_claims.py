"""Claims with owners: a killed deliverer's rows are taken over at once, a live one's never.

Real processes (a child killed with SIGKILL, a zombie, a reaped pid), a real HTTP receiver, and
two concurrent deliverers on PostgreSQL. Time is a parameter: a long or stalled run is a
``clock`` that has moved on, never a sleep.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlmodel import Session, SQLModel, select

from models.enums import OutboxStatus
from models.outbox import OutboxMessage
from qinglian.notify.apprise_notifier import AppriseNotifier
from qinglian.notify.protocol import Message
from qinglian.oversight.claims import Owner, owner_is_gone, process_start, this_process
from qinglian.oversight.delivery import LEASE, DeliveryResult, deliver
from tests.databases import DATABASES, PG_URL
from tests.oversight.killed_deliverer import NOW as T0
from tests.oversight.messages import CountingNotifier, add_messages, leave_claimed
from tests.oversight.peers import HttpReceiver
from tests.oversight.test_escalation import build_tree

ROOT = Path(__file__).resolve().parents[2]
HERE = socket.gethostname()
AFTER_LEASE = T0 + LEASE + timedelta(minutes=1)


# --- the rule ------------------------------------------------------------------------------

RUNNING = {100: "boot-a:5000", 300: ""}  # pid → start marker of what runs now ("" = no /proc)


@pytest.mark.parametrize(
    ("owner", "gone"),
    [
        pytest.param(Owner(HERE, 100, "boot-a:5000"), False, id="this-pid-alive"),
        pytest.param(Owner(HERE, 200, "boot-a:4000"), True, id="dead-pid"),
        pytest.param(Owner(HERE, 100, "boot-a:1234"), True, id="reused-pid"),
        pytest.param(Owner(HERE, 100, "boot-0:5000"), True, id="pid-from-before-a-reboot"),
        pytest.param(Owner("other-host", 200, "boot-b:1"), False, id="other-host"),
        pytest.param(Owner("other-host", 100, "boot-a:5000"), False, id="other-host-same-pid"),
        pytest.param(None, False, id="no-owner-recorded"),
        pytest.param(Owner(HERE, 300, ""), False, id="no-start-marker-alive"),
        pytest.param(Owner(HERE, 400, ""), True, id="no-start-marker-dead"),
        pytest.param(Owner(HERE, 300, "boot-a:77"), False, id="marker-unreadable-now"),
        pytest.param(Owner(HERE, 100, ""), False, id="marker-unrecorded-pid-alive"),
    ],
)
def test_only_a_vanished_process_on_this_host_loses_its_claims(
    owner: Owner | None, gone: bool
) -> None:
    assert owner_is_gone(owner, host=HERE, start_of=RUNNING.get) is gone


def test_the_start_marker_is_read_from_proc_and_a_zombie_has_none() -> None:
    fields = Path(f"/proc/{os.getpid()}/stat").read_text().rpartition(")")[2].split()
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert process_start(os.getpid()) == f"{boot}:{fields[19]}" == this_process().start
    child = subprocess.Popen(["true"])
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
    assert Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    assert process_start(child.pid) is None
    child.wait()
    assert process_start(child.pid) is None
    assert process_start(0) is None and process_start(-1) is None


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(params=DATABASES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database other processes can open too: a SQLite file, or PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'outbox.db'}" if request.param == "sqlite" else PG_URL
    assert url
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    yield url
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


def _campaign(engine: Engine) -> int:
    with Session(engine) as session:
        tree = build_tree(session)
        session.commit()
        return tree.campaign_id


def _factory(engine: Engine) -> Callable[[], Session]:
    return lambda: Session(engine, expire_on_commit=False)


def _rows(engine: Engine) -> dict[str, OutboxMessage]:
    with Session(engine) as session:
        return {row.key: row for row in session.exec(select(OutboxMessage)).all()}


def _add(engine: Engine, count: int) -> list[str]:
    campaign_id = _campaign(engine)
    with Session(engine) as session:
        return add_messages(session, campaign_id, count)


def _hook(http: HttpReceiver) -> AppriseNotifier:
    return AppriseNotifier({"HOOK": f"json://127.0.0.1:{http.port}/hook"})


def _gone_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# --- a killed deliverer --------------------------------------------------------------------


def test_a_killed_deliverers_rows_are_taken_over_at_once_and_at_most_workers_doubled(
    url: str, http: HttpReceiver
) -> None:
    engine = create_engine(url)
    keys = _add(engine, 40)
    workers = 4
    module = "tests.oversight.killed_deliverer"
    child = subprocess.Popen(
        [sys.executable, "-m", module, url, str(http.port), "5", str(workers)],
        cwd=ROOT,
    )
    try:
        # Wait for the kill without reaping: the dead deliverer stays a zombie for the re-run.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        left = _rows(engine)
        stuck = [row for row in left.values() if row.status == OutboxStatus.sending]
        assert sum(row.status == OutboxStatus.sent for row in left.values()) == 4
        assert len(stuck) == 36
        assert {(row.claimed_by_host, row.claimed_by_pid) for row in stuck} == {(HERE, child.pid)}
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        assert all((row.claimed_by_start or "").startswith(f"{boot}:") for row in stuck)

        # The immediate re-run, same logical time: no lease to wait for.
        rerun = deliver(session_factory=_factory(engine), notifier=_hook(http), now=T0)
    finally:
        child.kill()
        assert child.wait() == -9
    assert (rerun.taken_over, rerun.sent, rerun.resent) == (36, 36, 36)
    rows = _rows(engine)
    assert all(row.status == OutboxStatus.sent for row in rows.values())
    assert {rows[row.key].claimed_by_pid for row in stuck} == {os.getpid()}
    received = Counter(http.keys())
    assert set(received) == set(keys)  # nothing lost
    doubled = [key for key, n in received.items() if n > 1]
    assert 1 <= len(doubled) <= workers and max(received.values()) == 2
    engine.dispose()


def test_only_claims_of_a_vanished_process_skip_the_lease(url: str) -> None:
    engine = create_engine(url)
    keys = _add(engine, 6)
    me = this_process()
    owners = {
        "dead": Owner(HERE, _gone_pid(), "boot:1"),
        "reused": Owner(HERE, me.pid, me.start + "0"),
        "alive": me,
        "other host": Owner("other-host", _gone_pid(), "boot:1"),
        "no owner": None,
    }
    with Session(engine) as session:
        for key, owner in zip(keys, owners.values(), strict=False):
            leave_claimed(session, key, owner, T0 + LEASE)
    claimed = dict(zip(owners, keys, strict=False))
    notifier = CountingNotifier()

    now = deliver(session_factory=_factory(engine), notifier=notifier, now=T0)
    # the dead and the reused pid's rows, and the one row never claimed
    assert set(notifier.counts) == {claimed["dead"], claimed["reused"], keys[-1]}
    assert (now.taken_over, now.resent, now.sent) == (2, 2, 3)
    later = deliver(session_factory=_factory(engine), notifier=notifier, now=AFTER_LEASE)
    assert (later.taken_over, later.resent, later.sent) == (0, 3, 3)
    assert notifier.counts == Counter(keys)
    engine.dispose()


# --- long and stalled runs -----------------------------------------------------------------


class Rival:
    """A second deliverer that runs once, at a point of the first one's run."""

    def __init__(self, engine: Engine, notifier: CountingNotifier, point: str, at: int) -> None:
        self.engine, self.notifier, self.point, self.at = engine, notifier, point, at
        self.seen = 0
        self.result: DeliveryResult | None = None

    def hook(self, now: datetime) -> Callable[[str], None]:
        def hook(point: str) -> None:
            if point != self.point:
                return
            self.seen += 1
            if self.seen == self.at:
                self.result = deliver(
                    session_factory=_factory(self.engine), notifier=self.notifier, now=now
                )

        return hook


def _one_by_one(
    engine: Engine,
    notifier: CountingNotifier,
    per_send: timedelta,
    rival: Rival,
    rival_at: datetime,
) -> DeliveryResult:
    """One send at a time while a clock moves ``per_send`` on with each: a slow receiver."""
    return deliver(
        session_factory=_factory(engine),
        notifier=notifier,
        now=T0,
        workers=1,
        clock=lambda: T0 + per_send * notifier.total,
        hook=rival.hook(rival_at),
    )


def test_a_long_run_measures_each_lease_from_its_claim(url: str) -> None:
    """Twenty minutes into a run, a batch claimed now holds ten more minutes, not ten from
    the run's start (which had passed: a rival took the rows and both sent them)."""
    engine = create_engine(url)
    keys = _add(engine, 3)
    notifier = CountingNotifier()
    rival = Rival(engine, notifier, "deliver.claimed", at=1)
    result = deliver(
        session_factory=_factory(engine),
        notifier=notifier,
        now=T0,
        clock=lambda: T0 + timedelta(minutes=20),
        hook=rival.hook(T0 + timedelta(minutes=15)),
    )
    assert rival.result is not None and rival.result.attempted == 0
    assert result.sent == 3 and notifier.counts == Counter(keys)
    engine.dispose()


def test_a_slow_batch_renews_its_leases(url: str) -> None:
    engine = create_engine(url)
    keys = _add(engine, 5)
    notifier = CountingNotifier()
    rival = Rival(engine, notifier, "deliver.recorded", at=3)
    # claimed at T0: without a renewal, the leases would have ended at T0 + 10'
    result = _one_by_one(engine, notifier, timedelta(minutes=4), rival, T0 + timedelta(minutes=12))
    assert rival.result is not None and rival.result.attempted == 0
    assert result.sent == 5 and notifier.counts == Counter(keys)
    with Session(engine) as session:
        claimed_at = {row.claimed_at for row in session.exec(select(OutboxMessage)).all()}
    assert len(claimed_at) == 1  # renewing a lease keeps the claim
    engine.dispose()


def test_a_stalled_run_sends_nothing_another_took_over(url: str) -> None:
    """Stalled past its lease (suspended, say), a run finds its waiting claims taken over by a
    rival and leaves them to it: each message goes out once."""
    engine = create_engine(url)
    keys = _add(engine, 5)
    notifier = CountingNotifier()
    rival = Rival(engine, notifier, "deliver.recorded", at=1)
    result = _one_by_one(engine, notifier, timedelta(minutes=11), rival, T0 + timedelta(minutes=11))
    assert rival.result is not None and (rival.result.sent, rival.result.resent) == (4, 4)
    assert (result.sent, result.skipped) == (1, 4)
    assert notifier.counts == Counter(keys)
    engine.dispose()


# --- two deliverers at once ----------------------------------------------------------------


@pytest.mark.skipif(not PG_URL, reason="QINGLIAN_TEST_PG_URL is not set")
def test_two_concurrent_deliverers_on_postgresql_send_each_message_once(
    tmp_path: Path,
) -> None:
    assert PG_URL
    setup = create_engine(PG_URL)
    SQLModel.metadata.drop_all(setup)
    SQLModel.metadata.create_all(setup)
    keys = _add(setup, 300)
    counts = CountingNotifier()
    # Each deliverer's first send waits for the other's: both are surely claiming at once.
    both_sending = threading.Barrier(2, timeout=60)
    results: dict[str, DeliveryResult] = {}
    errors: list[BaseException] = []

    class FirstWaits:
        def __init__(self) -> None:
            self.first = True

        def send(self, message: Message) -> None:
            if self.first:
                self.first = False
                both_sending.wait()
            counts.send(message)

    def run(name: str) -> None:
        engine = create_engine(PG_URL or "", pool_size=1, max_overflow=0)
        try:
            results[name] = deliver(
                session_factory=_factory(engine), notifier=FirstWaits(), now=T0, batch_size=10
            )
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and not any(thread.is_alive() for thread in threads)
    assert counts.counts == Counter(keys)  # every message exactly once, none skipped
    assert sum(result.sent for result in results.values()) == 300
    assert all(result.sent > 0 and result.failed == 0 for result in results.values())
    rows = _rows(setup)
    assert all(row.status == OutboxStatus.sent for row in rows.values())
    SQLModel.metadata.drop_all(setup)
    setup.dispose()
