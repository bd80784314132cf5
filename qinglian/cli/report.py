"""`qinglian report`: the written comprehensive report of a unit's subtree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qinglian.cli.common import (
    UNIT_CODE,
    CampaignArg,
    as_of_or_today,
    campaign_id_option,
    console,
    friendly,
)
from qinglian.cli.database import DatabaseGroup
from qinglian.core import db
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from qinglian.reporting.document.files import FORMATS, default_report_path, produce_report

app = typer.Typer(cls=DatabaseGroup)


@app.command("report")
@friendly
def report(
    campaign: CampaignArg,
    unit: Annotated[str, typer.Option(**UNIT_CODE, help="单位编码 unit code (its subtree only)")],
    fmt: Annotated[str, typer.Option("--format", help="docx | md | pdf")] = "docx",
    out: Annotated[Path | None, typer.Option(help="输出文件 output file")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期 as-of date")] = None,
) -> None:
    """书面综合情况报告（Word/Markdown/PDF）/ write the comprehensive report of a subtree."""
    campaign_id = campaign_id_option(campaign)
    if fmt not in FORMATS:
        raise QinglianError(
            f"不支持的格式「{fmt}」（可选：docx、md、pdf）",
            f"unknown format {fmt!r} (choose docx, md or pdf)",
        )
    day = as_of_or_today(as_of)
    with db.session_scope() as session:
        path = out or default_report_path(get_settings(), campaign_id, unit, day, fmt)  # type: ignore[arg-type]
        written = produce_report(
            session=session,
            campaign_id=campaign_id,
            unit_code=unit,
            as_of=day,
            fmt=fmt,  # type: ignore[arg-type]
            out=path,
        )
    console.print(str(written))
