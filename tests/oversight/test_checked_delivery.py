"""Checked delivery end to end: the outbox, ``deliver()``, the Apprise notifier and a local
receiver that answers like WeCom, DingTalk and Feishu (HTTP 200, the verdict in the body).

A refusal that cannot be cured is given up at once with the service's reason; a rate limit is
retried no earlier than it asks; mentions reach the bot and nothing else. Time is a parameter:
later runs pass a later ``now``, and the rate limiter runs on a fake clock.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from models.campaign import Campaign
from models.enums import MessageFormat, OutboxStatus
from models.outbox import BoardImage, OutboxMessage
from qinglian.notify.apprise_notifier import AppriseNotifier
from qinglian.notify.ratelimit import RateLimiter
from qinglian.oversight.delivery import deliver
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
    bot_receiver,
)
from tests.oversight.test_escalation import Tree, build_tree
from tests.oversight.test_outbox_delivery import SMTP_PASSWORD, SMTP_USER, Mailbox
from tests.oversight.test_outbox_delivery import smtp as smtp

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

T0 = datetime(2012, 9, 15, 1, 0, tzinfo=UTC)
WECOM_KEY = "wecom-0utb0x-k3y"
DING_TOKEN = "d1ng0utb0xt0ken"
DING_SECRET = "SECd1ng0utb0xs1gn"
FEISHU_TOKEN = "f3ishu-0utb0x-t0ken"
MOBILE = "13700137000"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16
PRIVATE = (WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_TOKEN, MOBILE)


@pytest.fixture
def bots() -> Iterator[BotReceiver]:
    with bot_receiver() as receiver:
        receiver.wecom_keys.add(WECOM_KEY)
        receiver.dingtalk[DING_TOKEN] = DING_SECRET
        receiver.feishu[FEISHU_TOKEN] = ""
        yield receiver


@pytest.fixture
def outbox() -> Iterator[Engine]:
    """A real SQLite outbox, with the small tree its rows refer to."""
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        build_tree(session)
        session.commit()
    yield engine
    engine.dispose()


def _notifier(bots: BotReceiver, clock: FakeClock, **more: str) -> AppriseNotifier:
    return AppriseNotifier(
        {
            "wecom": f"wecombot://{WECOM_KEY}?api={bots.api}",
            "ding": f"dingtalk://{DING_SECRET}@{DING_TOKEN}/?api={bots.api}",
            "feishu": f"feishu://{FEISHU_TOKEN}?api={bots.api}",
            **more,
        },
        limiter=RateLimiter(clock=clock.monotonic, sleep=clock.sleep),
    )


def _factory(engine: Engine) -> Callable[[], Session]:
    return lambda: Session(engine, expire_on_commit=False)


def _add(engine: Engine, target: str, **fields: Any) -> int:
    """One pending message to ``target``; its id."""
    with Session(engine) as session:
        key = hashlib.sha256(f"{target}/{fields}".encode()).hexdigest()
        defaults = {
            "title": "【专项活动】逾期事项督办",
            "body": "连云港市卫生局：\n\n下列事项已逾期。",
        }
        row = OutboxMessage(
            campaign_id=session.exec(select(Campaign.id)).one(),
            target=target,
            key=key,
            idempotency_key=key,
            sweep_on=date(2012, 9, 15),
            **(defaults | fields),
        )
        session.add(row)
        session.commit()
        return row.id or 0


def _row(engine: Engine, message_id: int) -> OutboxMessage:
    with Session(engine) as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        return row


def _as_utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


# --- every verdict, through deliver() --------------------------------------------------------

CASES = [
    # target, the receiver's reply, then: status, due again after, what last_error quotes
    ("wecom", Reply(), OutboxStatus.sent, None, None),
    ("wecom", Reply(WECOM_TOO_LONG), OutboxStatus.given_up, None, "errcode 40058"),
    ("wecom", Reply(WECOM_RATE), OutboxStatus.failed, 60, "errcode 45009"),
    ("wecom", Reply({"errcode": 0}, status=500), OutboxStatus.failed, 10, "HTTP 500"),
    ("wecom", Reply({"errcode": -1, "errmsg": "system busy"}), OutboxStatus.failed, 10, "errcode -1"),
    ("ding", Reply(), OutboxStatus.sent, None, None),
    ("ding", Reply(DINGTALK_KEYWORDS), OutboxStatus.given_up, None, "errcode 310000"),
    ("ding", Reply(DINGTALK_RATE), OutboxStatus.failed, 600, "errcode 130101"),
    ("feishu", Reply({"code": 0, "msg": "success"}), OutboxStatus.sent, None, None),
    ("feishu", Reply(FEISHU_KEYWORDS), OutboxStatus.given_up, None, "errcode 19024"),
    ("feishu", Reply(FEISHU_RATE), OutboxStatus.failed, 60, "errcode 11232"),
]  # fmt: skip


@pytest.mark.parametrize(("target", "reply", "status", "after", "quoted"), CASES)
def test_the_receivers_verdict_decides_the_outbox_row(
    outbox: Engine,
    bots: BotReceiver,
    caplog: pytest.LogCaptureFixture,
    target: str,
    reply: Reply,
    status: OutboxStatus,
    after: int | None,
    quoted: str | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    message_id = _add(outbox, target, mentions=[MOBILE], format=MessageFormat.markdown)
    notifier = _notifier(bots, FakeClock())
    bots.then(reply)

    def run(now: datetime) -> Any:
        # A backoff of 10 s, shorter than any rate limit's pause: the pause wins.
        return deliver(
            session_factory=_factory(outbox),
            notifier=notifier,
            now=now,
            backoff=lambda attempts: timedelta(seconds=10),
        )

    first = run(T0)
    row = _row(outbox, message_id)
    assert (row.status, row.attempts) == (status, 1)
    assert (first.sent, first.failed, first.given_up) == (
        status == OutboxStatus.sent,
        status == OutboxStatus.failed,
        status == OutboxStatus.given_up,
    )
    assert first.rejected == (status == OutboxStatus.given_up)
    if quoted is None:
        assert row.last_error is None and row.sent_at is not None
    else:
        assert quoted in (row.last_error or "") and "'" + target + "'" in (row.last_error or "")
    for text in (row.last_error or "", caplog.text):
        assert all(private not in text for private in PRIVATE)
    ding = bots.of("dingtalk")
    assert all(call.payload["at"]["atMobiles"] == [MOBILE] for call in ding)  # mentions sent

    if status == OutboxStatus.failed:
        assert after is not None
        due = T0 + timedelta(seconds=after)
        assert _as_utc(row.next_attempt_at) == due
        assert run(due - timedelta(seconds=1)).attempted == 0  # not a second earlier
        assert run(due).sent == 1  # the receiver accepts now
        row = _row(outbox, message_id)
        assert (row.status, row.attempts, row.last_error) == (OutboxStatus.sent, 2, None)
    else:
        assert row.next_attempt_at is None
        assert run(T0 + timedelta(days=1)).attempted == 0  # given up or sent: never again


def test_an_errmsg_echoing_a_mobile_or_key_is_masked(outbox: Engine, bots: BotReceiver) -> None:
    message_id = _add(outbox, "wecom", mentions=[MOBILE])
    bots.then(
        Reply(
            {"errcode": 40058, "errmsg": f"invalid mentioned_mobile_list {MOBILE} key {WECOM_KEY}"}
        )
    )
    result = deliver(
        session_factory=_factory(outbox), notifier=_notifier(bots, FakeClock()), now=T0
    )
    row = _row(outbox, message_id)
    assert result.rejected == 1 and row.status == OutboxStatus.given_up
    assert "invalid mentioned_mobile_list ***" in (row.last_error or "")
    assert MOBILE not in (row.last_error or "") and WECOM_KEY not in (row.last_error or "")
    (call,) = bots.calls
    assert call.payload["text"]["mentioned_mobile_list"] == [MOBILE]


def test_a_bot_over_its_rate_limit_waits_in_parallel_delivery(
    outbox: Engine, bots: BotReceiver
) -> None:
    """25 digests to one WeCom group and 3 to another, 4 sends at a time: the 21st to the
    first waits for a free slot (on the fake clock), the other group never waits."""
    ids = [_add(outbox, "wecom", body=f"第{n}份") for n in range(25)]
    bots.wecom_keys.add("other-gr0up")
    ids += [_add(outbox, "other", body=f"另一群{n}") for n in range(3)]
    clock = FakeClock()
    notifier = _notifier(bots, clock, other=f"wecombot://other-gr0up?api={bots.api}")
    result = deliver(session_factory=_factory(outbox), notifier=notifier, now=T0, workers=4)
    assert result.sent == 28
    assert all(_row(outbox, n).status == OutboxStatus.sent for n in ids)
    assert clock.sleeps and all(wait <= 60 for wait in clock.sleeps)
    assert len(bots.calls) == 28


@pytest.mark.parametrize("kind", ["wecom", "email"])
def test_the_board_picture_goes_out_from_the_outbox(
    engine: Engine,
    session: Session,
    bots: BotReceiver,
    smtp: Mailbox,
    kind: str,
) -> None:
    """On SQLite and PostgreSQL: the PNG is read with the batch, sent as a WeCom image
    message, or inline in a mail whose replies go to the unit's reply address."""
    tree: Tree = build_tree(session)
    picture = BoardImage(
        campaign_id=tree.campaign_id,
        unit_id=tree.lyg,
        sweep_on=date(2012, 9, 15),
        png=PNG,
        md5=hashlib.md5(PNG).hexdigest(),
        token_hash="t" * 64,
        expires_at=T0 + timedelta(days=7),
    )
    session.add(picture)
    session.commit()
    target = "wecom" if kind == "wecom" else "email:office@lyg.example.cn"
    reply_to = "intake+lygt0ken@js.example.cn"
    row = OutboxMessage(
        campaign_id=tree.campaign_id,
        target=target,
        key="p" * 64,
        idempotency_key="p" * 64,
        sweep_on=date(2012, 9, 15),
        title="督办榜 · 2012年9月15日",
        body="",
        format=MessageFormat.image,
        image_id=picture.id,
        mentions=[MOBILE],
        reply_to=reply_to,
    )
    session.add(row)
    session.commit()
    mail = (
        f"mailto://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp.port}"
        "?from=campaign@js.example.cn&mode=insecure"
    )
    notifier = _notifier(bots, FakeClock(), email=mail)
    result = deliver(session_factory=_factory(engine), notifier=notifier, now=T0)
    assert result.sent == 1
    if kind == "wecom":
        image, caption = bots.of("wecom")
        assert base64.b64decode(image.payload["image"]["base64"]) == PNG
        assert image.payload["image"]["md5"] == hashlib.md5(PNG).hexdigest()
        assert caption.payload["text"]["mentioned_mobile_list"] == [MOBILE]
        return
    ((_, sent),) = smtp.mails
    assert sent["Reply-To"] == reply_to
    inline = next(part for part in sent.walk() if part.get_content_type() == "image/png")
    assert inline.get_payload(decode=True) == PNG
    assert MOBILE not in sent.as_string()
