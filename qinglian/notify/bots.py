"""Checked delivery to WeCom, DingTalk and Feishu/Lark group bots: the reply decides.

These bots answer HTTP 200 even when they refuse a message (too long, rate limited, a missing
keyword); Apprise's plugins look only at the status, so a refused message would count as sent.
Here the same Apprise URLs are parsed by Apprise (so every configuration stays valid) and sent
by :func:`send_bot`, which reads the reply's ``errcode``/``code``
(:mod:`qinglian.notify.bot_replies`) and raises a :class:`NotifyError` that says what to do:

- a refusal that sending again cannot cure (too long, a blocked keyword, a bad key, a failed
  signature) is ``permanent``: delivery gives up at once, with the reason;
- a rate limit carries ``retry_after`` (WeCom and Feishu 60 s, DingTalk 600 s);
- anything else (HTTP 5xx, no connection, an unknown code) is retried with backoff.

The reason quotes the service's code and message with every secret and mobile masked, and
never the URL, key or token.

URL syntax (Apprise's own):

- ``wecombot://{key}``, or WeCom's own ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``;
- ``dingtalk://{token}/``, ``dingtalk://{secret}@{token}/`` (the secret signs each request:
  HMAC-SHA256 of ``timestamp\\nsecret``), ``dingtalk://{token}/{mobile}/…`` to @-mention
  those mobiles in every message;
- ``feishu://{token}`` and ``lark://{token}``; with a signing secret (our addition:
  Apprise's plugin has none) ``feishu://{secret}@{token}`` or ``?secret=…``.

Any of them takes ``?api=https://host[:port][/prefix]``: the API host to post to instead of
the public one (a private deployment such as 政务微信, or a test's local receiver). It is
redacted like every other part of the URL.

Every request first takes a slot from the bot's rate limiter (:mod:`qinglian.notify.ratelimit`):
20 a minute for WeCom and DingTalk, 100 a minute and 5 a second for Feishu.

**A follow-up that fails.** A WeCom markdown message that mentions people is followed by a text
message carrying the mentions (markdown cannot); a WeCom picture by its caption. Once the first
is accepted the message has arrived, and sending it again would post the whole notice twice:
so a failed follow-up is logged as a warning (its code, never the mobiles) and the message
still counts as sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import apprise
import requests
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.lark import NotifyLark
from apprise.plugins.wecombot import NotifyWeComBot

from qinglian.notify.bot_payloads import Outgoing, bot_requests
from qinglian.notify.bot_replies import (
    SERVICE_NAMES,
    WHY_TEXT,
    Outcome,
    Service,
    Verdict,
    Why,
    judge,
)
from qinglian.notify.protocol import Message, NotifyError
from qinglian.notify.ratelimit import BOT_LIMITER, Rate, RateLimiter
from qinglian.notify.redaction import MASK, SECRETS, redact

logger = logging.getLogger(__name__)

BOT_SCHEMES: dict[str, Service] = {
    "wecombot": "wecom",
    "dingtalk": "dingtalk",
    "feishu": "feishu",
    "lark": "feishu",
}
RATES: dict[Service, Rate] = {
    "wecom": Rate(((20, 60.0),)),
    "dingtalk": Rate(((20, 60.0),)),
    "feishu": Rate(((100, 60.0), (5, 1.0))),
}
_WECOM_NATIVE = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
_PATHS: dict[Service, str] = {
    "wecom": "/cgi-bin/webhook/send",
    "dingtalk": "/robot/send",
    "feishu": "/open-apis/bot/v2/hook/",
}


@dataclass(frozen=True, slots=True)
class Bot:
    """One bot as its URL names it: the service, where to post, and how to sign."""

    service: Service
    api: str = field(repr=False)  # scheme://host[:port][/prefix], no trailing slash
    key: str = field(repr=False)  # WeCom's key, DingTalk's access token, Feishu's hook token
    secret: str = field(default="", repr=False)
    mobiles: tuple[str, ...] = field(default=(), repr=False)  # DingTalk: the URL's mentions
    verify: bool = True
    timeout: tuple[float, float] = (4.0, 10.0)

    @property
    def name(self) -> str:
        """Names the bot in the rate limiter without its key."""
        digest = hashlib.sha256(f"{self.service}\n{self.key}".encode()).hexdigest()
        return f"{self.service}:{digest[:16]}"

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.key, self.secret, self.api, *self.mobiles) if s)


def is_bot_url(url: str) -> bool:
    """Whether ``url`` reaches a bot whose replies are checked here."""
    return bot_scheme(url) is not None


def bot_scheme(url: str) -> str | None:
    """The Apprise scheme of a bot URL (WeCom's native https URL too), else None."""
    scheme = url.partition("://")[0].strip().lower()
    if scheme in BOT_SCHEMES:
        return scheme
    if url.strip().lower().startswith(_WECOM_NATIVE):
        return "wecombot"
    return None


def parse_bot(url: str) -> Bot | None:
    """The bot a URL names, parsed by Apprise; None if it is not a valid bot URL."""
    plugin: Any = apprise.Apprise.instantiate(url)
    if isinstance(plugin, NotifyWeComBot):
        service: Service = "wecom"
        key, secret, mobiles = plugin.key, "", ()
    elif isinstance(plugin, NotifyDingTalk):
        service = "dingtalk"
        key, secret, mobiles = plugin.token, plugin.secret or "", tuple(plugin.targets)
    elif isinstance(plugin, NotifyFeishu | NotifyLark):
        service = "feishu"
        key, secret, mobiles = plugin.token, plugin.user or "", ()
    else:
        return None
    args = type(plugin).parse_url(url) or {}
    query = {k.lower(): v for k, v in (args.get("qsd") or {}).items()}
    secret = query.get("secret") or secret
    api = (query.get("api") or _public_api(plugin)).rstrip("/")
    if urlsplit(api).scheme not in ("http", "https"):
        return None
    connect, read = plugin.request_timeout
    return Bot(
        service=service,
        api=api,
        key=key,
        secret=secret,
        mobiles=mobiles,
        verify=bool(plugin.verify_certificate),
        timeout=(float(connect or 4.0), float(read or 10.0)),
    )


def _public_api(plugin: Any) -> str:
    """The service's public host, as Apprise's plugin names it (its ``notify_url``): one
    source for it, which a test may also point at a local receiver."""
    parts = urlsplit(str(type(plugin).notify_url))
    return f"{parts.scheme}://{parts.netloc}"


def send_bot(bot: Bot, message: Message, *, limiter: RateLimiter = BOT_LIMITER) -> None:
    """Send ``message`` to ``bot``; returns only when the service accepted it."""
    outgoing = bot_requests(bot.service, message, mobiles=bot.mobiles)
    for request in outgoing:
        try:
            limiter.acquire(bot.name, RATES[bot.service], shown=message.target)
            verdict = _post(bot, request)
        except NotifyError:
            if request.essential:
                raise
            logger.warning(
                "the follow-up message to %r (its @-mentions or caption) was not sent: the bot's"
                " rate limit is reached; the notice itself was delivered",
                message.target,
            )
            continue
        if verdict.outcome is Outcome.sent:
            continue
        error = refusal(bot, message, verdict)
        if request.essential:
            raise error
        logger.warning(
            "the follow-up message (its @-mentions or caption) was refused; the notice itself "
            "was delivered: %s",
            error.en,
        )


def _post(bot: Bot, request: Outgoing) -> Verdict:
    payload = dict(request.payload)
    url = _endpoint(bot)
    if bot.secret and bot.service == "dingtalk":
        timestamp, sign = dingtalk_signature(bot.secret, int(time.time() * 1000))
        url += f"&timestamp={timestamp}&sign={quote(sign, safe='')}"
    elif bot.secret and bot.service == "feishu":
        timestamp, sign = feishu_signature(bot.secret, int(time.time()))
        payload.update(timestamp=timestamp, sign=sign)
    try:
        reply = requests.post(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=bot.timeout,
            verify=bot.verify,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        # The exception's text holds the URL: only its kind is kept.
        return Verdict(Outcome.failed, Why.connection, detail=type(exc).__name__)
    return judge(bot.service, reply.status_code, reply.content, reply.headers)


def _endpoint(bot: Bot) -> str:
    key = quote(bot.key, safe="")
    if bot.service == "wecom":
        return f"{bot.api}{_PATHS['wecom']}?key={key}"
    if bot.service == "dingtalk":
        return f"{bot.api}{_PATHS['dingtalk']}?access_token={key}"
    return f"{bot.api}{_PATHS['feishu']}{key}"


def dingtalk_signature(secret: str, timestamp_ms: int) -> tuple[str, str]:
    """DingTalk's signature: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), ms timestamp."""
    timestamp = str(timestamp_ms)
    digest = hmac.new(
        secret.encode(), f"{timestamp}\n{secret}".encode(), digestmod=hashlib.sha256
    ).digest()
    return timestamp, base64.b64encode(digest).decode("ascii")


def feishu_signature(secret: str, timestamp_s: int) -> tuple[str, str]:
    """Feishu's signature: base64(HMAC-SHA256 keyed by "timestamp\\nsecret", of nothing)."""
    timestamp = str(timestamp_s)
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", digestmod=hashlib.sha256).digest()
    return timestamp, base64.b64encode(digest).decode("ascii")


def refusal(bot: Bot, message: Message, verdict: Verdict) -> NotifyError:
    """The error for a reply that did not accept the message: the target by name, the
    service's code and message (secrets and mobiles masked), and what happens next."""
    service_zh, service_en = SERVICE_NAMES[bot.service]
    why_zh, why_en = WHY_TEXT[verdict.why] if verdict.why else ("发送失败", "sending failed")
    detail = _masked(verdict.detail, bot, message)
    quoted = f"errcode {verdict.code}" + (f": {detail}" if detail else "")
    said = quoted if verdict.code is not None else detail
    if verdict.outcome is Outcome.rejected:
        next_zh, next_en = "不再重试", "not retried"
    elif verdict.outcome is Outcome.rate_limited:
        pause = f"{verdict.retry_after or 0:.0f}"
        next_zh, next_en = f"{pause} 秒后重试", f"retried after {pause} s"
    else:
        next_zh, next_en = "稍后重试", "retried later"
    return NotifyError(
        f"发送到「{message.target}」（{service_zh}）失败：{why_zh}"
        + (f"（{said}）" if said else "")
        + f"，{next_zh}",
        f"sending to {message.target!r} ({service_en}) failed: {why_en}"
        + (f" ({said})" if said else "")
        + f"; {next_en}",
        permanent=verdict.outcome is Outcome.rejected,
        retry_after=verdict.retry_after,
    )


def _masked(text: str, bot: Bot, message: Message) -> str:
    """A service's message with every known secret, the bot's key and any mobile masked."""
    private = {*bot.secrets(), *(mobile for mobile in message.mentions if mobile)}
    return redact(redact(text, private), SECRETS.values).replace(MASK * 2, MASK)
