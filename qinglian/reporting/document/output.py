"""A report file appears whole or not at all; ``ReportError`` says why it did not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qinglian.core.errors import QinglianError
from qinglian.exchange import output


class ReportError(QinglianError):
    """The report could not be written; nothing was left behind."""


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Write a report file whole or not at all (:func:`qinglian.exchange.output.write_atomically`)."""
    return output.write_atomically(path, write, refuse=cannot_write)


def cannot_write(path: Path, exc: OSError) -> ReportError:
    """The report's file could not be written, and why (the system's own words)."""
    reason = exc.strerror or str(exc)
    return ReportError(
        f"无法写入报告 {path}（{reason}）", f"cannot write the report {path} ({reason})"
    )
