"""Working days on the Chinese calendar: public holidays and make-up working days (调休)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from qinglian.core.errors import QinglianError


# chinese_calendar scans its holiday tables on every call; a national launch asks millions.
@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """True for a day offices work, make-up Saturdays and Sundays included."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise QinglianError(
            f"节假日日历不含 {day.year} 年，请升级 chinesecalendar",
            f"the holiday calendar does not cover {day.year}; upgrade chinesecalendar",
        ) from exc


def previous_working_day(day: date) -> date:
    """``day`` itself if offices work then, else the last working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def next_working_day(day: date) -> date:
    """``day`` itself if offices work then, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def subtract_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days before ``day`` (``day`` rolled back first)."""
    if count < 0:
        raise ValueError("count must be >= 0")
    day = previous_working_day(day)
    while count:
        day -= timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
