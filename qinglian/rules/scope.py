"""Who must file a declaration in a campaign (适用对象, Article 2)."""

from __future__ import annotations

from datetime import date

YEARS_AFTER_LEAVING = 3


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (or earlier); 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def three_years_before(day: date) -> date:
    return add_years(day, -YEARS_AFTER_LEAVING)


def files_declaration(left_on: date | None, campaign_start: date) -> bool:
    """In-scope cadres file; so do those who left office within three years (离退休后从业回避)."""
    return left_on is None or left_on >= three_years_before(campaign_start)
