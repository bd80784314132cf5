"""Returned workbooks read from a real Dovecot, imported, and answered over real SMTP."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select

from models.enums import FindingCategory, FindingSource, FindingStatus, IntakeStatus
from models.finding import Finding
from models.form import Declaration
from models.intake import IntakeMail
from models.outbox import OutboxMessage
from models.rectification import RectificationItem
from models.summary import PhaseSummary
from qinglian.intake.records import list_mails
from tests.factories import DELIVERY_HEADERS, FB, leading_group_row
from tests.intake.conftest import (
    FB_CLERK,
    FB_OFFICE,
    LYG_OFFICE,
    SQLITE_ONLY,
    STRANGER,
    SmtpServer,
    World,
)
from tests.intake.dovecot import Dovecot
from tests.intake.mails import (
    LEDGER_HEADERS,
    NARRATIVE_HEADERS,
    forms_workbook,
    returned_mail,
    table_workbook,
)

RECEIPT = r"HZ\d{8}-[A-HJ-NP-Z2-9]{8}"


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_returned_report_form_is_imported_once_and_receipted_over_smtp(
    world: World, dovecot: Dovecot, user: str, smtp: SmtpServer, session: Session
) -> None:
    workbook = forms_workbook(session, world.campaign_id, FB)
    dovecot.append(
        user,
        returned_mail(
            sender=FB_OFFICE, to=world.reply_address(), attachments=[("报告表.xlsx", workbook)]
        ),
    )

    result = world.run(dovecot, user)

    assert (result.read, result.imported, result.replies) == (1, 1, 1)
    row = session.exec(select(IntakeMail)).one()
    assert row.status == IntakeStatus.imported and row.identified_by == "token"
    assert row.unit_id == world.units[FB] and row.receipt_code
    assert row.summary["workbooks"] == [
        {
            "kind": "forms",
            "counts": {
                "created": 3,
                "amended": 0,
                "unchanged": 0,
                "not_filled": 0,
                "on_time": 3,
                "late": 0,
            },
        }
    ]
    assert _count(session, Declaration) == 3
    assert dovecot.uids(user, "UNSEEN") == []  # flagged once settled

    delivered = world.deliver(smtp)
    assert delivered.sent == 1
    ((recipients, mail),) = smtp.mails
    assert recipients == [FB_OFFICE]
    assert mail["Subject"].startswith("回执：") and row.receipt_code in mail["Subject"]
    text = mail.get_content()
    assert f"回执编号：{row.receipt_code}" in text and "Receipt number" in text
    assert "报告表（报告表.xlsx）：新增 3" in text and "3 new" in text
    assert world.tokens[FB] in mail["Subject"]  # answering the receipt reaches the intake

    # The same mail again (a person marked it unread): settled, flagged, nothing more.
    with dovecot.client(user) as imap:
        imap.select("INBOX")
        imap.uid("STORE", "1", "-FLAGS", "(\\Seen)")
    again = world.run(dovecot, user)
    assert (again.read, again.already, again.imported, again.replies) == (1, 1, 0, 0)
    assert _count(session, Declaration) == 3 and _count(session, OutboxMessage) == 1
    assert world.run(dovecot, user).read == 0


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("sender", "to", "subject_token", "by"),
    [
        pytest.param(STRANGER, "reply", False, "token", id="token-in-reply-to-address"),
        pytest.param(STRANGER, "plain", True, "token", id="token-in-subject"),
        pytest.param(FB_OFFICE, "plain", False, "sender", id="unit-office-address"),
        pytest.param(FB_CLERK, "plain", False, "sender", id="email-contact"),
    ],
)
def test_the_unit_is_known_by_its_token_or_a_listed_sender(
    world: World,
    dovecot: Dovecot,
    user: str,
    session: Session,
    sender: str,
    to: str,
    subject_token: bool,
    by: str,
) -> None:
    subject = f"回复：报告表 〔回复码 {world.tokens[FB]}〕" if subject_token else "报告表"
    address = world.reply_address() if to == "reply" else "intake@lyg.example.cn"
    workbook = forms_workbook(session, world.campaign_id, FB)
    dovecot.append(
        user,
        returned_mail(
            sender=sender, to=address, subject=subject, attachments=[("a.xlsx", workbook)]
        ),
    )
    world.run(dovecot, user)
    row = session.exec(select(IntakeMail)).one()
    assert (row.status, row.identified_by, row.unit_id) == (
        IntakeStatus.imported,
        by,
        world.units[FB],
    )
    reply = session.get(OutboxMessage, row.reply_message_id)
    assert reply is not None and reply.target == f"email:{sender}"


@SQLITE_ONLY
def test_a_token_on_another_address_than_the_intakes_does_not_count(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    workbook = forms_workbook(session, world.campaign_id, FB)
    elsewhere = f"someone+{world.tokens[FB]}@elsewhere.example.com"
    dovecot.append(
        user, returned_mail(sender=STRANGER, to=elsewhere, attachments=[("a.xlsx", workbook)])
    )
    world.run(dovecot, user)
    row = session.exec(select(IntakeMail)).one()
    assert row.status == IntakeStatus.quarantined and _count(session, Declaration) == 0


def test_a_token_of_one_unit_from_an_address_listed_for_another_is_refused(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    workbook = forms_workbook(session, world.campaign_id, FB)
    dovecot.append(
        user,
        returned_mail(
            sender=LYG_OFFICE, to=world.reply_address(FB), attachments=[("a.xlsx", workbook)]
        ),
    )
    world.run(dovecot, user)
    row = session.exec(select(IntakeMail)).one()
    assert row.status == IntakeStatus.rejected and row.unit_id is None
    assert _count(session, Declaration) == 0
    reply = session.get(OutboxMessage, row.reply_message_id)
    assert reply is not None and reply.target == f"email:{LYG_OFFICE}"
    assert "回复码属于另一单位" in reply.body and "another unit's" in reply.body


def test_deliveries_summaries_and_the_ledger_go_to_their_own_importers(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    finding = Finding(
        campaign_id=world.campaign_id,
        unit_id=world.units[FB],
        source=FindingSource.self_declared,
        category=FindingCategory.relative_business,
        status=FindingStatus.confirmed,
        summary="亲属从业",
        fingerprint="a" * 64,
        found_on=date(2012, 8, 20),
    )
    session.add(finding)
    session.commit()
    group = leading_group_row(FB)
    deliveries = table_workbook(
        "上报事项", DELIVERY_HEADERS, [[group.get(header) for header in DELIVERY_HEADERS]]
    )
    narratives = table_workbook(
        "阶段性总结", NARRATIVE_HEADERS, [[FB, "mobilize", "已召开动员大会。", "2012-08-05", ""]]
    )
    ledger = table_workbook(
        "Sheet1", LEDGER_HEADERS, [[finding.id, "督促亲属辞职", "顾扬", "2012-10-31", "已制定措施"]]
    )
    dovecot.append(
        user,
        returned_mail(
            sender=FB_OFFICE,
            attachments=[
                ("上报.xlsx", deliveries),
                ("总结.xlsx", narratives),
                ("台账.xlsx", ledger),
            ],
        ),
    )
    world.run(dovecot, user)
    row = session.exec(select(IntakeMail)).one()
    assert row.status == IntakeStatus.imported, row.reason
    kinds = [item["kind"] for item in row.summary["workbooks"]]
    assert kinds == ["deliveries", "narratives", "rectification"]
    assert _count(session, PhaseSummary) >= 1 and _count(session, RectificationItem) == 1
    reply = session.get(OutboxMessage, row.reply_message_id)
    assert reply is not None
    for label in ("上报事项（上报.xlsx）", "阶段性总结（总结.xlsx）", "整改台账（台账.xlsx）"):
        assert label in reply.body


def test_intake_list_shows_each_mail_without_personal_data(
    world: World, dovecot: Dovecot, user: str, session: Session
) -> None:
    workbook = forms_workbook(session, world.campaign_id, FB)
    dovecot.append(
        user,
        returned_mail(sender=FB_OFFICE, attachments=[("施庆喜.xlsx", workbook)]),
        returned_mail(sender=STRANGER, attachments=[("a.xlsx", workbook)]),
    )
    world.run(dovecot, user)
    views = list_mails(session=session)
    assert [(view.status, view.unit_code) for view in views] == [
        (IntakeStatus.quarantined, None),
        (IntakeStatus.imported, FB),
    ]
    shown = " ".join(view.model_dump_json() for view in views)
    assert "施庆喜" not in shown and "FB001" not in shown
