"""Who is @-mentioned, and where mail replies go: mobiles only in the mention list of the
channels that take them, never in a message, a result or a log; mail carries the recipient
unit's reply token."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models.outbox import OutboxMessage
from models.unit import Unit
from qinglian.core.settings import Settings
from qinglian.notify.channels import DINGTALK, FEISHU, WECOM, Channel
from qinglian.notify.protocol import RecordingNotifier
from qinglian.org.reply_tokens import reply_address, subject_tag
from qinglian.oversight.outbox import plan_sweep, sweep
from tests.oversight.test_digest_parts import (
    AS_OF,
    CITY_HEAD_MOBILE,
    CITY_OFFICE_MOBILE,
    DISCIPLINE,
    NO_PORTAL,
    TARGET,
    Big,
    build_big,
    hospital_name,
    memory_engine,  # noqa: F401  (the fixture)
    rows_for,
)


def _mobiles(big: Big) -> set[str]:
    return {CITY_OFFICE_MOBILE, CITY_HEAD_MOBILE, *big.mobiles.values()}


@pytest.mark.parametrize("channel", [WECOM, DINGTALK], ids=["wecom", "dingtalk"])
def test_bots_that_can_mention_get_the_responsible_mobiles_beside_the_message(
    memory_engine: Engine,  # noqa: F811
    channel: Channel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with Session(memory_engine, expire_on_commit=False) as session:
        big = build_big(session)
        channel_of = RecordingNotifier(channels={TARGET: channel}).channel
        plan = plan_sweep(
            session=session,
            campaign_id=big.campaign_id,
            as_of=AS_OF,
            channel_of=channel_of,
            settings=NO_PORTAL,
        )
        result = sweep(
            session=session,
            campaign_id=big.campaign_id,
            as_of=AS_OF,
            channel_of=channel_of,
            settings=NO_PORTAL,
        )
        rows = rows_for(session, TARGET)
        mentioned = [mobile for row in rows for mobile in row.mentions or []]
        # The city's office contact (its subordinates' overdue items), its head (its own), and
        # the heads of the hospitals whose own overdue items are listed: each once.
        assert {CITY_OFFICE_MOBILE, CITY_HEAD_MOBILE} <= set(mentioned) <= _mobiles(big)
        assert len(mentioned) == len(set(mentioned)) and len(mentioned) > 2
        by_mobile = {mobile: code for code, mobile in big.mobiles.items()}
        hospitals = {code: hospital_name(int(code[-2:])) for code in big.mobiles}
        for row in rows:
            for mobile in row.mentions or []:
                if mobile in by_mobile:  # in the part that names the hospital
                    assert hospitals[by_mobile[mobile]] in row.body
        # Mail is not a bot: no mentions.
        (mail,) = rows_for(session, DISCIPLINE)
        assert mail.mentions is None

        # Never in the message, the result, a repr or a log.
        shown = [
            *(f"{row.title}\n{row.body}\n{row.last_error}\n{row!r}" for row in rows),
            f"{mail.title}\n{mail.body}",
            result.model_dump_json(),
            repr(plan.digests),
            caplog.text,
        ]
        for mobile in _mobiles(big):
            assert all(mobile not in text for text in shown)


def test_channels_that_cannot_mention_carry_none(memory_engine: Engine) -> None:  # noqa: F811
    with Session(memory_engine, expire_on_commit=False) as session:
        big = build_big(session)
        sweep(
            session=session,
            campaign_id=big.campaign_id,
            as_of=AS_OF,
            channel_of=RecordingNotifier(channels={TARGET: FEISHU}).channel,
            settings=NO_PORTAL,
        )
        assert all(row.mentions is None for row in session.exec(select(OutboxMessage)).all())


def test_mail_replies_go_to_the_intake_address_with_the_recipient_units_token(
    memory_engine: Engine,  # noqa: F811
) -> None:
    with Session(memory_engine, expire_on_commit=False) as session:
        big = build_big(session)
        settings = Settings(portal_url=None, intake_address="intake@lyg.example.cn")
        channel_of = RecordingNotifier(channels={TARGET: WECOM}).channel
        sweep(
            session=session,
            campaign_id=big.campaign_id,
            as_of=AS_OF,
            channel_of=channel_of,
            settings=settings,
        )
        token = session.get(Unit, big.city).reply_token  # type: ignore[union-attr]
        assert token
        (mail,) = rows_for(session, DISCIPLINE)
        assert mail.reply_to == reply_address("intake@lyg.example.cn", token)
        assert mail.title.endswith(subject_tag(token)) and mail.unit_id == big.city
        # A bot's message has no Reply-To and no tag.
        for row in rows_for(session, TARGET):
            assert row.reply_to is None and "回复码" not in row.title
        # The hospitals, never mailed, got no token.
        assert session.exec(select(Unit).where(Unit.reply_token != None)).all() == [  # noqa: E711
            session.get(Unit, big.city)
        ]
