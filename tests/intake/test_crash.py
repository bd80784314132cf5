"""A crash at every step of the intake, then a re-run: nothing imported twice, nothing lost.

Three mails wait in the mailbox: a 报告表 to import, a mail without attachment (refused) and
an encrypted workbook (quarantined). Runs die at one named point, once while settling each of
them in turn; the runs after, and the delivery, must leave exactly what an uninterrupted run
leaves: each mail settled once, the forms filed once, one reply per mail, every mail flagged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from models.enums import IntakeStatus
from models.form import Declaration
from models.intake import IntakeMail
from models.outbox import OutboxMessage
from qinglian.core import locks
from qinglian.intake.records import MAX_ATTEMPTS
from tests.factories import FB
from tests.intake.conftest import FB_OFFICE, SmtpServer, World
from tests.intake.dovecot import Dovecot
from tests.intake.mails import forms_workbook, returned_mail

ENCRYPTED = (Path(__file__).parent / "data" / "encrypted.xlsx").read_bytes()
POINTS = [
    "intake.claimed",  # the row committed `received`; nothing read
    "intake.read",  # the mail parsed; nothing decided
    "intake.imported",  # the forms written, not committed
    "intake.replied",  # the reply queued too, not committed
    "intake.committed",  # all committed; the mail not flagged on the server
    "intake.flagged",  # flagged; the run dies before the next mail
]
# Before the commit a crashed mail comes back first in the next run (its point is reached
# again, and passed); after it, the next run only flags it and the next mail reaches the point.
BEFORE_COMMIT = {"intake.claimed", "intake.read", "intake.imported", "intake.replied"}


class Crash(Exception):
    pass


def _crash_on(point: str, occurrences: set[int]) -> Callable[[str], None]:
    seen: list[str] = []

    def hook(where: str) -> None:
        if where == point:
            seen.append(where)
            if len(seen) in occurrences:
                raise Crash(where)

    return hook


@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_any_step_of_each_mail_then_a_rerun_settles_every_mail_once(
    world: World,
    dovecot: Dovecot,
    user: str,
    smtp: SmtpServer,
    session: Session,
    point: str,
) -> None:
    workbook = forms_workbook(session, world.campaign_id, FB)
    dovecot.append(
        user,
        returned_mail(
            sender=FB_OFFICE, to=world.reply_address(), attachments=[("a.xlsx", workbook)]
        ),
        returned_mail(sender=FB_OFFICE, to=world.reply_address()),
        returned_mail(
            sender=FB_OFFICE, to=world.reply_address(), attachments=[("b.xlsx", ENCRYPTED)]
        ),
    )
    # Each mail in turn (imported, refused, quarantined) dies at the point once.
    hook = _crash_on(point, {1, 3, 5} if point in BEFORE_COMMIT else {1, 2, 3})
    for _ in range(3):
        with pytest.raises(Crash):
            world.run(dovecot, user, hook=hook)
    last = world.run(dovecot, user, hook=hook)
    assert world.run(dovecot, user).read == 0  # nothing left unread

    session.expire_all()
    rows = session.exec(select(IntakeMail).order_by(col(IntakeMail.mailbox_uid))).all()
    assert [row.status for row in rows] == [
        IntakeStatus.imported,
        IntakeStatus.rejected,
        IntakeStatus.quarantined,
    ]
    resumed = [row.summary["attempts"] for row in rows]
    assert resumed == ([2, 2, 2] if point in BEFORE_COMMIT else [1, 1, 1])
    assert last.already == (1 if point == "intake.committed" else 0)
    # Filed once, by the run that committed: its counts are the first import's.
    assert session.exec(select(func.count()).select_from(Declaration)).one() == 3
    assert rows[0].summary["workbooks"][0]["counts"]["created"] == 3
    replies = session.exec(select(OutboxMessage)).all()
    assert sorted(reply.id for reply in replies) == sorted(row.reply_message_id for row in rows)
    assert Path(rows[2].quarantine_file or "").exists()

    delivered = world.deliver(smtp)
    assert delivered.sent == 3 and len(smtp.mails) == 3
    subjects = sorted(mail["Subject"].split("：", 1)[0] for _, mail in smtp.mails)
    assert subjects == ["回执", "退回", "退回"]
    receipt = next(m for _, m in smtp.mails if m["Subject"].startswith("回执"))
    assert rows[0].receipt_code and rows[0].receipt_code in receipt.get_content()
    assert dovecot.uids(user, "UNSEEN") == []
    assert len(dovecot.uids(user, "ALL", "Quarantine")) == 1


def test_a_mail_every_run_dies_on_is_quarantined_at_last_and_the_rest_go_on(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    workbook = forms_workbook(session, world.campaign_id, FB)
    poison = returned_mail(sender=FB_OFFICE, attachments=[("a.xlsx", workbook)])
    dovecot.append(
        user, poison, returned_mail(sender=FB_OFFICE, attachments=[("b.xlsx", workbook)])
    )

    def dies_on_the_first(where: str) -> None:
        if (
            where == "intake.read"
            and not session.exec(select(IntakeMail).where(IntakeMail.mailbox_uid == 2)).first()
        ):
            raise Crash(where)

    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(Crash):
            world.run(dovecot, user, hook=dies_on_the_first)
        session.expire_all()
    result = world.run(dovecot, user, hook=dies_on_the_first)
    assert (result.quarantined, result.imported, result.replies) == (1, 1, 1)
    session.expire_all()
    first, second = session.exec(select(IntakeMail).order_by(col(IntakeMail.mailbox_uid))).all()
    assert first.status == IntakeStatus.quarantined and "均未完成" in first.reason
    assert first.summary["attempts"] == MAX_ATTEMPTS + 1 and first.reply_message_id is None
    assert Path(first.quarantine_file or "").read_bytes() == poison
    assert second.status == IntakeStatus.imported


def test_a_phase_run_holding_the_inputs_stops_the_run_and_the_next_one_goes_on(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    workbook = forms_workbook(session, world.campaign_id, FB)
    dovecot.append(user, returned_mail(sender=FB_OFFICE, attachments=[("a.xlsx", workbook)]))
    holding, release = threading.Event(), threading.Event()

    def phase_run() -> None:
        with locks.hold(locks.INPUTS, shared=True):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=phase_run)
    thread.start()
    try:
        assert holding.wait(30)
        stopped = world.run(dovecot, user, inputs_wait=0.05)
    finally:
        release.set()
        thread.join(30)
    assert stopped.busy and (stopped.imported, stopped.replies) == (0, 0)
    row = session.exec(select(IntakeMail)).one()
    assert row.status == IntakeStatus.received and row.summary["attempts"] == 0
    assert session.exec(select(func.count()).select_from(Declaration)).one() == 0
    assert dovecot.uids(user, "UNSEEN") == [1]

    later = world.run(dovecot, user)
    assert (later.resumed, later.imported, later.busy) == (1, 1, False)
