"""Declaration completeness: expected (in-scope cadres), received, on time, late, missing.

A cadre's form counts from its first submission (an amendment later does not make it late),
against the ``forms_collected`` deadline cascaded to the cadre's unit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date

from pydantic import BaseModel
from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from models import Cadre, Campaign, Declaration, Deliverable, DeliverableStatus, Level, Unit
from models.rate import ReportingRate
from qinglian.rules.scope import files_declaration
from qinglian.rules.status import deliverable_status

FORMS_DELIVERABLE = "forms_collected"


class CadreForm(BaseModel):
    """A cadre's form on ``as_of``; ``submitted_on`` may lie after it (then it is not yet in)."""

    cadre_id: int
    staff_no: str
    name: str
    due_on: date
    submitted_on: date | None
    status: DeliverableStatus


def cadre_forms(
    *,
    session: Session,
    campaign: Campaign,
    root: Unit,
    as_of: date,
    own_only: bool = False,
    levels: Collection[Level] | None = None,
) -> dict[int, list[CadreForm]]:
    """Every in-scope cadre under ``root`` (or of ``root`` only, or of units at ``levels``
    under it) with their form's status."""
    in_scope = col(Unit.id) == root.id if own_only else col(Unit.path).startswith(root.path)
    if levels is not None:
        in_scope = and_(in_scope, col(Unit.level).in_(list(levels)))
    dues = dict(
        session.exec(
            select(Deliverable.unit_id, Deliverable.due_on)
            .join(Unit, col(Unit.id) == Deliverable.unit_id)
            .where(
                Deliverable.campaign_id == campaign.id,
                Deliverable.kind == FORMS_DELIVERABLE,
                in_scope,
            )
        ).all()
    )
    if not dues:
        return {}
    first = dict(
        session.exec(
            select(Declaration.cadre_id, func.min(Declaration.submitted_on))
            .join(Unit, col(Unit.id) == Declaration.unit_id)
            .where(Declaration.campaign_id == campaign.id, in_scope)
            .group_by(Declaration.cadre_id)
        ).all()
    )
    cadres = session.exec(
        select(Cadre.id, Cadre.staff_no, Cadre.name, Cadre.unit_id, Cadre.left_on)
        .join(Unit, col(Unit.id) == Cadre.unit_id)
        .where(in_scope)
        .order_by(Cadre.staff_no)
    ).all()
    forms: dict[int, list[CadreForm]] = defaultdict(list)
    for cadre_id, staff_no, name, unit_id, left_on in cadres:
        if unit_id not in dues or not files_declaration(left_on, campaign.start_on):
            continue
        submitted = first.get(cadre_id)
        forms[unit_id].append(
            CadreForm(
                cadre_id=cadre_id,
                staff_no=staff_no,
                name=name,
                due_on=dues[unit_id],
                submitted_on=submitted,
                status=deliverable_status(dues[unit_id], submitted, as_of),
            )
        )
    return forms


def forms_rate(forms: Sequence[CadreForm]) -> ReportingRate:
    return ReportingRate.of(form.status for form in forms)


def missing_cadres(forms: Sequence[CadreForm]) -> list[CadreForm]:
    """Cadres whose form is overdue: shown to the unit's own office only."""
    return [form for form in forms if form.status is DeliverableStatus.missing]


def collected_on(forms: Sequence[CadreForm]) -> date | None:
    """When a unit had every expected form in: the last first-submission, or None if one lacks."""
    if not forms or any(form.submitted_on is None for form in forms):
        return None
    return max(form.submitted_on for form in forms if form.submitted_on)


def sync_forms_deliverable(
    *, session: Session, campaign_id: int, unit_id: int, forms: Sequence[CadreForm]
) -> None:
    """The unit's ``forms_collected`` item is submitted on the day its last form came in."""
    deliverable = session.exec(
        select(Deliverable).where(
            Deliverable.campaign_id == campaign_id,
            Deliverable.unit_id == unit_id,
            Deliverable.kind == FORMS_DELIVERABLE,
        )
    ).first()
    if deliverable is None or not forms:
        return
    day = collected_on(forms)
    if deliverable.submitted_on != day:
        deliverable.submitted_on = day
        session.add(deliverable)
