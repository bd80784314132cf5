"""The real clock, only where ``as_of`` is left out: campaigns run on China time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def today_in_china() -> date:
    return datetime.now(CHINA).date()


def as_utc(moment: datetime) -> datetime:
    """A stored moment, time zone aware: SQLite hands back naive values, written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def china_minute(moment: datetime) -> str:
    """A stored moment as China time to the minute, as offices read it: 2012-08-10 09:30."""
    return as_utc(moment).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
