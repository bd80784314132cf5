"""Rolling a unit's own reporting together with its children's outcomes.

A unit is *behind* when anything of its own is missing or overdue; the roll-up names the units
behind in its subtree. Not to be confused with a *lagging* unit, one over the campaign
template's thresholds (:mod:`qinglian.rules.ladder`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from models.outcome import UnitForms, UnitOutcome, UnitRectification, UnitRef
from models.rate import ReportingRate

# A roll-up names at most this many units behind (the outcome's ``behind`` list).
BEHIND_CAP = 50


def roll_up(
    unit: UnitRef,
    own: ReportingRate,
    children: Sequence[UnitOutcome],
    forms: UnitForms | None = None,
    rectification: UnitRectification | None = None,
    group: str = "",
) -> UnitOutcome:
    """The unit's outcome: own + every child's subtree, merged per level, the units behind named.

    ``forms`` (the find phase) adds the unit's declarations and findings to the roll-up;
    ``rectification`` (the rectify phase) its rectification items. A unit with overdue
    rectification items is named among the units behind. ``group`` (「省 · 市」) is where the
    unit is counted in ``behind_groups``, the uncapped count of units behind by place.
    """
    by_level: dict = {unit.level: own}
    for child in children:
        for level, rate in child.by_level.items():
            by_level[level] = by_level.get(level, ReportingRate()) + rate
    behind = (
        own.missing or (forms and forms.rate.missing) or (rectification and rectification.overdue)
    )
    units_behind = [unit.name] if behind else []
    groups: Counter[str] = Counter({group: 1} if behind else {})
    for child in children:
        units_behind.extend(child.behind)
        groups.update(child.behind_groups)
    return UnitOutcome(
        unit=unit,
        own=own,
        subtree=own + ReportingRate.total(child.subtree for child in children),
        by_level=by_level,
        units=1 + sum(child.units for child in children),
        behind=units_behind[:BEHIND_CAP],
        behind_groups=dict(groups),
        **_forms_roll_up(forms, children),
        **_rectification_roll_up(rectification, children),
    )


def _rectification_roll_up(
    rectification: UnitRectification | None, children: Sequence[UnitOutcome]
) -> dict:
    by_status: Counter[str] = Counter(rectification.by_status if rectification else {})
    for child in children:
        by_status.update(child.rectification)
    overdue = (rectification.overdue if rectification else 0) + sum(
        child.rectification_overdue for child in children
    )
    return {"rectification": dict(by_status), "rectification_overdue": overdue}


def _forms_roll_up(forms: UnitForms | None, children: Sequence[UnitOutcome]) -> dict:
    rated = [child.forms for child in children if child.forms is not None]
    if forms is None and not rated:
        return {}
    own = forms.rate if forms else ReportingRate()
    findings: Counter[str] = Counter(forms.findings if forms else {})
    for child in children:
        findings.update(child.findings)
    return {
        "forms_own": forms.rate if forms else None,
        "forms": own + ReportingRate.total(rated),
        "findings": dict(findings),
        "new_findings": (forms.new_findings if forms else 0)
        + sum(child.new_findings for child in children),
    }
