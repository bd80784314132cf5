"""The rectify phase's campaign-wide work: every confirmed finding gets an item (限期整改).

Each unit's own items are counted by the phase pass, set-based with the rest of its figures
(:mod:`qinglian.reporting.phase_pass`), and roll up with the unit tree.
"""

from __future__ import annotations

from datetime import date

from prefect import task

from qinglian.core.db import session_scope
from qinglian.rectification.creation import ensure_rectification_items
from tasks.retries import DB_RETRIES


@task(**DB_RETRIES)
def ensure_items(campaign_id: int, default_due: date) -> int:
    """One rectification item per confirmed finding (限期整改); returns how many are new."""
    with session_scope() as session:
        return ensure_rectification_items(
            session=session, campaign_id=campaign_id, default_due=default_due
        )
