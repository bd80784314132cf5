"""`qinglian findings`: list the findings and review them (confirm or dismiss)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from qinglian.campaigns.lookup import get_campaign
from qinglian.cli.common import (
    UNIT_CODE,
    CampaignArg,
    campaign_id_option,
    console,
    friendly,
    id_parser,
)
from qinglian.cli.database import database_app, inputs_locked
from qinglian.core import db
from qinglian.declarations.findings import list_findings, review_findings
from qinglian.org.units import get_unit_by_code

app = database_app("findings", "问题线索 / findings")

FindingIds = Annotated[
    list[int],
    typer.Argument(
        parser=id_parser("问题线索编号", "finding id"),
        metavar="FINDING…",
        help="问题线索编号 finding ids",
    ),
]


@app.command("list")
@friendly
def findings_list(
    campaign: CampaignArg,
    unit: Annotated[
        str | None, typer.Option(**UNIT_CODE, help="单位编码 unit code (and below)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出")] = False,
) -> None:
    """列出问题线索 / list findings (a unit's subtree with --unit)."""
    campaign_id = campaign_id_option(campaign)
    with db.session_scope() as session:
        get_campaign(session=session, campaign_id=campaign_id)
        unit_id = get_unit_by_code(session=session, code=unit).id if unit else None
        findings = list_findings(
            session=session, campaign_id=campaign_id, unit_id=unit_id, subtree=True
        )
    if as_json:
        typer.echo(
            json.dumps([f.model_dump(mode="json") for f in findings], ensure_ascii=False, indent=2)
        )
        return
    table = Table(
        "#",
        "单位 unit",
        "类别 category",
        "来源 source",
        "状态 status",
        "摘要 summary",
        "发现 found",
        title=f"问题线索 / findings ({len(findings)})",
    )
    for finding in findings:
        table.add_row(
            str(finding.id),
            finding.unit_code,
            finding.category.label,
            finding.source.value,
            finding.status.value,
            finding.summary,
            str(finding.found_on),
        )
    console.print(table)


@app.command("confirm")
@friendly
def findings_confirm(campaign: CampaignArg, ids: FindingIds) -> None:
    """确认问题线索（进入限期整改）/ confirm findings: each then gets a rectification item."""
    _review(campaign, ids, confirm=True)


@app.command("dismiss")
@friendly
def findings_dismiss(campaign: CampaignArg, ids: FindingIds) -> None:
    """排除问题线索（经核实不构成问题）/ dismiss findings."""
    _review(campaign, ids, confirm=False)


def _review(campaign: int, ids: list[int], *, confirm: bool) -> None:
    campaign_id = campaign_id_option(campaign)
    finding_ids = ids
    with inputs_locked(), db.session_scope() as session:  # what a phase reads: it waits
        get_campaign(session=session, campaign_id=campaign_id)
        changed = review_findings(
            session=session, campaign_id=campaign_id, finding_ids=finding_ids, confirm=confirm
        )
    what = "已确认 / confirmed" if confirm else "已排除 / dismissed"
    console.print(f"{what}: {changed} 条（共 {len(set(finding_ids))} 条）")
