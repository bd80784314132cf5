"""The daily 督办榜 in the outbox: every target told in a sweep also gets its unit's picture.

:func:`queue_boards` runs after a sweep. A target that got a digest (its part 1) on the sweep
day, with the recipient's unit known, is sent the board of that unit's subtree
(:mod:`qinglian.oversight.board`), as its channel takes a picture:

- WeCom (base64 with its md5) and e-mail (inline): an ``image`` message with ``image_id``;
- DingTalk (markdown) and Feishu (text), whose bots take only a URL: a message carrying the
  portal link ``{portal_url}/board/{token}``; without a portal address, nothing (counted);
- any other webhook: nothing.

A unit's picture is drawn once a day (``BoardImage``, unique per campaign, unit and day), with
a random token of which only the sha256 is kept; the link dies at ``expires_at``. The token is
written into the link messages' bodies and nowhere else: never a log, never an error. A later
run the same day that adds a link recipient reads it back from an earlier link (checked against
the hash); if no link was handed out yet, a fresh token replaces the unused one.

Idempotent: each message's key is sha256(campaign, target, day, "board"), so a re-run of the
same day queues nothing new. Persistence only, no Prefect; commits, like the sweep.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from models.enums import MessageFormat
from models.outbox import BoardImage, OutboxMessage
from qinglian.core.clock import CHINA, as_utc
from qinglian.core.errors import QinglianError
from qinglian.core.sql import chunked
from qinglian.notify.channels import Channel
from qinglian.notify.protocol import NotifyError
from qinglian.oversight.board import Board, BoardColour, campaign_boards
from qinglian.oversight.board_picture import day_label, render_board

_log = logging.getLogger(__name__)

BOARD_LINK_DAYS = 7
BOARD_PATH = "/board/"
_TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits
# Pictures drawn before they are written: ~60 kB each, so a national sweep's 10,000 never
# sit in memory at once.
_DRAWN_AT_ONCE = 200
_LINKED_TOKEN = re.compile(re.escape(BOARD_PATH) + r"([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


class BoardResult(BaseModel):
    campaign_id: int
    as_of: date
    targets: int = 0  # targets told in the day's sweep, with their unit known
    drawn: int = 0  # pictures drawn (one per unit and day)
    queued: int = 0  # messages queued by this run
    already_queued: int = 0
    skipped_no_picture: int = 0  # the channel takes no picture (a plain webhook)
    skipped_no_portal: int = 0  # a bot that takes only a link, and no portal_url set
    skipped_outside: int = 0  # the recipient's unit is not in the campaign's tree
    skipped_unconfigured: int = 0  # no channel configured for the target (delivery says so)

    @property
    def skipped(self) -> int:
        return (
            self.skipped_no_picture
            + self.skipped_no_portal
            + self.skipped_outside
            + self.skipped_unconfigured
        )


def board_key(campaign_id: int, target: str, as_of: date) -> str:
    """sha256 of the campaign, target, sweep day and "board": one picture a target a day."""
    text = "\x1f".join([str(campaign_id), target, as_of.isoformat(), "board"])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def board_title(board: Board) -> str:
    """``【督办榜】连云港市卫生局 9月20日``."""
    return f"【督办榜】{board.unit_name} {day_label(board.as_of)}"


def board_for_token(*, session: Session, token: str, now: datetime) -> BoardImage | None:
    """The picture a link's token opens, or ``None``: unknown and expired alike."""
    image = session.exec(
        select(BoardImage).where(BoardImage.token_hash == token_hash(token))
    ).first()
    if image is None or as_utc(image.expires_at) <= now:
        return None
    return image


def queue_boards(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    channel_of: Callable[[str], Channel],
    portal_url: str | None,
    now: datetime,
) -> BoardResult:
    """Queue the day's 督办榜 for every target the sweep of ``as_of`` told. Commits."""
    for attempt in range(2):
        try:
            result = _queue(session, campaign_id, as_of, channel_of, portal_url, now)
            session.commit()
        except IntegrityError:
            # Another run queued the same boards first: its rows now count as already queued.
            session.rollback()
            if attempt:
                raise QinglianError(
                    "另一次督办榜排队正在写入发件箱，请稍后重新运行",
                    "another run is queuing the boards; run it again later",
                ) from None
        except BaseException:
            session.rollback()
            raise
        else:
            figures = (
                result.targets,
                result.drawn,
                result.queued,
                result.already_queued,
                result.skipped,
            )
            _log.info(
                "督办榜：%d 个对象，新绘制 %d 张，排队 %d 条，已排队 %d 条，跳过 %d 个 / "
                "boards: %d targets, %d drawn, %d queued, %d already queued, %d skipped",
                *figures,
                *figures,
            )
            return result
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class _Recipient:
    target: str
    unit_id: int
    reply_to: str | None
    channel: Channel | None


@dataclass(frozen=True, slots=True)
class _Picture:
    """A unit's stored picture of the day: its id, and its link's token where this run knows it
    (it drew the picture, or read the token back); never the PNG, which stays in the database."""

    image_id: int
    token_hash: str
    expires_at: datetime
    token: str | None = None


def _queue(
    session: Session,
    campaign_id: int,
    as_of: date,
    channel_of: Callable[[str], Channel],
    portal_url: str | None,
    now: datetime,
) -> BoardResult:
    """Set-based, however many recipients: the targets, the keys already queued, the stored
    pictures and the tokens behind earlier links are each read in one query a chunk (of
    :data:`qinglian.core.sql.CHUNK`, or :data:`_DRAWN_AT_ONCE` pictures), and written with
    Core inserts (a chunk's new pictures at once, then every message at once)."""
    result = BoardResult(campaign_id=campaign_id, as_of=as_of)
    told = _told(session, campaign_id, as_of, channel_of)
    result.targets = len(told)
    queued = _existing_keys(session, [board_key(campaign_id, t.target, as_of) for t in told])
    base = (portal_url or "").rstrip("/")
    wanted: list[_Recipient] = []
    for recipient in told:
        way = recipient.channel.images if recipient.channel else None
        if board_key(campaign_id, recipient.target, as_of) in queued:
            result.already_queued += 1
        elif way is None:
            result.skipped_unconfigured += 1
        elif way == "none":
            result.skipped_no_picture += 1
        elif way == "link" and not base:
            result.skipped_no_portal += 1
        else:
            wanted.append(recipient)
    if not wanted:
        return result
    boards = campaign_boards(
        session=session,
        campaign_id=campaign_id,
        as_of=as_of,
        unit_ids=[r.unit_id for r in wanted],
    )
    inside = [r for r in wanted if r.unit_id in boards]
    result.skipped_outside = len(wanted) - len(inside)
    units = list(dict.fromkeys(r.unit_id for r in inside))
    pictures = _pictures(session, campaign_id, as_of, [boards[u] for u in units], now, result)
    linked = dict.fromkeys(r.unit_id for r in inside if _by_link(r))
    pictures.update(
        _link_tokens(
            session,
            campaign_id,
            as_of,
            {unit: pictures[unit] for unit in linked if pictures[unit].token is None},
        )
    )
    messages = [
        _message(campaign_id, as_of, r, boards[r.unit_id], pictures[r.unit_id], base).model_dump(
            exclude={"id"}
        )
        for r in inside
    ]
    _insert(session, OutboxMessage, messages)
    result.queued = len(messages)
    return result


def _told(
    session: Session, campaign_id: int, as_of: date, channel_of: Callable[[str], Channel]
) -> list[_Recipient]:
    """Each target with a digest (part 1) on the day and its unit, by target; the first
    digest's unit and reply address where a target got several."""
    rows = session.exec(
        select(OutboxMessage.target, OutboxMessage.unit_id, OutboxMessage.reply_to)
        .where(
            col(OutboxMessage.campaign_id) == campaign_id,
            col(OutboxMessage.sweep_on) == as_of,
            col(OutboxMessage.format) != MessageFormat.image,
            col(OutboxMessage.part) == 1,
            col(OutboxMessage.unit_id).is_not(None),
        )
        .order_by(col(OutboxMessage.id))
    ).all()
    first: dict[str, tuple[int, str | None]] = {}
    for target, unit_id, reply_to in rows:
        first.setdefault(target, (unit_id or 0, reply_to))
    told: list[_Recipient] = []
    for target, (unit_id, reply_to) in sorted(first.items()):
        try:
            channel = channel_of(target)
        except NotifyError:
            channel = None  # not configured: its digest fails at delivery, with the reason
        told.append(_Recipient(target, unit_id, reply_to, channel))
    return told


def _existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunked(list(keys)):
        found.update(
            session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).in_(chunk))).all()
        )
    return found


def _pictures(
    session: Session,
    campaign_id: int,
    as_of: date,
    boards: Sequence[Board],
    now: datetime,
    result: BoardResult,
) -> dict[int, _Picture]:
    """Each unit's picture of the day, a chunk at a time: those stored already read (without
    their PNG), the rest drawn now, each with a fresh token, written, and read back."""
    pictures: dict[int, _Picture] = {}
    for chunk in chunked(boards, _DRAWN_AT_ONCE):
        units = [board.unit_id for board in chunk]
        stored = _stored(session, campaign_id, as_of, units)
        tokens: dict[int, str] = {}
        rows: list[dict[str, Any]] = []
        for board in chunk:
            if board.unit_id not in stored:
                tokens[board.unit_id] = secrets.token_urlsafe(_TOKEN_BYTES)
                rows.append(_image_row(campaign_id, board, tokens[board.unit_id], now))
        if rows:
            _insert(session, BoardImage, rows)
            stored = _stored(session, campaign_id, as_of, units)
        for unit_id, picture in stored.items():
            pictures[unit_id] = replace(picture, token=tokens.get(unit_id))
        result.drawn += len(rows)
    return pictures


def _stored(
    session: Session, campaign_id: int, as_of: date, unit_ids: Sequence[int]
) -> dict[int, _Picture]:
    rows = session.exec(
        select(
            BoardImage.unit_id, BoardImage.id, BoardImage.token_hash, BoardImage.expires_at
        ).where(
            col(BoardImage.campaign_id) == campaign_id,
            col(BoardImage.sweep_on) == as_of,
            col(BoardImage.unit_id).in_(unit_ids),
        )
    ).all()
    return {
        unit_id: _Picture(image_id or 0, hashed, expires_at)
        for unit_id, image_id, hashed, expires_at in rows
    }


def _image_row(campaign_id: int, board: Board, token: str, now: datetime) -> dict[str, Any]:
    png = render_board(board)
    image = BoardImage(
        campaign_id=campaign_id,
        unit_id=board.unit_id,
        sweep_on=board.as_of,
        png=png,
        md5=hashlib.md5(png).hexdigest(),
        token_hash=token_hash(token),
        expires_at=now.astimezone(UTC) + timedelta(days=BOARD_LINK_DAYS),
        counts=board.counts_json(),
    )
    return image.model_dump(exclude={"id"})


def _insert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Core inserts, one ``executemany`` (the ORM would send an INSERT a row on SQLite)."""
    if rows:
        session.connection().execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


def _link_tokens(
    session: Session, campaign_id: int, as_of: date, pictures: dict[int, _Picture]
) -> dict[int, _Picture]:
    """The tokens of pictures stored by an earlier run: read back from the links that run
    queued (checked against the hash), else fresh ones in place of the unused ones."""
    bodies: dict[int, list[str]] = defaultdict(list)
    for chunk in chunked(list(pictures)):
        rows = session.exec(
            select(OutboxMessage.unit_id, OutboxMessage.body).where(
                col(OutboxMessage.campaign_id) == campaign_id,
                col(OutboxMessage.sweep_on) == as_of,
                col(OutboxMessage.unit_id).in_(chunk),
                col(OutboxMessage.format) != MessageFormat.image,
                col(OutboxMessage.body).contains(BOARD_PATH),
            )
        ).all()
        for unit_id, body in rows:
            bodies[unit_id or 0].append(body)
    known: dict[int, _Picture] = {}
    for unit_id, picture in pictures.items():
        token = _linked_token(bodies[unit_id], picture.token_hash)
        if token is None:
            token = secrets.token_urlsafe(_TOKEN_BYTES)
            picture = replace(picture, token_hash=token_hash(token))
        known[unit_id] = replace(picture, token=token)
    fresh = [
        {"id": p.image_id, "token_hash": p.token_hash}
        for unit_id, p in known.items()
        if p.token_hash != pictures[unit_id].token_hash
    ]
    if fresh:
        session.execute(update(BoardImage), fresh)
    return known


def _linked_token(bodies: Sequence[str], hashed: str) -> str | None:
    for body in bodies:
        for token in _LINKED_TOKEN.findall(body):
            if secrets.compare_digest(token_hash(token), hashed):
                return str(token)
    return None


def _message(
    campaign_id: int,
    as_of: date,
    recipient: _Recipient,
    board: Board,
    picture: _Picture,
    base: str,
) -> OutboxMessage:
    key = board_key(campaign_id, recipient.target, as_of)
    common = {
        "campaign_id": campaign_id,
        "target": recipient.target,
        "key": key,
        "idempotency_key": key,
        "sweep_on": as_of,
        "title": board_title(board),
        "unit_id": recipient.unit_id,
        "reply_to": recipient.reply_to,
    }
    if not _by_link(recipient):
        return OutboxMessage(
            **common, format=MessageFormat.image, image_id=picture.image_id, body=_summary(board)
        )
    assert picture.token is not None
    link = f"{base}{BOARD_PATH}{picture.token}"
    until = _china_day_time(as_utc(picture.expires_at))
    if recipient.channel and recipient.channel.markdown:
        body = (
            f"#### {board_title(board)}\n\n{_summary(board)}\n\n![督办榜]({link})\n\n"
            f"[查看督办榜图片]({link})（{until}前有效）"
        )
        return OutboxMessage(**common, format=MessageFormat.markdown, body=body)
    body = f"{board_title(board)}\n{_summary(board)}\n查看督办榜图片：{link}\n（{until}前有效）"
    return OutboxMessage(**common, format=MessageFormat.text, body=body)


def _by_link(recipient: _Recipient) -> bool:
    return recipient.channel is not None and recipient.channel.images == "link"


def _summary(board: Board) -> str:
    """One line under the picture: the children by colour, and the items behind."""
    counts = board.counts_json()
    figures = f"逾期{counts['overdue']}项，缺报{counts['missing']}项"
    if not board.children:
        return f"本单位{figures}。"
    tally = board.tally()
    colours = "、".join(f"{c.label}{tally[c]}" for c in BoardColour if tally[c])
    return f"下级单位{len(board.children)}个（{colours}），合计{figures}。"


def _china_day_time(moment: datetime) -> str:
    local = moment.astimezone(CHINA)
    return f"{day_label(local.date())}{local:%H:%M}"
