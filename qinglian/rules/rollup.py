"""Rolling a unit's own reporting together with its children's outcomes."""

from __future__ import annotations

from collections.abc import Sequence

from models.progress import UnitOutcome, UnitRef
from qinglian.rules.status import ReportingRate

LAGGING_CAP = 50


def roll_up(unit: UnitRef, own: ReportingRate, children: Sequence[UnitOutcome]) -> UnitOutcome:
    """The unit's outcome: own + every child's subtree, merged per level, laggards named."""
    by_level: dict = {unit.level: own}
    for child in children:
        for level, rate in child.by_level.items():
            by_level[level] = by_level.get(level, ReportingRate()) + rate
    lagging = [unit.name] if own.missing else []
    for child in children:
        lagging.extend(child.lagging)
    return UnitOutcome(
        unit=unit,
        own=own,
        subtree=own + ReportingRate.total(child.subtree for child in children),
        by_level=by_level,
        units=1 + sum(child.units for child in children),
        lagging=lagging[:LAGGING_CAP],
    )
