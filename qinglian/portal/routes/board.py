"""The 督办榜 picture behind a link, for bots that take only a URL (DingTalk, Feishu).

Public: the token in the path is the credential, so no login is asked. An unknown token and an
expired one get the same 404 page, so a link's expiry tells nothing. The picture may be kept
privately (a phone's viewer) only until the link expires, and no page it is opened from learns
the token through a Referer.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from qinglian.core.clock import as_utc
from qinglian.core.errors import NotFoundError
from qinglian.oversight.board_outbox import BOARD_PATH, board_for_token
from qinglian.portal.deps import DbSession, now

router = APIRouter()

# What secrets.token_urlsafe makes; anything else is not looked up at all.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
Now = Annotated[datetime, Depends(now)]


@router.get(BOARD_PATH + "{token}")
def board_picture(token: str, session: DbSession, moment: Now) -> Response:
    image = (
        board_for_token(session=session, token=token, now=moment)
        if _TOKEN.fullmatch(token)
        else None
    )
    if image is None:
        raise NotFoundError("督办榜链接无效或已过期", "no such board link, or it expired")
    max_age = max(int((as_utc(image.expires_at) - moment).total_seconds()), 0)
    return Response(
        content=image.png,
        media_type="image/png",
        headers={
            "Cache-Control": f"private, max-age={max_age}",
            "Referrer-Policy": "no-referrer",
            "Content-Disposition": 'inline; filename="board.png"',
            "X-Robots-Tag": "noindex, nofollow",
        },
    )
