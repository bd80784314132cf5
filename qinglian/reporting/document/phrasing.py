"""How the report words its figures: Chinese dates, rates, counts and their totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from models.enums import RectificationStatus
from models.rate import ReportingRate
from models.report import LaggingLine, ReportData
from qinglian.reporting.document.charts import format_percent

NONE = "—"
RATE_HEADER = ("应报", "按时", "逾期", "未报", "未到期", "报送率", "按时报送率")

# Lists of units: up to PLAIN_UNITS named plainly, more grouped by parent (the report's child
# they fall under) with counts, and past NAMED_UNITS each parent's count only (a national
# report's hundreds of names say nothing).
PLAIN_UNITS = 10
NAMED_UNITS = 40
OWN_CHILDREN = "直属单位"
NO_PARENT = "其他"

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


def own_line(lines: Sequence[LaggingLine], own_code: str) -> LaggingLine | None:
    """The report's own unit among ``lines``, if it is there: it is told in its own sentence."""
    return next((line for line in lines if line.code == own_code), None)


def below(lines: Sequence[LaggingLine], own_code: str) -> list[LaggingLine]:
    """``lines`` without the report's own unit: a unit never supervises itself."""
    return [line for line in lines if line.code != own_code]


def unit_list(lines: Sequence[LaggingLine], own_code: str, *, reasons: bool = False) -> str:
    """Units as a report names them: up to ten plainly (``A、B``, or ``A（…）；B（…）`` with
    ``reasons``); more grouped by parent with counts, ``连云港市卫生局（5个）：A、B…；…``.

    The parent is the report's direct child a unit falls under (the level the report's unit
    supervises, 一级抓一级); a list of the report's children themselves is one group, 直属单位.
    Past ``NAMED_UNITS`` units, each parent's count stands for its names.
    """
    if len(lines) <= PLAIN_UNITS:
        if reasons:
            return "；".join(f"{line.name}（{line.reason}）" for line in lines)
        return "、".join(line.name for line in lines)
    groups: dict[str, list[LaggingLine]] = {}
    for line in lines:
        groups.setdefault(line.branch_code, []).append(line)
    labels = {
        code: OWN_CHILDREN if code == own_code else (group[0].branch_name or NO_PARENT)
        for code, group in groups.items()
    }
    if len(lines) > NAMED_UNITS:
        return "、".join(f"{labels[code]}{len(group)}个" for code, group in groups.items())
    return "；".join(
        f"{labels[code]}（{len(group)}个）：{'、'.join(line.name for line in group)}"
        for code, group in groups.items()
    )


def children_as_lines(data: ReportData, names: Iterable[str]) -> list[LaggingLine]:
    """The report's children named in ``names``, as lines to list: one group, 直属单位."""
    return [
        LaggingLine(name=name, reason="", branch_code=data.unit_code, branch_name=data.unit_name)
        for name in names
    ]
