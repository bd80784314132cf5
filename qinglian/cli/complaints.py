"""`qinglian complaints`: the confidential complaints (信访举报).

Complaint text and complainant contact are printed by `complaints case` alone, for the
discipline office of the case's managing unit; every other command prints ids and counts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import select

from models import Cadre
from qinglian.cli.common import (
    STAFF_NO,
    UNIT_CODE,
    AsOfToday,
    CampaignArg,
    CampaignOption,
    campaign_id_option,
    console,
    date_option,
    friendly,
    id_parser,
)
from qinglian.cli.database import (
    SkipInvalid,
    database_app,
    import_campaign_file,
    in_session,
    record_input,
)
from qinglian.complaints.cases import list_cases, read_case, record_verification
from qinglian.complaints.import_complaints import import_complaints
from qinglian.complaints.intake import add_complaint
from qinglian.complaints.review import assign_complaint, list_review_queue
from qinglian.complaints.visibility import complaint_status_by_receipt
from qinglian.core import db
from qinglian.core.clock import today_in_china
from qinglian.core.errors import QinglianError
from qinglian.org.units import get_unit_by_code

app = database_app("complaints", "信访举报（保密）/ complaints (confidential)")

CaseArg = Annotated[
    int,
    typer.Argument(
        parser=id_parser("案件编号", "case id"), metavar="CASE", help="案件编号 case id"
    ),
]
Office = Annotated[str, typer.Option(**UNIT_CODE, help="核实单位编码 the verifying unit")]


@app.command("import")
@friendly
def complaints_import(
    file: Path,
    campaign: CampaignOption,
    as_of: AsOfToday = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入信访举报件并匹配干部 / import complaints and match them to cadres."""
    report = import_campaign_file(import_complaints, file, campaign, as_of, skip_invalid)
    console.print(
        f"匹配 {report.matched}，待人工确认 {report.ambiguous}，未匹配 {report.unmatched}，"
        f"重复 {report.duplicates} / matched {report.matched}, ambiguous {report.ambiguous}, "
        f"unmatched {report.unmatched}, duplicates {report.duplicates}"
    )
    for receipt in report.receipts:
        console.print(
            f"第{receipt.row}行 匿名举报回执码 / receipt code: {receipt.code.get_secret_value()}"
        )


@app.command("add")
@friendly
def complaints_add(
    campaign: CampaignOption,
    channel: Annotated[
        str, typer.Option(help="渠道 举报电话/来信/来访/电子邮件/领导信箱/网上举报")
    ],
    accused: Annotated[str, typer.Option(help="被反映人 accused person")],
    unit: Annotated[str, typer.Option(help="被反映单位 accused unit, as written")],
    content: Annotated[str, typer.Option(help="内容 content")],
    category: Annotated[str | None, typer.Option(help="问题类别 alleged category")] = None,
    received: Annotated[str | None, typer.Option(help="收到日期 date received")] = None,
    anonymous: Annotated[bool, typer.Option("--anonymous", help="匿名 anonymous")] = False,
    contact: Annotated[str | None, typer.Option(help="反映人联系方式 contact")] = None,
) -> None:
    """登记一件举报（热线接线员用）/ record one complaint (for a hotline operator)."""
    campaign_id = campaign_id_option(campaign)
    today = today_in_china()
    day = date_option(received, "收到日期", "received") or today
    complaint, receipt = record_input(
        add_complaint,
        campaign_id=campaign_id,
        channel=channel,
        received_on=day,
        anonymous=anonymous,
        accused_name=accused,
        accused_unit=unit,
        alleged_category=category,
        content=content,
        contact=contact,
        as_of=today,
    )
    console.print(f"已登记 / recorded: 举报件 {complaint.id}（{complaint.status.value}）")
    if receipt:
        console.print(f"匿名举报回执码（只显示一次）/ receipt code (shown once): {receipt}")


@app.command("receipt")
@friendly
def complaints_receipt(code: str) -> None:
    """凭回执码查询办理状态 / look up a complaint's status by its receipt code."""
    console.print(in_session(complaint_status_by_receipt, receipt_code=code))


@app.command("queue")
@friendly
def complaints_queue(campaign: CampaignArg) -> None:
    """待人工确认的举报件及候选干部 / complaints waiting for a person to match them."""
    items = in_session(list_review_queue, campaign_id=campaign_id_option(campaign))
    table = Table(
        "举报件 complaint",
        "状态 status",
        "收到 received",
        "候选干部 candidates (cadre id: score)",
        title="待人工确认 / review queue",
    )
    for item in items:
        table.add_row(
            str(item.complaint_id),
            item.status.value,
            str(item.received_on),
            "；".join(f"{c.cadre_id}: {c.score:.2f}" for c in item.candidates),
        )
    console.print(table)


@app.command("assign")
@friendly
def complaints_assign(
    complaint: Annotated[
        int,
        typer.Argument(
            parser=id_parser("举报件编号", "complaint id"),
            metavar="COMPLAINT",
            help="举报件编号 complaint id",
        ),
    ],
    cadre: Annotated[str, typer.Argument(**STAFF_NO, help="干部工号 staff number")],
    by: Annotated[str, typer.Option(help="确认人 who decided")],
) -> None:
    """人工确认举报件所指干部 / say which cadre a complaint is about."""
    with db.session_scope() as session:
        cadre_row = session.exec(select(Cadre).where(Cadre.staff_no == cadre)).first()
        if cadre_row is None or cadre_row.id is None:
            raise QinglianError(f"没有工号「{cadre}」", f"no cadre with staff number {cadre!r}")
        assign_complaint(
            session=session,
            complaint_id=complaint,
            cadre_id=cadre_row.id,
            decided_by=by,
            decided_at=datetime.now(UTC),
        )
    console.print(f"已确认 / assigned: 举报件 {complaint} → {cadre}")


@app.command("cases")
@friendly
def complaints_cases(campaign: CampaignArg, office: Office) -> None:
    """本单位纪检部门负责核实的案件（不含举报内容）/ a discipline office's cases."""
    campaign_id = campaign_id_option(campaign)
    with db.session_scope() as session:
        office_unit = get_unit_by_code(session=session, code=office)
        assert office_unit.id is not None
        cases = list_cases(session=session, campaign_id=campaign_id, office_unit_id=office_unit.id)
    table = Table(
        "案件 case",
        "类别 alleged",
        "排查 check",
        "状态 status",
        "结论 outcome",
        title=f"{office_unit.name} 调查核实案件 / cases",
    )
    for case in cases:
        table.add_row(
            str(case.id),
            case.alleged_category.label if case.alleged_category else "",
            case.check_result.label,
            case.status.value,
            case.outcome.label if case.outcome else "",
        )
    console.print(table)


@app.command("case")
@friendly
def complaints_case(
    case: CaseArg,
    office: Office,
    reader: Annotated[str, typer.Option(help="阅件人 who reads (audited)")],
) -> None:
    """核实单位纪检部门阅看举报内容（留痕）/ the verifying office reads a case (audited)."""
    with db.session_scope() as session:
        office_unit = get_unit_by_code(session=session, code=office)
        assert office_unit.id is not None
        detail = read_case(
            session=session, case_id=case, office_unit_id=office_unit.id, reader=reader
        )
    console.print(f"案件 {detail.id}：{detail.accused_name}（{detail.accused_unit}）")
    for copy in [detail.complaint, *detail.duplicates]:
        contact = copy.contact.get_secret_value() if copy.contact else "匿名 anonymous"
        console.print(
            f"- 举报件 {copy.complaint_id} · {copy.channel.value} · {copy.received_on} · {contact}\n"
            f"  {copy.content.get_secret_value()}"
        )


@app.command("verify")
@friendly
def complaints_verify(
    case: CaseArg,
    outcome: Annotated[
        str, typer.Option(help="substantiated 属实 | partly 部分属实 | unsubstantiated 不属实")
    ],
    reason: Annotated[str, typer.Option(help="理由 reason")],
    by: Annotated[str, typer.Option(help="核实人 who decided")],
) -> None:
    """登记核实结论 / record a case's verification outcome."""
    view = record_input(
        record_verification,
        case_id=case,
        outcome=outcome,
        reason=reason,
        decided_by=by,
        decided_at=datetime.now(UTC),
    )
    console.print(f"已登记 / recorded: 案件 {view.id} · {view.outcome}")
