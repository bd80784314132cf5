"""Reading the org tree: lookups by code or id, subtrees by materialised path, ancestors."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from models import Level, Unit
from qinglian.core.errors import NotFoundError


def get_unit_by_code(*, session: Session, code: str) -> Unit:
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        raise NotFoundError(f"没有单位编码「{code}」", f"no unit with code {code!r}")
    return unit


def unit_path(*, session: Session, unit_id: int) -> str:
    """The unit's materialised path, whose prefix selects its subtree."""
    path = session.exec(select(Unit.path).where(col(Unit.id) == unit_id)).first()
    if path is None:
        raise NotFoundError(f"没有编号为 {unit_id} 的单位", f"no unit {unit_id}")
    return path


def subtree(*, session: Session, unit: Unit) -> Sequence[Unit]:
    """The unit and every unit below it, parents before children."""
    rows = session.exec(
        select(Unit).where(col(Unit.path).startswith(unit.path)).order_by(Unit.depth, Unit.code)
    )
    return rows.all()


def ancestor_ids(unit: Unit) -> list[int]:
    """Ids from the root down to (and including) ``unit``, read off its path."""
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def province_of(*, session: Session, unit: Unit) -> Unit | None:
    """The province-level ancestor (or the unit itself), if the unit sits under one."""
    ids = ancestor_ids(unit)
    return session.exec(
        select(Unit).where(col(Unit.id).in_(ids), Unit.level == Level.province)
    ).first()
