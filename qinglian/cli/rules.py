"""`qinglian rules`: the rules review (制度清单): each unit's list of rules to keep, revise,
repeal or write."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qinglian.cli.common import (
    UNIT_CODE,
    AsOf,
    CampaignArg,
    CampaignOption,
    as_of_or_today,
    campaign_id_option,
    console,
    date_option,
    friendly,
)
from qinglian.cli.database import (
    SkipInvalid,
    campaign_as_of,
    database_app,
    print_report,
    record_input,
)
from qinglian.core import db
from qinglian.org.units import get_unit_by_code
from qinglian.rectification.import_regulations import import_rules_review
from qinglian.rectification.regulations import (
    mark_rule_done,
    rules_review_status,
    sync_rules_review_deliverables,
)

app = database_app("rules", "制度清单 / rules review")


@app.command("import")
@friendly
def rules_import(
    file: Path,
    campaign: CampaignOption,
    as_of: Annotated[str | None, typer.Option("--as-of", help="导入日期 date listed")] = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入制度清单（保留/修订/废止/新建）/ import units' rules review lists."""
    campaign_id = campaign_id_option(campaign)
    day = as_of_or_today(as_of)
    # One session for both: the deliverables follow the lists, or neither is saved.
    with db.session_scope() as session:
        report = import_rules_review(
            session=session,
            campaign_id=campaign_id,
            path=file,
            skip_invalid=skip_invalid,
            as_of=day,
        )
        sync_rules_review_deliverables(session=session, campaign_id=campaign_id, listed_on=day)
    print_report(report)


@app.command("status")
@friendly
def rules_status(
    campaign: CampaignArg,
    unit: Annotated[str | None, typer.Option(**UNIT_CODE, help="单位编码 unit code")] = None,
    as_of: AsOf = None,
) -> None:
    """制度清单完成情况 / where each unit's rules review stands."""
    campaign_id, day = campaign_as_of(campaign, as_of)
    with db.session_scope() as session:
        unit_id = get_unit_by_code(session=session, code=unit).id if unit else None
        items = rules_review_status(
            session=session, campaign_id=campaign_id, as_of=day, unit_id=unit_id
        )
    table = Table(
        "单位 unit",
        "制度 rule",
        "处理 decision",
        "时限 due",
        "完成 done",
        "状态 state",
        title=f"制度清单（截至 {day}）/ rules review",
    )
    for item in items:
        table.add_row(
            item.unit_name,
            item.title,
            item.decision.label,
            str(item.due_on or ""),
            str(item.done_on or ""),
            item.state.label,
        )
    console.print(table)


@app.command("done")
@friendly
def rules_done(
    campaign: CampaignArg,
    unit: Annotated[str, typer.Argument(**UNIT_CODE, help="单位编码 unit code")],
    title: Annotated[str, typer.Argument(help="制度名称 rule title")],
    on: Annotated[str, typer.Option("--on", help="完成日期 date done")],
) -> None:
    """登记一项制度修订/废止/新建已完成 / record that a rule's change is done."""
    campaign_id = campaign_id_option(campaign)
    day = date_option(on, "日期", "date")
    record_input(mark_rule_done, campaign_id=campaign_id, unit_code=unit, title=title, done_on=day)
    console.print(f"已登记 / recorded: {unit} · {title} · {day}")
