"""`qinglian outbox retry` on stuck messages: a vanished deliverer's are requeued, a live one's
are left and counted, with who holds them."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from models.enums import OutboxStatus
from models.outbox import OutboxMessage
from qinglian.oversight.claims import Owner, this_process
from qinglian.oversight.delivery import LEASE
from tests.factories import Qinglian
from tests.oversight.messages import add_messages, leave_claimed
from tests.oversight.test_escalation import build_tree


def _gone_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _outbox(cli: Qinglian, count: int) -> list[str]:
    cli.ok("outbox", "list")  # the embedded database is created on first use
    with cli.session() as session:
        tree = build_tree(session)
        session.commit()
        return add_messages(session, tree.campaign_id, count)


def _statuses(cli: Qinglian) -> dict[str, OutboxStatus]:
    with cli.session() as session:
        return {row.key: row.status for row in session.exec(select(OutboxMessage)).all()}


def test_retry_requeues_stuck_messages_and_leaves_a_live_deliverers(cli: Qinglian) -> None:
    dead, expired, live, elsewhere, failed, sent = _outbox(cli, 6)
    me = this_process()
    soon = datetime.now(UTC) + LEASE
    with cli.session() as session:
        leave_claimed(session, dead, Owner(me.host, _gone_pid(), "boot:1"), soon)
        leave_claimed(session, expired, me, datetime.now(UTC) - timedelta(minutes=1))
        leave_claimed(session, live, me, soon)
        leave_claimed(session, elsewhere, Owner("other-host", 4242, "boot:2"), soon)
        for key, status in ((failed, OutboxStatus.failed), (sent, OutboxStatus.sent)):
            row = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()
            row.status = status
        session.commit()

    listed = cli.ok("outbox", "list", "--status", "sending").stdout
    assert f"(pid {me.pid} @ {me.host})" in listed and "(pid 4242 @ other-host)" in listed

    out = cli.ok("outbox", "retry").stdout
    assert "已重新排队 3 条（失败或放弃 1，发送中断 2）" in out
    assert "requeued 3 (1 failed or given up, 2 stuck in sending)" in out
    assert "未动 2 条" in out and "left 2: their delivery may still be running" in out
    assert f"1 条由本机进程 {me.pid} 持有（仍在运行）" in out
    assert f"1 held by pid {me.pid} on this host (running), lease until" in out
    assert "1 条由主机 other-host 的进程 4242 持有（无法从本机核实）" in out
    assert "1 held by pid 4242 on host other-host (not checkable from here), lease until" in out
    assert _statuses(cli) == {
        dead: OutboxStatus.pending,
        expired: OutboxStatus.pending,
        live: OutboxStatus.sending,
        elsewhere: OutboxStatus.sending,
        failed: OutboxStatus.pending,
        sent: OutboxStatus.sent,
    }
    with cli.session() as session:
        requeued = session.exec(select(OutboxMessage).where(OutboxMessage.key == dead)).one()
    assert requeued.attempts == 0 and "may arrive twice" in (requeued.last_error or "")

    again = cli.ok("outbox", "retry").stdout  # nothing more to requeue; the same two held
    assert "requeued 0 (0 failed or given up, 0 stuck in sending)" in again
    assert "left 2" in again


def test_retry_of_one_held_message_says_why_it_was_left(cli: Qinglian) -> None:
    (key,) = _outbox(cli, 1)
    with cli.session() as session:
        leave_claimed(session, key, None, datetime.now(UTC) + LEASE)  # claimed before owners
        message_id = session.exec(select(OutboxMessage.id)).one()
    out = cli.ok("outbox", "retry", str(message_id)).stdout
    assert "已重新排队 0 条" in out and "未动 1 条" in out
    assert "1 with no recorded owner (claimed before owners were kept), lease until" in out
    assert _statuses(cli) == {key: OutboxStatus.sending}
