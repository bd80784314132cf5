"""`qinglian forms`: the declaration forms (《报告表》): blank workbooks out, filled ones in,
and the signed paper forms printed from what came in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import select

from models import Campaign
from qinglian.cli.common import (
    STAFF_NO,
    UNIT_CODE,
    AnyCampaign,
    CampaignArg,
    as_of_or_today,
    console,
    friendly,
    require_xlsx,
)
from qinglian.cli.database import SkipInvalid, database_app, import_file, in_session
from qinglian.core import db
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from qinglian.declarations.import_forms import import_forms
from qinglian.declarations.printable import default_printable_path, write_printable_forms
from qinglian.declarations.workbook import default_template_path, write_form_template

app = database_app("forms", "《报告表》/ declaration forms")

CampaignOrOnly = AnyCampaign  # the campaign named, or the only one there is


@app.command("template")
@friendly
def forms_template(
    unit: Annotated[str, typer.Argument(**UNIT_CODE, help="单位编码 unit code")],
    out: Annotated[
        Path | None,
        typer.Option(
            help="输出文件 output .xlsx (default: QINGLIAN_HOME/output/templates/campaign-ID/"
            "报告表-CODE.xlsx)"
        ),
    ] = None,
    campaign: CampaignOrOnly = None,
) -> None:
    """生成本单位空白《报告表》工作簿 / write the unit's blank form workbook."""
    campaign_id = _default_campaign(campaign)
    if out is not None:
        require_xlsx(out)
    path = out or default_template_path(get_settings(), campaign_id, unit)
    path = in_session(write_form_template, campaign_id=campaign_id, unit_code=unit, path=path)
    console.print(f"已生成 / written: {path}")


@app.command("import")
@friendly
def forms_import(
    file: Path,
    campaign: CampaignOrOnly = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="收到日期 date received")] = None,
    reason: Annotated[
        str | None, typer.Option(help="更正理由（修改已报的表时必填）/ amendment reason")
    ] = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入《报告表》（XLSX 或每表一个 CSV）/ import declaration forms."""
    day = as_of_or_today(as_of)
    report = import_file(
        import_forms,
        path=file,
        campaign_id=_default_campaign(campaign),
        as_of=day,
        skip_invalid=skip_invalid,
        reason=reason,
    )
    console.print(
        f"按时 {report.on_time} 份，逾期 {report.late} 份 / on time {report.on_time}, "
        f"late {report.late}"
    )


@app.command("print")
@friendly
def forms_print(
    campaign: CampaignArg,
    unit: Annotated[str, typer.Option("--unit", **UNIT_CODE, help="单位编码 unit code")],
    cadre: Annotated[
        list[str] | None,
        typer.Option("--cadre", **STAFF_NO, help="只打印这些工号（可重复）/ only these, repeat"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="输出文件 output .xlsx (default: QINGLIAN_HOME/output/forms/campaign-ID/"
            "报告表打印-CODE.xlsx)"
        ),
    ] = None,
) -> None:
    """打印《报告表》：每人一页，含本人签字和日期栏 / printable forms, one cadre a sheet."""
    if out is not None:
        require_xlsx(out)
    staff_nos = list(dict.fromkeys(cadre or ()))
    path = out or default_printable_path(get_settings(), campaign, unit, staff_nos)
    printed = in_session(
        write_printable_forms,
        campaign_id=campaign,
        unit_code=unit,
        staff_nos=staff_nos,
        path=path,
    )
    # Counts only: the file holds the names, the terminal (and its scrollback) does not.
    console.print(
        f"已生成 / written: {printed.path}（{printed.cadres} 人 cadres；其中 {printed.blank} 份"
        f"尚未填报，为空白表，请手工填写 / {printed.blank} blank, not filed yet）",
        soft_wrap=True,
    )


def _default_campaign(campaign: int | None) -> int:
    """The campaign named, or the only one there is."""
    if campaign is not None:
        return campaign
    with db.session_scope() as session:
        ids = session.exec(select(Campaign.id)).all()
    if len(ids) != 1:
        raise QinglianError(
            "请用 --campaign 指定专项活动编号（`qinglian campaign list`）",
            "name the campaign with --campaign (see `qinglian campaign list`)",
        )
    assert ids[0] is not None
    return ids[0]
