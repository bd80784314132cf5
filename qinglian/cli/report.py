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
    id_parser,
)
from qinglian.cli.database import DatabaseGroup
from qinglian.core import db
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from qinglian.reporting.document.data import collect_report_data
from qinglian.reporting.document.files import FORMATS, check_destination, default_report_path
from qinglian.reporting.document.frame import FrameOptions
from qinglian.reporting.document.render import write_report

app = typer.Typer(cls=DatabaseGroup)

# The longest 发文机关, 机关代字, 主送 and 抄送 a 公文 prints on a line or two.
_LONGEST = {"--issuer": 60, "--code": 20, "--to": 200, "--cc": 200}


@app.command("report")
@friendly
def report(
    campaign: CampaignArg,
    unit: Annotated[str, typer.Option(**UNIT_CODE, help="单位编码 unit code (its subtree only)")],
    fmt: Annotated[str, typer.Option("--format", help="docx | md | pdf")] = "docx",
    out: Annotated[Path | None, typer.Option(help="输出文件 output file")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期 as-of date")] = None,
    number: Annotated[
        int | None,
        typer.Option(
            "--number",
            parser=id_parser("发文顺序号", "document number"),
            help="发文顺序号，如 12 → 〔2012〕12号；不给则留空待登记 / the document's serial "
            "number; unset: left blank for the registry",
        ),
    ] = None,
    code: Annotated[
        str | None, typer.Option("--code", help="机关代字 the issuer's code, e.g. 苏卫监察发")
    ] = None,
    issuer: Annotated[
        str | None, typer.Option("--issuer", help="发文机关 the issuing office (红头, 落款)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="主送机关 addressed to")] = None,
    cc: Annotated[str | None, typer.Option("--cc", help="抄送机关 copied to")] = None,
) -> None:
    """书面综合情况报告（Word 公文/Markdown/PDF）/ write the comprehensive report of a subtree."""
    campaign_id = campaign_id_option(campaign)
    if fmt not in FORMATS:
        raise QinglianError(
            f"不支持的格式「{fmt}」（可选：docx、md、pdf）",
            f"unknown format {fmt!r} (choose docx, md or pdf)",
        )
    day = as_of_or_today(as_of)
    options = FrameOptions(
        issuer=_line("--issuer", issuer),
        code=_line("--code", code),
        number=number,
        recipients=_line("--to", to),
        cc=_line("--cc", cc),
    )
    path = out or default_report_path(get_settings(), campaign_id, unit, day, fmt)  # type: ignore[arg-type]
    check_destination(path)
    with db.session_scope() as session:
        data = collect_report_data(
            session=session, campaign_id=campaign_id, unit_code=unit, as_of=day
        )
    written = write_report(data, path, fmt, options)  # type: ignore[arg-type]
    console.print(str(written))


def _line(option: str, text: str | None) -> str | None:
    """A name for the 版头 or 版记: one line of text, not too long; blank is unset."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    longest = _LONGEST[option]
    if len(text) > longest or any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise QinglianError(
            f"{option} 应为一行文字，不超过 {longest} 字",
            f"{option} must be one line of at most {longest} characters",
        )
    return text
