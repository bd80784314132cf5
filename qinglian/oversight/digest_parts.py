"""A digest too long for its channel, cut into parts: at unit blocks, else at item lines.

A digest is a sequence of pieces, one per unit block of each section. :func:`pack` fills each
part with as many pieces as fit, measured by rendering the part itself (the template decides
the size, not an estimate), and cuts a unit block that does not fit alone into runs of its
item lines. Pure and deterministic: the same digest is cut the same way every time, so a
re-run of a sweep computes the same parts and keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from qinglian.oversight.digest_sections import Section, SectionGroup, UnitGroup

_DIGITS = "〇一二三四五六七八九"
# While parts are packed their number is unknown: they are measured with the widest label.
WIDEST_LABEL = "（九十九/九十九）"


class Piece(NamedTuple):
    """Item lines ``start:stop`` of one unit block; ``last``: the block's last run, which
    carries its "……另有N项" line (and, for a section's last unit, the section's close)."""

    section: int
    unit: int
    start: int
    stop: int
    last: bool


Fits = Callable[[Sequence[Piece]], bool]


def pack(pieces: Sequence[Piece], fits: Fits) -> list[list[Piece]]:
    """Consecutive runs of ``pieces``, each as long as ``fits`` allows; a piece that does not
    fit alone is cut at its item lines first.

    ``fits`` must grow stricter as a run grows (a longer run never renders shorter). A single
    item line that does not fit alone goes in a part of its own, over the limit: titles are
    clipped so that this cannot happen with a sane channel limit.
    """
    queue = list(pieces)
    parts: list[list[Piece]] = []
    start = 0
    while start < len(queue):
        if not fits(queue[start : start + 1]):
            queue[start : start + 1] = _cut(queue[start], fits)
        taken = _longest(lambda n, at=start: fits(queue[at : at + n]), len(queue) - start)
        parts.append(queue[start : start + taken])
        start += taken
    return parts


def _cut(piece: Piece, fits: Fits) -> list[Piece]:
    """The piece's item lines in runs that each fit alone (at least one line per run)."""
    runs: list[Piece] = []
    start, stop = piece.start, piece.stop
    while start < stop:
        first = start

        def run(n: int, first: int = first) -> Piece:
            end = first + n
            return Piece(piece.section, piece.unit, first, end, piece.last and end == stop)

        taken = _longest(lambda n: fits([run(n)]), stop - first)
        runs.append(run(taken))
        start = first + taken
    return runs


def _longest(ok: Callable[[int], bool], most: int) -> int:
    """The largest n in 1..most with ``ok(n)`` (``ok`` true up to some n, false after); 1 when
    none is. Galloping, then bisection: a long run costs a few renders, not one per piece."""
    good, step = 1, 2
    while step <= most and ok(step):
        good, step = step, step * 2
    bad = min(step, most + 1)  # the first n known not to fit, or one past the end
    while bad - good > 1:
        middle = (good + bad) // 2
        if ok(middle):
            good = middle
        else:
            bad = middle
    return good


def view(sections: Sequence[SectionGroup], run: Sequence[Piece]) -> list[Section]:
    """What the template renders of a run: its sections, a section begun in an earlier part
    marked 续, and a section's close only where its last unit's last piece is."""
    views: list[Section] = []
    current = -1
    for piece in run:
        section = sections[piece.section]
        block = section.units[piece.unit].block
        assert block is not None
        if piece.start or not piece.last:
            block = block._replace(
                entries=block.entries[piece.start : piece.stop],
                more=block.more if piece.last else 0,
                continued=piece.start > 0,
            )
        if piece.section != current:
            current = piece.section
            begins = piece.unit == 0 and piece.start == 0
            views.append(section.view._replace(units=[block], continued=not begins, tail=False))
        else:
            views[-1].units.append(block)
        if _closes(section, piece):
            views[-1] = views[-1]._replace(tail=True)
    return views


def carried(
    sections: Sequence[SectionGroup], run: Sequence[Piece]
) -> Iterator[tuple[SectionGroup, UnitGroup, list[str]]]:
    """Per piece of a run: its section, the unit it names, and the keys of the items it lists
    or counts (the block's "另有N项", and the section's "另有N个单位" where it closes it)."""
    for piece in run:
        section = sections[piece.section]
        unit = section.units[piece.unit]
        keys = [item.key for item in unit.items[piece.start : piece.stop]]
        if piece.last:
            keys.extend(item.key for item in unit.items[unit.listed :])
            if _closes(section, piece):
                keys.extend(item.key for rest in section.rest for item in rest.items)
        yield section, unit, keys


def _closes(section: SectionGroup, piece: Piece) -> bool:
    return piece.last and piece.unit == len(section.units) - 1


def part_key(digest_key: str, part: int) -> str:
    """A part's key: sha256 of the digest's key and the part's number."""
    return hashlib.sha256(f"{digest_key}\x1f{part}".encode()).hexdigest()


def part_label(part: int, parts: int) -> str:
    """（一/三）, （十二/十四）…"""
    return f"（{cn_number(part)}/{cn_number(parts)}）"


def cn_number(n: int) -> str:
    """1–99 in Chinese numerals (一, 十, 十一, 二十三); other numbers in digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones else "")
