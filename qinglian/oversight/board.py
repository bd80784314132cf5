"""The daily 督办榜: one picture of a unit's subtree, each child unit red, amber or green.

Two counts per unit, both on ``as_of`` and both from :func:`open_items` (what the digests and
the lagging list read), split so that no item counts twice:

- **缺报 (missing)**: a deliverable (上报事项, 阶段性总结, 报告表) not submitted by ``as_of`` whose
  deadline has passed, the ``missing`` of :func:`qinglian.rules.status.deliverable_status`;
- **逾期 (overdue)**: a rectification item (整改事项) or a rules-review change (制度清单) not done
  by ``as_of`` whose deadline has passed.

A child's counts are its whole subtree's (一级抓一级: a city answers for its hospitals); the
recipient's own items stand first, as 本级. Their sum is what the lagging rule calls "overdue
items of every kind", so the red threshold is the same number as the default lagging one.

The counts are computed set-based once per campaign and day (:func:`campaign_boards`), however
many boards a sweep draws; the picture is drawn with matplotlib's object API on Agg, in the
font the project ships (:mod:`qinglian.core.fonts`).
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Rectangle
from PIL import Image
from sqlmodel import Session, col, select

from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.core.fonts import cjk_font
from qinglian.oversight.open_items import ItemKind, open_items

# Overdue + missing at which a unit turns amber, and red. Red at 3: the default lagging
# threshold (LaggingThresholds.overdue_items), so a red 本级 row is a unit the lagging list names.
AMBER_AT = 1
RED_AT = 3
# Child units drawn at most, the worst first; the rest are counted on one line.
MAX_ROWS = 50
MAX_PNG_BYTES = 2 * 1024 * 1024  # WeCom's limit for a picture
WIDTH_PX = 900
DPI = 100
_MISSING_KINDS = frozenset({ItemKind.deliverable, ItemKind.summary, ItemKind.forms})


class BoardColour(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {BoardColour.red: "红", BoardColour.amber: "黄", BoardColour.green: "绿"}
_SEVERITY = {BoardColour.red: 0, BoardColour.amber: 1, BoardColour.green: 2}
_INK = {BoardColour.red: "#c5221f", BoardColour.amber: "#e8a200", BoardColour.green: "#188038"}
_TINT = {BoardColour.red: "#fce8e6", BoardColour.amber: "#fef7e0", BoardColour.green: "#e6f4ea"}
_CHIP_TEXT = {BoardColour.red: "white", BoardColour.amber: "#3c2f00", BoardColour.green: "white"}
_LEGEND = (
    (BoardColour.red, f"逾期与缺报合计≥{RED_AT}项"),
    (BoardColour.amber, f"{AMBER_AT}–{RED_AT - 1}项"),
    (BoardColour.green, "无逾期、缺报"),
)


def board_colour(overdue: int, missing: int) -> BoardColour:
    """Green with nothing overdue or missing, red from :data:`RED_AT` together, amber between."""
    total = overdue + missing
    if total >= RED_AT:
        return BoardColour.red
    if total >= AMBER_AT:
        return BoardColour.amber
    return BoardColour.green


class Counts(NamedTuple):
    overdue: int = 0
    missing: int = 0

    def __add__(self, other: object) -> Counts:  # type: ignore[override]
        assert isinstance(other, Counts)
        return Counts(self.overdue + other.overdue, self.missing + other.missing)


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One line of the board: a child unit's subtree, or the recipient's own items (本级)."""

    code: str
    name: str
    counts: Counts
    own: bool = False

    @property
    def colour(self) -> BoardColour:
        return board_colour(*self.counts)


@dataclass(frozen=True, slots=True)
class Board:
    """What one unit's picture shows on ``as_of``: its own row, then its children, worst first."""

    unit_id: int
    unit_name: str
    as_of: date
    own: BoardRow
    children: tuple[BoardRow, ...]

    def tally(self, rows: Iterable[BoardRow] | None = None) -> Counter[BoardColour]:
        """Child units by colour."""
        return Counter(row.colour for row in (self.children if rows is None else rows))

    def counts_json(self) -> dict[str, Any]:
        """What ``BoardImage.counts`` keeps: the day's figures, no personal data."""
        tally = self.tally()
        total = sum((row.counts for row in self.children), self.own.counts)
        return {
            "as_of": self.as_of.isoformat(),
            "thresholds": {"amber": AMBER_AT, "red": RED_AT},
            "overdue": total.overdue,
            "missing": total.missing,
            "colours": {colour.value: tally[colour] for colour in BoardColour},
            "own": _row_json(self.own),
            "children": [_row_json(row) for row in self.children],
        }


def _row_json(row: BoardRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "overdue": row.counts.overdue,
        "missing": row.counts.missing,
        "colour": row.colour.value,
    }


# --- counts --------------------------------------------------------------------------------


def own_counts(*, session: Session, campaign_id: int, as_of: date) -> dict[int, Counts]:
    """Per unit, its own items overdue and deliverables missing on ``as_of`` (units with none
    are left out)."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    overdue: Counter[int] = Counter()
    missing: Counter[int] = Counter()
    for item in open_items(
        session=session, campaign=campaign, as_of=as_of, due_by=as_of - timedelta(days=1)
    ):
        (missing if item.kind in _MISSING_KINDS else overdue)[item.unit_id] += 1
    return {unit_id: Counts(overdue[unit_id], missing[unit_id]) for unit_id in overdue | missing}


class _Node(NamedTuple):
    id: int
    parent_id: int | None
    code: str
    name: str


def campaign_boards(
    *, session: Session, campaign_id: int, as_of: date, unit_ids: Iterable[int]
) -> dict[int, Board]:
    """The boards of ``unit_ids`` on ``as_of``: one pass over the items and one over the tree.

    Units outside the campaign's tree get no board (they are absent from the result).
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    root = campaign_root(session=session, campaign=campaign)
    nodes = [
        _Node(*row)
        for row in session.exec(
            select(Unit.id, Unit.parent_id, Unit.code, Unit.name)
            .where(col(Unit.path).startswith(root.path))
            .order_by(col(Unit.depth).desc(), col(Unit.code))
        ).all()
    ]
    own = own_counts(session=session, campaign_id=campaign_id, as_of=as_of)
    subtree: dict[int, Counts] = {node.id: own.get(node.id, Counts()) for node in nodes}
    children: dict[int, list[_Node]] = defaultdict(list)
    for node in nodes:  # deepest first: a node's subtree is complete when it is added up
        if node.parent_id is not None and node.parent_id in subtree:
            subtree[node.parent_id] += subtree[node.id]
            children[node.parent_id].append(node)
    by_id = {node.id: node for node in nodes}
    boards: dict[int, Board] = {}
    for unit_id in dict.fromkeys(unit_ids):
        node = by_id.get(unit_id)
        if node is None:
            continue
        rows = [BoardRow(c.code, c.name, subtree[c.id]) for c in children[unit_id]]
        boards[unit_id] = Board(
            unit_id=unit_id,
            unit_name=node.name,
            as_of=as_of,
            own=BoardRow(node.code, node.name, own.get(unit_id, Counts()), own=True),
            children=tuple(sorted(rows, key=_worst_first)),
        )
    return boards


def _worst_first(row: BoardRow) -> tuple[int, int, str]:
    return (_SEVERITY[row.colour], -sum(row.counts), row.code)


# --- the picture ---------------------------------------------------------------------------

_TOP, _ROW, _FOOT, _MORE = 210, 46, 80, 36  # pixels: header, a row, footer, 另有N个单位
_COLOURS = 128
_NAME_WIDTH = 26.0  # a name's width in CJK characters before it is cut with "…"
_OVERDUE_X, _MISSING_X = 700, 820
_GREY, _INK_TEXT, _FAINT = "#5f6368", "#202124", "#bdc1c6"


def day_label(day: date) -> str:
    """``2012-09-20 → "9月20日"``, as the title says it."""
    return f"{day.month}月{day.day}日"


def render_board(board: Board, *, max_rows: int = MAX_ROWS) -> bytes:
    """The board as a PNG 900 pixels wide, always under :data:`MAX_PNG_BYTES`.

    At most ``max_rows`` children are drawn, the worst first, and the rest counted on one line
    (另有N个单位); a picture over the limit is drawn again with half as many rows.
    """
    while True:
        png = _draw(board, board.children[:max_rows], board.children[max_rows:])
        if len(png) < MAX_PNG_BYTES or max_rows <= 1:
            return png
        max_rows //= 2


def _draw(board: Board, shown: Sequence[BoardRow], hidden: Sequence[BoardRow]) -> bytes:
    rows = [board.own, *shown]
    height = _TOP + _ROW * len(rows) + _FOOT + (_MORE if hidden else 0)
    figure = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, WIDTH_PX)
    axes.set_ylim(height, 0)  # y grows downwards, in pixels
    axes.set_axis_off()
    _header(axes, board)
    for index, row in enumerate(rows):
        _row(axes, row, _TOP + _ROW * index)
    _footer(axes, board, hidden, _TOP + _ROW * len(rows))
    return _png(figure)


def _png(figure: Figure) -> bytes:
    """The drawn figure as a 128-colour palette PNG: flat fills and grey text lose nothing
    visible, and the file is a quarter of the full-colour one (a day's boards are stored)."""
    canvas = figure.canvas
    canvas.draw()
    picture = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    palette = picture.convert("RGB").quantize(
        colors=_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    return buffer.getvalue()


def _text(axes: Axes, x: float, y: float, text: str, size: float, **style: Any) -> None:
    style.setdefault("color", _INK_TEXT)
    style.setdefault("va", "center")
    axes.text(x, y, text, fontproperties=cjk_font(size), **style)


def _header(axes: Axes, board: Board) -> None:
    _text(axes, 28, 40, f"【督办榜】{_cut(board.unit_name, 30)}", 24)
    tally = board.tally()
    units = f"下级单位{len(board.children)}个：" if board.children else "无下级单位"
    colours = "  ".join(f"{c.label}{tally[c]}" for c in BoardColour if board.children)
    day = f"{board.as_of.year}年{day_label(board.as_of)}"
    _text(axes, 28, 84, f"{day} · {units}{colours}", 15, color=_GREY)
    x = 28.0
    for colour, words in _LEGEND:
        _chip(axes, x, 122, colour, size=22)
        _text(axes, x + 30, 122, words, 12, color=_GREY)
        x += 30 + 17 * _width(words) + 28
    axes.add_line(_rule(150))
    _text(axes, 28, 178, "单位", 12, color=_GREY)
    _text(axes, _OVERDUE_X, 178, "逾期", 12, color=_GREY, ha="center")
    _text(axes, _MISSING_X, 178, "缺报", 12, color=_GREY, ha="center")


def _row(axes: Axes, row: BoardRow, top: float) -> None:
    colour = row.colour
    middle = top + _ROW / 2
    axes.add_patch(Rectangle((16, top + 3), WIDTH_PX - 32, _ROW - 6, facecolor=_TINT[colour], lw=0))
    _chip(axes, 28, middle, colour, size=30)
    name = f"本级（{_cut(row.name, _NAME_WIDTH - 4)}）" if row.own else _cut(row.name)
    _text(axes, 72, middle, name, 16)
    for x, count in ((_OVERDUE_X, row.counts.overdue), (_MISSING_X, row.counts.missing)):
        _text(axes, x, middle, str(count), 17, ha="center", color=_INK_TEXT if count else _FAINT)


def _footer(axes: Axes, board: Board, hidden: Sequence[BoardRow], top: float) -> None:
    if hidden:
        tally = board.tally(hidden)
        colours = " ".join(f"{c.label}{tally[c]}" for c in BoardColour if tally[c])
        _text(axes, 28, top + 26, f"另有{len(hidden)}个单位未列出（{colours}）", 14)
    _text(
        axes,
        28,
        top + (74 if hidden else 38),
        "逾期：整改事项、制度清单事项超过时限未办结；缺报：上报事项、阶段性总结、报告表超过时限未报送。"
        "\n下级单位的数字含其所属单位。",
        10.5,
        color=_GREY,
        linespacing=1.5,
    )


def _chip(axes: Axes, left: float, middle: float, colour: BoardColour, *, size: float) -> None:
    axes.add_patch(
        FancyBboxPatch(
            (left, middle - size / 2),
            size,
            size,
            boxstyle="round,pad=0,rounding_size=5",
            facecolor=_INK[colour],
            lw=0,
        )
    )
    _text(
        axes,
        left + size / 2,
        middle,
        colour.label,
        size * 0.42,
        ha="center",
        color=_CHIP_TEXT[colour],
    )


def _rule(y: float) -> Line2D:
    return Line2D((16, WIDTH_PX - 16), (y, y), color="#dadce0", lw=1)


def _cut(name: str, width: float = _NAME_WIDTH) -> str:
    """The name, cut with "…" where it would be wider than ``width`` CJK characters."""
    used = 0.0
    for index, char in enumerate(name):
        used += _width(char)
        if used > width:
            return name[: max(index - 1, 1)] + "…"
    return name


def _width(text: str) -> float:
    """Roughly how wide ``text`` is, in CJK characters (Latin letters and digits: about half)."""
    return sum(0.55 if char.isascii() else 1.0 for char in text)
