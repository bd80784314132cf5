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
many boards a sweep draws; the picture is laid out and drawn with Pillow
in the font the project ships (:mod:`qinglian.core.fonts`), a few milliseconds a board.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.oversight.open_items import ItemKind, open_items

# Overdue + missing at which a unit turns amber, and red. Red at 3: the default lagging
# threshold (LaggingThresholds.overdue_items), so a red 本级 row is a unit the lagging list names.
AMBER_AT = 1
RED_AT = 3
# Child units drawn at most, the worst first; the rest are counted on one line.
MAX_ROWS = 50
MAX_PNG_BYTES = 2 * 1024 * 1024  # WeCom's limit for a picture
WIDTH_PX = 900
_MISSING_KINDS = frozenset({ItemKind.deliverable, ItemKind.summary, ItemKind.forms})


class BoardColour(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {BoardColour.red: "红", BoardColour.amber: "黄", BoardColour.green: "绿"}
_SEVERITY = {BoardColour.red: 0, BoardColour.amber: 1, BoardColour.green: 2}
INK = {BoardColour.red: "#c5221f", BoardColour.amber: "#e8a200", BoardColour.green: "#188038"}
TINT = {BoardColour.red: "#fce8e6", BoardColour.amber: "#fef7e0", BoardColour.green: "#e6f4ea"}
CHIP_TEXT = {BoardColour.red: "white", BoardColour.amber: "#3c2f00", BoardColour.green: "white"}
LEGEND = (
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
