"""Lagging units (工作滞后或问题较多): units over the campaign template's thresholds on ``as_of``.

Not to be confused with a unit *behind* (anything missing or overdue), which the phase
roll-up names (:mod:`qinglian.rules.rollup`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.enums import FindingStatus
from models.finding import Finding
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.sql import chunked
from qinglian.oversight.campaign_rules import campaign_lagging_thresholds
from qinglian.oversight.open_items import open_items
from qinglian.rules.ladder import LaggingThresholds, UnitLoad, lagging_units

_OPEN_FINDINGS = (
    FindingStatus.open,
    FindingStatus.verifying,
    FindingStatus.confirmed,
    FindingStatus.rectifying,
)


class LaggingUnit(BaseModel):
    unit_id: int
    code: str
    name: str
    overdue_items: int
    open_findings: int


def unit_loads(*, session: Session, campaign_id: int, as_of: date) -> dict[int, UnitLoad]:
    """Per unit: items overdue on ``as_of`` (every kind) and findings not yet rectified."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    overdue: dict[int, int] = defaultdict(int)
    for item in open_items(
        session=session, campaign=campaign, as_of=as_of, due_by=as_of - timedelta(days=1)
    ):
        overdue[item.unit_id] += 1
    findings = dict(
        session.exec(
            select(Finding.unit_id, func.count())
            .where(
                col(Finding.campaign_id) == campaign_id,
                col(Finding.status).in_(_OPEN_FINDINGS),
                col(Finding.found_on) <= as_of,
            )
            .group_by(col(Finding.unit_id))
        ).all()
    )
    return {
        unit_id: UnitLoad(
            overdue_items=overdue.get(unit_id, 0), open_findings=findings.get(unit_id, 0)
        )
        for unit_id in overdue.keys() | findings.keys()
    }


def find_lagging_units(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    thresholds: LaggingThresholds | None = None,
) -> list[LaggingUnit]:
    """The campaign's lagging units (工作滞后或问题较多), the heaviest first."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    loads = unit_loads(session=session, campaign_id=campaign_id, as_of=as_of)
    ids = lagging_units(loads, thresholds or campaign_lagging_thresholds(campaign))
    names: dict[int, tuple[str, str]] = {}
    for chunk in chunked(ids):
        for unit_id, code, name in session.exec(
            select(Unit.id, Unit.code, Unit.name).where(col(Unit.id).in_(chunk))
        ):
            names[unit_id or 0] = (code, name)
    return [
        LaggingUnit(
            unit_id=unit_id,
            code=names[unit_id][0],
            name=names[unit_id][1],
            overdue_items=loads[unit_id].overdue_items,
            open_findings=loads[unit_id].open_findings,
        )
        for unit_id in ids
    ]
