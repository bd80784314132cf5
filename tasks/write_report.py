"""The task that writes one unit's comprehensive report (书面综合情况报告) on demand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import task

from models.flow_inputs import ReportInput
from qinglian.core.db import session_scope
from qinglian.core.settings import get_settings
from qinglian.reporting.document.files import default_report_path, produce_report
from tasks.retries import DB_RETRIES


@task(**DB_RETRIES)
def write_unit_report(params: ReportInput, as_of: date) -> Path:
    """Collect the subtree's figures and write the document under QINGLIAN_HOME/output."""
    out = default_report_path(
        get_settings(), params.campaign_id, params.unit_code, as_of, params.format
    )
    with session_scope() as session:
        return produce_report(
            session=session,
            campaign_id=params.campaign_id,
            unit_code=params.unit_code,
            as_of=as_of,
            fmt=params.format,
            out=out,
        )
