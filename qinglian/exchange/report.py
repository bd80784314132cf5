"""The outcome of one import: counts per outcome and the rejected rows, in both languages."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from qinglian.core.errors import RowError


class ImportReport(BaseModel):
    """What one import did: counts per outcome, and the rows it quarantined."""

    file: str
    sheet: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = []
    rejected_file: Path | None = None

    @property
    def rejected_rows(self) -> int:
        return len({error.row for error in self.rejected})
