"""Deadlines: template dates shifted to a campaign's start, then cascaded down the tree."""

from __future__ import annotations

from datetime import date, timedelta

from qinglian.rules.workdays import next_working_day, previous_working_day, subtract_working_days


def shift_date(template_date: date, template_start: date, campaign_start: date) -> date:
    """A template date moved by the campaign's offset from the template's own start."""
    return template_date + (campaign_start - template_start)


def cascade_deadline(
    root_deadline: date, depth: int, days_per_level: int, *, not_before: date | None = None
) -> date:
    """A unit's upward deadline: its root's, ``days_per_level`` working days earlier per level.

    A child must report before its parent has to, so every level below the campaign root
    loses ``days_per_level`` working days. The result never falls before ``not_before``
    (the phase's first day): a deep tree in a short phase gets the phase's first working
    day, not a deadline already past when the phase opens.
    """
    if depth < 0:
        raise ValueError("depth must be >= 0")
    if depth == 0:
        return root_deadline
    due = subtract_working_days(root_deadline, days_per_level * depth)
    if not_before is not None and due < not_before:
        return next_working_day(not_before)
    return due


def relative_deadline(anchor: date, days: int) -> date:
    """A deadline ``days`` calendar days after an event (一周内书面上报 = 7 days)."""
    return anchor + timedelta(days=days)


def root_deadline(template_date: date, template_start: date, campaign_start: date) -> date:
    """The campaign root's deadline: shifted, and on a working day."""
    return previous_working_day(shift_date(template_date, template_start, campaign_start))
