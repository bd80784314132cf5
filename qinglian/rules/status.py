"""A deliverable's status on a given day."""

from __future__ import annotations

from datetime import date

from models.enums import DeliverableStatus


def deliverable_status(due_on: date, submitted_on: date | None, as_of: date) -> DeliverableStatus:
    """Status as seen on ``as_of``; a submission dated after ``as_of`` has not happened yet."""
    if submitted_on is not None and submitted_on <= as_of:
        return DeliverableStatus.on_time if submitted_on <= due_on else DeliverableStatus.late
    return DeliverableStatus.pending if as_of <= due_on else DeliverableStatus.missing
