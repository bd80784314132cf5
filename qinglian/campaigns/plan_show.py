"""A unit's effective calendar with the source of every date, and its adopted plans' history.

The sources, as an office reads them: 模板 (the template, at the campaign's root), 逐级提前 (the
cascade: from the template, or from the plan of a unit above), 本单位方案 (the unit's own plan),
and 登记后 N 天 (a deliverable due N days after another one the unit recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from models import Deliverable, Phase, Unit
from models.adopted_plan import AdoptedPlan
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.campaigns.plan_calendar import Window, effective_windows
from qinglian.campaigns.plan_cascade import nearest_first, plan_dates
from qinglian.campaigns.plans import current_plans, plan_history
from qinglian.campaigns.templates import get_template
from qinglian.core.errors import NotFoundError
from qinglian.org.units import get_unit_by_code
from qinglian.rules.deadlines import relative_deadline


@dataclass(frozen=True)
class CalendarPhase:
    title: str
    window: Window
    source: str


@dataclass(frozen=True)
class CalendarItem:
    kind: str
    title: str
    phase_title: str
    due_on: date
    submitted_on: date | None
    source: str


@dataclass(frozen=True)
class PlanVersion:
    version: int
    source_name: str
    adopted_at: datetime
    adopted_by: str
    late: bool
    late_reason: str
    current: bool


@dataclass(frozen=True)
class UnitCalendar:
    unit_code: str
    unit_name: str
    phases: list[CalendarPhase]
    items: list[CalendarItem]
    history: list[PlanVersion]


def unit_calendar(*, session: Session, campaign_id: int, unit_code: str) -> UnitCalendar:
    """The unit's phases and deliverables as they stand, each with where its date comes from."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    unit = get_unit_by_code(session=session, code=unit_code)
    root = campaign_root(session=session, campaign=campaign)
    if not unit.path.startswith(root.path):
        raise NotFoundError(
            f"单位 {unit.code}（{unit.name}）不在专项活动 {campaign.id} 的范围内",
            f"unit {unit.code} is not part of campaign {campaign.id}",
        )
    assert campaign.id is not None and unit.id is not None
    template = get_template(campaign.template_key)
    plans = current_plans(session=session, campaign_id=campaign.id)
    names = _names(session, set(plans))
    chain = nearest_first(unit, plan_dates(plans))
    phases = session.exec(
        select(Phase).where(Phase.campaign_id == campaign.id).order_by(col(Phase.seq))
    ).all()
    windows = effective_windows({p.key: Window(p.starts_on, p.ends_on) for p in phases}, chain)
    calendar_phases = []
    for phase in phases:
        setter = next((plan.unit_id for plan in chain if phase.key in plan.windows), None)
        calendar_phases.append(
            CalendarPhase(
                phase.title, windows[phase.key], _phase_source(setter, unit, names, plans)
            )
        )
    rows = session.exec(
        select(Deliverable)
        .where(Deliverable.campaign_id == campaign.id, Deliverable.unit_id == unit.id)
        .order_by(col(Deliverable.phase_id), col(Deliverable.id))
    ).all()
    submitted = {row.kind: row.submitted_on for row in rows if row.submitted_on}
    after = {item.key: item.after for phase in template.phases for item in phase.deliverables}
    titles = {phase.id: phase.title for phase in phases}
    items = []
    for row in rows:
        rule = after.get(row.kind)
        anchor = submitted.get(rule.deliverable) if rule else None
        if rule and anchor and row.due_on == relative_deadline(anchor, rule.days):
            source = f"{rule.deliverable} 登记后 {rule.days} 天"
        else:
            source = _source(row.due_plan_unit_id, unit, root, names, plans)
        items.append(
            CalendarItem(
                row.kind,
                row.title,
                titles.get(row.phase_id, ""),
                row.due_on,
                row.submitted_on,
                source,
            )
        )
    history = [
        PlanVersion(
            version=plan.version,
            source_name=plan.source_name,
            adopted_at=plan.adopted_at,
            adopted_by=plan.adopted_by,
            late=bool(plan.late_items),
            late_reason=plan.late_reason,
            current=plan.replaced_at is None,
        )
        for plan in plan_history(session=session, campaign_id=campaign.id, unit_id=unit.id)
    ]
    return UnitCalendar(unit.code, unit.name, calendar_phases, items, history)


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Unit.id, Unit.name).where(col(Unit.id).in_(ids))).all()
    return {unit_id: name for unit_id, name in rows if unit_id is not None}


def _source(
    plan_unit_id: int | None,
    unit: Unit,
    root: Unit,
    names: dict[int, str],
    plans: dict[int, AdoptedPlan],
) -> str:
    if plan_unit_id is None:
        return "模板" if unit.id == root.id else "逐级提前（自模板）"
    if plan_unit_id == unit.id:
        return _own(plans, unit)
    return f"逐级提前（自 {names.get(plan_unit_id, str(plan_unit_id))} 的方案）"


def _phase_source(
    plan_unit_id: int | None, unit: Unit, names: dict[int, str], plans: dict[int, AdoptedPlan]
) -> str:
    if plan_unit_id is None:
        return "模板"
    if plan_unit_id == unit.id:
        return _own(plans, unit)
    return f"{names.get(plan_unit_id, str(plan_unit_id))} 的方案"


def _own(plans: dict[int, AdoptedPlan], unit: Unit) -> str:
    plan = plans.get(unit.id or 0)
    return f"本单位方案（第 {plan.version} 版，{plan.source_name}）" if plan else "本单位方案"
