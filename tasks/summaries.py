"""Phase summaries (阶段性总结) and the summarize phase's products: assessment and report."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from models.outcome import PhaseContext
from models.summary import UnitSummary
from qinglian.campaigns.launch import complete_campaign
from qinglian.core.db import session_scope
from qinglian.core.settings import get_settings
from qinglian.inspection.assessment import assessment_rows
from qinglian.inspection.assessment_xlsx import write_assessment_xlsx
from qinglian.reporting.artifacts import artifact_key
from qinglian.reporting.document.files import (
    assessment_path,
    default_report_path,
    produce_reports,
)
from qinglian.reporting.document.render import ReportFormat
from qinglian.reporting.summary_store import record_phase_summaries
from tasks.retries import DB_RETRIES


def _without_images(markdown: str) -> str:
    """The report for the UI: its charts are files beside the report, not reachable there."""
    return re.sub(
        r"^!\[[^\]]*\]\([^)]*\)$", "（图表见 Word 文档 / chart in the DOCX）", markdown, flags=re.M
    )


@task(**DB_RETRIES)
def record_summaries(context: PhaseContext, as_of: date) -> UnitSummary:
    """Every unit's phase summary figures, stored and rolled up (narratives untouched)."""
    with session_scope() as session:
        return record_phase_summaries(
            session=session,
            campaign_id=context.campaign_id,
            phase_key=context.phase_key,
            as_of=as_of,
        )


@task(**DB_RETRIES)
def export_assessment(context: PhaseContext, as_of: date) -> Path:
    """The year-end assessment table (年终考核) for every unit, as XLSX, linked in the UI."""
    path = assessment_path(get_settings(), context.campaign_id, as_of)
    with session_scope() as session:
        rows = assessment_rows(session=session, campaign_id=context.campaign_id, as_of=as_of)
    write_assessment_xlsx(rows, path, title=context.campaign_title, as_of=as_of)
    create_link_artifact(
        key=artifact_key(context.campaign_id, context.phase_key, "assessment"),
        link=path.resolve().as_uri(),
        link_text=f"年终考核表（{len(rows)} 个单位）",
        description=f"{context.campaign_title} · 年终考核基础表（截至 {as_of}）",
    )
    return path


@task(**DB_RETRIES)
def write_root_report(context: PhaseContext, as_of: date) -> list[Path]:
    """The root's written comprehensive report, Word and Markdown; completes the campaign."""
    settings = get_settings()
    outs: dict[ReportFormat, Path] = {
        fmt: default_report_path(settings, context.campaign_id, context.root.code, as_of, fmt)
        for fmt in ("docx", "md")
    }
    with session_scope() as session:
        paths = produce_reports(
            session=session,
            campaign_id=context.campaign_id,
            unit_code=context.root.code,
            as_of=as_of,
            outs=outs,
        )
        complete_campaign(
            session=session,
            campaign_id=context.campaign_id,
            completed_on=as_of,
            report_path=str(paths[0].resolve()),
        )
    for path in paths:
        create_link_artifact(
            key=artifact_key(context.campaign_id, "report", path.suffix.lstrip(".")),
            link=path.resolve().as_uri(),
            link_text=path.name,
            description=f"{context.root.name} 书面综合情况报告（{path.suffix.lstrip('.')}）",
        )
    get_run_logger().info(
        "%s 书面综合情况报告已生成，专项活动已完成：%s", context.root.name, paths[0].name
    )
    create_markdown_artifact(
        key=artifact_key(context.campaign_id, "report", "text"),
        markdown=_without_images(paths[1].read_text(encoding="utf-8")),
        description=f"{context.root.name} 书面综合情况报告（全文）",
    )
    return paths
