"""The written comprehensive report (书面综合情况报告) for any unit's subtree, on demand."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from prefect import flow, task
from prefect.artifacts import create_link_artifact
from pydantic import BaseModel, Field

from qinglian.core.clock import today_in_china
from qinglian.core.db import session_scope
from qinglian.core.settings import get_settings
from qinglian.reporting.artifacts import artifact_key
from qinglian.reporting.document.files import default_report_path, produce_report
from tasks.publish import DB_RETRIES


class ReportInput(BaseModel):
    """Write the comprehensive report of one unit's subtree."""

    campaign_id: int = Field(ge=1, description="专项活动编号 campaign id")
    unit_code: str = Field(min_length=1, description="单位编码 unit code (its subtree only)")
    format: Literal["docx", "md", "pdf"] = Field(default="docx", description="格式 format")
    as_of: date | None = Field(default=None, description="截至日期 (simulated clock)")


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


@flow(
    name="report",
    flow_run_name="综合情况报告 · {params.unit_code}（专项活动 {params.campaign_id}）",
)
def write_report_flow(params: ReportInput) -> str:
    """Write the report and link it from the run's artifacts."""
    as_of = params.as_of or today_in_china()
    path = write_unit_report(params, as_of)
    create_link_artifact(
        key=artifact_key(
            params.campaign_id, "report", f"{params.unit_code.lower()}-{params.format}"
        ),
        link=path.resolve().as_uri(),
        link_text=path.name,
        description=f"书面综合情况报告 · {params.unit_code}",
    )
    return str(path)
