"""The 督办榜 link: public, the picture until the link expires, then the same 404 as a bad token."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from models.enums import MessageFormat
from models.outbox import BoardImage, OutboxMessage
from qinglian.core import db
from qinglian.notify.channels import DINGTALK
from qinglian.notify.protocol import RecordingNotifier
from qinglian.org.units import get_unit_by_code
from qinglian.oversight.board_outbox import BOARD_LINK_DAYS, queue_boards
from qinglian.portal import deps
from tests.factories import LYG
from tests.portal.conftest import DAY, Portal

PORTAL = "https://portal.example.cn"
NOW = datetime(2012, 7, 20, 0, 30, tzinfo=UTC)
_LINK = re.compile(re.escape(PORTAL) + r"(/board/[A-Za-z0-9_-]+)")


def _queue_link(portal: Portal) -> tuple[str, bytes]:
    """连云港's DingTalk bot told in the day's sweep, and its board queued: (path, png)."""
    with db.session_scope() as session:
        unit = get_unit_by_code(session=session, code=LYG)
        key = hashlib.sha256(b"lyg-dingtalk digest").hexdigest()
        session.add(
            OutboxMessage(
                campaign_id=portal.campaign_id,
                target="lyg-dingtalk",
                key=key,
                idempotency_key=key,
                sweep_on=DAY,
                title="督办通知",
                body="……",
                format=MessageFormat.markdown,
                unit_id=unit.id,
            )
        )
        session.flush()
        result = queue_boards(
            session=session,
            campaign_id=portal.campaign_id,
            as_of=DAY,
            channel_of=RecordingNotifier(channels={"lyg-dingtalk": DINGTALK}).channel,
            portal_url=PORTAL,
            now=NOW,
        )
        assert (result.queued, result.drawn) == (1, 1)
        body = session.exec(
            select(OutboxMessage.body).where(OutboxMessage.title.startswith("【督办榜】"))
        ).one()
        png = session.exec(select(BoardImage.png)).one()
    (path,) = set(_LINK.findall(body))
    return path, png


def test_the_link_serves_the_picture_until_it_expires(portal_db: Portal) -> None:
    path, png = _queue_link(portal_db)
    client = portal_db.anonymous()  # no login: the token is the credential
    moment = {"now": NOW + timedelta(hours=1)}
    client.app.dependency_overrides[deps.now] = lambda: moment["now"]  # type: ignore[attr-defined]

    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == png and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert response.headers["referrer-policy"] == "no-referrer"
    left = BOARD_LINK_DAYS * 86_400 - 3_600
    assert response.headers["cache-control"] == f"private, max-age={left}"

    moment["now"] = NOW + timedelta(days=BOARD_LINK_DAYS) - timedelta(seconds=10)
    last = client.get(path)
    assert last.status_code == 200 and last.headers["cache-control"] == "private, max-age=10"

    moment["now"] = NOW + timedelta(days=BOARD_LINK_DAYS)
    expired = client.get(path)
    unknown = client.get(path[:-4] + "AAAA")
    malformed = client.get("/board/%3Cscript%3E")
    for response in (expired, unknown, malformed):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"
    # Expiry reveals nothing: the same page as a token that never existed.
    assert expired.text == unknown.text == malformed.text
    assert path.removeprefix("/board/") not in expired.text
