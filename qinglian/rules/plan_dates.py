"""Dates as plan documents write them: 2012年7月16日, 8月6日, 9月底, （2012年8月-9月）, 一周内.

Plain functions over half-width, simplified text (``qinglian.rules.text``): no files, no
database. A mention is resolved against the campaign's year unless it names its own; a mention
that cannot be a date (XX月 where the month was blanked out, 11月31日) keeps the reason, so that
the sentence can be listed as unplaced instead of being guessed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from qinglian.rules.workdays import is_working_day

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_ILLEGIBLE = "[Xx×*]{1,2}"
_PART = "底|末|上旬|中旬|下旬"
_DATE = re.compile(
    r"(?:(?<!\d)(?P<y>\d{4})\s*年\s*|(?P<yrel>今年|本年|当年|次年|明年|翌年))?"
    rf"(?<![\d.])(?P<m>\d{{1,2}}|{_ILLEGIBLE})\s*月\s*"
    rf"(?:(?P<d>\d{{1,2}}|{_ILLEGIBLE})\s*[日号]|(?P<part>{_PART})|份)?"
)
_ISO = re.compile(r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")
_CN_DATE = re.compile(
    r"(?P<y>[〇○零一二三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,3})月"
    r"(?:(?P<d>[一二三四五六七八九十]{1,3})日)?"
)
# 8月6日-31日: the end of a range may give the day only.
_BARE_DAY = re.compile(r"\s*(?:至|到|—+|–|-|~|～|－)\s*(?P<d>\d{1,2})\s*[日号](?!\s*[前内])")
# Between the two ends of a range; 一 is how some copies render a dash (3月1日一11月30日).
_RANGE_SEPARATOR = re.compile(r"^\s*(?:至|到|—+|–|-|~|～|－|一)\s*$")
_BEFORE = re.compile(r"^\s*(?:以前|之前|前)")
_FROM = re.compile(r"(?:从|自)\s*$")
_WINDOW_MIDDLE = re.compile(r"^\s*(?:开始|起)\s*[,，、]?\s*(?:到|至|直至)?\s*$")
_WINDOW_END = re.compile(r"^\s*(?:结束|止|为止)")
_PERIOD = re.compile(
    r"(?P<n>\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:个)?\s*"
    r"(?P<unit>工作日|天|日|周|星期)\s*(?:之内|以内|内)"
)
_NEXT_YEAR = {"次年", "明年", "翌年"}


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date in a sentence: the first and last day it can mean (a month means all of it)."""

    start: int
    end: int
    text: str
    first: date | None
    last: date | None
    explicit_year: int | None
    month_only: bool = False
    problem_zh: str = ""
    problem_en: str = ""

    @property
    def usable(self) -> bool:
        return self.last is not None and not self.problem_zh


@dataclass(frozen=True, slots=True)
class DateRange:
    """``first`` to ``last``, as 7月16日至8月5日, 7月20日—8月3日 or 从7月开始，12月底结束."""

    first: DateMention
    last: DateMention
    start: int
    end: int
    window: bool = False  # 从…开始…结束: the plan's own overall window


@dataclass(frozen=True, slots=True)
class Period:
    """一周内 = 7 calendar days; 三个工作日内 = 3 working days."""

    start: int
    end: int
    days: int
    working_days: bool


def chinese_number(text: str) -> int:
    """十二 → 12, 二十五 → 25, 三 → 3; plain digits pass through."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, units = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
    return int("".join(str(_CN_DIGITS[character]) for character in text))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` (三个工作日内 after a phase ends)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def find_dates(text: str, year: int) -> list[DateMention]:
    """Every date mention in ``text``, in order; a year left out is ``year``."""
    mentions = [_from_match(match, year) for match in _DATE.finditer(text)]
    mentions += [_from_iso(match) for match in _ISO.finditer(text)]
    mentions += [_from_chinese(match) for match in _CN_DATE.finditer(text)]
    mentions.sort(key=lambda mention: (mention.start, -mention.end))
    kept: list[DateMention] = []
    for mention in mentions:
        if not kept or mention.start >= kept[-1].end:
            kept.append(mention)
    return kept


def find_ranges(text: str, mentions: list[DateMention]) -> list[DateRange]:
    """Pairs of mentions that form a window; the second inherits the first's explicit year."""
    ranges: list[DateRange] = []
    used: set[int] = set()
    for index, first in enumerate(mentions):
        if index in used:
            continue
        if index + 1 < len(mentions):
            second = mentions[index + 1]
            between = text[first.end : second.start]
            is_window = bool(_FROM.search(text[: first.start])) and bool(
                _WINDOW_MIDDLE.match(between)
            )
            if is_window or _RANGE_SEPARATOR.match(between):
                second = _inherit_year(second, first)
                tail = _WINDOW_END.match(text[second.end :])
                end = second.end + (tail.end() if tail and is_window else 0)
                ranges.append(DateRange(first, second, first.start, end, window=is_window))
                used |= {index, index + 1}
                continue
        bare = _BARE_DAY.match(text, first.end)
        if bare and first.first is not None and not first.month_only:
            second = _same_month(first, int(bare.group("d")), bare.start(), bare.end(), text)
            ranges.append(DateRange(first, second, first.start, bare.end()))
            used.add(index)
    return ranges


def open_window(text: str, mention: DateMention) -> str:
    """'start' for 从7月开始 / 3月20日起 alone, 'end' for …以前 / …前, '' otherwise."""
    after = text[mention.end :]
    if _BEFORE.match(after):
        return "end"
    if re.match(r"^\s*(?:开始|起)", after):
        return "start"
    return ""


def find_periods(text: str) -> list[Period]:
    periods = []
    for match in _PERIOD.finditer(text):
        unit = match.group("unit")
        count = chinese_number(match.group("n"))
        days = count * 7 if unit in {"周", "星期"} else count
        periods.append(Period(match.start(), match.end(), days, unit == "工作日"))
    return periods


def _from_match(match: re.Match[str], year: int) -> DateMention:
    explicit = int(match.group("y")) if match.group("y") else None
    relative = match.group("yrel")
    if relative:
        explicit = year + 1 if relative in _NEXT_YEAR else year
    resolved = explicit if explicit is not None else year
    month_text, day_text, part = match.group("m"), match.group("d"), match.group("part")
    base = DateMention(match.start(), match.end(), match.group(0), None, None, explicit)
    if not month_text.isdigit() or (day_text and not day_text.isdigit()):
        return replace(
            base,
            problem_zh=f"「{match.group(0).strip()}」的月份或日子已隐去、无法辨认",
            problem_en=f"{match.group(0).strip()!r}: the month or day is blanked out or illegible",
        )
    return _resolve(base, resolved, int(month_text), int(day_text) if day_text else None, part)


def _resolve(
    base: DateMention, year: int, month: int, day: int | None, part: str | None
) -> DateMention:
    if not 1 <= month <= 12:
        return _impossible(base)
    end = month_end(year, month)
    if day is not None:
        if day > end.day or day < 1:
            return _impossible(base)
        return replace(base, first=date(year, month, day), last=date(year, month, day))
    if part in {"底", "末"}:
        return replace(base, first=end, last=end)
    if part == "上旬":
        return replace(base, first=date(year, month, 1), last=date(year, month, 10))
    if part == "中旬":
        return replace(base, first=date(year, month, 11), last=date(year, month, 20))
    if part == "下旬":
        return replace(base, first=date(year, month, 21), last=end)
    return replace(base, first=date(year, month, 1), last=end, month_only=True)


def _impossible(base: DateMention) -> DateMention:
    text = base.text.strip()
    return replace(
        base,
        first=None,
        last=None,
        problem_zh=f"日期「{text}」不存在",
        problem_en=f"there is no such date as {text!r}",
    )


def _from_iso(match: re.Match[str]) -> DateMention:
    year = int(match.group("y"))
    base = DateMention(match.start(), match.end(), match.group(0), None, None, year)
    return _resolve(base, year, int(match.group("m")), int(match.group("d")), None)


def _from_chinese(match: re.Match[str]) -> DateMention:
    year = chinese_number(match.group("y"))
    day = chinese_number(match.group("d")) if match.group("d") else None
    base = DateMention(match.start(), match.end(), match.group(0), None, None, year)
    return _resolve(base, year, chinese_number(match.group("m")), day, None)


def _inherit_year(second: DateMention, first: DateMention) -> DateMention:
    """7月16日至8月5日 after 2012年: the end is in the year the start names."""
    if second.explicit_year is not None or first.explicit_year is None or not second.usable:
        return second
    assert second.first is not None and second.last is not None
    return replace(
        second,
        first=second.first.replace(year=first.explicit_year),
        last=_same_day_in(second.last, first.explicit_year),
        explicit_year=first.explicit_year,
    )


def _same_day_in(day: date, year: int) -> date:
    # A month's last day stays its last day (2月29日 does not exist every year).
    if day == month_end(day.year, day.month):
        return month_end(year, day.month)
    return day.replace(year=year)


def _same_month(first: DateMention, day: int, start: int, end: int, text: str) -> DateMention:
    assert first.first is not None
    base = DateMention(start, end, text[start:end], None, None, first.explicit_year)
    return _resolve(base, first.first.year, first.first.month, day, None)
