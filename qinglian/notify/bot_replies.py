"""What a group bot's reply means: sent, rate limited, refused for good, or worth a retry.

WeCom and DingTalk answer HTTP 200 even when they refuse a message; the reason is the
``errcode`` in the body. Feishu/Lark answers ``{"code": 0}`` (or ``{"StatusCode": 0}``) when
it accepts, a non-zero ``code`` with ``msg`` when not, sometimes with HTTP 400. So the body
decides (:func:`judge`), and the HTTP status only where the body has no code:

============================  ===================================  ==========================
reply                         outcome                              examples
============================  ===================================  ==========================
code 0 (HTTP 2xx)             sent
rate limit                    retried after the service's pause    WeCom 45009, DingTalk
                                                                   130101/410100, Feishu 11232
too long or malformed         given up at once                     WeCom 40058/40009, DingTalk
                                                                   460101/101002
security settings             given up at once                     DingTalk 310000 (keyword,
                                                                   signature, IP), 430101–4;
                                                                   Feishu 19021/19022/19024
bad key or token              given up at once                     WeCom 93000, DingTalk
                                                                   300001/300005/400101/…,
                                                                   Feishu 19001
bad request                   given up at once                     WeCom 40008/44004, DingTalk
                                                                   400105, Feishu 9499
any other non-zero code       retried with backoff                 WeCom -1 (busy)
HTTP 5xx, no reply            retried with backoff
HTTP 429                      retried after Retry-After (or 60 s)
other HTTP 4xx                given up at once
HTTP 2xx without a code       retried with backoff (unreadable)
============================  ===================================  ==========================

DingTalk blocks a bot that sent more than 20 messages in a minute for 10 minutes, so its rate
limit waits 600 s; WeCom and Feishu count per minute, 60 s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

Service = Literal["wecom", "dingtalk", "feishu"]

SERVICE_NAMES: dict[Service, tuple[str, str]] = {
    "wecom": ("企业微信群机器人", "WeCom group bot"),
    "dingtalk": ("钉钉自定义机器人", "DingTalk custom bot"),
    "feishu": ("飞书自定义机器人", "Feishu/Lark custom bot"),
}
# Seconds to wait after a rate-limit reply.
RATE_PAUSE: dict[Service, float] = {"wecom": 60.0, "dingtalk": 600.0, "feishu": 60.0}
_DEFAULT_PAUSE = 60.0
_DETAIL_MAX = 160
# WeCom appends ", hint: [...], from ip: ..., more info at https://..."; DingTalk ", more: [...]"
# or ";solution:…;link:…": the service's own words come first, the rest is noise.
_NOISE = re.compile(r"(,?\s*(hint|more info|more|from ip)\s*:|;\s*(solution|link)\s*:).*$", re.I)


class Outcome(StrEnum):
    sent = "sent"
    rate_limited = "rate_limited"  # retried after the service's pause
    rejected = "rejected"  # given up at once: sending it again cannot succeed
    failed = "failed"  # retried with backoff


class Why(StrEnum):
    """Why a message was not accepted, as users read it."""

    rate = "rate"
    too_long = "too_long"
    security = "security"
    bad_target = "bad_target"
    bad_request = "bad_request"
    http = "http"
    connection = "connection"
    unreadable = "unreadable"
    other = "other"


WHY_TEXT: dict[Why, tuple[str, str]] = {
    Why.rate: ("发送过于频繁，被限流", "rate limited"),
    Why.too_long: ("消息过长或格式不合法", "the message is too long or malformed"),
    Why.security: (
        "未通过机器人的安全设置（自定义关键词、加签或 IP 白名单）",
        "refused by the bot's security settings (keyword, signature or IP allow-list)",
    ),
    Why.bad_target: (
        "机器人地址（key/token）无效，或机器人已停用",
        "the bot's key or token is invalid, or the bot is disabled",
    ),
    Why.bad_request: ("请求不合法", "bad request"),
    Why.http: ("HTTP 错误", "HTTP error"),
    Why.connection: ("连接失败或未收到回复", "no connection or no reply"),
    Why.unreadable: ("回复无法识别", "unreadable reply"),
    Why.other: ("服务返回错误", "the service answered an error"),
}

_CODES: dict[Service, dict[int, Why]] = {
    "wecom": {
        45009: Why.rate,  # api freq out of limit
        40058: Why.too_long,  # e.g. "markdown.content exceed max length 4096"
        40009: Why.too_long,  # invalid image size
        93000: Why.bad_target,  # invalid webhook url
        40008: Why.bad_request,  # invalid message type
        44004: Why.bad_request,  # empty content
    },
    "dingtalk": {
        130101: Why.rate,  # send too fast, exceed 20 times per minute
        410100: Why.rate,
        460101: Why.too_long,  # message too long, exceed 20000 bytes
        101002: Why.too_long,  # message is too long
        310000: Why.security,  # keywords not in content / sign not match / ip not in whitelist
        430101: Why.security,  # unsafe link, text, picture or content
        430102: Why.security,
        430103: Why.security,
        430104: Why.security,
        300001: Why.bad_target,  # token is not exist
        300005: Why.bad_target,
        400101: Why.bad_target,  # access_token does not exist
        400102: Why.bad_target,  # the bot is disabled
        400106: Why.bad_target,  # the bot does not exist
        400013: Why.bad_target,  # the group was dissolved
        400105: Why.bad_request,  # unsupported message type
    },
    "feishu": {
        11232: Why.rate,  # frequency limited
        19024: Why.security,  # Key Words Not Found
        19021: Why.security,  # sign match fail or timestamp is not within one hour
        19022: Why.security,  # Ip Not Allowed
        19001: Why.bad_target,  # incoming webhook access token invalid
        9499: Why.bad_request,  # Bad Request
    },
}
_PERMANENT = frozenset({Why.too_long, Why.security, Why.bad_target, Why.bad_request, Why.http})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one reply means. ``code``/``detail`` are the service's own (detail unmasked)."""

    outcome: Outcome
    why: Why | None = None
    code: int | None = None
    detail: str = ""
    retry_after: float | None = None


def judge(
    service: Service, status: int, body: bytes, headers: Mapping[str, str] | None = None
) -> Verdict:
    """The verdict on one reply: its HTTP status, body and headers."""
    if status >= 500:
        return Verdict(Outcome.failed, Why.http, detail=f"HTTP {status}")
    code, message = _code(body)
    if code is not None and code != 0:
        why = _CODES[service].get(code, Why.other)
        return _verdict(service, why, code, clean_detail(message))
    if status == 429:
        pause = _retry_after(headers) or RATE_PAUSE.get(service, _DEFAULT_PAUSE)
        return Verdict(Outcome.rate_limited, Why.rate, detail="HTTP 429", retry_after=pause)
    if status >= 400 or status < 200:
        return Verdict(Outcome.rejected, Why.http, detail=f"HTTP {status}")
    if code is None:
        return Verdict(Outcome.failed, Why.unreadable, detail=f"HTTP {status}")
    return Verdict(Outcome.sent, code=0)


def _verdict(service: Service, why: Why, code: int, detail: str) -> Verdict:
    if why is Why.rate:
        pause = RATE_PAUSE.get(service, _DEFAULT_PAUSE)
        return Verdict(Outcome.rate_limited, why, code, detail, retry_after=pause)
    outcome = Outcome.rejected if why in _PERMANENT else Outcome.failed
    return Verdict(outcome, why, code, detail)


def _code(body: bytes) -> tuple[int | None, str]:
    """The reply's error code and message: ``errcode``/``errmsg`` (WeCom, DingTalk),
    ``code``/``msg`` or ``StatusCode``/``StatusMessage`` (Feishu)."""
    try:
        reply: Any = json.loads(body or b"null")
    except ValueError:
        return None, ""
    if not isinstance(reply, dict):
        return None, ""
    for code_key, message_key in (
        ("errcode", "errmsg"),
        ("code", "msg"),
        ("StatusCode", "StatusMessage"),
    ):
        code = reply.get(code_key)
        if isinstance(code, int) and not isinstance(code, bool):
            return code, str(reply.get(message_key) or "")
        if isinstance(code, str) and code.lstrip("-").isdigit():
            return int(code), str(reply.get(message_key) or "")
    return None, ""


def clean_detail(message: str) -> str:
    """The service's message without its hint, request id, our IP and help links; short."""
    cleaned = _NOISE.sub("", " ".join(message.split())).strip(" ,;")
    return cleaned if len(cleaned) <= _DETAIL_MAX else cleaned[: _DETAIL_MAX - 1] + "…"


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("Retry-After", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds > 0 else None
