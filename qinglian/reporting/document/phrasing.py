"""How the report words its figures: Chinese dates, rates, counts and their totals."""

from __future__ import annotations

from datetime import date

from models.enums import RectificationStatus
from models.rate import ReportingRate
from models.report import ReportData
from qinglian.reporting.document.charts import format_percent

NONE = "—"
RATE_HEADER = ("应报", "按时", "逾期", "未报", "未到期", "报送率", "按时报送率")

_CLOSED = (RectificationStatus.done.label, RectificationStatus.verified.label)


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def rate_cells(rate: ReportingRate) -> tuple[object, ...]:
    """A reporting rate's cells under ``RATE_HEADER``."""
    return (
        rate.expected,
        rate.on_time,
        rate.late,
        rate.missing,
        rate.pending,
        percent_of(rate),
        percent_of(rate, on_time=True),
    )


def percent_of(rate: ReportingRate, *, on_time: bool = False) -> str:
    """A reporting rate, or a dash while nothing is due: 100% of nothing says nothing."""
    if not rate.due:
        return NONE
    return format_percent(rate.on_time_rate if on_time else rate.rate)


def items(counts: dict[str, int]) -> list[tuple[str, int]]:
    """The labelled counts that are not zero, in their order."""
    return [(label, n) for label, n in counts.items() if n]


def with_total(counts: dict[str, int]) -> list[tuple[str, int]]:
    """A count table's rows: the counts that are not zero, then 合计."""
    return [*items(counts), ("合计", sum(counts.values()))]


def counts_phrase(counts: dict[str, int], unit: str) -> str:
    """``已完成2项、整改中3项``: the counts that are not zero, with their measure word."""
    return "、".join(f"{label}{n}{unit}" for label, n in items(counts))


def closed(data: ReportData) -> int:
    """Rectification items done or verified."""
    return sum(data.rectification_by_status.get(label, 0) for label in _CLOSED)


def open_items(data: ReportData) -> int:
    """Rectification items not yet done."""
    return sum(data.rectification_by_status.values()) - closed(data)
