"""The rectify phase's work: every confirmed finding gets an item; each unit's items roll up.

``assess_rectification`` runs inside the unit's own flow run as a plain function, not a task
(see tasks/progress.py for the measured reason).
"""

from __future__ import annotations

from datetime import date

from prefect import task

from models.outcome import UnitRectification, UnitRunInput
from qinglian.core.db import session_scope
from qinglian.rectification.items import ensure_rectification_items, unit_rectification
from tasks.publish import DB_RETRIES


@task(**DB_RETRIES)
def ensure_items(campaign_id: int, default_due: date) -> int:
    """One rectification item per confirmed finding (限期整改); returns how many are new."""
    with session_scope() as session:
        return ensure_rectification_items(
            session=session, campaign_id=campaign_id, default_due=default_due
        )


def assess_rectification(params: UnitRunInput) -> UnitRectification:
    """The unit's own rectification items on ``as_of``, by status, and how many overdue."""
    with session_scope() as session:
        return unit_rectification(
            session=session,
            campaign_id=params.campaign_id,
            unit_id=params.unit.unit_id,
            as_of=params.as_of,
        )
