"""`qinglian complaints`: the confidential complaints (信访举报).

Complaint text and complainant contact are printed by `complaints case` alone, for the
discipline office of the case's managing unit; every other command prints ids and counts.
A complaint may name only a unit (`add` without `--accused`); two complaints that may be one
matter received by two channels are proposed as a link for a person to decide (`links`,
`link-confirm`, `link-reject`), and counted once when confirmed (`counts`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session, col, select

from models import Cadre
from models.enums import LinkStatus
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.cli.common import (
    STAFF_NO,
    UNIT_CODE,
    AsOfToday,
    CampaignArg,
    CampaignOption,
    campaign_id_option,
    coded,
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
from qinglian.complaints.link_review import confirm_link, list_links, reject_link
from qinglian.complaints.review import assign_complaint, list_review_queue
from qinglian.complaints.visibility import complaint_counts, complaint_status_by_receipt
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
LinkArg = Annotated[
    int,
    typer.Argument(
        parser=id_parser("关联编号", "link id"), metavar="LINK", help="关联编号 link id"
    ),
]
By = Annotated[str, typer.Option(help="确认人 who decided")]


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
    unit: Annotated[str, typer.Option(help="被反映单位 accused unit, as written")],
    content: Annotated[str, typer.Option(help="内容 content")],
    accused: Annotated[
        str,
        typer.Option(
            help="被反映人 accused person; 不填即反映单位 leave out for the unit as a whole"
        ),
    ] = "",
    category: Annotated[str | None, typer.Option(help="问题类别 alleged category")] = None,
    received: Annotated[str | None, typer.Option(help="收到日期 date received")] = None,
    anonymous: Annotated[bool, typer.Option("--anonymous", help="匿名 anonymous")] = False,
    contact: Annotated[str | None, typer.Option(help="反映人联系方式 contact")] = None,
) -> None:
    """登记一件举报（热线接线员用）/ record one complaint (for a hotline operator).

    不填被反映人即为反映单位的举报 / without --accused the complaint is about the unit.
    """
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
    about = "反映单位 about the unit" if complaint.about_unit else "反映个人 about a person"
    console.print(f"已登记 / recorded: 举报件 {complaint.id}（{complaint.status.value}，{about}）")
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
        units = _unit_codes(session, [case.accused_unit_id for case in cases])
    table = Table(
        "案件 case",
        "对象 about",
        "类别 alleged",
        "排查 check",
        "状态 status",
        "结论 outcome",
        title=f"{office_unit.name} 调查核实案件 / cases",
    )
    for case in cases:
        status = case.status.value
        if case.merged_into_id is not None:
            status += f" → {case.merged_into_id}"
        table.add_row(
            str(case.id),
            f"单位 unit {units.get(case.accused_unit_id or 0, '')}"
            if case.cadre_id is None
            else "个人 person",
            case.alleged_category.label if case.alleged_category else "",
            case.check_result.label,
            status,
            case.outcome.label if case.outcome else "",
        )
    console.print(table)


def _unit_codes(session: Session, unit_ids: list[int | None]) -> dict[int, str]:
    """The codes of the units cases about a unit name (a case's office knows them)."""
    wanted = sorted({unit_id for unit_id in unit_ids if unit_id is not None})
    if not wanted:
        return {}
    rows = session.exec(select(Unit.id, Unit.code).where(col(Unit.id).in_(wanted)))
    return {unit_id: code for unit_id, code in rows if unit_id is not None}


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
    if detail.accused_name:
        console.print(f"案件 {detail.id}：{detail.accused_name}（{detail.accused_unit}）")
    else:
        console.print(f"案件 {detail.id}：反映单位 {detail.accused_unit}")
    for copy in [detail.complaint, *detail.duplicates, *detail.same_matter]:
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


@app.command("links")
@friendly
def complaints_links(
    campaign: CampaignArg,
    status: Annotated[
        LinkStatus | None,
        typer.Option(**coded(LinkStatus, "关联状态", "--status"), help="关联状态 status"),
    ] = None,
) -> None:
    """可能是同一事项的举报件（不含内容）/ complaints that may be one matter (no text)."""
    campaign_id = campaign_id_option(campaign)
    with db.session_scope() as session:
        links = list_links(session=session, campaign_id=campaign_id, status=status)
        units = _unit_codes(session, [link.accused_unit_id for link in links])
    table = Table(
        "关联 link",
        "举报件 complaints",
        "渠道 channels",
        "收到 received",
        "相隔 days",
        "类别 alleged",
        "对象 about",
        "状态 status",
        title="同一事项（不同渠道）/ one matter by two channels",
    )
    for link in links:
        table.add_row(
            str(link.id),
            f"{link.complaint_id}、{link.other_id}",
            "、".join(channel.label for channel in link.channels),
            "、".join(str(day) for day in link.received_on),
            str(link.days_apart),
            link.alleged_category.label if link.alleged_category else "未注明",
            f"干部 cadre {link.cadre_id}"
            if link.cadre_id is not None
            else f"单位 unit {units.get(link.accused_unit_id or 0, '')}",
            link.status.label,
        )
    console.print(table)


@app.command("link-confirm")
@friendly
def complaints_link_confirm(link: LinkArg, by: By) -> None:
    """确认为同一事项（只计一件、只核实一次）/ confirm: one matter, counted and verified once."""
    view = record_input(confirm_link, link_id=link, decided_by=by, decided_at=datetime.now(UTC))
    console.print(
        f"已确认为同一事项 / confirmed: 关联 {view.id}（举报件 {view.complaint_id}、{view.other_id}）"
    )


@app.command("link-reject")
@friendly
def complaints_link_reject(
    link: LinkArg, by: By, reason: Annotated[str, typer.Option(help="理由 reason")]
) -> None:
    """不是同一事项 / reject: two matters (never proposed again)."""
    view = record_input(
        reject_link, link_id=link, decided_by=by, decided_at=datetime.now(UTC), reason=reason
    )
    console.print(
        f"已判定不是同一事项 / rejected: 关联 {view.id}（举报件 {view.complaint_id}、{view.other_id}）"
    )


@app.command("counts")
@friendly
def complaints_counts(
    campaign: CampaignArg,
    unit: Annotated[
        str | None, typer.Option(**UNIT_CODE, help="本单位及下级 a unit's subtree")
    ] = None,
) -> None:
    """举报件统计（只有数字）/ complaint counts (numbers only)."""
    campaign_id = campaign_id_option(campaign)
    with db.session_scope() as session:
        get_campaign(session=session, campaign_id=campaign_id)
        unit_id = None
        if unit is not None:
            unit_id = get_unit_by_code(session=session, code=unit).id
        counts = complaint_counts(session=session, campaign_id=campaign_id, unit_id=unit_id)
    console.print(counts.headline())
    console.print(
        f"核实中 {counts.cases_open} 件，已办结 {counts.cases_closed} 件，"
        f"并案 {counts.cases_merged} 件；同一事项待确认 {counts.links_proposed} 组 / "
        f"cases open {counts.cases_open}, closed {counts.cases_closed}, merged "
        f"{counts.cases_merged}; link proposals waiting {counts.links_proposed}"
    )
