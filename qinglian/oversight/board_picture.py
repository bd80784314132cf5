"""The 督办榜's picture: a :class:`~qinglian.oversight.board.Board` laid out, then drawn with Pillow.

Laid out as boxes and lines of text (:class:`BoardLayout`), then drawn straight into a palette
image in the font the project ships (:mod:`qinglian.core.fonts`), a few milliseconds a board.
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import NamedTuple

from PIL import Image, ImageColor, ImageDraw

from qinglian.core.fonts import (
    cjk_drawable,
    cjk_middle,
    cjk_missing,
    cjk_text_mask,
    cjk_text_width,
)
from qinglian.oversight.board import (
    CHIP_TEXT,
    INK,
    LEGEND,
    MAX_PNG_BYTES,
    MAX_ROWS,
    TINT,
    WIDTH_PX,
    Board,
    BoardColour,
    BoardRow,
)

_log = logging.getLogger(__name__)

# --- the picture ---------------------------------------------------------------------------
#
# Laid out as boxes and lines of text (:class:`BoardLayout`), then drawn with Pillow straight
# into a palette image. A national sweep draws ~10,000 boards: matplotlib took 0.1–0.4 s each,
# this about 10 ms. Sizes are pixels; the first board (matplotlib, 100 dpi) gave them in
# points, hence 33.3 for 24 pt. A text's ``y`` is the middle of its line: the middle of the
# font's ideographs.

_TOP, _ROW, _FOOT, _MORE = 210, 46, 80, 36  # pixels: header, a row, footer, 另有N个单位
_LEFT, _EDGE = 28, 16  # where text starts; where the rule and the row tints start
_NAME_X, _NAME_RIGHT = 72, 650  # a unit's name, cut with "…" before the 逾期 column
_OVERDUE_X, _MISSING_X = 700, 820
_TITLE_PX, _SUMMARY_PX, _SMALL_PX, _NAME_PX = 33.3, 20.8, 16.7, 22.2
_COUNT_PX, _MORE_PX, _NOTE_PX = 23.6, 19.4, 14.6
_CHIP_LABEL = 0.42 * 100 / 72  # a chip's 红/黄/绿, in pixels per pixel of the chip
_WHITE, _GREY, _INK_TEXT, _FAINT, _RULE = "#ffffff", "#5f6368", "#202124", "#bdc1c6", "#dadce0"
_NOTE = (
    "逾期：整改事项、制度清单事项超过时限未办结；缺报：上报事项、阶段性总结、报告表超过时限未报送。",
    "下级单位的数字含其所属单位。",
)
# Antialiased text blends its ink into the paper under it, and so do a chip's rounded corners.
# The palette holds each pair the board draws in 16 steps, and every pixel is written as its
# palette index: flat colours exact, edges within a sixteenth, no colour search per picture.
_BLENDS = (
    (_WHITE, _INK_TEXT),
    (_WHITE, _GREY),
    *((INK[colour], CHIP_TEXT[colour]) for colour in BoardColour),
    *((TINT[colour], ink) for colour in BoardColour for ink in (_INK_TEXT, _FAINT)),
    *((paper, INK[colour]) for colour in BoardColour for paper in (_WHITE, TINT[colour])),
)
_STEPS = 16
_SUPERSAMPLE = 4  # a chip's corners are drawn this many times larger, then shrunk


class TextRun(NamedTuple):
    """One line of text on ``paper``: drawn from ``x`` (or centred on it), its middle at ``y``."""

    x: int
    y: int
    text: str
    size: float
    ink: str
    paper: str
    centred: bool = False


class Fill(NamedTuple):
    """A filled box, ``right`` and ``bottom`` excluded; its corners rounded by ``radius`` onto
    ``paper``."""

    left: int
    top: int
    right: int
    bottom: int
    colour: str
    radius: int = 0
    paper: str = _WHITE


@dataclass(frozen=True, slots=True)
class BoardLayout:
    """What the picture draws: the boxes, then the text over them. Every character of every
    text is one the shipped font has (:func:`qinglian.core.fonts.cjk_drawable`)."""

    height: int
    fills: tuple[Fill, ...]
    texts: tuple[TextRun, ...]


def day_label(day: date) -> str:
    """``2012-09-20 → "9月20日"``, as the title says it."""
    return f"{day.month}月{day.day}日"


def render_board(board: Board, *, max_rows: int = MAX_ROWS) -> bytes:
    """The board as a PNG 900 pixels wide, always under :data:`MAX_PNG_BYTES`.

    At most ``max_rows`` children are drawn, the worst first, and the rest counted on one line
    (另有N个单位); a picture over the limit is drawn again with half as many rows. A character
    the font lacks (a rare hanzi in a unit's name) is drawn as 〓, and logged.
    """
    lacking = cjk_missing(board.unit_name + "".join(row.name for row in board.children))
    if lacking:
        codes = " ".join(f"U+{ord(char):04X}" for char in lacking)
        _log.warning(
            "督办榜字体缺少字符 %s，以〓代替（不可见的略去）/ "
            "the board's font lacks %s: drawn as 〓 (invisible ones left out)",
            codes,
            codes,
        )
    while True:
        png = _paint(layout_board(board, max_rows=max_rows))
        if len(png) < MAX_PNG_BYTES or max_rows <= 1:
            return png
        max_rows //= 2


def layout_board(board: Board, *, max_rows: int = MAX_ROWS) -> BoardLayout:
    """Where everything goes: the header, 本级 and the worst ``max_rows`` children, the
    footer."""
    shown, hidden = board.children[:max_rows], board.children[max_rows:]
    rows = [board.own, *shown]
    fills: list[Fill] = []
    texts: list[TextRun] = []
    _header(board, fills, texts)
    for index, row in enumerate(rows):
        _row(row, _TOP + _ROW * index, fills, texts)
    bottom = _TOP + _ROW * len(rows)
    if hidden:
        tally = board.tally(hidden)
        colours = " ".join(f"{c.label}{tally[c]}" for c in BoardColour if tally[c])
        more = f"另有{len(hidden)}个单位未列出（{colours}）"
        texts.append(_text(_LEFT, bottom + 26, more, _MORE_PX))
    note = bottom + (74 if hidden else 38)
    for offset, line in zip((-11, 11), _NOTE, strict=True):
        texts.append(_text(_LEFT, note + offset, line, _NOTE_PX, _GREY))
    height = bottom + _FOOT + (_MORE if hidden else 0)
    return BoardLayout(height=height, fills=tuple(fills), texts=tuple(texts))


def _header(board: Board, fills: list[Fill], texts: list[TextRun]) -> None:
    title = "【督办榜】"
    room = WIDTH_PX - 2 * _LEFT - cjk_text_width(title, _TITLE_PX)
    texts.append(_text(_LEFT, 40, title + _fit(board.unit_name, _TITLE_PX, room), _TITLE_PX))
    tally = board.tally()
    units = f"下级单位{len(board.children)}个：" if board.children else "无下级单位"
    colours = "  ".join(f"{c.label}{tally[c]}" for c in BoardColour if board.children)
    day = f"{board.as_of.year}年{day_label(board.as_of)}"
    texts.append(_text(_LEFT, 84, f"{day} · {units}{colours}", _SUMMARY_PX, _GREY))
    x = _LEFT
    for colour, words in LEGEND:
        _chip(x, 122, colour, 22, _WHITE, fills, texts)
        texts.append(_text(x + 30, 122, words, _SMALL_PX, _GREY))
        x += 30 + round(cjk_text_width(words, _SMALL_PX)) + 28
    fills.append(Fill(_EDGE, 150, WIDTH_PX - _EDGE, 151, _RULE))
    texts.append(_text(_LEFT, 178, "单位", _SMALL_PX, _GREY))
    texts.append(_text(_OVERDUE_X, 178, "逾期", _SMALL_PX, _GREY, centred=True))
    texts.append(_text(_MISSING_X, 178, "缺报", _SMALL_PX, _GREY, centred=True))


def _row(row: BoardRow, top: int, fills: list[Fill], texts: list[TextRun]) -> None:
    colour, paper = row.colour, TINT[row.colour]
    middle = top + _ROW // 2
    fills.append(Fill(_EDGE, top + 3, WIDTH_PX - _EDGE, top + _ROW - 3, paper))
    _chip(_LEFT, middle, colour, 30, paper, fills, texts)
    room = _NAME_RIGHT - _NAME_X
    if row.own:
        name = f"本级（{_fit(row.name, _NAME_PX, room - cjk_text_width('本级（）', _NAME_PX))}）"
    else:
        name = _fit(row.name, _NAME_PX, room)
    texts.append(_text(_NAME_X, middle, name, _NAME_PX, paper=paper))
    for x, count in ((_OVERDUE_X, row.counts.overdue), (_MISSING_X, row.counts.missing)):
        ink = _INK_TEXT if count else _FAINT
        texts.append(_text(x, middle, str(count), _COUNT_PX, ink, paper, centred=True))


def _chip(
    left: int,
    middle: int,
    colour: BoardColour,
    size: int,
    paper: str,
    fills: list[Fill],
    texts: list[TextRun],
) -> None:
    top = middle - size // 2
    fills.append(Fill(left, top, left + size, top + size, INK[colour], 5, paper))
    label, ink = colour.label, CHIP_TEXT[colour]
    texts.append(_text(left + size // 2, middle, label, size * _CHIP_LABEL, ink, INK[colour], True))


def _text(
    x: int,
    y: int,
    text: str,
    size: float,
    ink: str = _INK_TEXT,
    paper: str = _WHITE,
    centred: bool = False,
) -> TextRun:
    return TextRun(x, y, cjk_drawable(text), size, ink, paper, centred)


def _fit(name: str, size: float, room: float) -> str:
    """The name, cut with "…" where it would be wider than ``room`` pixels."""
    name = cjk_drawable(name)
    if cjk_text_width(name, size) <= room:
        return name
    shortest, longest = 1, len(name) - 1  # the longest prefix that fits with "…"
    while shortest < longest:
        middle = (shortest + longest + 1) // 2
        if cjk_text_width(name[:middle] + "…", size) <= room:
            shortest = middle
        else:
            longest = middle - 1
    return name[:shortest] + "…"


# --- drawing -------------------------------------------------------------------------------


def _paint(layout: BoardLayout) -> bytes:
    """Each pixel written as its palette index (in an "L" picture, made "P" at the end, as it
    stands). Text and rounded corners are stamped whole, unmasked: each lies on one paper,
    which is what their empty pixels are written as."""
    palette = _palette()
    picture = Image.new("L", (WIDTH_PX, layout.height), palette.index[_WHITE])
    draw = ImageDraw.Draw(picture)
    for fill in layout.fills:
        if fill.radius:
            corners = _rounded(fill.right - fill.left, fill.bottom - fill.top, fill.radius)
            _stamp(picture, corners, (fill.left, fill.top), palette.ramp(fill.paper, fill.colour))
        else:
            box = (fill.left, fill.top, fill.right - 1, fill.bottom - 1)
            draw.rectangle(box, fill=palette.index[fill.colour])
    for run in layout.texts:
        inked = _coverage(run)
        if inked is not None:
            _stamp(picture, *inked, palette.ramp(run.paper, run.ink))
    indexed = picture.convert("P")  # from "L": the values stay, as indices
    indexed.putpalette(palette.rgb)
    return _png(indexed)


def _stamp(picture: Image.Image, coverage: Image.Image, at: tuple[int, int], ramp: bytes) -> None:
    """Write ``coverage`` (0–255) as the palette indices of its blend onto its paper.

    ``bytes.translate`` rather than ``Image.point``, which rounds its 256 numbers on every call:
    that was most of the stamping time.
    """
    indices = coverage.tobytes().translate(ramp)
    picture.paste(Image.frombytes("L", coverage.size, indices), at)


def _png(picture: Image.Image) -> bytes:
    """Deflated with zlib's run-length strategy, which zlib made for PNG data: the fills are
    runs, and it takes a third of the default level's time for a file a fifth larger (the
    default was half of all the drawing time)."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_type=zlib.Z_RLE)
    return buffer.getvalue()


def _coverage(run: TextRun) -> tuple[Image.Image, tuple[int, int]] | None:
    """The run's ink and where it goes."""
    inked = cjk_text_mask(run.text, run.size)
    if inked is None:
        return None
    x = run.x - (round(cjk_text_width(run.text, run.size) / 2) if run.centred else 0)
    return inked.coverage, (x + inked.left, run.y + cjk_middle(run.size) + inked.top)


@cache
def _rounded(width: int, height: int, radius: int) -> Image.Image:
    """The coverage of a rounded box, its corners antialiased (``rounded_rectangle`` is not)."""
    big = Image.new("L", (width * _SUPERSAMPLE, height * _SUPERSAMPLE))
    box = (0, 0, big.width - 1, big.height - 1)
    ImageDraw.Draw(big).rounded_rectangle(box, radius=radius * _SUPERSAMPLE, fill=255)
    return big.resize((width, height), Image.Resampling.BOX)


@dataclass(frozen=True, slots=True)
class _Palette:
    rgb: list[int]  # for putpalette: r, g, b of index 0, 1, …
    index: dict[str, int]  # a flat colour's index
    ramps: dict[tuple[str, str], bytes]  # (paper, ink): coverage 0–255 → index

    def ramp(self, paper: str, ink: str) -> bytes:
        return self.ramps[(paper, ink)]


@cache
def _palette() -> _Palette:
    colours: dict[tuple[int, ...], int] = {}
    ramps: dict[tuple[str, str], bytes] = {}
    for paper, ink in ((_RULE, _RULE), *_BLENDS):  # the rule: a flat colour, blended with none
        under, over = ImageColor.getrgb(paper), ImageColor.getrgb(ink)
        steps = []
        for step in range(_STEPS):
            share = step / (_STEPS - 1)
            mixed = tuple(round(u + (o - u) * share) for u, o in zip(under, over, strict=True))
            steps.append(colours.setdefault(mixed, len(colours)))
        ramps[(paper, ink)] = bytes(steps[round(v * (_STEPS - 1) / 255)] for v in range(256))
    assert len(colours) <= 256, len(colours)
    index = {name: ramp[0] for (name, _), ramp in ramps.items()}
    index.update({name: ramp[255] for (_, name), ramp in ramps.items()})
    return _Palette([channel for colour in colours for channel in colour], index, ramps)
