"""The find phase's work for one unit: its declarations' completeness and the problems in them.

Like ``assess_unit`` this runs inside the unit's own flow run as a plain function, not a task
(see tasks/progress.py for the measured reason).
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from models import Finding, Unit
from models.outcome import UnitForms, UnitRunInput
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.db import session_scope
from qinglian.declarations.completeness import (
    cadre_forms,
    forms_rate,
    missing_cadres,
    sync_forms_deliverable,
)
from qinglian.declarations.findings import detect_findings


def examine_unit_forms(params: UnitRunInput) -> UnitForms:
    """Completeness of the unit's own forms on ``as_of``; detection over them; their findings."""
    with session_scope() as session:
        campaign = get_campaign(session=session, campaign_id=params.campaign_id)
        unit = session.get(Unit, params.unit.unit_id)
        assert unit is not None and unit.id is not None
        forms = cadre_forms(
            session=session, campaign=campaign, root=unit, as_of=params.as_of, own_only=True
        ).get(unit.id, [])
        sync_forms_deliverable(
            session=session, campaign_id=params.campaign_id, unit_id=unit.id, forms=forms
        )
        counts = detect_findings(
            session=session, campaign_id=params.campaign_id, as_of=params.as_of, unit_ids=[unit.id]
        )
        by_category = session.exec(
            select(Finding.category, func.count())
            .where(Finding.campaign_id == params.campaign_id, Finding.unit_id == unit.id)
            .group_by(Finding.category)
        ).all()
        return UnitForms(
            rate=forms_rate(forms),
            missing=[f"{form.staff_no} {form.name}" for form in missing_cadres(forms)],
            findings={category.value: count for category, count in by_category},
            new_findings=counts.created,
        )
