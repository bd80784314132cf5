"""The blocks a report is composed of (headings, paragraphs, tables, pictures, quotations).

Markdown and Word are two layouts of the same blocks; ``Body`` collects them in order and
numbers the subsections (（一）), tables (表1) and figures (图1) as they come.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int  # 1: 一、…  2: （一）…


@dataclass(frozen=True, slots=True)
class Para:
    text: str


@dataclass(frozen=True, slots=True)
class Quote:
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Image:
    path: Path
    caption: str


Block = Heading | Para | Quote | Table | Image


@dataclass(slots=True)
class Body:
    """Collects blocks, numbering tables (表1) and figures (图1) as they come."""

    blocks: list[Block] = field(default_factory=list)
    tables: int = 0
    figures: int = 0
    subsections: int = 0

    def section(self, title: str) -> None:
        self.blocks.append(Heading(title, 1))
        self.subsections = 0

    def subsection(self, title: str) -> None:
        self.subsections += 1
        self.blocks.append(Heading(f"（{numeral(self.subsections)}）{title}", 2))

    def para(self, text: str) -> None:
        self.blocks.append(Para(text))

    def quote(self, text: str) -> None:
        lines = tuple(line.strip() for line in text.splitlines() if line.strip())
        if lines:
            self.blocks.append(Quote(lines))

    def table(self, caption: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        self.tables += 1
        self.blocks.append(
            Table(
                f"表{self.tables}　{caption}",
                tuple(header),
                tuple(tuple(str(value) for value in row) for row in rows),
            )
        )

    def image(self, path: Path | None, caption: str) -> None:
        if path is not None:
            self.figures += 1
            self.blocks.append(Image(path, f"图{self.figures}　{caption}"))

    def points(self, items: list[str], otherwise: str) -> None:
        """Several points as 一是…, 二是…; a single one as it is; none as ``otherwise``."""
        if not items:
            self.para(otherwise)
        for index, text in enumerate(items):
            self.para(f"{numeral(index + 1)}是{text}" if len(items) > 1 else text)


def numeral(n: int) -> str:
    """``n`` in Chinese numerals, as headings count: 一 … 十, 十一 … 九十九."""
    if n <= 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return f"{_NUMERALS[tens - 1] if tens > 1 else ''}十{_NUMERALS[ones - 1] if ones else ''}"
