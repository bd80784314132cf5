"""Mail over a real SMTP server (aiosmtpd): Reply-To, and the 督办榜 inline in the HTML."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from qinglian.notify.apprise_notifier import AppriseNotifier
from qinglian.notify.protocol import Image, Message
from tests.oversight.test_outbox_delivery import SMTP_PASSWORD, SMTP_USER, Mailbox
from tests.oversight.test_outbox_delivery import smtp as smtp

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
REPLY_TO = "intake+r7k2m9@js.example.cn"


def _notifier(smtp: Mailbox) -> AppriseNotifier:
    url = (
        f"mailto://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp.port}"
        "?from=campaign@js.example.cn&mode=insecure"
    )
    return AppriseNotifier({"email": url})


def test_a_picture_arrives_inline_and_replies_go_to_the_reply_address(smtp: Mailbox) -> None:
    message = Message(
        target="email:office@lyg.example.cn",
        title="督办榜 · 2012年9月15日",
        body="连云港市卫生局：\n\n本地区逾期事项见下图。<请查收>",
        key="k" * 64,
        format="image",
        image=Image(PNG, name="board-2012-09-15.png"),
        reply_to=REPLY_TO,
    )
    _notifier(smtp).send(message)
    ((rcpts, mail),) = smtp.mails
    assert rcpts == ["office@lyg.example.cn"]
    assert mail["Reply-To"] == REPLY_TO
    assert mail["Message-ID"] == f"<{'k' * 64}@js.example.cn>"  # idempotency unchanged
    assert mail.get_content_type() == "multipart/alternative"

    plain = mail.get_body(("plain",))
    assert isinstance(plain, EmailMessage)
    assert plain.get_content().replace("\r\n", "\n") == message.body + "\n"  # the text kept
    html = mail.get_body(("html",))
    assert isinstance(html, EmailMessage)
    related = next(p for p in mail.walk() if p.get_content_type() == "multipart/related")
    picture = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    assert isinstance(picture, EmailMessage)
    cid = picture["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html.get_content()
    assert "&lt;请查收&gt;" in html.get_content()  # the text, escaped
    assert picture.get_content() == PNG and picture.get_filename() == "board-2012-09-15.png"
    assert picture.get_content_disposition() == "inline"


def test_a_plain_message_stays_plain(smtp: Mailbox) -> None:
    _notifier(smtp).send(Message(target="email:office@fb.example.cn", title="督办", body="正文"))
    ((_, mail),) = smtp.mails
    assert mail.get_content_type() == "text/plain" and mail["Reply-To"] is None
