"""A phase computed set-based: every unit of a subtree in a handful of queries, rolled up.

This is where a phase's figures come from (DESIGN.md §8, "the run tree at real size"): the
unit runs in the Prefect UI only publish them. One call computes one part of a pass:

- a **subtree** (by default a province and everything under it): every unit in it;
- the **top** of the tree (the units above the split level, the ministry by default), with
  the subtrees' root outcomes given.

Per part, whatever its size: the units; the forms' deadlines, first submissions and cadres
(three queries), the ``forms_collected`` items set in one batch; detection over the part's
current forms, with the findings counted before and after (two grouped queries); the
phase's deliverables; the rectification items. Then the roll-up, deepest units first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from models import Deliverable, Finding, Level, Unit
from models.enums import FindingSource, RectificationStatus
from models.outcome import (
    DeliverableView,
    UnitForms,
    UnitOutcome,
    UnitRectification,
    UnitRef,
    UnitResult,
)
from models.rate import ReportingRate
from models.rectification import RectificationItem
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.sql import chunked
from qinglian.declarations.completeness import (
    FORMS_DELIVERABLE,
    CadreForm,
    cadre_forms,
    collected_on,
    forms_rate,
    missing_cadres,
)
from qinglian.declarations.findings import detect_findings
from qinglian.org.units import ancestor_ids
from qinglian.rectification.rollup import items_found_by
from qinglian.rectification.status import rectification_status_on
from qinglian.rules.rollup import roll_up
from qinglian.rules.status import deliverable_status


@dataclass(frozen=True)
class PassPart:
    """What one call computes: ``root``'s subtree, at ``levels`` only when the top is meant."""

    campaign_id: int
    phase_id: int
    activities: Sequence[str]
    as_of: date
    root_id: int
    levels: Collection[Level] | None = None  # None: the whole subtree
    given: Mapping[int, UnitOutcome] = field(default_factory=dict)  # roots of split subtrees


@dataclass(frozen=True)
class SplitPlan:
    """A tree cut at a level: the top's units, and the subtrees' roots (ordered by code)."""

    top_levels: tuple[Level, ...]
    top_units: int
    subtrees: tuple[tuple[UnitRef, int], ...]  # (root, units in its subtree)

    @property
    def total(self) -> int:
        return self.top_units + sum(units for _, units in self.subtrees)


def split_tree(*, session: Session, root_id: int, level: Level) -> SplitPlan:
    """Where a pass over ``root_id``'s subtree splits: the topmost units at ``level`` or below.

    A unit at ``level`` or deeper whose parent is above it roots a subtree (so a hospital
    directly under a province is its own subtree when the split is at city level). If the
    root itself is at ``level`` or deeper, it is the only subtree and the top is empty.
    """
    root = session.get(Unit, root_id)
    assert root is not None
    rows = session.exec(
        select(Unit.id, Unit.parent_id, Unit.level, Unit.code, Unit.name, Unit.depth).where(
            col(Unit.path).startswith(root.path)
        )
    ).all()
    depths = {unit_id: depth for unit_id, *_, depth in rows}
    levels = {unit_id: unit_level for unit_id, _, unit_level, *_ in rows}
    roots: dict[int, UnitRef] = {}
    owner: dict[int, int] = {}
    top = 0
    for unit_id, parent_id, unit_level, code, name, _ in sorted(rows, key=lambda r: depths[r[0]]):
        if unit_level.rank < level.rank:
            top += 1
        elif unit_id == root_id or parent_id is None or levels[parent_id].rank < level.rank:
            roots[unit_id] = UnitRef(unit_id=unit_id, code=code, name=name, level=unit_level)
            owner[unit_id] = unit_id
        else:
            owner[unit_id] = owner[parent_id]
    sizes = Counter(owner.values())
    ordered = sorted(roots.values(), key=lambda ref: ref.code)
    return SplitPlan(
        top_levels=tuple(item for item in Level if item.rank < level.rank),
        top_units=top,
        subtrees=tuple((ref, sizes[ref.unit_id]) for ref in ordered),
    )


def compute_part(*, session: Session, part: PassPart) -> dict[int, UnitResult]:
    """Every unit's figures in the part, rolled up; the forms items and findings recorded."""
    campaign = get_campaign(session=session, campaign_id=part.campaign_id)
    root = session.get(Unit, part.root_id)
    assert root is not None
    units = _units(session, root, part.levels)
    ids = [unit.id for unit in units if unit.id is not None]
    forms: dict[int, UnitForms] = {}
    if "declarations" in part.activities:
        by_unit = cadre_forms(
            session=session, campaign=campaign, root=root, as_of=part.as_of, levels=part.levels
        )
        _sync_forms_items(session, part.campaign_id, ids, by_unit)
        forms = _examine_forms(session, part, ids, by_unit)
    rectification = (
        _rectification(session, part, root, part.levels)
        if "rectification" in part.activities
        else {}
    )
    deliverables = _deliverables(session, part, root, part.levels)
    groups = _groups(session, root, units)
    children: dict[int, list[int]] = defaultdict(list)
    given_by_parent: dict[int, list[UnitOutcome]] = defaultdict(list)
    for unit in units:
        if unit.id != root.id and unit.parent_id is not None:
            children[unit.parent_id].append(unit.id)  # type: ignore[arg-type]
    for outcome in part.given.values():
        parent = _parent_of(session, outcome.unit.unit_id)
        if parent is not None:
            given_by_parent[parent].append(outcome)
    results: dict[int, UnitResult] = {}
    for unit in reversed(units):  # deepest first: a unit's children are done before it
        assert unit.id is not None
        ref = UnitRef(unit_id=unit.id, code=unit.code, name=unit.name, level=unit.level)
        views = deliverables.get(unit.id, [])
        child_outcomes = sorted(
            [results[child].outcome for child in children[unit.id]] + given_by_parent[unit.id],
            key=lambda outcome: outcome.unit.code,
        )
        unit_forms = forms.get(unit.id) if "declarations" in part.activities else None
        if unit_forms is None and "declarations" in part.activities:
            unit_forms = UnitForms(rate=ReportingRate())
        results[unit.id] = UnitResult(
            unit=ref,
            parent_id=unit.parent_id,
            group=_group_label(groups[unit.id]),
            province=groups[unit.id][0],
            children=[outcome.unit.unit_id for outcome in child_outcomes],
            deliverables=views,
            forms=unit_forms,
            rectification=rectification.get(unit.id, UnitRectification())
            if "rectification" in part.activities
            else None,
            outcome=roll_up(
                ref,
                ReportingRate.of(view.status for view in views),
                child_outcomes,
                unit_forms,
                rectification.get(unit.id, UnitRectification())
                if "rectification" in part.activities
                else None,
                group=_group_label(groups[unit.id]),
            ),
        )
    return results


def _units(session: Session, root: Unit, levels: Collection[Level] | None) -> list[Unit]:
    query = select(Unit).where(col(Unit.path).startswith(root.path))
    if levels is not None:
        query = query.where(col(Unit.level).in_(list(levels)))
    units = list(session.exec(query.order_by(col(Unit.depth), col(Unit.code))).all())
    if not units or units[0].id != root.id:
        units = [root, *[unit for unit in units if unit.id != root.id]]
    return units


def _parent_of(session: Session, unit_id: int) -> int | None:
    unit = session.get(Unit, unit_id)
    return unit.parent_id if unit else None


def _in_part(root: Unit, levels: Collection[Level] | None):  # type: ignore[no-untyped-def]
    clause = col(Unit.path).startswith(root.path)
    if levels is not None:
        clause = clause & col(Unit.level).in_(list(levels))
    return clause


def _deliverables(
    session: Session, part: PassPart, root: Unit, levels: Collection[Level] | None
) -> dict[int, list[DeliverableView]]:
    rows = session.exec(
        select(
            Deliverable.unit_id,
            Deliverable.kind,
            Deliverable.title,
            Deliverable.due_on,
            Deliverable.submitted_on,
        )
        .join(Unit, col(Unit.id) == Deliverable.unit_id)
        .where(
            Deliverable.campaign_id == part.campaign_id,
            Deliverable.phase_id == part.phase_id,
            _in_part(root, levels),
        )
        .order_by(col(Deliverable.due_on), col(Deliverable.id))
    ).all()
    views: dict[int, list[DeliverableView]] = defaultdict(list)
    for unit_id, kind, title, due_on, submitted_on in rows:
        views[unit_id].append(
            DeliverableView(
                kind=kind,
                title=title,
                due_on=due_on,
                submitted_on=submitted_on if submitted_on and submitted_on <= part.as_of else None,
                status=deliverable_status(due_on, submitted_on, part.as_of),
            )
        )
    return views


def _sync_forms_items(
    session: Session,
    campaign_id: int,
    unit_ids: Sequence[int],
    forms: Mapping[int, list[CadreForm]],
) -> None:
    """Each unit's ``forms_collected`` item is submitted on the day its last form came in."""
    table = Deliverable.__table__  # type: ignore[attr-defined]
    changes: list[dict[str, object]] = []
    for chunk in chunked(unit_ids):
        rows = session.exec(
            select(Deliverable.id, Deliverable.unit_id, Deliverable.submitted_on).where(
                Deliverable.campaign_id == campaign_id,
                Deliverable.kind == FORMS_DELIVERABLE,
                col(Deliverable.unit_id).in_(chunk),
            )
        ).all()
        for deliverable_id, unit_id, submitted_on in rows:
            unit_forms = forms.get(unit_id)
            if not unit_forms:
                continue
            day = collected_on(unit_forms)
            if submitted_on != day:
                changes.append({"row_id": deliverable_id, "day": day})
    if changes:
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(submitted_on=bindparam("day")),
            changes,
        )


def _findings_by_unit(
    session: Session, campaign_id: int, unit_ids: Sequence[int]
) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for chunk in chunked(unit_ids):
        for unit_id, category, count in session.exec(
            select(Finding.unit_id, Finding.category, func.count())
            .where(Finding.campaign_id == campaign_id, col(Finding.unit_id).in_(chunk))
            .group_by(Finding.unit_id, Finding.category)
        ).all():
            counts[unit_id][category.value] = count
    return counts


def _examine_forms(
    session: Session, part: PassPart, ids: Sequence[int], by_unit: Mapping[int, list[CadreForm]]
) -> dict[int, UnitForms]:
    """Detection over the part's current forms; each unit's forms, findings and new ones.

    *New* findings are those the forms gave on the pass's day (``found_on``): a re-run on the
    same day counts them again, so a pass's figures do not depend on how often it ran.
    """
    detect_findings(
        session=session, campaign_id=part.campaign_id, as_of=part.as_of, unit_ids=list(ids)
    )
    findings = _findings_by_unit(session, part.campaign_id, ids)
    found_today: Counter[int] = Counter()
    for chunk in chunked(ids):
        for unit_id, count in session.exec(
            select(Finding.unit_id, func.count())
            .where(
                Finding.campaign_id == part.campaign_id,
                Finding.source == FindingSource.self_declared,
                Finding.found_on == part.as_of,
                col(Finding.unit_id).in_(chunk),
            )
            .group_by(Finding.unit_id)
        ).all():
            found_today[unit_id] = count
    result: dict[int, UnitForms] = {}
    for unit_id in ids:
        unit_forms = by_unit.get(unit_id, [])
        result[unit_id] = UnitForms(
            rate=forms_rate(unit_forms),
            missing=[f"{form.staff_no} {form.name}" for form in missing_cadres(unit_forms)],
            findings=dict(findings.get(unit_id, Counter())),
            new_findings=found_today[unit_id],
        )
    return result


def _rectification(
    session: Session, part: PassPart, root: Unit, levels: Collection[Level] | None
) -> dict[int, UnitRectification]:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    overdue: Counter[int] = Counter()
    query = items_found_by(part.campaign_id, part.as_of).join(
        Unit, col(Unit.id) == RectificationItem.unit_id
    )
    for unit_id, status, due_on, done_on, verified_on in session.exec(
        query.where(_in_part(root, levels))
    ):
        state = rectification_status_on(status, done_on, verified_on, part.as_of)
        counts[unit_id][state.value] += 1
        if state in (RectificationStatus.planned, RectificationStatus.in_progress) and (
            due_on < part.as_of
        ):
            overdue[unit_id] += 1
    return {
        unit_id: UnitRectification(by_status=dict(by_status), overdue=overdue[unit_id])
        for unit_id, by_status in counts.items()
    }


def _groups(session: Session, root: Unit, units: Sequence[Unit]) -> dict[int, tuple[str, str]]:
    """(province, city) each unit sits in (its own name at those levels), from above it."""
    names: dict[int, tuple[str, str]] = {}
    above = ancestor_ids(root)[:-1]
    inherited = ("", "")
    if above:
        ancestors = session.exec(select(Unit).where(col(Unit.id).in_(above))).all()
        for unit in sorted(ancestors, key=lambda ancestor: ancestor.depth):
            inherited = _placed(unit, inherited)
    for unit in units:  # parents come first
        assert unit.id is not None
        parent = names.get(unit.parent_id or 0, inherited) if unit.id != root.id else inherited
        names[unit.id] = _placed(unit, parent)
    return names


def _group_label(place: tuple[str, str]) -> str:
    return " · ".join(part for part in place if part)


def _placed(unit: Unit, parent: tuple[str, str]) -> tuple[str, str]:
    if unit.level is Level.province:
        return (unit.name, "")
    if unit.level is Level.city:
        return (parent[0], unit.name)
    return parent
