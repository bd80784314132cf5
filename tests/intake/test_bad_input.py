"""Bad mail: each answered clearly or quarantined unopened, and nothing imported wrongly.

``data/encrypted.xlsx`` is a real password-protected workbook (an OLE compound file holding
``EncryptionInfo`` and ``EncryptedPackage``), made once with msoffcrypto-tool from a one-row
报告表; its password is ``s3cret-open``. The intake never opens it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from models.campaign import Deliverable, LeadingGroupMember
from models.enums import IntakeStatus
from models.form import Declaration
from models.intake import IntakeMail
from models.outbox import OutboxMessage
from models.summary import PhaseSummary
from tests.factories import DELIVERY_HEADERS, FB, LYG, leading_group_row
from tests.intake.conftest import FB_OFFICE, SQLITE_ONLY, STRANGER, World
from tests.intake.dovecot import Dovecot
from tests.intake.mails import forms_workbook, returned_mail, table_workbook, with_member
from tests.portal.workbooks import RELATIVE

ENCRYPTED = (Path(__file__).parent / "data" / "encrypted.xlsx").read_bytes()
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def imported_rows(session: Session) -> tuple[int, ...]:
    """Everything an import writes: forms, deliveries, leading groups, summaries."""
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(Declaration)).one(),
        session.exec(
            select(func.count())
            .select_from(Deliverable)
            .where(col(Deliverable.submitted_on).is_not(None))
        ).one(),
        session.exec(select(func.count()).select_from(LeadingGroupMember)).one(),
        session.exec(
            select(func.count())
            .select_from(PhaseSummary)
            .where(col(PhaseSummary.narrative).is_not(None))
        ).one(),
    )


def _settled(session: Session) -> tuple[IntakeMail, OutboxMessage | None]:
    session.expire_all()
    row = session.exec(select(IntakeMail)).one()
    reply = session.get(OutboxMessage, row.reply_message_id) if row.reply_message_id else None
    return row, reply


# --- refused with a reply ------------------------------------------------------------------


def test_a_mail_without_attachment_is_answered_and_imports_nothing(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    before = imported_rows(session)
    dovecot.append(user, returned_mail(sender=FB_OFFICE, to=world.reply_address()))
    result = world.run(dovecot, user)
    row, reply = _settled(session)
    assert (result.rejected, row.status) == (1, IntakeStatus.rejected)
    assert reply is not None and reply.title.startswith("退回：邮件没有附件")
    assert "no attachment" in reply.body
    assert imported_rows(session) == before
    assert dovecot.uids(user, "UNSEEN") == []


def test_two_units_workbooks_in_one_mail_are_refused_naming_both(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    before = imported_rows(session)
    own = forms_workbook(session, world.campaign_id, FB)
    other = forms_workbook(session, world.campaign_id, LYG)
    dovecot.append(
        user,
        returned_mail(
            sender=FB_OFFICE,
            to=world.reply_address(),
            attachments=[("连妇保.xlsx", own), ("市局.xlsx", other)],
        ),
    )
    world.run(dovecot, user)
    row, reply = _settled(session)
    assert row.status == IntakeStatus.rejected and reply is not None
    assert f"多个单位（{FB}、{LYG}（连云港市卫生局））" in reply.body
    assert "several units" in reply.body
    assert imported_rows(session) == before  # not even the unit's own workbook


@pytest.mark.parametrize("kind", ["forms", "deliveries"])
def test_a_workbook_of_another_unit_is_refused(
    world: World, dovecot: Dovecot, user: str, session: Session, kind: str
) -> None:
    before = imported_rows(session)
    if kind == "forms":
        workbook = forms_workbook(session, world.campaign_id, LYG)
    else:
        row = leading_group_row(LYG)
        workbook = table_workbook(
            "上报事项", DELIVERY_HEADERS, [[row.get(header) for header in DELIVERY_HEADERS]]
        )
    dovecot.append(
        user,
        returned_mail(
            sender=FB_OFFICE, to=world.reply_address(), attachments=[("a.xlsx", workbook)]
        ),
    )
    world.run(dovecot, user)
    row, reply = _settled(session)
    assert row.status == IntakeStatus.rejected and reply is not None
    assert f"工作簿属于其他单位 {LYG}（连云港市卫生局）" in reply.body
    assert imported_rows(session) == before


def test_row_errors_go_back_in_both_languages_and_nothing_is_imported(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    before = imported_rows(session)
    broken = forms_workbook(session, world.campaign_id, FB, on="2012-02-30", rows=2)
    dovecot.append(
        user,
        returned_mail(sender=FB_OFFICE, to=world.reply_address(), attachments=[("b.xlsx", broken)]),
    )
    world.run(dovecot, user)
    row, reply = _settled(session)
    assert row.status == IntakeStatus.rejected and reply is not None
    errors = [line for line in reply.body.splitlines() if line.startswith("- b.xlsx [基本情况]")]
    assert errors and all(" / row " in line for line in errors)
    assert "第2行" in errors[0]
    assert imported_rows(session) == before
    assert "b.xlsx" not in row.reason and "2012-02-30" not in row.reason  # counts, no cells


def test_an_amendment_needs_its_reason_in_the_mail(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    first = forms_workbook(session, world.campaign_id, FB)
    changed = forms_workbook(
        session, world.campaign_id, FB, nothing="否", relatives=[RELATIVE], rows=1
    )
    dovecot.append(user, returned_mail(sender=FB_OFFICE, attachments=[("1.xlsx", first)]))
    world.run(dovecot, user)
    dovecot.append(user, returned_mail(sender=FB_OFFICE, attachments=[("2.xlsx", changed)]))
    world.run(dovecot, user)
    refused = session.exec(select(IntakeMail).order_by(col(IntakeMail.id).desc())).first()
    assert refused is not None and refused.status == IntakeStatus.rejected
    reply = session.get(OutboxMessage, refused.reply_message_id)
    assert reply is not None and "修改原因" in reply.body
    dovecot.append(
        user,
        returned_mail(
            sender=FB_OFFICE,
            attachments=[("3.xlsx", changed)],
            body="请查收。\n修改原因：原填报有误，已更正。\n",
        ),
    )
    world.run(dovecot, user)
    session.expire_all()
    last = session.exec(select(IntakeMail).order_by(col(IntakeMail.id).desc())).first()
    assert last is not None and last.status == IntakeStatus.imported, last.reason
    assert last.summary["workbooks"][0]["counts"]["amended"] == 1


def test_an_auto_reply_is_neither_imported_nor_answered(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    workbook = forms_workbook(session, world.campaign_id, FB)
    dovecot.append(
        user,
        returned_mail(
            sender=FB_OFFICE,
            subject="自动回复：请报送《报告表》",
            headers={"Auto-Submitted": "auto-replied"},
            attachments=[("a.xlsx", workbook)],
        ),
    )
    world.run(dovecot, user)
    row, reply = _settled(session)
    assert row.status == IntakeStatus.rejected and reply is None
    assert imported_rows(session) == (0, 0, 0, 0)


# --- quarantined, never opened ---------------------------------------------------------------

Attachments = Callable[[World, Session], list[tuple[str, bytes]]]


def _forms(world: World, session: Session) -> bytes:
    return forms_workbook(session, world.campaign_id, FB)


QUARANTINED: list[tuple[str, Attachments, str]] = [
    ("encrypted", lambda w, s: [("报告表.xlsx", ENCRYPTED)], "加密或设了打开密码"),
    (
        "macro-project",
        lambda w, s: [("报告表.xlsx", with_member(_forms(w, s), "xl/vbaProject.bin"))],
        "含宏",
    ),
    ("macro-extension", lambda w, s: [("报告表.xlsm", _forms(w, s))], "含宏"),
    ("old-xls", lambda w, s: [("报告表.xls", OLE2 + b"\x00" * 4096)], "旧版 .xls/.et"),
    ("executable", lambda w, s: [("报告表.exe", b"MZ\x90\x00" + b"\x00" * 512)], "不是工作簿"),
    ("et-not-a-workbook", lambda w, s: [("报告表.et", os.urandom(2048))], "不是工作簿"),
    ("pdf", lambda w, s: [("报告表.pdf", b"%PDF-1.4\n%%EOF\n")], "不是工作簿"),
    (
        "workbook-and-an-executable",
        lambda w, s: [("a.xlsx", _forms(w, s)), ("setup.exe", b"MZ" + b"\x00" * 64)],
        "不是工作簿",
    ),
]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("attachments", "said"),
    [pytest.param(build, said, id=name) for name, build, said in QUARANTINED],
)
def test_unsafe_attachments_are_quarantined_unopened_and_the_unit_told(
    world: World,
    dovecot: Dovecot,
    user: str,
    session: Session,
    attachments: Attachments,
    said: str,
) -> None:
    raw = returned_mail(
        sender=FB_OFFICE, to=world.reply_address(), attachments=attachments(world, session)
    )
    dovecot.append(user, raw)
    result = world.run(dovecot, user)
    row, reply = _settled(session)
    assert (result.quarantined, row.status) == (1, IntakeStatus.quarantined)
    assert said in row.reason and row.unit_id == world.units[FB]
    assert reply is not None and reply.title.startswith("退回：邮件已隔离")
    assert said in reply.body and reply.target == f"email:{FB_OFFICE}"
    kept = Path(row.quarantine_file or "")
    assert kept == world.home / "intake" / "quarantine" / f"{row.message_key}.eml"
    assert kept.read_bytes() == raw
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert imported_rows(session) == (0, 0, 0, 0)
    # Moved out of the inbox, unread no more.
    assert dovecot.uids(user, "ALL") == [] and len(dovecot.uids(user, "ALL", "Quarantine")) == 1


@SQLITE_ONLY
def test_a_30_mb_attachment_is_quarantined_by_its_header_alone(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    huge = os.urandom(30 * 1024 * 1024)
    dovecot.append(
        user,
        returned_mail(sender=FB_OFFICE, to=world.reply_address(), attachments=[("大.xlsx", huge)]),
    )
    result = world.run(dovecot, user)
    row, reply = _settled(session)
    assert (result.quarantined, row.status) == (1, IntakeStatus.quarantined)
    assert "附件超过 20 MB" in row.reason
    assert reply is not None and "larger than 20 MB" in reply.body
    kept = Path(row.quarantine_file or "").read_bytes()
    assert kept.startswith(b"From:") or b"Message-ID" in kept
    assert len(kept) < 10_000  # the header only: the body was never fetched
    assert len(dovecot.uids(user, "ALL", "Quarantine")) == 1


@SQLITE_ONLY
def test_an_attachment_over_the_limit_in_a_mail_read_whole_is_quarantined(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    workbook = with_member(_forms(world, session), "xl/media/big.bin", os.urandom(1_200_000))
    dovecot.append(user, returned_mail(sender=FB_OFFICE, attachments=[("a.xlsx", workbook)]))
    world.run(dovecot, user, max_mb=1)
    row, _ = _settled(session)
    assert row.status == IntakeStatus.quarantined and "附件超过 1 MB" in row.reason
    assert imported_rows(session) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        pytest.param(STRANGER, {}, id="unknown-address"),
        pytest.param(
            FB_OFFICE,
            {
                "Authentication-Results": "mx.lyg.example.cn; spf=fail "
                "smtp.mailfrom=fb.example.cn; dkim=none; dmarc=fail header.from=fb.example.cn"
            },
            id="listed-address-failing-dmarc",
        ),
    ],
)
def test_a_forged_sender_without_the_token_is_quarantined_unanswered(
    world: World,
    dovecot: Dovecot,
    user: str,
    session: Session,
    sender: str,
    headers: dict[str, str],
) -> None:
    workbook = forms_workbook(session, world.campaign_id, FB)
    dovecot.append(
        user,
        returned_mail(sender=sender, headers=headers, attachments=[("a.xlsx", workbook)]),
    )
    result = world.run(dovecot, user)
    row, reply = _settled(session)
    assert (result.quarantined, result.replies) == (1, 0)
    assert row.status == IntakeStatus.quarantined and row.unit_id is None and reply is None
    assert "发件人" in row.reason
    assert imported_rows(session) == (0, 0, 0, 0)
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
