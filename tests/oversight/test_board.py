"""The daily 督办榜: the colour rule, the counts behind it, the picture, and its messages."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import event
from sqlmodel import Session, select

from models.campaign import Campaign, Deliverable, Phase
from models.enums import (
    FindingCategory,
    FindingSource,
    FindingStatus,
    Level,
    MessageFormat,
    RuleDecision,
    UnitKind,
)
from models.finding import Finding, RuleReviewItem
from models.outbox import BoardImage, OutboxMessage
from models.rectification import RectificationItem
from qinglian.core.fonts import cjk_codepoints, cjk_image_font
from qinglian.notify.channels import DINGTALK, EMAIL, FEISHU, WEBHOOK, WECOM, Channel
from qinglian.notify.protocol import NotifyError, RecordingNotifier
from qinglian.oversight.board import (
    MAX_PNG_BYTES,
    MAX_ROWS,
    RED_AT,
    WIDTH_PX,
    Board,
    BoardColour,
    BoardRow,
    Counts,
    board_colour,
    campaign_boards,
)
from qinglian.oversight.board_outbox import (
    BOARD_LINK_DAYS,
    BoardResult,
    board_for_token,
    board_key,
    queue_boards,
)
from qinglian.oversight.board_picture import TextRun, layout_board, render_board
from qinglian.oversight.lagging import unit_loads
from qinglian.oversight.tracking import campaign_progress
from tests.factories import UnitRow, add_units

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DAY = date(2012, 9, 20)
NOW = datetime(2012, 9, 20, 0, 30, tzinfo=UTC)  # 08:30 in China, after the morning sweep
PORTAL = "https://portal.example.cn"
_LINK = re.compile(re.escape(PORTAL) + r"/board/([A-Za-z0-9_-]+)")

ADMIN, MEDICAL = UnitKind.health_admin, UnitKind.public_medical
UNITS: tuple[UnitRow, ...] = (
    ("JS", "江苏省卫生厅", Level.province, ADMIN, None),
    ("JS-LYG", "连云港市卫生局", Level.city, ADMIN, "JS"),
    ("JS-NJ", "南京市卫生局", Level.city, ADMIN, "JS"),
    ("JS-LYG-FB", "连云港市妇幼保健院", Level.institution, MEDICAL, "JS-LYG"),
    ("JS-LYG-FB-CK", "产科", Level.department, MEDICAL, "JS-LYG-FB"),
)


# --- the colour rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overdue", "missing", "colour"),
    [
        (0, 0, BoardColour.green),
        (1, 0, BoardColour.amber),
        (0, 1, BoardColour.amber),
        (1, 1, BoardColour.amber),
        (0, RED_AT - 1, BoardColour.amber),
        (RED_AT, 0, BoardColour.red),
        (0, RED_AT, BoardColour.red),
        (2, 1, BoardColour.red),
        (40, 17, BoardColour.red),
    ],
)
def test_colour_by_overdue_and_missing(overdue: int, missing: int, colour: BoardColour) -> None:
    assert board_colour(overdue, missing) is colour


# --- the counts ---------------------------------------------------------------------------


def _tree(session: Session) -> dict[str, int]:
    """The province's tree, a campaign on it, and on ``DAY``:

    - 连妇保: a deliverable missing, one submitted late (not missing), a rectification overdue
      and one done; 产科: a rules-review change overdue;
    - 连云港: a summary not yet due; 南京: a deliverable submitted on time.
    """
    units = add_units(session, UNITS)
    ids = {code: unit.id or 0 for code, unit in units.items()}
    campaign = Campaign(
        template_key="coi-2012", title="专项治理", root_unit_id=ids["JS"], start_on=date(2012, 7, 1)
    )
    session.add(campaign)
    session.flush()
    cid = campaign.id or 0
    phase = Phase(
        campaign_id=cid,
        key="rectify",
        title="整改纠正",
        seq=1,
        starts_on=date(2012, 9, 1),
        ends_on=date(2012, 11, 30),
    )
    session.add(phase)
    session.flush()
    for code, kind, due, submitted in (
        ("JS-LYG-FB", "rectification_plan", date(2012, 9, 14), None),
        ("JS-LYG-FB", "self_review", date(2012, 9, 10), date(2012, 9, 15)),
        ("JS-LYG", "rectify_summary", date(2012, 11, 30), None),
        ("JS-NJ", "rectification_plan", date(2012, 9, 14), date(2012, 9, 12)),
    ):
        session.add(
            Deliverable(
                campaign_id=cid,
                phase_id=phase.id or 0,
                unit_id=ids[code],
                kind=kind,
                title=kind,
                due_on=due,
                submitted_on=submitted,
            )
        )
    for number, done in ((1, None), (2, date(2012, 9, 1))):
        finding = Finding(
            campaign_id=cid,
            unit_id=ids["JS-LYG-FB"],
            source=FindingSource.complaint,
            category=FindingCategory.relative_business,
            status=FindingStatus.rectifying,
            fingerprint=str(number) * 64,
            found_on=date(2012, 8, 20),
        )
        session.add(finding)
        session.flush()
        session.add(
            RectificationItem(
                campaign_id=cid,
                finding_id=finding.id or 0,
                unit_id=ids["JS-LYG-FB"],
                managing_unit_id=ids["JS-LYG"],
                due_on=date(2012, 9, 15),
                original_due_on=date(2012, 9, 15),
                done_on=done,
            )
        )
    session.add(
        RuleReviewItem(
            campaign_id=cid,
            unit_id=ids["JS-LYG-FB-CK"],
            title="科室药品耗材采购管理规定",
            decision=RuleDecision.revise,
            due_on=date(2012, 9, 19),
        )
    )
    session.commit()
    return {"campaign": cid, **ids}


def test_counts_roll_each_child_subtree_up(session: Session) -> None:
    ids = _tree(session)
    boards = campaign_boards(
        session=session,
        campaign_id=ids["campaign"],
        as_of=DAY,
        unit_ids=[ids["JS"], ids["JS-LYG-FB"], ids["JS-LYG-FB-CK"], 10_000],
    )
    assert set(boards) == {ids["JS"], ids["JS-LYG-FB"], ids["JS-LYG-FB-CK"]}  # 10000: no unit

    province = boards[ids["JS"]]
    assert (province.unit_name, province.own.counts) == ("江苏省卫生厅", Counts(0, 0))
    assert [(r.name, r.counts, r.colour) for r in province.children] == [
        # 连云港 answers for 连妇保 (1 missing, 1 overdue) and 产科 (1 overdue): red, first.
        ("连云港市卫生局", Counts(overdue=2, missing=1), BoardColour.red),
        ("南京市卫生局", Counts(0, 0), BoardColour.green),
    ]
    hospital = boards[ids["JS-LYG-FB"]]
    assert hospital.own.counts == Counts(overdue=1, missing=1)
    assert hospital.own.colour is BoardColour.amber
    assert [(r.name, r.counts) for r in hospital.children] == [("产科", Counts(1, 0))]
    assert boards[ids["JS-LYG-FB-CK"]].children == ()
    assert province.counts_json()["colours"] == {"red": 1, "amber": 0, "green": 1}

    # The same figures as the status (缺报) and the lagging list (overdue items of every kind).
    progress = campaign_progress(
        session=session, campaign_id=ids["campaign"], as_of=DAY, unit_code="JS-LYG"
    )
    assert progress.subtree.missing == province.children[0].counts.missing
    loads = unit_loads(session=session, campaign_id=ids["campaign"], as_of=DAY)
    in_lyg = (ids["JS-LYG"], ids["JS-LYG-FB"], ids["JS-LYG-FB-CK"])
    assert sum(loads[u].overdue_items for u in in_lyg if u in loads) == sum(
        province.children[0].counts
    )


# --- the picture --------------------------------------------------------------------------


def _board(children: int) -> Board:
    """``children`` hospitals, the worst first (as :func:`campaign_boards` orders them)."""
    rows = sorted(
        (
            BoardRow(f"32{n:03d}", f"第{n + 1}人民医院", Counts(n % 4, n % 3))
            for n in range(children)
        ),
        key=lambda row: (list(BoardColour).index(row.colour), -sum(row.counts), row.code),
    )
    own = BoardRow("32", "江苏省卫生厅", Counts(0, 1), own=True)
    return Board(unit_id=1, unit_name="江苏省卫生厅", as_of=DAY, own=own, children=tuple(rows))


@pytest.mark.parametrize("children", [5, 200])
def test_the_picture_is_a_phone_wide_png_under_two_megabytes(children: int) -> None:
    png = render_board(_board(children))
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) < MAX_PNG_BYTES
    width, height = Image.open(io.BytesIO(png)).size
    assert width == WIDTH_PX
    assert 400 < height < 3000  # 200 children: the worst MAX_ROWS drawn, the rest counted


def test_a_long_board_is_capped_and_the_rest_counted() -> None:
    cap = 5
    heights = {
        n: Image.open(io.BytesIO(render_board(_board(n), max_rows=cap))).size[1]
        for n in (cap - 1, cap, cap + 1, 200)
    }
    # One row more up to the cap; past it, one line for the rest, however many they are.
    row = heights[cap] - heights[cap - 1]
    assert 0 < heights[cap + 1] - heights[cap] < row
    assert heights[cap + 1] == heights[200]
    assert len(_board(200).counts_json()["children"]) == 200  # the counts keep every unit


def _named(*names: str, unit: str = "江苏省卫生厅") -> Board:
    rows = tuple(BoardRow(f"C{n}", name, Counts(n, 0)) for n, name in enumerate(names))
    own = BoardRow("JS", unit, Counts(0, 0), own=True)
    return Board(unit_id=1, unit_name=unit, as_of=DAY, own=own, children=rows)


def test_the_picture_says_what_the_board_holds() -> None:
    board = _board(200)
    layout = layout_board(board)
    texts = [run.text for run in layout.texts]
    assert texts[:2] == [
        "【督办榜】江苏省卫生厅",
        "2012年9月20日 · 下级单位200个：红100  黄83  绿17",
    ]
    for words in ("逾期与缺报合计≥3项", "1–2项", "无逾期、缺报", "单位", "逾期", "缺报"):
        assert words in texts
    names = [run for run in layout.texts if run.text.endswith(("人民医院", "卫生厅）"))]
    assert [run.text for run in names[:3]] == [
        "本级（江苏省卫生厅）",
        "第12人民医院",
        "第24人民医院",
    ]
    assert len(names) == 1 + MAX_ROWS  # 本级 and the worst 50; the rest on one line
    assert texts[-3:] == [
        "另有150个单位未列出（红50 黄83 绿17）",
        "逾期：整改事项、制度清单事项超过时限未办结；缺报：上报事项、阶段性总结、报告表超过时限未报送。",
        "下级单位的数字含其所属单位。",
    ]
    counts = [run for run in layout.texts if run.centred and run.text.isdigit()]
    zeros = {run.ink for run in counts if run.text == "0"}
    assert len(zeros) == 1 and zeros.isdisjoint(run.ink for run in counts if run.text != "0")
    # Each row is tinted by its colour, exactly: the palette holds the flat colours themselves.
    picture = Image.open(io.BytesIO(render_board(board))).convert("RGB")
    assert picture.size == (WIDTH_PX, layout.height)
    tints = {BoardColour.red: (252, 232, 230), BoardColour.amber: (254, 247, 224)}
    rows = [board.own, *board.children[:MAX_ROWS]]
    for run, row in zip(names, rows, strict=True):
        assert picture.getpixel((WIDTH_PX - 24, run.y)) == tints[row.colour]


def test_long_names_are_cut_to_fit_their_column() -> None:
    long = "苏州大学附属第一医院（苏大附一院）心血管内科介入治疗中心导管室护理单元"
    layout = layout_board(_named(long, "产科", unit="江苏省卫生厅直属" + long))
    title, *_ = layout.texts
    (overdue,) = [run for run in layout.texts if run.text == "逾期"]
    cut = next(run for run in layout.texts if run.text.startswith("苏州"))
    assert cut.text.endswith("…") and long.startswith(cut.text[:-1])
    assert "产科" in [run.text for run in layout.texts]  # a short one is not cut

    def right(run: TextRun) -> float:
        return run.x + cjk_image_font(run.size).getlength(run.text)

    assert right(cut) < overdue.x - cjk_image_font(overdue.size).getlength("逾期") / 2
    assert title.text.endswith("…") and right(title) <= WIDTH_PX - title.x
    own = next(run for run in layout.texts if run.text.startswith("本级"))
    assert own.text.endswith("…）") and right(own) < right(cut) + own.size


def test_a_character_the_font_lacks_is_drawn_as_a_geta_mark(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Pillow would draw 𠀀 (U+20000, not in Noto Sans SC) as an empty box, silently."""
    rare = _named("𠀀家庄卫生院", "南京\u200d市卫生局", unit="江苏省𠀀卫生厅")
    layout = layout_board(rare)
    drawn = "".join(run.text for run in layout.texts)
    assert [char for char in drawn if ord(char) not in cjk_codepoints()] == []
    texts = [run.text for run in layout.texts]
    assert "〓家庄卫生院" in texts and "南京市卫生局" in texts  # a zero-width joiner: left out
    assert texts[0] == "【督办榜】江苏省〓卫生厅"
    with caplog.at_level(logging.WARNING, logger="qinglian.oversight.board"):
        png = render_board(rare)
    assert "U+20000" in caplog.text
    assert png == render_board(_named("〓家庄卫生院", "南京市卫生局", unit="江苏省〓卫生厅"))


# --- the messages -------------------------------------------------------------------------


def _digest(session: Session, cid: int, target: str, unit_id: int | None, **more: object) -> None:
    """A digest the sweep of ``DAY`` wrote for ``target`` (another part fills ``unit_id``)."""
    key = hashlib.sha256(f"{target}{more}{unit_id}".encode()).hexdigest()
    fields: dict[str, object] = {"sweep_on": DAY, **more}
    session.add(
        OutboxMessage(
            campaign_id=cid,
            target=target,
            key=key,
            idempotency_key=key,
            title="督办通知",
            body="……",
            format=MessageFormat.markdown,
            unit_id=unit_id,
            **fields,  # type: ignore[arg-type]
        )
    )
    session.commit()


CHANNELS = {
    "lyg-wecom": WECOM,
    "email:office@lyg.example.cn": EMAIL,
    "lyg-dingtalk": DINGTALK,
    "fb-feishu": FEISHU,
    "js-hook": WEBHOOK,
}


def _told_today(session: Session, ids: dict[str, int]) -> None:
    cid = ids["campaign"]
    _digest(session, cid, "lyg-wecom", ids["JS-LYG"], parts=2)
    _digest(session, cid, "lyg-wecom", ids["JS-LYG"], part=2, parts=2)  # the same digest
    _digest(session, cid, "email:office@lyg.example.cn", ids["JS-LYG"], reply_to="in+t@x.cn")
    _digest(session, cid, "lyg-dingtalk", ids["JS-LYG"])
    _digest(session, cid, "fb-feishu", ids["JS-LYG-FB"])
    _digest(session, cid, "js-hook", ids["JS"])
    _digest(session, cid, "unknown-unit", None)  # no unit known: no board
    _digest(session, cid, "yesterday", ids["JS"], sweep_on=DAY - timedelta(days=1))


def _boards(session: Session, cid: int) -> dict[str, OutboxMessage]:
    rows = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.campaign_id == cid, OutboxMessage.title.startswith("【督办榜】")
        )
    ).all()
    return {row.target: row for row in rows}


def test_each_target_gets_the_board_its_channel_takes(session: Session) -> None:
    ids = _tree(session)
    cid = ids["campaign"]
    _told_today(session, ids)
    notifier = RecordingNotifier(channels=CHANNELS)

    result = queue_boards(
        session=session,
        campaign_id=cid,
        as_of=DAY,
        channel_of=notifier.channel,
        portal_url=PORTAL + "/",
        now=NOW,
    )
    assert (result.targets, result.drawn, result.queued) == (5, 2, 4)
    assert (result.skipped_no_picture, result.skipped_no_portal, result.skipped) == (1, 0, 1)

    images = {
        image.unit_id: image
        for image in session.exec(select(BoardImage).where(BoardImage.campaign_id == cid)).all()
    }
    assert set(images) == {ids["JS-LYG"], ids["JS-LYG-FB"]}  # one picture a unit a day
    lyg, fb = images[ids["JS-LYG"]], images[ids["JS-LYG-FB"]]
    assert lyg.png.startswith(PNG_SIGNATURE) and len(lyg.png) < MAX_PNG_BYTES
    assert lyg.md5 == hashlib.md5(lyg.png).hexdigest()
    assert lyg.expires_at.replace(tzinfo=UTC) == NOW + timedelta(days=BOARD_LINK_DAYS)
    assert lyg.counts["children"] == [
        {
            "code": "JS-LYG-FB",
            "name": "连云港市妇幼保健院",
            "overdue": 2,
            "missing": 1,
            "colour": "red",
        }
    ]

    sent = _boards(session, cid)
    assert set(sent) == {"lyg-wecom", "email:office@lyg.example.cn", "lyg-dingtalk", "fb-feishu"}
    for target in ("lyg-wecom", "email:office@lyg.example.cn"):
        row = sent[target]
        assert (row.format, row.image_id, row.unit_id) == (
            MessageFormat.image,
            lyg.id,
            ids["JS-LYG"],
        )
        assert row.title == "【督办榜】连云港市卫生局 9月20日"
        assert row.key == row.idempotency_key == board_key(cid, target, DAY)
        assert "/board/" not in row.body
    assert sent["email:office@lyg.example.cn"].reply_to == "in+t@x.cn"

    ding, feishu = sent["lyg-dingtalk"], sent["fb-feishu"]
    assert (ding.format, ding.image_id) == (MessageFormat.markdown, None)
    assert (feishu.format, feishu.image_id) == (MessageFormat.text, None)
    assert feishu.title == "【督办榜】连云港市妇幼保健院 9月20日"
    ding_token = _LINK.findall(ding.body)[0]
    assert set(_LINK.findall(ding.body)) == {ding_token}  # the picture and the link, one token
    (feishu_token,) = _LINK.findall(feishu.body)
    assert hashlib.sha256(ding_token.encode()).hexdigest() == lyg.token_hash
    assert hashlib.sha256(feishu_token.encode()).hexdigest() == fb.token_hash
    assert "9月27日08:30前有效" in ding.body  # China time

    # A re-run of the same day queues nothing and draws nothing.
    again = queue_boards(
        session=session,
        campaign_id=cid,
        as_of=DAY,
        channel_of=notifier.channel,
        portal_url=PORTAL,
        now=NOW + timedelta(hours=2),
    )
    assert (again.queued, again.drawn, again.already_queued) == (0, 0, 4)
    assert len(session.exec(select(BoardImage)).all()) == 2
    assert _boards(session, cid) == sent


def test_a_link_opens_until_it_expires(session: Session) -> None:
    ids = _tree(session)
    _digest(session, ids["campaign"], "lyg-dingtalk", ids["JS-LYG"])
    queue_boards(
        session=session,
        campaign_id=ids["campaign"],
        as_of=DAY,
        channel_of=CHANNELS.__getitem__,
        portal_url=PORTAL,
        now=NOW,
    )
    (token,) = set(_LINK.findall(_boards(session, ids["campaign"])["lyg-dingtalk"].body))
    expiry = NOW + timedelta(days=BOARD_LINK_DAYS)
    found = board_for_token(session=session, token=token, now=expiry - timedelta(seconds=1))
    assert found is not None and found.unit_id == ids["JS-LYG"]
    assert board_for_token(session=session, token=token, now=expiry) is None
    assert board_for_token(session=session, token=token[:-1] + "x", now=NOW) is None


def test_without_a_portal_address_link_bots_get_nothing(session: Session) -> None:
    ids = _tree(session)
    _told_today(session, ids)
    result = queue_boards(
        session=session,
        campaign_id=ids["campaign"],
        as_of=DAY,
        channel_of=CHANNELS.__getitem__,
        portal_url=None,
        now=NOW,
    )
    assert (result.queued, result.skipped_no_portal, result.skipped_no_picture) == (2, 2, 1)
    assert set(_boards(session, ids["campaign"])) == {"lyg-wecom", "email:office@lyg.example.cn"}
    assert result.drawn == 1  # 连妇保's picture would go by link only


def test_a_target_whose_channel_is_not_configured_gets_no_board(session: Session) -> None:
    ids = _tree(session)
    _digest(session, ids["campaign"], "unset-bot", ids["JS-LYG"])

    def channel_of(target: str) -> Channel:
        raise NotifyError(f"通知对象 {target} 未配置", f"target {target} is not configured")

    result = queue_boards(
        session=session,
        campaign_id=ids["campaign"],
        as_of=DAY,
        channel_of=channel_of,
        portal_url=PORTAL,
        now=NOW,
    )
    assert (result.targets, result.skipped_unconfigured) == (1, 1)
    assert (result.queued, result.drawn) == (0, 0)


def test_a_later_link_of_the_day_reuses_the_token_or_replaces_an_unused_one(
    session: Session,
) -> None:
    ids = _tree(session)
    cid = ids["campaign"]
    channels = {**CHANNELS, "lyg-dingtalk-2": DINGTALK, "fb-wecom": WECOM}

    def run() -> None:
        queue_boards(
            session=session,
            campaign_id=cid,
            as_of=DAY,
            channel_of=channels.__getitem__,
            portal_url=PORTAL,
            now=NOW,
        )

    _digest(session, cid, "lyg-dingtalk", ids["JS-LYG"])
    _digest(session, cid, "fb-wecom", ids["JS-LYG-FB"])
    run()
    # A second sweep the same day tells two more targets, both of them by link.
    _digest(session, cid, "lyg-dingtalk-2", ids["JS-LYG"])
    _digest(session, cid, "fb-feishu", ids["JS-LYG-FB"])
    run()
    sent = _boards(session, cid)
    assert set(_LINK.findall(sent["lyg-dingtalk-2"].body)) == set(
        _LINK.findall(sent["lyg-dingtalk"].body)
    )
    (fb_token,) = _LINK.findall(sent["fb-feishu"].body)
    fb = board_for_token(session=session, token=fb_token, now=NOW)
    assert fb is not None and fb.unit_id == ids["JS-LYG-FB"]
    assert sent["fb-wecom"].image_id == fb.id  # the picture already queued is the same


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements sent meanwhile (an executemany counts once)."""
    sent: list[str] = []

    def note(*args: Any) -> None:
        sent.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_queuing_takes_as_many_statements_for_many_recipients_as_for_few(
    session: Session,
) -> None:
    """Set-based: a national sweep's 10,000 recipients cost no more round trips than three."""
    ids = _tree(session)
    cid = ids["campaign"]
    units = [ids[code] for code in ("JS", "JS-LYG", "JS-NJ", "JS-LYG-FB")]
    channels: dict[str, Channel] = {}

    def run(day: date, told: list[tuple[str, int, Channel]]) -> tuple[int, BoardResult]:
        for target, unit_id, channel in told:
            channels[target] = channel
            _digest(session, cid, target, unit_id, sweep_on=day)
        with _statements(session) as sent:
            result = queue_boards(
                session=session,
                campaign_id=cid,
                as_of=day,
                channel_of=channels.__getitem__,
                portal_url=PORTAL,
                now=NOW,
            )
        return len(sent), result

    def told(day: date, kind: str, channel: Channel, at: list[int], each: int) -> list:
        return [(f"{day}-{kind}-{u}-{n}", u, channel) for u in at for n in range(each)]

    # A sweep: pictures by WeCom for some units and links for others; a second sweep the same
    # day adds links for all of them (tokens read back from a link, or replaced if unused).
    small, big = date(2012, 9, 21), date(2012, 9, 22)
    few = run(
        small, told(small, "w", WECOM, units[:1], 1) + told(small, "d", DINGTALK, units[2:3], 1)
    )
    many = run(big, told(big, "w", WECOM, units[:2], 3) + told(big, "d", DINGTALK, units[2:], 3))
    assert (few[1].drawn, few[1].queued, many[1].drawn, many[1].queued) == (2, 2, 4, 12)
    assert few[0] == many[0]
    few = run(small, told(small, "d2", DINGTALK, [units[0], units[2]], 1))
    many = run(big, told(big, "d2", DINGTALK, units, 3))
    assert (few[1].drawn, few[1].queued, many[1].drawn, many[1].queued) == (0, 2, 0, 12)
    assert few[0] == many[0]
    for day in (small, big):  # every link of a unit opens that unit's picture
        for row in _boards(session, cid).values():
            if row.sweep_on == day and row.format != MessageFormat.image:
                (token,) = set(_LINK.findall(row.body))
                image = board_for_token(session=session, token=token, now=NOW)
                assert image is not None and image.unit_id == row.unit_id


def test_the_token_is_never_logged(session: Session, caplog: pytest.LogCaptureFixture) -> None:
    ids = _tree(session)
    _told_today(session, ids)
    with caplog.at_level(logging.DEBUG):
        result = queue_boards(
            session=session,
            campaign_id=ids["campaign"],
            as_of=DAY,
            channel_of=CHANNELS.__getitem__,
            portal_url=PORTAL,
            now=NOW,
        )
    tokens = {
        t for row in _boards(session, ids["campaign"]).values() for t in _LINK.findall(row.body)
    }
    assert len(tokens) == 2
    assert "boards: 5 targets, 2 drawn, 4 queued" in caplog.text
    logged = caplog.text + repr([r.args for r in caplog.records]) + result.model_dump_json()
    assert [t for t in tokens if t in logged] == []
