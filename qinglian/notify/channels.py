"""What each kind of channel takes: its format, its size limit, pictures and @-mentions.

Digests are composed for the channel of their target (:mod:`qinglian.oversight.digests`): a
digest longer than the channel's limit goes in numbered parts, each under it. Limits are the
services' own, in UTF-8 bytes of the message's content:

- WeCom (企业微信) group bot: text 2,048 bytes, markdown 4,096; a picture as base64 with its md5,
  at most 2 MB; @-mentions by mobile number in text messages (``mentioned_mobile_list``).
- DingTalk (钉钉) custom bot: markdown about 20,000 bytes; @-mentions by mobile (``atMobiles``,
  and ``@<mobile>`` in the text); pictures only by URL.
- Feishu/Lark (飞书) custom bot: a request body of at most 20 KB (its current docs; the issue
  said about 30 KB), so 19,000 bytes of text; pictures only by an
  ``image_key`` uploaded through an app, so a link instead.
- E-mail: no limit; a picture inline (``cid:``).
- Any other webhook (json://, form://…): plain text, no limit, no picture.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ImageWay = Literal["base64", "inline", "link", "none"]


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel kind and what it takes."""

    name: str
    markdown: bool
    limit: int | None  # UTF-8 bytes of one message's content; None: no limit
    images: ImageWay
    mentions: bool
    text_limit: int | None = None  # when plain text has a limit of its own (WeCom: 2,048)


WECOM = Channel("wecom", markdown=True, limit=4096, images="base64", mentions=True, text_limit=2048)
DINGTALK = Channel("dingtalk", markdown=True, limit=20_000, images="link", mentions=True)
FEISHU = Channel("feishu", markdown=False, limit=19_000, images="link", mentions=False)
EMAIL = Channel("email", markdown=False, limit=None, images="inline", mentions=False)
WEBHOOK = Channel("webhook", markdown=False, limit=None, images="none", mentions=False)

_BY_SCHEME = {
    "wecombot": WECOM,
    "wxwork": WECOM,
    "dingtalk": DINGTALK,
    "feishu": FEISHU,
    "lark": FEISHU,
    "mailto": EMAIL,
    "mailtos": EMAIL,
}


def channel_for_scheme(scheme: str) -> Channel:
    """The channel an Apprise URL scheme reaches (anything unknown: a plain webhook)."""
    return _BY_SCHEME.get(scheme.strip().lower(), WEBHOOK)


def strictest(channels: Iterable[Channel]) -> Channel:
    """One channel every one of ``channels`` can take (a target may have several URLs):
    markdown only if all take it, the smallest limit, pictures and mentions only if all can."""
    kinds = list(dict.fromkeys(channels))
    if not kinds:
        return WEBHOOK
    if len(kinds) == 1:
        return kinds[0]
    limits = [c.limit for c in kinds if c.limit is not None]
    text_limits = [c.text_limit or c.limit for c in kinds if (c.text_limit or c.limit)]
    ways = {c.images for c in kinds}
    return Channel(
        "+".join(c.name for c in kinds),
        markdown=all(c.markdown for c in kinds),
        limit=min(limits) if limits else None,
        images=ways.pop() if len(ways) == 1 else "none",
        mentions=all(c.mentions for c in kinds),
        text_limit=min(text_limits) if text_limits else None,
    )
