"""The unit a row names by its 单位编码, which must lie in the campaign's tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeVar

from qinglian.exchange.cells import parse_identifier
from qinglian.exchange.rows import RowCells


class _InTree(Protocol):
    path: str


U = TypeVar("U", bound=_InTree)
V = TypeVar("V")


def known_unit(cells: RowCells, key: str, code: str, units: Mapping[str, V]) -> V | None:
    """The unit with this 单位编码, or ``None`` with the row failed: import the units first."""
    unit = units.get(code)
    if unit is None:
        cells.fail(
            key,
            f"单位编码「{code}」不存在（请先导入单位）",
            f"no unit with code {code!r} (import the units first)",
        )
    return unit


def campaign_unit(
    cells: RowCells, units: Mapping[str, U], root_path: str, key: str = "unit_code"
) -> U | None:
    """The row's unit (by 单位编码), which must exist and lie in the campaign's tree."""
    code = cells.get(key, parse_identifier, "")
    if not code:
        if not cells.failed(key):
            cells.fail(key, "单位编码不能为空", "the unit code is empty")
        return None
    unit = known_unit(cells, key, code, units)
    if unit is None:
        return None
    if not unit.path.startswith(root_path):
        cells.fail(
            key,
            f"单位「{code}」不在本专项活动的范围内（不属于牵头单位的下级）",
            f"unit {code!r} is outside this campaign's tree",
        )
        return None
    return unit
