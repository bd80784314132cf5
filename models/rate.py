"""DHIS2-style reporting rates: counts of expected reports by status, adding up the tree."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from models.enums import DeliverableStatus


class ReportingRate(BaseModel):
    """Counts of expected reports by status; adds up the tree."""

    expected: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0

    @property
    def received(self) -> int:
        return self.on_time + self.late

    @property
    def due(self) -> int:
        """Reports that count on ``as_of``: those due by then, and those already in."""
        return self.expected - self.pending

    @property
    def rate(self) -> float:
        """Reporting rate, DHIS2-style: received of the reports due (1 when none is due yet).

        A report not yet due and not yet in does not lower the rate: mid-campaign, the rate says
        how well units keep their deadlines so far, not how much of the campaign is left.
        """
        return self.received / self.due if self.due else 1.0

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.due if self.due else 1.0

    def __add__(self, other: ReportingRate) -> ReportingRate:
        return ReportingRate(
            expected=self.expected + other.expected,
            on_time=self.on_time + other.on_time,
            late=self.late + other.late,
            missing=self.missing + other.missing,
            pending=self.pending + other.pending,
        )

    @classmethod
    def of(cls, statuses: Iterable[DeliverableStatus]) -> ReportingRate:
        counts = {status: 0 for status in DeliverableStatus}
        for status in statuses:
            counts[status] += 1
        return cls(expected=sum(counts.values()), **{s.value: n for s, n in counts.items()})

    @classmethod
    def total(cls, rates: Iterable[ReportingRate]) -> ReportingRate:
        result = cls()
        for rate in rates:
            result = result + rate
        return result

    def as_dict(self) -> dict[str, int | float]:
        return {
            "expected": self.expected,
            "received": self.received,
            "on_time": self.on_time,
            "late": self.late,
            "missing": self.missing,
            "pending": self.pending,
            "rate": round(self.rate, 4),
            "on_time_rate": round(self.on_time_rate, 4),
        }
