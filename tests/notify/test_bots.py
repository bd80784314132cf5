"""Checked delivery to WeCom, DingTalk and Feishu: the reply body decides, against a local
receiver that answers like the real services (HTTP 200, the verdict in ``errcode``/``code``)."""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

import pytest

from qinglian.notify.apprise_notifier import AppriseNotifier
from qinglian.notify.bot_payloads import MENTION_NOTE, bot_content, bot_requests
from qinglian.notify.bot_replies import Outcome, Why, clean_detail, judge
from qinglian.notify.bots import Bot, parse_bot
from qinglian.notify.channels import DINGTALK, FEISHU, WECOM
from qinglian.notify.protocol import Image, Message, NotifyError
from qinglian.notify.ratelimit import RateLimiter
from tests.notify.bot_receiver import (
    DINGTALK_KEYWORDS,
    DINGTALK_RATE,
    FEISHU_KEYWORDS,
    FEISHU_RATE,
    WECOM_RATE,
    WECOM_TOO_LONG,
    BotReceiver,
    FakeClock,
    Reply,
)

WECOM_KEY = "wecom-k3y-s3cret"
DING_TOKEN = "d1ngt0ken5ecret"
DING_SECRET = "SECd1ngs1gn5ecret"
FEISHU_TOKEN = "f3ishu-t0ken-s3cret"
FEISHU_SECRET = "f3ishus1gn5ecret"
MOBILE, MOBILE_2 = "13800138000", "13912345678"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SECRETS = (WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_TOKEN, FEISHU_SECRET)


def _notifier(bots: BotReceiver, clock: FakeClock) -> AppriseNotifier:
    bots.wecom_keys.add(WECOM_KEY)
    bots.dingtalk[DING_TOKEN] = DING_SECRET
    bots.feishu[FEISHU_TOKEN] = FEISHU_SECRET
    api = f"api={bots.api}"
    return AppriseNotifier(
        {
            "wecom": f"wecombot://{WECOM_KEY}?{api}",
            "ding": f"dingtalk://{DING_SECRET}@{DING_TOKEN}/?{api}",
            "feishu": f"feishu://{FEISHU_SECRET}@{FEISHU_TOKEN}?{api}",
        },
        limiter=RateLimiter(clock=clock.monotonic, sleep=clock.sleep),
    )


def _hidden(bots: BotReceiver, *texts: str) -> None:
    """No key, token, secret, API host or mobile in any of ``texts``."""
    for text in texts:
        for private in (*SECRETS, f"127.0.0.1:{bots.port}", MOBILE, MOBILE_2):
            assert private not in text, (private, text)


# --- the verdict on a reply ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "status", "body", "outcome", "why", "retry_after"),
    [
        ("wecom", 200, b'{"errcode": 0, "errmsg": "ok"}', Outcome.sent, None, None),
        ("wecom", 200, b'{"errcode": 45009, "errmsg": "api freq"}', Outcome.rate_limited, Why.rate, 60),
        ("wecom", 200, b'{"errcode": 40058, "errmsg": "too long"}', Outcome.rejected, Why.too_long, None),
        ("wecom", 200, b'{"errcode": 93000, "errmsg": "invalid"}', Outcome.rejected, Why.bad_target, None),
        ("wecom", 200, b'{"errcode": -1, "errmsg": "system busy"}', Outcome.failed, Why.other, None),
        ("wecom", 200, b'{"errcode": 12345, "errmsg": "new"}', Outcome.failed, Why.other, None),
        ("dingtalk", 200, b'{"errcode": 0, "errmsg": "ok"}', Outcome.sent, None, None),
        ("dingtalk", 200, b'{"errcode": 130101, "errmsg": "x"}', Outcome.rate_limited, Why.rate, 600),
        ("dingtalk", 200, b'{"errcode": 410100, "errmsg": "x"}', Outcome.rate_limited, Why.rate, 600),
        ("dingtalk", 200, b'{"errcode": 460101, "errmsg": "x"}', Outcome.rejected, Why.too_long, None),
        ("dingtalk", 200, b'{"errcode": 310000, "errmsg": "x"}', Outcome.rejected, Why.security, None),
        ("dingtalk", 200, b'{"errcode": 300001, "errmsg": "x"}', Outcome.rejected, Why.bad_target, None),
        ("dingtalk", 200, b'{"errcode": 400102, "errmsg": "x"}', Outcome.rejected, Why.bad_target, None),
        ("feishu", 200, b'{"code": 0, "msg": "success", "data": {}}', Outcome.sent, None, None),
        ("feishu", 200, b'{"StatusCode": 0, "StatusMessage": "success"}', Outcome.sent, None, None),
        ("feishu", 200, b'{"code": 11232, "msg": "frequency limited"}', Outcome.rate_limited, Why.rate, 60),
        ("feishu", 400, b'{"code": 11232, "msg": "frequency limited"}', Outcome.rate_limited, Why.rate, 60),
        ("feishu", 200, b'{"code": 19024, "msg": "Key Words Not Found"}', Outcome.rejected, Why.security, None),
        ("feishu", 200, b'{"code": 19021, "msg": "sign match fail"}', Outcome.rejected, Why.security, None),
        ("feishu", 400, b'{"code": 9499, "msg": "Bad Request"}', Outcome.rejected, Why.bad_request, None),
        ("wecom", 500, b'{"errcode": 0}', Outcome.failed, Why.http, None),
        ("wecom", 502, b"<html>bad gateway</html>", Outcome.failed, Why.http, None),
        ("wecom", 404, b"not found", Outcome.rejected, Why.http, None),
        ("wecom", 429, b"", Outcome.rate_limited, Why.rate, 60),
        ("wecom", 200, b"<html>a captive portal</html>", Outcome.failed, Why.unreadable, None),
        ("wecom", 200, b'{"errcode": "45009"}', Outcome.rate_limited, Why.rate, 60),
    ],
)  # fmt: skip
def test_the_reply_body_decides(
    service: Any, status: int, body: bytes, outcome: Outcome, why: Why | None, retry_after: Any
) -> None:
    verdict = judge(service, status, body)
    assert (verdict.outcome, verdict.why, verdict.retry_after) == (outcome, why, retry_after)


def test_retry_after_header_of_a_429() -> None:
    assert judge("feishu", 429, b"", {"Retry-After": "17"}).retry_after == 17


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        (WECOM_TOO_LONG["errmsg"], "markdown.content exceed max length 4096. invalid Request Parameter"),
        (WECOM_RATE["errmsg"], "api freq out of limit"),
        (DINGTALK_KEYWORDS["errmsg"], "keywords not in content"),
        ("description:机器人发送签名不匹配;solution:请确认签名;link:请参考文档", "description:机器人发送签名不匹配"),
        ("x" * 400, "x" * 159 + "…"),
    ],
)  # fmt: skip
def test_the_services_words_without_hints_ips_and_links(said: str, kept: str) -> None:
    assert clean_detail(said) == kept


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "wecombot://k3y-1_A",
            Bot("wecom", "https://qyapi.weixin.qq.com", "k3y-1_A"),
        ),
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k3y",
            Bot("wecom", "https://qyapi.weixin.qq.com", "k3y"),
        ),
        (
            "wecombot://k3y?api=https://qyapi.gov.example.cn:8443/wx/",
            Bot("wecom", "https://qyapi.gov.example.cn:8443/wx", "k3y"),
        ),
        ("dingtalk://t0k/", Bot("dingtalk", "https://oapi.dingtalk.com", "t0k")),
        (
            "dingtalk://SECs1@t0k/13800138000/?api=http://127.0.0.1:9",
            Bot("dingtalk", "http://127.0.0.1:9", "t0k", "SECs1", ("13800138000",)),
        ),
        ("dingtalk://t0k/?secret=SECs2", Bot("dingtalk", "https://oapi.dingtalk.com", "t0k", "SECs2")),
        ("feishu://h00k-1", Bot("feishu", "https://open.feishu.cn", "h00k-1")),
        ("feishu://s1gn@h00k-1", Bot("feishu", "https://open.feishu.cn", "h00k-1", "s1gn")),
        ("feishu://h00k-1?secret=s2", Bot("feishu", "https://open.feishu.cn", "h00k-1", "s2")),
        ("lark://h00k-2", Bot("feishu", "https://open.larksuite.com", "h00k-2")),
        ("wecombot://k3y?api=ftp://elsewhere", None),
        ("wecombot://bad key!", None),
        ("json://127.0.0.1/hook", None),
    ],
)  # fmt: skip
def test_bot_urls_keep_apprises_syntax(url: str, expected: Bot | None) -> None:
    bot = parse_bot(url)
    if expected is None:
        assert bot is None
        return
    assert bot is not None
    got = (bot.service, bot.api, bot.key, bot.secret, bot.mobiles)
    assert got == (expected.service, expected.api, expected.key, expected.secret, expected.mobiles)
    assert bot.key not in bot.name and bot.name.startswith(bot.service)


# --- payloads --------------------------------------------------------------------------------


def _message(fmt: Any = "text", **changes: Any) -> Message:
    fields: dict[str, Any] = {
        "target": "lyg",
        "title": "逾期事项督办",
        "body": "正文",
        "format": fmt,
    }
    return Message(**(fields | changes))


@pytest.mark.parametrize(
    ("service", "message", "expected"),
    [
        (
            "wecom",
            _message(mentions=(MOBILE,)),
            [{"msgtype": "text", "text": {"content": "逾期事项督办\n正文", "mentioned_mobile_list": [MOBILE]}}],
        ),
        (
            "wecom",
            _message("markdown"),
            [{"msgtype": "markdown", "markdown": {"content": "逾期事项督办\n\n正文"}}],
        ),
        (
            "wecom",
            _message("markdown", mentions=(MOBILE, MOBILE_2)),
            [
                {"msgtype": "markdown", "markdown": {"content": "逾期事项督办\n\n正文"}},
                {"msgtype": "text", "text": {"content": MENTION_NOTE, "mentioned_mobile_list": [MOBILE, MOBILE_2]}},
            ],
        ),
        (
            "wecom",
            _message("markdown", body="## 逾期事项督办\n\n正文"),  # the body has the title already
            [{"msgtype": "markdown", "markdown": {"content": "## 逾期事项督办\n\n正文"}}],
        ),
        (
            "dingtalk",
            _message(mentions=(MOBILE,)),
            [{"msgtype": "text", "text": {"content": f"逾期事项督办\n正文\n@{MOBILE}"},
              "at": {"atMobiles": [MOBILE], "isAtAll": False}}],
        ),
        (
            "dingtalk",
            _message("markdown", mentions=(MOBILE,)),
            [{"msgtype": "markdown",
              "markdown": {"title": "逾期事项督办", "text": f"逾期事项督办\n\n正文\n\n@{MOBILE}"},
              "at": {"atMobiles": [MOBILE], "isAtAll": False}}],
        ),
        (
            "dingtalk",
            _message("image", body="连云港市", image=Image(PNG, link="https://portal.example.cn/board/tok")),
            [{"msgtype": "markdown",
              "markdown": {"title": "逾期事项督办",
                           "text": "### 逾期事项督办\n\n![board.png](https://portal.example.cn/board/tok)\n\n连云港市"},
              "at": {"atMobiles": [], "isAtAll": False}}],
        ),
        (
            "feishu",
            _message("markdown", mentions=(MOBILE,)),  # Feishu mentions by open_id only: none
            [{"msg_type": "text", "content": {"text": "逾期事项督办\n正文"}}],
        ),
        (
            "feishu",
            _message("image", body="", image=Image(PNG, link="https://portal.example.cn/board/tok")),
            [{"msg_type": "text", "content": {"text": "逾期事项督办\nhttps://portal.example.cn/board/tok"}}],
        ),
    ],
)  # fmt: skip
def test_what_each_service_is_sent(service: Any, message: Message, expected: list[Any]) -> None:
    outgoing = bot_requests(service, message)
    assert [request.payload for request in outgoing] == expected
    assert [request.essential for request in outgoing] == [True] + [False] * (len(expected) - 1)


@pytest.mark.parametrize(
    ("service", "message", "said"),
    [
        ("wecom", _message("markdown", body="字" * 1400), "4096"),  # 4,200 bytes
        ("wecom", _message(body="字" * 700), "2048"),
        ("dingtalk", _message(body="字" * 7000), "20000"),
        ("feishu", _message(body="字" * 10_001), str(FEISHU.limit)),
        ("wecom", _message("image", image=Image(b"0" * (2 * 1024 * 1024 + 1))), "2097152"),
        ("wecom", _message("image"), "without a picture"),
        ("dingtalk", _message("image", image=Image(PNG)), "only by its link"),
        ("feishu", _message("image", image=Image(PNG)), "only by its link"),
    ],
)
def test_what_a_bot_cannot_take_is_refused_before_sending(
    service: Any, message: Message, said: str
) -> None:
    with pytest.raises(NotifyError) as caught:
        bot_requests(service, message)
    assert caught.value.permanent and said in str(caught.value)


@pytest.mark.parametrize(
    ("service", "fmt", "limit"),
    [("wecom", "markdown", WECOM.limit), ("wecom", "text", WECOM.text_limit),
     ("dingtalk", "markdown", DINGTALK.limit), ("feishu", "text", FEISHU.limit)],
)  # fmt: skip
def test_the_limit_counts_the_content_as_sent_title_included(
    service: Any, fmt: str, limit: int
) -> None:
    heading = len(bot_content(_message(fmt, body=""), markdown=fmt == "markdown").encode())
    exactly = _message(fmt, body="a" * (limit - heading))
    assert bot_requests(service, exactly)
    with pytest.raises(NotifyError, match=str(limit)):
        bot_requests(service, _message(fmt, body="a" * (limit - heading + 1)))


# --- end to end through AppriseNotifier ------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "reply", "permanent", "retry_after", "quoted"),
    [
        ("wecom", Reply(), None, None, ""),
        ("wecom", Reply(WECOM_TOO_LONG), True, None, "errcode 40058: markdown.content exceed max"),
        ("wecom", Reply(WECOM_RATE), False, 60, "errcode 45009: api freq out of limit"),
        ("wecom", Reply({"errcode": -1, "errmsg": "system busy"}), False, None, "errcode -1"),
        ("wecom", Reply({"errcode": 0}, status=500), False, None, "HTTP 500"),
        ("wecom", Reply({"error": "gone"}, status=404), True, None, "HTTP 404"),
        ("ding", Reply(), None, None, ""),
        ("ding", Reply(DINGTALK_KEYWORDS), True, None, "errcode 310000: keywords not in content"),
        ("ding", Reply(DINGTALK_RATE), False, 600, "errcode 130101: send too fast"),
        ("feishu", Reply({"code": 0, "msg": "success"}), None, None, ""),
        ("feishu", Reply(FEISHU_RATE), False, 60, "errcode 11232: frequency limited"),
        ("feishu", Reply(FEISHU_KEYWORDS, status=400), True, None, "errcode 19024"),
    ],
)  # fmt: skip
def test_rejections_fail_with_the_services_reason(
    bots: BotReceiver,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    target: str,
    reply: Reply,
    permanent: bool | None,
    retry_after: float | None,
    quoted: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    notifier = _notifier(bots, clock)
    bots.then(reply)
    message = Message(target=target, title="逾期事项督办", body="正文", mentions=(MOBILE,))
    if permanent is None:
        notifier.send(message)
        assert len(bots.calls) == 1 and bots.calls[0].reply == reply.body
        _hidden(bots, caplog.text)
        return
    with pytest.raises(NotifyError) as caught:
        notifier.send(message)
    error = caught.value
    assert (error.permanent, error.retry_after) == (permanent, retry_after)
    assert quoted in str(error) and f"'{target}'" in str(error)
    assert "hint" not in str(error) and "from ip" not in str(error)
    _hidden(bots, str(error), caplog.text)


def test_the_services_own_checks_keywords_signatures_keys(
    bots: BotReceiver, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notifier = _notifier(bots, clock)
    bots.dingtalk_keywords = ("督办",)
    bots.feishu_keywords = ("督办",)
    notifier.send(Message(target="ding", title="逾期事项督办", body="正文"))
    notifier.send(Message(target="feishu", title="逾期事项督办", body="正文"))
    assert [call.reply.get("errcode", call.reply.get("code")) for call in bots.calls] == [0, 0]
    call = bots.of("dingtalk")[0]
    assert {"timestamp", "sign"} <= set(call.query) and DING_SECRET not in str(call.query)
    assert {"timestamp", "sign"} <= set(bots.of("feishu")[0].payload)

    refused = {
        "ding": "errcode 310000: keywords not in content",
        "feishu": "errcode 19024: Key Words Not Found",
    }
    for target, said in refused.items():
        with pytest.raises(NotifyError, match=said) as caught:
            notifier.send(Message(target=target, title="通知", body="正文"))
        assert caught.value.permanent

    wrong = AppriseNotifier(
        {
            "ding": f"dingtalk://SECwr0ng@{DING_TOKEN}/?api={bots.api}",
            "feishu": f"feishu://wr0ng@{FEISHU_TOKEN}?api={bots.api}",
            "wecom": f"wecombot://n0-such-key?api={bots.api}",
        },
        limiter=RateLimiter(clock=clock.monotonic, sleep=clock.sleep),
    )
    # (errcodes only: words of the services' messages may be masked by an earlier test's
    # secrets, such as a URL path segment ``hook``)
    for target, said in {
        "ding": "errcode 310000",
        "feishu": "errcode 19021",
        "wecom": "93000",
    }.items():
        with pytest.raises(NotifyError, match=said) as caught:
            wrong.send(Message(target=target, title="逾期事项督办", body="正文"))
        assert caught.value.permanent
        _hidden(bots, str(caught.value))
    assert "n0-such-key" not in caplog.text and "wr0ng" not in caplog.text
    _hidden(bots, caplog.text)


def test_wecom_markdown_mentions_follow_in_a_text(
    bots: BotReceiver, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notifier = _notifier(bots, clock)
    notifier.send(_message("markdown", target="wecom", mentions=(MOBILE, MOBILE_2)))
    first, second = bots.of("wecom")
    assert first.payload == {
        "msgtype": "markdown",
        "markdown": {"content": "逾期事项督办\n\n正文"},
    }
    assert second.payload["text"] == {
        "content": MENTION_NOTE,
        "mentioned_mobile_list": [MOBILE, MOBILE_2],
    }
    _hidden(bots, caplog.text)

    # The notice arrived; its follow-up was refused: logged (no mobiles), and the message sent.
    bots.then(Reply(), Reply(WECOM_RATE))
    notifier.send(_message("markdown", target="wecom", mentions=(MOBILE,)))
    assert len(bots.of("wecom")) == 4
    assert "errcode 45009" in caplog.text and "the notice itself was delivered" in caplog.text
    _hidden(bots, caplog.text)

    # The notice itself refused: the follow-up is never sent.
    bots.then(Reply(WECOM_TOO_LONG))
    with pytest.raises(NotifyError):
        notifier.send(_message("markdown", target="wecom", mentions=(MOBILE,)))
    assert len(bots.of("wecom")) == 5


def test_a_wecom_picture_goes_as_base64_and_md5(
    bots: BotReceiver, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notifier = _notifier(bots, clock)
    picture = Image(PNG, link="https://portal.example.cn/board/t0k")
    notifier.send(_message("image", target="wecom", body="", image=picture, mentions=(MOBILE,)))
    image, caption = bots.of("wecom")
    assert image.payload["msgtype"] == "image" and image.reply == {"errcode": 0, "errmsg": "ok"}
    sent = base64.b64decode(image.payload["image"]["base64"])
    assert sent == PNG and image.payload["image"]["md5"] == hashlib.md5(PNG).hexdigest()
    assert caption.payload["text"] == {
        "content": "逾期事项督办",
        "mentioned_mobile_list": [MOBILE],
    }
    assert "portal.example.cn" not in str(bots.calls)  # WeCom takes the picture itself
    _hidden(bots, caplog.text)

    too_big = Image(b"0" * (2 * 1024 * 1024 + 1))
    with pytest.raises(NotifyError) as caught:
        notifier.send(_message("image", target="wecom", image=too_big))
    assert caught.value.permanent and len(bots.calls) == 2


def test_dingtalk_mentions_in_the_list_and_the_text(bots: BotReceiver, clock: FakeClock) -> None:
    notifier = _notifier(bots, clock)
    notifier.send(_message("markdown", target="ding", mentions=(MOBILE,)))
    (call,) = bots.of("dingtalk")
    assert call.payload["at"] == {"atMobiles": [MOBILE], "isAtAll": False}
    assert call.payload["markdown"]["text"].endswith(f"@{MOBILE}")
    with pytest.raises(NotifyError, match="only by its link") as caught:
        notifier.send(_message("image", target="ding", image=Image(PNG)))
    assert caught.value.permanent and len(bots.calls) == 1


def test_no_connection_is_retried_and_names_no_host(clock: FakeClock) -> None:
    with_nobody = "http://127.0.0.1:9"  # the discard port: nothing listens
    notifier = AppriseNotifier(
        {"wecom": f"wecombot://{WECOM_KEY}?api={with_nobody}"},
        limiter=RateLimiter(clock=clock.monotonic, sleep=clock.sleep),
    )
    with pytest.raises(NotifyError) as caught:
        notifier.send(_message(target="wecom"))
    assert not caught.value.permanent and caught.value.retry_after is None
    assert "ConnectionError" in str(caught.value)
    assert WECOM_KEY not in str(caught.value) and "127.0.0.1" not in str(caught.value)


def test_the_channel_of_a_native_wecom_url() -> None:
    notifier = AppriseNotifier({"x": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k3y"})
    assert notifier.channel("x") == WECOM
