"""What each group bot is sent for a message: the JSON bodies, in order, checked before sending.

A bot has no subject line, so the title heads the content: the title, a line break (two in
markdown) and the body, unless the body already begins with the title (the markdown digests
open with it in bold: then the body goes alone). The size the channel profiles
(:data:`~qinglian.notify.channels.WECOM` …) limit is that of :func:`bot_content`, plus, on
DingTalk, the ``@<mobile>`` line; it never exceeds what the digests count
(:func:`qinglian.oversight.digests.message_bytes`: title, 2 bytes, body, and 2 + ``@mobile``
and a space per mention).

- **WeCom**: ``markdown`` (at most 4,096 bytes) for a markdown message, else ``text`` (2,048)
  with the mentions in ``mentioned_mobile_list``. Markdown cannot mention anyone, so a markdown
  message with mentions is followed by a short text ``请以下负责人查收督办通知。`` that mentions
  them. A picture (``format == "image"``) goes as an ``image`` message (base64 and md5 of the PNG,
  at most 2 MB), followed by a text with the caption and the mentions when there are any.
- **DingTalk**: ``markdown`` (``title``, ``text``) or ``text``, at most 20,000 bytes; mentions in
  ``at.atMobiles`` *and* as ``@<mobile>`` in the text (DingTalk needs both), together with the
  mobiles of the URL itself (Apprise's ``dingtalk://token/13800000000/``). A picture only by its
  link, in a markdown image; without a link it cannot be sent.
- **Feishu/Lark**: ``text`` only; its custom bots cannot mention by mobile. A picture only as
  its link, in the text.

Each request is *essential* (the message itself) or a *follow-up* (the mention or caption
after a picture or a markdown message): once the essential one is accepted the message counts
as delivered, and a failed follow-up is only logged (:mod:`qinglian.notify.bots`).

Anything that cannot be sent (too long, a picture too large or without the link a bot needs)
is a permanent :class:`NotifyError` raised before any request goes out. Mobile numbers are
personal data: they go into these bodies and nowhere else.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from qinglian.notify.bot_replies import SERVICE_NAMES, Service
from qinglian.notify.channels import DINGTALK, FEISHU, WECOM
from qinglian.notify.protocol import Message, NotifyError

MENTION_NOTE = "请以下负责人查收督办通知。"
IMAGE_MAX = 2 * 1024 * 1024  # WeCom: a picture of at most 2 MB, before base64
WECOM_MARKDOWN_MAX = WECOM.limit or 4096
WECOM_TEXT_MAX = WECOM.text_limit or 2048
DINGTALK_MAX = DINGTALK.limit or 20_000
FEISHU_MAX = FEISHU.limit or 20_000
_HEADING = "### "


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One request body; ``essential``: the message itself, not a follow-up."""

    payload: dict[str, Any] = field(repr=False)
    essential: bool = True


def bot_content(message: Message, *, markdown: bool) -> str:
    """The message as one block of content: its title, then its body."""
    title, body = message.title.strip(), message.body
    if not title or body.lstrip("#* \n").startswith(title):
        return body
    return f"{title}\n\n{body}" if markdown else f"{title}\n{body}"


def bot_requests(
    service: Service, message: Message, *, mobiles: tuple[str, ...] = ()
) -> list[Outgoing]:
    """The request bodies for ``message``, essential first; raises a permanent
    :class:`NotifyError` for what the bot cannot take. ``mobiles``: the URL's own mentions."""
    if service == "wecom":
        return _wecom(message)
    if service == "dingtalk":
        return _dingtalk(message, mobiles)
    return _feishu(message)


# --- WeCom ---------------------------------------------------------------------------------


def _wecom(message: Message) -> list[Outgoing]:
    mentions = list(dict.fromkeys(message.mentions))
    if message.format == "image":
        if message.image is None:
            raise _cannot(
                message, "wecom", "图片消息没有图片", "an image message without a picture"
            )
        png = message.image.png
        if len(png) > IMAGE_MAX:
            raise _too_long(message, "wecom", len(png), IMAGE_MAX, "图片")
        picture = {
            "msgtype": "image",
            "image": {
                "base64": base64.b64encode(png).decode("ascii"),
                "md5": hashlib.md5(png, usedforsecurity=False).hexdigest(),
            },
        }
        caption = bot_content(message, markdown=False).strip()
        if not caption and not mentions:
            return [Outgoing(picture)]
        text = _wecom_text(message, caption or MENTION_NOTE, mentions)
        return [Outgoing(picture), Outgoing(text, essential=False)]
    if message.format == "markdown":
        content = bot_content(message, markdown=True)
        _check(message, "wecom", content, WECOM_MARKDOWN_MAX)
        first = Outgoing({"msgtype": "markdown", "markdown": {"content": content}})
        if not mentions:
            return [first]
        return [first, Outgoing(_wecom_text(message, MENTION_NOTE, mentions), essential=False)]
    return [Outgoing(_wecom_text(message, bot_content(message, markdown=False), mentions))]


def _wecom_text(message: Message, content: str, mentions: list[str]) -> dict[str, Any]:
    _check(message, "wecom", content, WECOM_TEXT_MAX)
    text: dict[str, Any] = {"content": content}
    if mentions:
        text["mentioned_mobile_list"] = mentions
    return {"msgtype": "text", "text": text}


# --- DingTalk ------------------------------------------------------------------------------


def _dingtalk(message: Message, url_mobiles: tuple[str, ...]) -> list[Outgoing]:
    mobiles = list(dict.fromkeys([*message.mentions, *url_mobiles]))
    at = {"atMobiles": mobiles, "isAtAll": False}
    tags = " ".join(f"@{mobile}" for mobile in mobiles)
    title = message.title.strip() or message.body.strip().partition("\n")[0][:64] or "通知"
    if message.format == "image":
        link = _link(message, "dingtalk")
        name = message.image.name if message.image else "image"
        body = message.body.strip()
        text = f"{_HEADING}{title}\n\n![{name}]({link})" + (f"\n\n{body}" if body else "")
        return [Outgoing(_dingtalk_markdown(message, title, text, tags, at))]
    if message.format == "markdown":
        text = bot_content(message, markdown=True)
        return [Outgoing(_dingtalk_markdown(message, title, text, tags, at))]
    content = bot_content(message, markdown=False) + (f"\n{tags}" if tags else "")
    _check(message, "dingtalk", content, DINGTALK_MAX)
    return [Outgoing({"msgtype": "text", "text": {"content": content}, "at": at})]


def _dingtalk_markdown(
    message: Message, title: str, text: str, tags: str, at: dict[str, Any]
) -> dict[str, Any]:
    text += f"\n\n{tags}" if tags else ""
    _check(message, "dingtalk", text, DINGTALK_MAX)
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}, "at": at}


# --- Feishu/Lark ---------------------------------------------------------------------------


def _feishu(message: Message) -> list[Outgoing]:
    content = bot_content(message, markdown=False)
    if message.format == "image":
        content = f"{content.rstrip()}\n{_link(message, 'feishu')}".lstrip()
    _check(message, "feishu", content, FEISHU_MAX)
    return [Outgoing({"msg_type": "text", "content": {"text": content}})]


# --- checks --------------------------------------------------------------------------------


def _link(message: Message, service: Service) -> str:
    if message.image is None or not message.image.link:
        raise _cannot(
            message,
            service,
            "图片只能以链接发送，而该消息没有图片链接",
            "it takes a picture only by its link, and this message has none",
        )
    return message.image.link


def _check(message: Message, service: Service, content: str, limit: int) -> None:
    size = len(content.encode("utf-8"))
    if size > limit:
        raise _too_long(message, service, size, limit, "消息")


def _too_long(message: Message, service: Service, size: int, limit: int, what: str) -> NotifyError:
    zh, en = SERVICE_NAMES[service]
    noun = "picture" if what == "图片" else "message"
    return NotifyError(
        f"发送到「{message.target}」（{zh}）：{what}有 {size} 字节，超过上限 {limit} 字节，未发送，"
        "不再重试",
        f"to {message.target!r} ({en}): the {noun} has {size} bytes, over the limit of {limit};"
        " not sent, not retried",
        permanent=True,
    )


def _cannot(message: Message, service: Service, why_zh: str, why_en: str) -> NotifyError:
    zh, en = SERVICE_NAMES[service]
    return NotifyError(
        f"无法发送到「{message.target}」（{zh}）：{why_zh}，不再重试",
        f"cannot send to {message.target!r} ({en}): {why_en}; not retried",
        permanent=True,
    )
