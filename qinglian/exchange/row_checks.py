"""Checks many importers make on a parsed row: a text's length, a date's window, a repeated key."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from datetime import date
from typing import TypeVar

from qinglian.exchange.rows import CellsRow, RowCells

R = TypeVar("R", bound=CellsRow)
K = TypeVar("K", bound=Hashable)


def check_length(cells: RowCells, key: str, text: str, limit: int, zh: str, en: str = "") -> bool:
    """Fail ``key`` when ``text`` is longer than ``limit``; whether it fits.

    ``zh`` names the cell in the Chinese message (内容 when no better name); ``en`` names it in
    the English one, which says only "too long" without it.
    """
    if len(text) <= limit:
        return True
    too_long = f"too long ({len(text)} characters, at most {limit})"
    cells.fail(
        key,
        f"{zh}过长（{len(text)} 个字符，最多 {limit} 个）",
        f"the {en} is {too_long}" if en else too_long,
    )
    return False


def check_date_window(
    cells: RowCells,
    key: str,
    day: date,
    zh: str,
    en: str,
    *,
    start_on: date | None = None,
    as_of: date | None = None,
) -> bool:
    """Fail ``key`` when ``day`` is after ``as_of`` or before the campaign's ``start_on``."""
    if as_of is not None and day > as_of:
        cells.fail(
            key,
            f"{zh} {day.isoformat()} 晚于今天（{as_of.isoformat()}）",
            f"the {en} {day.isoformat()} is after today ({as_of.isoformat()})",
        )
        return False
    if start_on is not None and day < start_on:
        cells.fail(
            key,
            f"{zh} {day.isoformat()} 早于专项活动开始日期（{start_on.isoformat()}）",
            f"the {en} {day.isoformat()} is before the campaign started ({start_on.isoformat()})",
        )
        return False
    return True


def flag_repeats(
    rows: Sequence[R], key_of: Callable[[R], K | None], column: str, zh: str, en: str
) -> set[K]:
    """Fail every row whose key another row of the file repeats; the repeated keys.

    ``key_of`` gives ``None`` for a row that has no key to compare. ``zh`` and ``en`` are the
    reasons, formatted with the ``row``; the other rows' numbers are added to them.
    """
    numbers: dict[K, list[int]] = defaultdict(list)
    for row in rows:
        key = key_of(row)
        if key is not None:
            numbers[key].append(row.number)
    repeated = {key for key, seen in numbers.items() if len(seen) > 1}
    for row in rows:
        key = key_of(row)
        if key in repeated:
            others = "、".join(str(n) for n in numbers[key] if n != row.number)
            row.cells.fail(
                column,
                zh.format(row=row) + f"（另见第{others}行）",
                en.format(row=row) + f" (see also row(s) {others})",
            )
    return repeated
