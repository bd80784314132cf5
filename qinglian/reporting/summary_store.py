"""Phase summaries as stored: each phase run records every unit's figures, `summary show` reads
them back. Re-running a phase refreshes the figures and never touches a narrative.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from models import Phase
from models.campaign import utcnow
from models.summary import PhaseSummary, SummaryFigures, UnitSummary
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.org.units import get_unit_by_code
from qinglian.reporting.scope import check_in_campaign
from qinglian.reporting.summary_figures import compute_summaries, walk


def record_phase_summaries(
    *, session: Session, campaign_id: int, phase_key: str, as_of: date
) -> UnitSummary:
    """Store every unit's figures for the phase (narratives untouched); idempotent."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    phase = get_phase(session=session, campaign=campaign, key=phase_key)
    tree = compute_summaries(
        session=session, campaign_id=campaign_id, as_of=as_of, phase_key=phase_key
    )
    # Core statements, not one ORM object per unit: a national tree has 50,000 summaries.
    existing = dict(
        session.exec(
            select(PhaseSummary.unit_id, PhaseSummary.id).where(
                PhaseSummary.campaign_id == campaign_id, PhaseSummary.phase_id == phase.id
            )
        ).all()
    )
    now = utcnow()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for node in walk(tree):
        values = {
            "figures": {
                "own": node.own.model_dump(mode="json"),
                "subtree": node.subtree.model_dump(mode="json"),
            },
            "lagging_children": node.lagging_children,
            "computed_as_of": as_of,
            "updated_at": now,
        }
        row_id = existing.get(node.unit_id)
        if row_id is None:
            new.append(
                values
                | {
                    "campaign_id": campaign_id,
                    "phase_id": phase.id,
                    "unit_id": node.unit_id,
                    "narrative": "",
                    "narrative_by": "",
                    "submitted_on": None,
                }
            )
        else:
            changed.append(values | {"id": row_id})
    if new:
        session.execute(insert(PhaseSummary), new)
    if changed:
        session.execute(update(PhaseSummary), changed)  # bulk UPDATE by primary key
    session.commit()
    return tree


class StoredSummary(BaseModel):
    """A unit's stored phase summary, as `summary show` prints it."""

    phase_key: str
    phase_title: str
    computed_as_of: date | None
    own: SummaryFigures
    subtree: SummaryFigures
    lagging_children: list[str]
    narrative: str
    narrative_by: str
    submitted_on: date | None


def stored_summaries(*, session: Session, campaign_id: int, unit_code: str) -> list[StoredSummary]:
    """Every phase's stored summary for one unit, in phase order."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    unit = get_unit_by_code(session=session, code=unit_code)
    check_in_campaign(session=session, campaign=campaign, unit=unit)
    rows = session.exec(
        select(PhaseSummary, Phase)
        .join(Phase, col(Phase.id) == PhaseSummary.phase_id)
        .where(PhaseSummary.campaign_id == campaign_id, PhaseSummary.unit_id == unit.id)
        .order_by(Phase.seq)
    ).all()
    return [
        StoredSummary(
            phase_key=phase.key,
            phase_title=phase.title,
            computed_as_of=row.computed_as_of,
            own=SummaryFigures.model_validate(row.figures.get("own", {})),
            subtree=SummaryFigures.model_validate(row.figures.get("subtree", {})),
            lagging_children=list(row.lagging_children),
            narrative=row.narrative,
            narrative_by=row.narrative_by,
            submitted_on=row.submitted_on,
        )
        for row, phase in rows
    ]
