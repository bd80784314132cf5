"""A plan document's text cut into sentences, as extraction reads them.

Text copied from a web page or a PDF breaks sentences across lines (医院在8月2日 / 召开…动员会)
and document-sharing sites number their pages at the start of a line (…于2023年X / 12、X月10日前
报局办公室); both are joined back. Headings run into their text in such copies
（（一）学习动员阶段(…)1、动员部署。), so a sentence also ends before a list marker that follows a
closing bracket or a colon; an item heading and the window right after it
（(2)自我整改。(4月1日-5月31日)…) stay one sentence.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from qinglian.rules.plan_dates import find_dates
from qinglian.rules.text import to_halfwidth, to_simplified

# A line ending in one of these is complete; anything else may run on into the next line.
_COMPLETE = '。;!?:)》”"】]'
_TERMINAL = re.compile(r"(?<=[。;!?])")
_MARKER = re.compile(
    r"^\s*(?:(?P<cn>\([一二三四五六七八九十-]{1,3}\)|[一二三四五六七八九十]{1,3}、"
    r"|第[一二三四五六七八九十\d]{1,3}阶段:?)|(?P<ar>\(\d{1,2}\)|\d{1,2}\s*[、.](?!\d)))\s*"
)
_PAGE_MARKER = re.compile(r"^\d{1,3}、")
_SPLIT_BEFORE_MARKER = re.compile(
    r"(?<=[):])(?=\s*(?:\([一二三四五六七八九十\d-]{1,3}\)|[一二三四五六七八九十\d]{1,2}\s*[、.]"
    r"|第[一二三四五六七八九十]{1,3}阶段))"
)
_HEADING_CHARS = 30
_ITEM_CHARS = 15
_PAGE_LINE_CHARS = 80


@dataclass(frozen=True, slots=True)
class Sentence:
    """``text`` as written; ``plain``: half-width and simplified, what extraction reads."""

    text: str
    plain: str


@dataclass(frozen=True, slots=True)
class Marker:
    """A list marker at the start of a sentence: （一） / 一、 / 第一阶段 (chinese) or (1) / 1、."""

    end: int
    chinese: bool


def sentences(text: str) -> list[Sentence]:
    """The document's sentences, in order, lines joined back where a copy broke them."""
    result: list[Sentence] = []
    for line in _joined_lines(text):
        for piece in _split(line):
            plain = to_simplified(to_halfwidth(piece)).strip()
            if not plain:
                continue
            if result and _window_after_item(result[-1].plain, plain):
                last = result.pop()
                piece, plain = last.text + piece.strip(), last.plain + plain
            result.append(Sentence(piece.strip(), plain))
    return result


def marker(plain: str) -> Marker | None:
    match = _MARKER.match(plain)
    if match is None:
        return None
    return Marker(match.end(), chinese=match.group("cn") is not None)


def is_standalone_date(plain: str) -> bool:
    """A line holding only a date, or a name and a date apart (Xx乡计卫服务中心 2012年8月10日):
    the document's own date (落款), not a plan date."""
    inner = plain.strip().strip("()")
    mentions = find_dates(inner, 2000)
    if not mentions or mentions[-1].end != len(inner.rstrip()):
        return False
    before = inner[: mentions[-1].start]
    return before == "" or (len(before) <= _HEADING_CHARS and before[-1].isspace())


def _joined_lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if lines and _continues(lines[-1], line):
            previous = lines.pop()
            if _PAGE_MARKER.match(line) and len(previous) >= _PAGE_LINE_CHARS:
                line = _PAGE_MARKER.sub("", line, count=1)
            line = previous + line
        lines.append(line)
    return lines


def _continues(previous: str, line: str) -> bool:
    """``line`` carries on the sentence ``previous`` broke off."""
    plain_previous, plain_line = to_halfwidth(previous), to_halfwidth(line)
    if "\t" in previous or "\t" in line or plain_previous[-1] in _COMPLETE:
        return False
    if is_standalone_date(plain_previous) or is_standalone_date(plain_line):
        return False
    previous_marker = marker(plain_previous)
    if (
        previous_marker is not None
        and len(plain_previous) <= _HEADING_CHARS
        and "。" not in plain_previous
    ):
        return False  # a heading: its text follows on the next line
    if marker(plain_line) is not None:
        # A numbered line after a long unfinished one is the next page of a web copy.
        return bool(_PAGE_MARKER.match(plain_line)) and len(previous) >= _PAGE_LINE_CHARS
    return True


def _split(line: str) -> list[str]:
    plain = to_halfwidth(line)  # one character for one: positions carry over to ``line``
    cuts = {0, len(line)}
    cuts |= {match.start() for match in _TERMINAL.finditer(plain)}
    cuts |= {match.start() for match in _SPLIT_BEFORE_MARKER.finditer(plain)}
    ordered = sorted(cuts)
    return [line[start:end] for start, end in itertools.pairwise(ordered)]


def _window_after_item(previous: str, plain: str) -> bool:
    """(2)自我整改。 followed by (4月1日-5月31日)…: the window belongs to the item."""
    found = marker(previous)
    if found is None or len(previous) - found.end > _ITEM_CHARS:
        return False
    mentions = find_dates(plain, 2000)
    return bool(mentions) and mentions[0].start <= 1 and plain.startswith("(")
