"""Where a plan moves the deadlines of a unit's subtree, and writing them in one statement.

For every deliverable below (and of) the unit adopting a plan, the nearest plan on the
deliverable's chain that dates its kind gives its due, cascaded; with none, the template's
cascade from the campaign root, as at launch (``plan_calendar``). A deliverable its template
dates N days after another one already recorded (动员会后一周内) keeps that date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import Campaign, Deliverable, Phase, Unit
from models.adopted_plan import AdoptedPlan
from qinglian.campaigns.plan_calendar import PlanDates, planned_due, template_due
from qinglian.campaigns.templates import CampaignTemplate
from qinglian.org.units import ancestor_ids
from qinglian.rules.deadlines import root_deadline


def plan_dates(plans: dict[int, AdoptedPlan]) -> dict[int, PlanDates]:
    """Depths are filled in on a unit's chain (``_nearest_first``)."""
    return {
        unit_id: PlanDates(unit_id=unit_id, depth=0, dues=plan.due_dates(), windows=plan.windows())
        for unit_id, plan in plans.items()
    }


def nearest_first(unit: Unit, plans: dict[int, PlanDates]) -> list[PlanDates]:
    """The plans on the unit's chain, nearest first; a unit's depth is its place on its path."""
    return [
        replace(plans[unit_id], depth=depth)
        for depth, unit_id in reversed(list(enumerate(ancestor_ids(unit))))
        if unit_id in plans
    ]


@dataclass(frozen=True)
class DueChange:
    deliverable_id: int
    unit: Unit
    kind: str
    title: str
    old_due: date
    new_due: date
    plan_unit_id: int | None


def recompute_subtree(
    session: Session,
    campaign: Campaign,
    template: CampaignTemplate,
    unit: Unit,
    root: Unit,
    plans: dict[int, PlanDates],
) -> list[DueChange]:
    """Every deadline in the unit's subtree that moves (or goes back) under ``plans``."""
    assert campaign.id is not None
    phases = {
        phase.id: phase
        for phase in session.exec(select(Phase).where(Phase.campaign_id == campaign.id)).all()
    }
    items = {item.key: item for phase in template.phases for item in phase.deliverables}
    rows = session.exec(
        select(Deliverable, Unit)
        .join(Unit, col(Unit.id) == Deliverable.unit_id)
        .where(Deliverable.campaign_id == campaign.id, col(Unit.path).startswith(unit.path))
    ).all()
    recorded = {(row.unit_id, row.kind): row.submitted_on for row, _ in rows if row.submitted_on}
    changes: list[DueChange] = []
    for row, owner in rows:
        item = items.get(row.kind)
        if item is None or row.id is None:
            continue
        anchor = recorded.get((owner.id, item.after.deliverable)) if item.after else None
        if item.after is not None and anchor is not None:
            continue  # 动员会后一周内: it follows the meeting as recorded
        phase = phases[row.phase_id]
        found = planned_due(
            row.kind,
            depth=owner.depth,
            chain=nearest_first(owner, plans),
            phase_key=phase.key,
            phase_start=phase.starts_on,
            days_per_level=template.cascade_working_days,
        )
        if found is None:
            top = root_deadline(item.due, template.start, campaign.start_on)
            due = template_due(
                top,
                depth=owner.depth,
                root_depth=root.depth,
                phase_start=phase.starts_on,
                days_per_level=template.cascade_working_days,
            )
            found = due, None
        if found != (row.due_on, row.due_plan_unit_id):
            changes.append(DueChange(row.id, owner, row.kind, row.title, row.due_on, *found))
    return sorted(changes, key=lambda change: (change.unit.depth, change.unit.code))


def apply_changes(session: Session, changes: list[DueChange]) -> None:
    """One executemany: a province's subtree has tens of thousands of deliverables."""
    if not changes:
        return
    session.execute(
        update(Deliverable),
        [
            {"id": c.deliverable_id, "due_on": c.new_due, "due_plan_unit_id": c.plan_unit_id}
            for c in changes
        ],
    )
    session.expire_all()
