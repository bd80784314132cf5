"""Digests that fit their channel: one city office told about 40 hospitals' items, composed for
WeCom, DingTalk, Feishu, mail and a plain webhook; too long for a bot, it goes in numbered
parts, each under the limit, each item-step in exactly one of them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from models.campaign import Campaign, Deliverable, Phase
from models.enums import Level, MessageFormat, UnitKind
from models.outbox import OutboxItem, OutboxMessage
from qinglian.core.settings import Settings
from qinglian.notify.channels import DINGTALK, EMAIL, FEISHU, WEBHOOK, WECOM, Channel
from qinglian.notify.protocol import RecordingNotifier
from qinglian.oversight.digest_parts import Piece, cn_number, pack, part_key, part_label
from qinglian.oversight.digests import digest_key
from qinglian.oversight.notices import due_notices
from qinglian.oversight.outbox import plan_sweep, sweep
from tests.factories import add_unit

AS_OF = date(2012, 10, 20)
TARGET = "city_office"  # the city's office bot; the hospitals have no channel of their own
DISCIPLINE = "email:jjz@lyg.example.cn"
CITY_OFFICE_MOBILE, CITY_HEAD_MOBILE = "13800000001", "13900000002"
HOSPITALS = 40
NO_PORTAL = Settings(portal_url=None, intake_address=None)


@dataclass
class Big:
    campaign_id: int
    city: int
    hospitals: dict[str, int]  # code -> id
    titles: dict[str, str] = field(default_factory=dict)  # item title -> item key
    mobiles: dict[str, str] = field(default_factory=dict)  # hospital code -> head mobile


def hospital_name(n: int) -> str:
    # Two hospitals share a name: markdown then shows their codes.
    return "灌云县人民医院" if n in (7, 8) else f"连云港市第{n}人民医院"


def build_big(session: Session) -> Big:
    """连云港市卫生局 and 40 hospitals under it, 2–9 items each, deadlines from 20 days before
    ``AS_OF`` to 3 days after: every ladder step is due for some."""
    city = add_unit(
        session,
        None,
        code="LYG",
        name="连云港市卫生局",
        level=Level.city,
        kind=UnitKind.health_admin,
        office_webhook=TARGET,
        discipline_email="jjz@lyg.example.cn",
        office_mobile=CITY_OFFICE_MOBILE,
        head_mobile=CITY_HEAD_MOBILE,
    )
    hospitals = {}
    mobiles = {}
    for n in range(1, HOSPITALS + 1):
        code = f"LYG-{n:02d}"
        head_mobile = f"1370000{n:04d}" if n % 5 == 0 else None
        if head_mobile:
            mobiles[code] = head_mobile
        unit = add_unit(
            session,
            city,
            code=code,
            name=hospital_name(n),
            level=Level.institution,
            kind=UnitKind.public_medical,
            head_mobile=head_mobile,
        )
        hospitals[code] = unit.id or 0
    campaign = Campaign(
        template_key="coi-2012",
        title="集中开展落实《关于卫生系统领导干部防止利益冲突的若干规定》活动",
        root_unit_id=city.id or 0,
        start_on=date(2012, 7, 16),
    )
    session.add(campaign)
    session.flush()
    phase = Phase(
        campaign_id=campaign.id or 0,
        key="rectify",
        title="整改纠正",
        seq=1,
        starts_on=date(2012, 9, 1),
        ends_on=date(2012, 11, 30),
    )
    session.add(phase)
    session.flush()
    items = []
    for n, unit_id in enumerate(hospitals.values(), start=1):
        for j in range(2 + n % 8):
            due = AS_OF - timedelta(days=(n * 3 + j * 5) % 24 - 3)
            title = f"落实《若干规定》第{j + 1}条的整改措施及佐证材料报送（第{n}院第{j + 1}项）"
            items.append(
                Deliverable(
                    campaign_id=campaign.id or 0,
                    phase_id=phase.id or 0,
                    unit_id=unit_id,
                    kind=f"item_{j}",
                    title=title,
                    due_on=due,
                )
            )
    items.append(
        Deliverable(
            campaign_id=campaign.id or 0,
            phase_id=phase.id or 0,
            unit_id=city.id or 0,
            kind="city_summary",
            title="全市整改纠正阶段性总结",
            due_on=AS_OF - timedelta(days=2),
        )
    )
    session.add_all(items)
    session.commit()
    return Big(
        campaign.id or 0,
        city.id or 0,
        hospitals,
        {item.title: f"d:{item.id}@{item.due_on.isoformat()}" for item in items},
        mobiles,
    )


@pytest.fixture
def memory_engine() -> Iterator[Engine]:
    """SQLite in memory: the channel table runs five times, on the database kind that does not
    matter here (the PostgreSQL variant is the last test)."""
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def rows_for(session: Session, target: str) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage).where(OutboxMessage.target == target).order_by(OutboxMessage.part)  # type: ignore[arg-type]
        ).all()
    )


def sent_size(row: OutboxMessage) -> int:
    """What a bot sends, at most: the title, the body, and a line of @-mentions."""
    mentions = " ".join(f"@{mobile}" for mobile in row.mentions or [])
    return len(f"{row.title}\n{row.body}\n\n{mentions}".encode())


def limit_of(channel: Channel) -> int | None:
    return channel.limit if channel.markdown else channel.text_limit or channel.limit


# --- the channel table ---------------------------------------------------------------------


CHANNELS = [
    pytest.param(WECOM, MessageFormat.markdown, True, id="wecom"),
    pytest.param(DINGTALK, MessageFormat.markdown, True, id="dingtalk"),
    pytest.param(FEISHU, MessageFormat.text, True, id="feishu"),
    pytest.param(EMAIL, MessageFormat.text, False, id="email"),
    pytest.param(WEBHOOK, MessageFormat.text, False, id="webhook"),
]


@pytest.mark.parametrize(("channel", "fmt", "split"), CHANNELS)
def test_every_part_fits_its_channel_and_carries_each_item_step_once(
    memory_engine: Engine, channel: Channel, fmt: MessageFormat, split: bool
) -> None:
    with Session(memory_engine, expire_on_commit=False) as session:
        big = build_big(session)
        notifier = RecordingNotifier(channels={TARGET: channel})
        due = {
            (n.item.key, n.step.key)
            for n in due_notices(session=session, campaign_id=big.campaign_id, as_of=AS_OF).notices
            if n.target == TARGET
        }
        planned = plan_sweep(
            session=session,
            campaign_id=big.campaign_id,
            as_of=AS_OF,
            channel_of=notifier.channel,
            settings=NO_PORTAL,
        )
        result = sweep(
            session=session,
            campaign_id=big.campaign_id,
            as_of=AS_OF,
            channel_of=notifier.channel,
            settings=NO_PORTAL,
        )
        rows = rows_for(session, TARGET)
        parts = len(rows)
        assert (parts > 1) is split
        assert result.digests == len(planned.digests) and result.parts == (parts if split else 0)

        # Numbered 一/N … N/N, each within the limit with its mentions.
        assert [(row.part, row.parts) for row in rows] == [(n, parts) for n in range(1, parts + 1)]
        assert all(row.format == fmt for row in rows)
        limit = limit_of(channel)
        if split:
            assert limit is not None
            assert all(sent_size(row) <= limit for row in rows), [sent_size(r) for r in rows]
            for row in rows:
                assert part_label(row.part, parts) in row.title
                if fmt is MessageFormat.markdown:  # the bold title line the bot shows
                    assert row.body.splitlines()[0] == f"**{row.title}**"
        else:
            assert "（一/" not in rows[0].title

        # Every item-step due to the target in exactly one part, which lists or counts it.
        items = session.exec(select(OutboxItem).where(OutboxItem.target == TARGET)).all()
        carried = Counter((item.item_key, item.step) for item in items)
        assert set(carried) == due and set(carried.values()) == {1}
        by_part = {row.id: row for row in rows}
        assert sum(row.item_count for row in rows) == len(items)
        for item in items:
            assert item.message_id in by_part
        for row in rows:
            own = {item.item_key for item in items if item.message_id == row.id}
            listed = {key for title, key in big.titles.items() if title in row.body}
            assert listed <= own, "a part lists an item another part carries"

        # Distinct keys derived from the digest's; a dry run computes the very same.
        keys = [row.key for row in rows]
        assert len(set(keys)) == parts and all(row.idempotency_key == row.key for row in rows)
        assert set(keys) <= {digest.key for digest in planned.digests}
        whole = digest_key(big.campaign_id, TARGET, AS_OF, [f"{k}#{step}" for k, step in due])
        assert keys == ([part_key(whole, n) for n in range(1, parts + 1)] if split else [whole])
        assert all(row.unit_id == big.city for row in rows)

        # The same day again: nothing new, nothing written.
        again = sweep(
            session=session,
            campaign_id=big.campaign_id,
            as_of=AS_OF,
            channel_of=notifier.channel,
            settings=NO_PORTAL,
        )
        assert (again.digests, again.new_item_steps) == (0, 0)
        assert len(session.exec(select(OutboxMessage)).all()) == result.digests


TINY = Channel("tiny", markdown=True, limit=1_000, images="none", mentions=True)


def test_a_unit_too_long_for_one_part_is_cut_at_its_item_lines(memory_engine: Engine) -> None:
    with Session(memory_engine, expire_on_commit=False) as session:
        big = build_big(session)
        channel_of = RecordingNotifier(channels={TARGET: TINY}).channel
        sweep(
            session=session,
            campaign_id=big.campaign_id,
            as_of=AS_OF,
            channel_of=channel_of,
            settings=NO_PORTAL,
        )
        rows = rows_for(session, TARGET)
        parts = len(rows)
        assert parts > 20 and all(sent_size(row) <= 1_000 for row in rows)
        assert part_label(parts, parts) in rows[-1].title  # 二十… in Chinese numerals
        # A hospital's three listed items did not fit with its name in one part: the next part
        # goes on with the same hospital, marked 续, its numbering continued.
        unit_goes_on = re.compile(r"^\*\*[^*]+\*\* 逾期\d+项（续）\n[23]\. ", re.M)
        assert sum(1 for row in rows if unit_goes_on.search(row.body)) > 0
        items = session.exec(select(OutboxItem).where(OutboxItem.target == TARGET)).all()
        assert len(items) == len({(item.item_key, item.step) for item in items})
        assert {item.message_id for item in items} == {row.id for row in rows}


def test_the_split_digest_on_each_database(session: Session) -> None:
    big = build_big(session)
    channel_of = RecordingNotifier(channels={TARGET: WECOM}).channel
    first = sweep(
        session=session,
        campaign_id=big.campaign_id,
        as_of=AS_OF,
        channel_of=channel_of,
        settings=NO_PORTAL,
    )
    rows = rows_for(session, TARGET)
    assert len(rows) > 1 and first.parts == len(rows)
    assert rows[0].mentions and all(isinstance(m, str) for m in rows[0].mentions)
    assert [row.format for row in rows] == [MessageFormat.markdown] * len(rows)
    again = sweep(
        session=session,
        campaign_id=big.campaign_id,
        as_of=AS_OF,
        channel_of=channel_of,
        settings=NO_PORTAL,
    )
    assert again.digests == 0 and again.already_queued == first.new_item_steps


# --- packing, as a pure rule ---------------------------------------------------------------


def _fits(limit: int) -> Callable[[Sequence[Piece]], bool]:
    """A run's size: 5 per piece and 10 per item line."""
    return lambda run: sum(5 + 10 * (p.stop - p.start) for p in run) <= limit


Run = list[tuple[int, int, int, bool]]  # (unit, start, stop, last) per piece


@pytest.mark.parametrize(
    ("lines", "limit", "expected"),
    [
        # whole pieces, as many per part as fit
        ([1, 1, 1], 100, [[(0, 0, 1, True), (1, 0, 1, True), (2, 0, 1, True)]]),
        ([3, 3, 3], 70, [[(0, 0, 3, True), (1, 0, 3, True)], [(2, 0, 3, True)]]),
        # a piece too long alone: cut at its item lines, only the last run closes it
        ([12], 50, [[(0, 0, 4, False)], [(0, 4, 8, False)], [(0, 8, 12, True)]]),
        (
            [1, 6, 1],
            40,
            [[(0, 0, 1, True)], [(1, 0, 3, False)], [(1, 3, 6, True)], [(2, 0, 1, True)]],
        ),
        (
            [1, 6, 1],
            55,
            [[(0, 0, 1, True)], [(1, 0, 5, False)], [(1, 5, 6, True), (2, 0, 1, True)]],
        ),
        # a single line over the limit goes alone rather than nowhere
        ([2], 10, [[(0, 0, 1, False)], [(0, 1, 2, True)]]),
    ],
)
def test_pack(lines: list[int], limit: int, expected: list[Run]) -> None:
    pieces = [Piece(0, unit, 0, n, True) for unit, n in enumerate(lines)]
    runs = pack(pieces, _fits(limit))
    assert [[(p.unit, p.start, p.stop, p.last) for p in run] for run in runs] == expected


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "一"),
        (3, "三"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (23, "二十三"),
        (99, "九十九"),
        (100, "100"),
    ],
)
def test_cn_number(n: int, text: str) -> None:
    assert cn_number(n) == text


def test_part_keys_and_labels() -> None:
    assert part_label(2, 3) == "（二/三）" and part_label(12, 14) == "（十二/十四）"
    keys = {part_key("a" * 64, n) for n in range(1, 50)}
    assert len(keys) == 49 and part_key("a" * 64, 1) == part_key("a" * 64, 1)
