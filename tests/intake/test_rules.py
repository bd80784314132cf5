"""The intake's rules as tables: the mailbox URL, what a mail says, what an attachment is, and
who sent it. Pure functions, no server (but the wrong-password case, against Dovecot)."""

from __future__ import annotations

import io
import zipfile
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr

from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings
from qinglian.intake.mailbox import (
    MailboxAddress,
    MailboxError,
    configured_mailbox,
    open_mailbox,
    parse_mailbox_url,
)
from qinglian.intake.messages import Attachment, amendment_reason, message_key, read_mail
from qinglian.intake.screening import Problem, TableKind, screen
from qinglian.intake.senders import ContactBook, IdentifiedBy, identify, mail_tokens
from tests.intake.dovecot import Dovecot
from tests.intake.mails import XLSX, returned_mail, table_workbook, with_member

ENCRYPTED = (Path(__file__).parent / "data" / "encrypted.xlsx").read_bytes()
TOKEN = "k7q2m9xv4t"
MB = 1024 * 1024


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "imaps://intake%40lyg.example.cn@mail.lyg.example.cn/INBOX",
            MailboxAddress(True, "mail.lyg.example.cn", 993, "intake@lyg.example.cn", "INBOX"),
        ),
        (
            "imap://intake@127.0.0.1:10143",
            MailboxAddress(False, "127.0.0.1", 10143, "intake", "INBOX"),
        ),
        (
            "IMAPS://u@h:1993/%E5%9B%9E%E6%94%B6",
            MailboxAddress(True, "h", 1993, "u", "回收"),
        ),
    ],
)
def test_the_mailbox_url(url: str, expected: MailboxAddress) -> None:
    assert parse_mailbox_url(url) == expected


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("https://u@h/INBOX", "imaps://"),
        ("imaps://h/INBOX", "names no user"),
        ("imaps://u:hunter22@h/INBOX", "must not hold the password"),
        ("imaps://u@h:99999/INBOX", "invalid port"),
    ],
)
def test_a_wrong_mailbox_url_is_one_clear_error(url: str, said: str) -> None:
    with pytest.raises(QinglianError) as refused:
        parse_mailbox_url(url)
    assert said in refused.value.en and "hunter22" not in str(refused.value)


def test_the_password_comes_from_the_setting_else_the_secret_block() -> None:
    url = SecretStr("imaps://intake@mail.example.cn/INBOX")
    direct = Settings(intake_imap=url, intake_password=SecretStr("pw-env"))
    blocks: list[str] = []

    def load(name: str) -> str:
        blocks.append(name)
        return "pw-block"

    assert configured_mailbox(direct, load)[1] == "pw-env" and blocks == []
    by_block = Settings(intake_imap=url, intake_password_block="intake-password")
    assert configured_mailbox(by_block, load)[1] == "pw-block"
    assert blocks == ["intake-password"]
    with pytest.raises(QinglianError, match="QINGLIAN_INTAKE_PASSWORD"):
        configured_mailbox(Settings(intake_imap=url), load)
    with pytest.raises(QinglianError, match="QINGLIAN_INTAKE_IMAP"):
        configured_mailbox(Settings(), load)


def test_a_wrong_password_is_refused_without_showing_it(dovecot: Dovecot, user: str) -> None:
    with pytest.raises(MailboxError) as refused, open_mailbox(dovecot.address(user), "not-1t"):
        pass
    assert "AUTHENTICATIONFAILED" in str(refused.value) or "failed" in refused.value.en
    assert "not-1t" not in str(refused.value)


# --- what a mail says --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "subject", "sender", "automatic"),
    [
        ({}, "回复：报告表", "office@fb.example.cn", False),
        ({"Auto-Submitted": "no"}, "回复：报告表", "office@fb.example.cn", False),
        ({"Auto-Submitted": "auto-replied"}, "回复：报告表", "office@fb.example.cn", True),
        ({"X-Autoreply": "yes"}, "回复：报告表", "office@fb.example.cn", True),
        ({"Precedence": "bulk"}, "回复：报告表", "office@fb.example.cn", True),
        ({}, "自动回复：我正在休假", "office@fb.example.cn", True),
        ({}, "Undeliverable: 报告表", "office@fb.example.cn", True),
        ({}, "回复：报告表", "MAILER-DAEMON@fb.example.cn", True),
    ],
)
def test_mail_from_a_machine(
    headers: dict[str, str], subject: str, sender: str, automatic: bool
) -> None:
    raw = returned_mail(sender=sender, subject=subject, headers=headers)
    assert read_mail(raw).automatic is automatic


@pytest.mark.parametrize(
    ("results", "failed"),
    [
        ("mx.example.cn; spf=pass smtp.mailfrom=fb.example.cn; dmarc=pass", False),
        ("mx.example.cn; dmarc=fail (p=none) header.from=fb.example.cn", True),
        ("mx.example.cn; spf=fail smtp.mailfrom=fb.example.cn; dkim=none", True),
        ("mx.example.cn; spf=fail smtp.mailfrom=fb.example.cn; dkim=pass header.d=fb", False),
        ("mx.example.cn; spf=softfail smtp.mailfrom=fb.example.cn", False),
    ],
)
def test_a_forged_from_as_the_receiving_server_judged_it(results: str, failed: bool) -> None:
    raw = returned_mail(sender="office@fb.example.cn", headers={"Authentication-Results": results})
    assert read_mail(raw).failed_authentication is failed


def test_a_mail_is_known_by_its_message_id_else_its_bytes() -> None:
    first = returned_mail(sender="a@b.cn", message_id="<same@fb.example.cn>", body="one")
    second = returned_mail(sender="a@b.cn", message_id="<same@fb.example.cn>", body="two")
    header = read_mail(first).header
    assert header.message_id == "<same@fb.example.cn>"
    assert message_key(header.message_id, first) == message_key(header.message_id, second)
    bare = returned_mail(sender="a@b.cn", message_id="")
    assert read_mail(bare).header.message_id == ""
    assert message_key("", bare) != message_key("", bare + b" ")


def test_attachments_not_the_body_nor_an_inline_logo_nor_inside_a_forwarded_mail() -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@b.cn", "intake@lyg.example.cn", "报告表"
    mail.set_content("附件是本单位的工作簿。")
    mail.add_related(b"\x89PNG\r\n\x1a\n", "image", "png", cid="<logo@fb>")
    mail.add_attachment(b"PK\x03\x04data", *XLSX, filename="表.xlsx")
    forwarded = message_from_bytes(
        returned_mail(sender="x@y.cn", attachments=[("x.xlsx", b"PK")]), policy=policy.default
    )
    mail.add_attachment(forwarded)
    read = read_mail(mail.as_bytes(policy=policy.SMTP))
    assert [(a.filename, a.content_type) for a in read.attachments] == [
        ("表.xlsx", "/".join(XLSX)),
        ("forwarded.eml", "message/rfc822"),
    ]
    assert read.body.startswith("附件是本单位")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("请查收。\n修改原因：补报配偶从业情况\n", "补报配偶从业情况"),
        ("更正原因: 原填报日期有误", "原填报日期有误"),
        ("Amendment reason: wrong date", "wrong date"),
        ("请查收，谢谢。", None),
    ],
)
def test_the_amendment_reason_in_the_body(body: str, reason: str | None) -> None:
    assert amendment_reason(body) == reason


# --- what an attachment is --------------------------------------------------------------------

WORKBOOK = table_workbook("上报事项", ["单位编码"], [["JS-LYG-FB"]])


def _macro_enabled(workbook: bytes) -> bytes:
    """A renamed .xlsm: its content types say macro-enabled, though it holds no project."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
            target.writestr(item, data)
    return out.getvalue()


def _zip(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "/"), data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind", "problem"),
    [
        ("a.xlsx", WORKBOOK, TableKind.xlsx, None),
        ("a", WORKBOOK, TableKind.xlsx, None),  # the content says, not the name
        ("a.csv", "单位编码,事项\nJS,x\n".encode(), TableKind.csv, None),
        ("a.csv", "单位编码,事项\nJS,x\n".encode("gb18030"), TableKind.csv, None),
        ("a.xlsx", b"", None, Problem.unreadable),
        ("a.xlsx", WORKBOOK + b"\x00" * (2 * MB), None, Problem.oversize),
        ("a.xlsm", WORKBOOK, None, Problem.macro),
        ("a.xlsx", with_member(WORKBOOK, "xl/vbaProject.bin"), None, Problem.macro),
        ("a.xlsx", with_member(WORKBOOK, "xl/macrosheets/sheet1.xml"), None, Problem.macro),
        ("a.xlsx", _macro_enabled(WORKBOOK), None, Problem.macro),
        ("a.xlsx", ENCRYPTED, None, Problem.encrypted),
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, None, Problem.legacy),
        ("a.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, None, Problem.legacy),
        ("a.et", b"not a workbook at all \x01\x02", None, Problem.not_workbook),
        ("a.xlsx", b"MZ\x90\x00" + b"\x00" * 100, None, Problem.not_workbook),
        ("a.csv", b"\x7fELF\x02\x01", None, Problem.not_workbook),
        ("a.zip", _zip(readme__txt=b"hello"), None, Problem.not_workbook),
        (
            "a.docx",
            _zip(**{"[Content_Types].xml": b"<x/>", "word__document.xml": b"<w/>"}),
            None,
            Problem.not_workbook,
        ),
        ("readme.md", b"# notes", None, Problem.not_workbook),
        ("a.xlsx", b"PK\x03\x04broken", None, Problem.unreadable),
    ],
)
def test_what_an_attachment_is_from_its_bytes(
    name: str, data: bytes, kind: TableKind | None, problem: Problem | None
) -> None:
    judged = screen(Attachment(name, "application/octet-stream", data), max_bytes=1 * MB)
    assert (judged.kind, judged.problem) == (kind, problem)


def test_a_damaged_transfer_encoding_is_unreadable() -> None:
    judged = screen(Attachment("a.xlsx", "x/y", WORKBOOK, damaged=True), max_bytes=MB)
    assert judged.problem is Problem.unreadable


# --- who sent it ---------------------------------------------------------------------------

CONTACTS = ContactBook(
    {
        "office@fb.example.cn": {3},
        "office@lyg.example.cn": {2},
        "shared@example.cn": {2, 3},
    }
)


@pytest.mark.parametrize(
    ("sender", "token_units", "forged", "unit", "by", "refused", "answer"),
    [
        ("someone@qq.example.com", [3], False, 3, IdentifiedBy.token, False, None),
        ("office@fb.example.cn", [3], False, 3, IdentifiedBy.token, False, None),
        ("office@fb.example.cn", [], False, 3, IdentifiedBy.sender, False, None),
        ("OFFICE@FB.example.cn", [], False, 3, IdentifiedBy.sender, False, None),
        ("office@lyg.example.cn", [3], False, None, IdentifiedBy.none, True, 2),
        ("office@fb.example.cn", [2, 3], False, None, IdentifiedBy.none, True, 3),
        ("shared@example.cn", [], False, None, IdentifiedBy.none, True, 2),
        ("shared@example.cn", [3], False, 3, IdentifiedBy.token, False, None),
        ("office@fb.example.cn", [], True, None, IdentifiedBy.none, False, None),
        ("someone@qq.example.com", [], False, None, IdentifiedBy.none, False, None),
    ],
)
def test_who_sent_it(
    sender: str,
    token_units: list[int],
    forged: bool,
    unit: int | None,
    by: IdentifiedBy,
    refused: bool,
    answer: int | None,
) -> None:
    found = identify(sender=sender, token_unit_ids=token_units, contacts=CONTACTS, forged=forged)
    assert (found.unit_id, found.by, found.refusal is not None, found.answer_unit_id) == (
        unit,
        by,
        refused,
        answer,
    )
    assert found.forged is (forged and unit is None and not token_units)


@pytest.mark.parametrize(
    ("recipients", "subject", "intake", "tokens"),
    [
        ((f"intake+{TOKEN}@lyg.example.cn",), "回复", "intake@lyg.example.cn", (TOKEN,)),
        ((f"INTAKE+{TOKEN.upper()}@LYG.example.cn",), "回复", "intake@lyg.example.cn", (TOKEN,)),
        ((f"other+{TOKEN}@lyg.example.cn",), "回复", "intake@lyg.example.cn", ()),
        ((f"other+{TOKEN}@lyg.example.cn",), "回复", None, (TOKEN,)),
        ((), f"回复：请报送 〔回复码 {TOKEN}〕", "intake@lyg.example.cn", (TOKEN,)),
        ((), f"Re: [reply {TOKEN}]", None, (TOKEN,)),
        ((), "回复：报告表", None, ()),
    ],
)
def test_reply_tokens_on_the_intake_address_or_in_the_subject(
    recipients: tuple[str, ...], subject: str, intake: str | None, tokens: tuple[str, ...]
) -> None:
    lowered = tuple(address.lower() for address in recipients)
    assert mail_tokens(lowered, subject, intake) == tokens
