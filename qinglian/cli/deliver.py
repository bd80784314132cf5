"""`qinglian deliver`: record that units delivered what a phase asks of them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.campaigns.launch import record_delivery, record_leading_group
from qinglian.cli.common import (
    UNIT_CODE,
    CampaignArg,
    CampaignOption,
    campaign_id_option,
    console,
    friendly,
    required_date,
)
from qinglian.cli.database import SkipInvalid, database_app, import_file, record_input

app = database_app("deliver", "登记上报事项 / record deliverables")

UnitArg = Annotated[str, typer.Argument(**UNIT_CODE, help="单位编码 unit code")]


@app.command("record")
@friendly
def deliver_record(
    campaign: CampaignArg,
    unit: UnitArg,
    item: Annotated[str, typer.Argument(help="事项 deliverable key, e.g. mobilization_meeting")],
    on: Annotated[str, typer.Option("--on", help="完成/提交日期 date done or submitted")],
    note: Annotated[str, typer.Option(help="说明 note")] = "",
) -> None:
    """登记某单位完成一项上报事项 / record that a unit delivered an item."""
    campaign_id = campaign_id_option(campaign)
    day = required_date(on, "日期", "date")
    row = record_input(
        record_delivery,
        campaign_id=campaign_id,
        unit_code=unit,
        kind=item,
        submitted_on=day,
        note=note,
    )
    console.print(f"已登记 / recorded: {unit} · {row.title} · {day}（截止 due {row.due_on}）")


@app.command("leading-group")
@friendly
def deliver_leading_group(
    campaign: CampaignArg,
    unit: UnitArg,
    on: Annotated[str, typer.Option("--on", help="成立日期 date set up")],
    office: Annotated[str, typer.Option(help="办公室设在 where the office sits")],
    leader: Annotated[list[str], typer.Option("--leader", help="组长 (repeat)")],
    deputy: Annotated[list[str] | None, typer.Option("--deputy", help="副组长 (repeat)")] = None,
    member: Annotated[list[str] | None, typer.Option("--member", help="成员 (repeat)")] = None,
) -> None:
    """登记领导小组和办公室 / record the leading group and its office."""
    campaign_id = campaign_id_option(campaign)
    day = required_date(on, "日期", "date")
    record_input(
        record_leading_group,
        campaign_id=campaign_id,
        unit_code=unit,
        submitted_on=day,
        office=office,
        leaders=leader,
        deputies=deputy,
        members=member,
    )
    console.print(f"已登记领导小组 / leading group recorded: {unit} · {day}")


@app.command("import")
@friendly
def deliver_import(file: Path, campaign: CampaignOption, skip_invalid: SkipInvalid = False) -> None:
    """从 XLSX/XLS/ET/CSV 批量登记上报事项 / record deliverables from a file."""
    campaign_id = campaign_id_option(campaign)
    import_file(import_deliveries, campaign_id=campaign_id, path=file, skip_invalid=skip_invalid)
