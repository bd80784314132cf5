"""`qinglian rectify`: the rectification items of confirmed findings, from planned to
verified."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from models.enums import RectificationStatus, VerificationOutcome
from qinglian.cli.common import (
    AsOf,
    AsOfToday,
    CampaignArg,
    CampaignOption,
    as_of_or_today,
    campaign_id_option,
    coded,
    console,
    friendly,
    id_parser,
    required_date,
)
from qinglian.cli.database import (
    SkipInvalid,
    database_app,
    import_campaign_file,
    in_session,
    record_input,
)
from qinglian.rectification.creation import ensure_rectification_items
from qinglian.rectification.import_ledger import import_rectification
from qinglian.rectification.progress import extend_rectification, update_rectification_status
from qinglian.rectification.rollup import list_rectification_items
from qinglian.rectification.verification import verify_rectification

app = database_app("rectify", "整改纠正 / rectification")

ItemArg = Annotated[
    int,
    typer.Argument(
        parser=id_parser("整改事项编号", "item id"), metavar="ITEM", help="整改事项编号 item id"
    ),
]
On = Annotated[str, typer.Option("--on", help="日期 date")]


@app.command("ensure")
@friendly
def rectify_ensure(
    campaign: CampaignArg,
    due: Annotated[str, typer.Option(help="默认整改时限 default deadline")],
) -> None:
    """为每条已确认的问题线索建立整改事项 / one rectification item per confirmed finding."""
    campaign_id = campaign_id_option(campaign)
    day = required_date(due, "整改时限", "due")
    created = record_input(ensure_rectification_items, campaign_id=campaign_id, default_due=day)
    console.print(f"新建整改事项 {created} 项 / created {created} rectification items")


@app.command("import")
@friendly
def rectify_import(
    file: Path,
    campaign: CampaignOption,
    as_of: AsOfToday = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入或更新整改事项（XLSX/XLS/ET/CSV）/ import or update rectification items."""
    import_campaign_file(import_rectification, file, campaign, as_of, skip_invalid)


@app.command("list")
@friendly
def rectify_list(
    campaign: CampaignArg,
    as_of: AsOf = None,
) -> None:
    """整改事项及其进度 / rectification items and where they stand."""
    campaign_id = campaign_id_option(campaign)
    day = as_of_or_today(as_of)
    items = in_session(list_rectification_items, campaign_id=campaign_id, as_of=day)
    table = Table(
        "#",
        "单位 unit",
        "类别 category",
        "时限 due",
        "状态 status",
        "逾期天数 overdue",
        title=f"整改事项（截至 {day}）/ rectification items",
    )
    for item in items:
        table.add_row(
            str(item.id),
            item.unit_name,
            item.category.label,
            str(item.due_on),
            item.status.value,
            str(item.days_overdue or ""),
        )
    console.print(table)


@app.command("status")
@friendly
def rectify_status(
    item: ItemArg,
    status: Annotated[
        RectificationStatus,
        typer.Option(
            **coded(RectificationStatus, "整改状态", "--status"),
            help="整改状态 in_progress 整改中 | done 已完成 (verified: use `rectify verify`)",
        ),
    ],
    on: On,
    evidence: Annotated[str | None, typer.Option(help="整改证据 evidence")] = None,
) -> None:
    """更新整改进度 / move an item on (planned → in_progress → done)."""
    day = required_date(on, "日期", "date")
    view = record_input(
        update_rectification_status,
        item_id=item,
        status=status,
        changed_on=day,
        evidence=evidence,
    )
    console.print(f"已更新 / updated: 整改事项 {view.id} · {view.status.value}")


@app.command("extend")
@friendly
def rectify_extend(
    item: ItemArg,
    to: Annotated[str, typer.Option(help="新的时限 new deadline")],
    reason: Annotated[str, typer.Option(help="理由 reason")],
    by: Annotated[str, typer.Option(help="批准人 granted by")],
) -> None:
    """批准延期 / grant an extension, with its reason."""
    day = required_date(to, "时限", "deadline")
    view = record_input(
        extend_rectification,
        item_id=item,
        new_due_on=day,
        reason=reason,
        granted_by=by,
        granted_at=datetime.now(UTC),
    )
    console.print(f"已延期 / extended: 整改事项 {view.id} → {view.due_on}")


@app.command("verify")
@friendly
def rectify_verify(
    item: ItemArg,
    outcome: Annotated[
        VerificationOutcome,
        typer.Option(
            **coded(VerificationOutcome, "验收结论", "--outcome"),
            help="验收结论 passed 通过 | rejected 退回",
        ),
    ],
    by: Annotated[str, typer.Option(help="验收人 who verified")],
    on: On,
    note: Annotated[str, typer.Option(help="意见 note")] = "",
) -> None:
    """管理单位验收整改 / the managing unit verifies a done item."""
    day = required_date(on, "日期", "date")
    view = record_input(
        verify_rectification,
        item_id=item,
        by=by,
        outcome=outcome,
        note=note,
        verified_on=day,
    )
    console.print(f"已验收 / verified: 整改事项 {view.id} · {view.status.value}")
