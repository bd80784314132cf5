"""Mail sent with ``smtplib`` from the settings Apprise parsed out of a mailto URL.

Apprise's email plugin always adds a Message-ID of its own after custom headers (two
Message-IDs), so the idempotency key could not reach the receiver as the ``Message-ID``; here it
does, and as an ``X-Idempotency-Key`` header too.

Replies go to ``Message.reply_to`` when it is set (the intake address with the recipient unit's
reply token): the ``Reply-To`` header. A message with a picture (the daily 督办榜) is a
``multipart/alternative`` of the plain text, kept as it is, and an HTML part that shows the
text and the PNG inline: the HTML and the picture are a ``multipart/related`` pair, the
picture named by its ``Content-ID`` (``<img src="cid:…">``), so mail clients show it in place
rather than as an attachment.
"""

from __future__ import annotations

import email.policy
import functools
import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

import apprise

from qinglian.notify.protocol import IDEMPOTENCY_HEADER, Image, Message, NotifyError
from qinglian.notify.redaction import SECRETS, redact

SENDER_NAME = "专项活动办公室"
# RFC 5322's hard line limit: a 64-character key header is then never folded.
_MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)
_SMTP_TIMEOUT = 30.0


def send_mail(url: str, message: Message, recipients: list[str] | None) -> None:
    """Mail ``message`` through the mailto URL ``url``, to ``recipients`` or the URL's own."""
    plugin: Any = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise NotifyError(
            f"通知目标「{message.target}」的邮件地址无效",
            f"the mail URL of notification target {message.target!r} is not valid",
        )
    to = recipients or [address for _, address in plugin.targets]
    sender_name, sender = plugin.from_addr
    if not sender_name or sender_name == plugin.app_id:
        sender_name = SENDER_NAME
    mail = EmailMessage(policy=_MAIL_POLICY)
    mail["Subject"] = message.title
    mail["From"] = formataddr((sender_name, sender))
    mail["To"] = ", ".join(to)
    mail["Date"] = formatdate(localtime=True)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer
    domain = sender.rpartition("@")[2] or "qinglian.invalid"
    mail["Message-ID"] = f"<{message.key}@{domain}>" if message.key else make_msgid()
    if message.key:
        mail[f"X-{IDEMPOTENCY_HEADER}"] = message.key
    if message.reply_to:
        mail["Reply-To"] = message.reply_to
    mail.set_content(message.body)
    if message.image is not None:
        _add_inline_picture(mail, message, message.image, domain)
    everyone = [*to, *sorted(plugin.cc), *sorted(plugin.bcc)]
    try:
        _smtp_send(plugin, mail, sender, everyone)
    except (OSError, smtplib.SMTPException) as exc:
        detail = redact(f"{type(exc).__name__}: {exc}", SECRETS.values)
        raise NotifyError(
            f"邮件发送到「{message.target}」失败（{detail}）",
            f"mail to {message.target!r} failed ({detail})",
        ) from None


def _add_inline_picture(mail: EmailMessage, message: Message, image: Image, domain: str) -> None:
    """An HTML alternative with the text and the PNG in place, the PNG its related part."""
    cid = make_msgid(idstring="board", domain=domain)  # "<…@domain>"
    paragraphs = "".join(
        "<p>" + html.escape(block).replace("\n", "<br>") + "</p>"
        for block in message.body.split("\n\n")
        if block.strip()
    )
    mail.add_alternative(
        "<!DOCTYPE html><html><body>"
        f"{paragraphs}"
        f'<p><img src="cid:{cid[1:-1]}" alt="{html.escape(message.title)}"></p>'
        "</body></html>",
        subtype="html",
    )
    *_, html_part = mail.iter_parts()  # the alternative just added
    if isinstance(html_part, EmailMessage):
        html_part.add_related(
            image.png,
            maintype="image",
            subtype="png",
            cid=cid,
            filename=image.name,
            disposition="inline",
        )


def _smtp_send(plugin: Any, mail: EmailMessage, sender: str, recipients: list[str]) -> None:
    context = _tls_context(bool(plugin.verify_certificate))
    timeout = float(plugin.socket_connect_timeout or _SMTP_TIMEOUT)
    if plugin.secure_mode == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            plugin.smtp_host, plugin.port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(plugin.smtp_host, plugin.port, timeout=timeout)
    with smtp:
        if plugin.secure_mode == "starttls":
            smtp.starttls(context=context)
        if plugin.user and plugin.password:
            smtp.login(plugin.user, plugin.password)
        smtp.send_message(mail, from_addr=sender, to_addrs=recipients)


@functools.lru_cache(maxsize=2)
def _tls_context(verify: bool) -> ssl.SSLContext:
    """One TLS context per process and setting: loading the CA bundle costs ~80 ms of CPU."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
