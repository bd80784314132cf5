"""Where reports go, and producing one for a unit's subtree."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from sqlmodel import Session

from qinglian.core.settings import Settings
from qinglian.exchange.output import check_writable, file_under
from qinglian.reporting.document.data import collect_report_data
from qinglian.reporting.document.output import cannot_write
from qinglian.reporting.document.render import ReportFormat, write_report

FORMATS: tuple[ReportFormat, ...] = ("docx", "md", "pdf")


def reports_dir(settings: Settings, campaign_id: int) -> Path:
    """``QINGLIAN_HOME/output/reports/campaign-<id>/``."""
    return settings.output_dir / "reports" / f"campaign-{campaign_id}"


def default_report_path(
    settings: Settings, campaign_id: int, unit_code: str, as_of: date, fmt: ReportFormat
) -> Path:
    """``reports/campaign-<id>/综合情况报告-<code>-<date>.<fmt>`` under the output folder,
    whatever the code holds (one stored before codes were checked)."""
    return _in_reports(settings, campaign_id, f"综合情况报告-{unit_code}-{as_of.isoformat()}.{fmt}")


def assessment_path(settings: Settings, campaign_id: int, as_of: date) -> Path:
    """``reports/campaign-<id>/年终考核-<date>.xlsx`` under the output folder."""
    return _in_reports(settings, campaign_id, f"年终考核-{as_of.isoformat()}.xlsx")


def _in_reports(settings: Settings, campaign_id: int, name: str) -> Path:
    return file_under(settings.output_dir, "reports", f"campaign-{campaign_id}", name)


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
    return produce_reports(
        session=session, campaign_id=campaign_id, unit_code=unit_code, as_of=as_of, outs={fmt: out}
    )[0]


def produce_reports(
    *,
    session: Session,
    campaign_id: int,
    unit_code: str,
    as_of: date,
    outs: Mapping[ReportFormat, Path],
) -> list[Path]:
    """The same report in several formats, its figures collected once; every destination is
    checked before anything is collected or written."""
    for out in outs.values():
        check_destination(out)
    data = collect_report_data(
        session=session, campaign_id=campaign_id, unit_code=unit_code, as_of=as_of
    )
    written = []
    for fmt, out in outs.items():
        out.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_report(data, out, fmt))
    return written


def check_destination(out: Path) -> None:
    """Refuse a folder, a place nobody may write to, or one the system will not let us fill
    (``/proc``), before any figure is collected; a missing folder is made later."""
    check_writable(out)
    if not out.parent.is_dir():
        return
    try:
        with tempfile.TemporaryFile(dir=out.parent, prefix=".qinglian-"):
            pass
    except OSError as exc:
        raise cannot_write(out, exc) from exc
