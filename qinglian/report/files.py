"""Where reports go, and producing one for a unit's subtree."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from sqlmodel import Session

from qinglian.report.data import collect_report_data
from qinglian.report.render import write_report
from qinglian.settings import Settings

ReportFormat = Literal["docx", "md", "pdf"]
FORMATS: tuple[ReportFormat, ...] = ("docx", "md", "pdf")


def reports_dir(settings: Settings, campaign_id: int) -> Path:
    """``QINGLIAN_HOME/output/reports/campaign-<id>/``."""
    return settings.output_dir / "reports" / f"campaign-{campaign_id}"


def default_report_path(
    settings: Settings, campaign_id: int, unit_code: str, as_of: date, fmt: ReportFormat
) -> Path:
    return (
        reports_dir(settings, campaign_id) / f"综合情况报告-{unit_code}-{as_of.isoformat()}.{fmt}"
    )


def produce_report(
    *,
    session: Session,
    campaign_id: int,
    unit_code: str,
    as_of: date,
    fmt: ReportFormat,
    out: Path,
) -> Path:
    """Collect the subtree's figures, then write the report; nothing is written on an error."""
    data = collect_report_data(
        session=session, campaign_id=campaign_id, unit_code=unit_code, as_of=as_of
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_report(data, out, fmt)
