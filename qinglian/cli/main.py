"""The `qinglian` command: what campaign administrators type. Rich output, bilingual errors."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

# Before anything imports Prefect: its console shows warnings only (the full logs still go to
# the Prefect API and UI), and an offline campaign network has no use for Prefect's telemetry.
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree
from sqlmodel import select

from models import Cadre, Campaign, Unit
from models.enums import OutboxStatus, RectificationStatus, VerificationOutcome
from models.rate import ReportingRate
from models.summary import NARRATIVE_MAX_CHARS
from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.campaigns.launch import launch_campaign, record_delivery, record_leading_group
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.campaigns.templates import all_templates, get_template
from qinglian.cli.common import LARGEST_ID, campaign_id_option, console, date_option, err, friendly
from qinglian.cli.inspect import inspect_app
from qinglian.complaints.import_complaints import import_complaints
from qinglian.complaints.service import (
    add_complaint,
    assign_complaint,
    complaint_status_by_receipt,
    list_cases,
    list_review_queue,
    read_case,
    record_verification,
)
from qinglian.core import db
from qinglian.core.clock import today_in_china
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from qinglian.declarations.completeness import cadre_forms, missing_cadres
from qinglian.declarations.findings import list_findings, review_findings
from qinglian.declarations.import_forms import import_forms
from qinglian.declarations.workbook import write_form_template
from qinglian.demo import run_demo
from qinglian.exchange.tabular import ImportReport
from qinglian.org.import_cadres import import_cadres
from qinglian.org.import_units import import_units
from qinglian.org.units import get_unit_by_code, subtree
from qinglian.oversight.outbox import list_outbox, retry_outbox
from qinglian.oversight.tracking import UnitProgress, campaign_progress, unit_deliverables
from qinglian.rectification.import_ledger import import_rectification
from qinglian.rectification.import_regulations import import_rules_review
from qinglian.rectification.items import (
    ensure_rectification_items,
    extend_rectification,
    list_rectification_items,
    update_rectification_status,
    verify_rectification,
)
from qinglian.rectification.regulations import (
    mark_rule_done,
    rules_review_status,
    sync_rules_review_deliverables,
)
from qinglian.reporting.artifacts import percent
from qinglian.reporting.document.files import FORMATS, default_report_path, produce_report
from qinglian.reporting.import_narratives import import_narratives
from qinglian.reporting.summaries import stored_summaries, submit_narrative

app = typer.Typer(
    help="清廉 qinglian — 卫生系统专项活动编排 / health-system integrity campaigns on Prefect",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="数据库 / database", no_args_is_help=True)
units_app = typer.Typer(help="单位 / org units", no_args_is_help=True)
cadres_app = typer.Typer(help="适用对象干部 / in-scope cadres", no_args_is_help=True)
templates_app = typer.Typer(help="活动模板 / campaign templates", no_args_is_help=True)
campaign_app = typer.Typer(help="专项活动 / campaigns", no_args_is_help=True)
phase_app = typer.Typer(help="阶段 / phases", no_args_is_help=True)
deliver_app = typer.Typer(help="登记上报事项 / record deliverables", no_args_is_help=True)
forms_app = typer.Typer(help="《报告表》/ declaration forms", no_args_is_help=True)
rules_app = typer.Typer(help="制度清单 / rules review", no_args_is_help=True)
findings_app = typer.Typer(help="问题线索 / findings", no_args_is_help=True)
rectify_app = typer.Typer(help="整改纠正 / rectification", no_args_is_help=True)
outbox_app = typer.Typer(help="发件箱 / notification outbox", no_args_is_help=True)
summary_app = typer.Typer(help="阶段性总结 / phase summaries", no_args_is_help=True)
complaints_app = typer.Typer(
    help="信访举报（保密）/ complaints (confidential)", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(units_app, name="units")
app.add_typer(cadres_app, name="cadres")
app.add_typer(templates_app, name="templates")
app.add_typer(campaign_app, name="campaign")
app.add_typer(phase_app, name="phase")
app.add_typer(deliver_app, name="deliver")
app.add_typer(forms_app, name="forms")
app.add_typer(rules_app, name="rules")
app.add_typer(findings_app, name="findings")
app.add_typer(complaints_app, name="complaints")
app.add_typer(rectify_app, name="rectify")
app.add_typer(outbox_app, name="outbox")
app.add_typer(summary_app, name="summary")
app.add_typer(inspect_app, name="inspect")


def _date(text: str | None, what: str) -> date | None:
    """A date option; ``what`` is its label, Chinese then English ("日期 as-of")."""
    zh_label, _, en_label = what.partition(" ")
    return date_option(text, zh_label, en_label)


_campaign_id = campaign_id_option


def _schema() -> None:
    db.ensure_schema()


# --- db ----------------------------------------------------------------------------------


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """应用数据库迁移 / apply the Alembic migrations."""
    head = db.upgrade()
    console.print(f"数据库已是最新版本 / database at revision {head}")


# --- units and cadres ----------------------------------------------------------------------


def _print_report(report: ImportReport) -> None:
    console.print(
        f"{report.file} [{report.sheet}]: 新增 {report.created}，更新 {report.updated}，"
        f"未变 {report.unchanged}，拒绝 {len(report.rejected)} / created {report.created}, "
        f"updated {report.updated}, unchanged {report.unchanged}, rejected {len(report.rejected)}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if report.rejected_file:
        for row in report.rejected[:20]:
            err.print(f"  {row}", highlight=False, markup=False, soft_wrap=True)
        console.print(
            f"被拒绝的行已写入 / rejected rows written to {report.rejected_file}", highlight=False
        )


SkipInvalid = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="导入有效行，无效行写入 *.rejected.csv / import the valid rows, quarantine the rest",
    ),
]


@units_app.command("import")
@friendly
def units_import(file: Path, skip_invalid: SkipInvalid = False) -> None:
    """导入单位（XLSX/CSV）/ import units."""
    _schema()
    with db.session_scope() as session:
        report = import_units(session=session, path=file, skip_invalid=skip_invalid)
    _print_report(report)


@cadres_app.command("import")
@friendly
def cadres_import(file: Path, skip_invalid: SkipInvalid = False) -> None:
    """导入适用对象干部（XLSX/CSV）/ import in-scope cadres."""
    _schema()
    with db.session_scope() as session:
        report = import_cadres(session=session, path=file, skip_invalid=skip_invalid)
    _print_report(report)


@units_app.command("tree")
@friendly
def units_tree(
    code: Annotated[str | None, typer.Argument(help="从此单位开始 / start here")] = None,
    depth: Annotated[int | None, typer.Option(help="最多显示几层 / levels to show")] = None,
) -> None:
    """显示单位树 / print the org tree."""
    _schema()
    with db.session_scope() as session:
        if code:
            roots = [get_unit_by_code(session=session, code=code)]
        else:
            roots = list(session.exec(select(Unit).where(Unit.parent_id == None)))  # noqa: E711
        if not roots:
            console.print("还没有单位，请先导入 / no units yet: run `qinglian units import FILE`")
            return
        for root in roots:
            units = subtree(session=session, unit=root)
            console.print(_unit_tree(root, units, depth))


def _unit_tree(root: Unit, units: Any, depth: int | None) -> Tree:
    branches: dict[int | None, Tree] = {}
    tree = Tree(_unit_label(root))
    branches[root.id] = tree
    for unit in units:
        if unit.id == root.id or unit.parent_id not in branches:
            continue
        if depth is not None and unit.depth - root.depth > depth:
            continue
        branches[unit.id] = branches[unit.parent_id].add(_unit_label(unit))
    return tree


def _unit_label(unit: Unit) -> Text:
    alias = f"（{'、'.join(unit.aliases)}）" if unit.aliases else ""
    label = Text(unit.name, style="bold")
    label.append(alias)
    label.append(f" {unit.code} · {unit.level.label}", style="dim")
    return label


# --- templates ----------------------------------------------------------------------------


@templates_app.command("list")
@friendly
def templates_list() -> None:
    """列出活动模板 / list campaign templates."""
    table = Table("key", "名称 title", "起止 window", "阶段 phases")
    for template in all_templates().values():
        table.add_row(
            template.key,
            template.title,
            f"{template.start} – {template.end}",
            " → ".join(phase.title for phase in template.phases),
        )
    console.print(table)


@templates_app.command("show")
@friendly
def templates_show(key: str) -> None:
    """显示模板的阶段和上报事项 / show a template's phases and deliverables."""
    template = get_template(key)
    console.print(Text(f"{template.title}  ({template.key})", style="bold"))
    console.print(f"依据 basis: {template.basis}  来源 source: {template.source}")
    console.print(f"每级提前 {template.cascade_working_days} 个工作日 / working days per level")
    for phase in template.phases:
        table = Table(
            "事项 key",
            "名称 title",
            "截止 due",
            "适用层级 levels",
            title=f"{phase.title} ({phase.key}) {phase.starts} – {phase.ends}",
        )
        for item in phase.deliverables:
            due = item.due.isoformat()
            if item.after:
                due += f"（或 {item.after.deliverable} 后 {item.after.days} 天）"
            table.add_row(item.key, item.title, due, "、".join(lv.label for lv in item.levels))
        console.print(table)


# --- campaigns ----------------------------------------------------------------------------


@campaign_app.command("launch")
@friendly
def campaign_launch(
    template: Annotated[str, typer.Option(help="模板 template key, e.g. coi-2012")],
    root: Annotated[str, typer.Option(help="牵头单位编码 root unit code")],
    start: Annotated[str | None, typer.Option(help="开始日期 start date")] = None,
) -> None:
    """发起专项活动 / launch a campaign over a unit's subtree."""
    start_on = _date(start, "开始日期 start")
    _schema()
    with db.session_scope() as session:
        campaign, created = launch_campaign(
            session=session, template_key=template, root_code=root, start_on=start_on
        )
    if created:
        err.print(f"已发起 / launched: {campaign.title}（{campaign.start_on} 起）", highlight=False)
    else:
        err.print("该活动已发起，未重复创建 / already launched, nothing created")
    console.print(campaign.id)


@campaign_app.command("list")
@friendly
def campaign_list() -> None:
    """列出专项活动 / list campaigns."""
    _schema()
    table = Table("id", "模板 template", "名称 title", "牵头单位 root", "开始 start")
    with db.session_scope() as session:
        for campaign in session.exec(select(Campaign).order_by(Campaign.id)):
            root = session.get(Unit, campaign.root_unit_id)
            table.add_row(
                str(campaign.id),
                campaign.template_key,
                campaign.title,
                root.name if root else "",
                str(campaign.start_on),
            )
    console.print(table)


@phase_app.command("run")
@friendly
def phase_run(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    phase: Annotated[str, typer.Argument(help="阶段 phase key, e.g. mobilize")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="按此日期计算 as-of date")] = None,
) -> None:
    """以 Prefect 流程运行一个阶段 / run a phase as a Prefect flow."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        get_phase(
            session=session,
            campaign=get_campaign(session=session, campaign_id=campaign_id),
            key=phase,
        )
    outcome = run_phase_flow(campaign_id, phase, day)
    rate = outcome.subtree
    console.print(
        f"{phase} 完成 / done: {outcome.units} 个单位 units，上报率 rate {percent(rate.rate)}"
        f"（应报 {rate.expected}，按时 {rate.on_time}，逾期 {rate.late}，缺报 {rate.missing}，"
        f"未到期 {rate.pending}）",
        highlight=False,
    )


def run_phase_flow(campaign_id: int, phase: str, as_of: date) -> Any:
    """Start the phase flow."""
    # Imported here on purpose: Prefect takes ~2 s to import and most commands never need it.
    from flows.phase import PhaseRunInput, start_phase

    return start_phase(PhaseRunInput(campaign_id=campaign_id, phase=phase, as_of=as_of))


# --- deliverables -------------------------------------------------------------------------


@deliver_app.command("record")
@friendly
def deliver_record(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    unit: Annotated[str, typer.Argument(help="单位编码 unit code")],
    item: Annotated[str, typer.Argument(help="事项 deliverable key, e.g. mobilization_meeting")],
    on: Annotated[str, typer.Option("--on", help="完成/提交日期 date done or submitted")],
    note: Annotated[str, typer.Option(help="说明 note")] = "",
) -> None:
    """登记某单位完成一项上报事项 / record that a unit delivered an item."""
    campaign_id = _campaign_id(campaign)
    day = _date(on, "日期 date")
    assert day is not None
    _schema()
    with db.session_scope() as session:
        row = record_delivery(
            session=session,
            campaign_id=campaign_id,
            unit_code=unit,
            kind=item,
            submitted_on=day,
            note=note,
        )
    console.print(f"已登记 / recorded: {unit} · {row.title} · {day}（截止 due {row.due_on}）")


@deliver_app.command("leading-group")
@friendly
def deliver_leading_group(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    unit: Annotated[str, typer.Argument(help="单位编码 unit code")],
    on: Annotated[str, typer.Option("--on", help="成立日期 date set up")],
    office: Annotated[str, typer.Option(help="办公室设在 where the office sits")],
    leader: Annotated[list[str], typer.Option("--leader", help="组长 (repeat)")],
    deputy: Annotated[list[str] | None, typer.Option("--deputy", help="副组长 (repeat)")] = None,
    member: Annotated[list[str] | None, typer.Option("--member", help="成员 (repeat)")] = None,
) -> None:
    """登记领导小组和办公室 / record the leading group and its office."""
    campaign_id = _campaign_id(campaign)
    day = _date(on, "日期 date")
    assert day is not None
    _schema()
    with db.session_scope() as session:
        record_leading_group(
            session=session,
            campaign_id=campaign_id,
            unit_code=unit,
            submitted_on=day,
            office=office,
            leaders=leader,
            deputies=deputy,
            members=member,
        )
    console.print(f"已登记领导小组 / leading group recorded: {unit} · {day}")


@deliver_app.command("import")
@friendly
def deliver_import(
    file: Path,
    campaign: Annotated[str, typer.Option(help="专项活动编号 campaign id")],
    skip_invalid: SkipInvalid = False,
) -> None:
    """从 XLSX/CSV 批量登记上报事项 / record deliverables from a file."""
    campaign_id = _campaign_id(campaign)
    _schema()
    with db.session_scope() as session:
        report = import_deliveries(
            session=session, campaign_id=campaign_id, path=file, skip_invalid=skip_invalid
        )
    _print_report(report)


# --- declaration forms ---------------------------------------------------------------------


def _default_campaign(text: str | None) -> int:
    """The campaign named, or the only one there is."""
    if text is not None:
        return _campaign_id(text)
    with db.session_scope() as session:
        ids = session.exec(select(Campaign.id)).all()
    if len(ids) != 1:
        raise QinglianError(
            "请用 --campaign 指定专项活动编号（`qinglian campaign list`）",
            "name the campaign with --campaign (see `qinglian campaign list`)",
        )
    assert ids[0] is not None
    return ids[0]


@forms_app.command("template")
@friendly
def forms_template(
    unit: Annotated[str, typer.Argument(help="单位编码 unit code")],
    out: Annotated[Path, typer.Option(help="输出文件 output .xlsx")],
    campaign: Annotated[str | None, typer.Option(help="专项活动编号 campaign id")] = None,
) -> None:
    """生成本单位空白《报告表》工作簿 / write the unit's blank form workbook."""
    _schema()
    campaign_id = _default_campaign(campaign)
    with db.session_scope() as session:
        path = write_form_template(
            session=session, campaign_id=campaign_id, unit_code=unit, path=out
        )
    console.print(f"已生成 / written: {path}")


@forms_app.command("import")
@friendly
def forms_import(
    file: Path,
    campaign: Annotated[str | None, typer.Option(help="专项活动编号 campaign id")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="收到日期 date received")] = None,
    reason: Annotated[
        str | None, typer.Option(help="更正理由（修改已报的表时必填）/ amendment reason")
    ] = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入《报告表》（XLSX 或每表一个 CSV）/ import declaration forms."""
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    campaign_id = _default_campaign(campaign)
    with db.session_scope() as session:
        report = import_forms(
            session=session,
            path=file,
            campaign_id=campaign_id,
            as_of=day,
            skip_invalid=skip_invalid,
            reason=reason,
        )
    _print_report(report)
    console.print(
        f"按时 {report.on_time} 份，逾期 {report.late} 份 / on time {report.on_time}, "
        f"late {report.late}"
    )


# --- rules review ---------------------------------------------------------------------------


@rules_app.command("import")
@friendly
def rules_import(
    file: Path,
    campaign: Annotated[str, typer.Option(help="专项活动编号 campaign id")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="导入日期 date listed")] = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入制度清单（保留/修订/废止/新建）/ import units' rules review lists."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        report = import_rules_review(
            session=session,
            campaign_id=campaign_id,
            path=file,
            skip_invalid=skip_invalid,
            as_of=day,
        )
        sync_rules_review_deliverables(session=session, campaign_id=campaign_id, listed_on=day)
    _print_report(report)


@rules_app.command("status")
@friendly
def rules_status(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    unit: Annotated[str | None, typer.Option(help="单位编码 unit code")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="按此日期 as-of date")] = None,
) -> None:
    """制度清单完成情况 / where each unit's rules review stands."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        get_campaign(session=session, campaign_id=campaign_id)
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


@rules_app.command("done")
@friendly
def rules_done(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    unit: Annotated[str, typer.Argument(help="单位编码 unit code")],
    title: Annotated[str, typer.Argument(help="制度名称 rule title")],
    on: Annotated[str, typer.Option("--on", help="完成日期 date done")],
) -> None:
    """登记一项制度修订/废止/新建已完成 / record that a rule's change is done."""
    campaign_id = _campaign_id(campaign)
    day = _date(on, "日期 date")
    _schema()
    with db.session_scope() as session:
        mark_rule_done(
            session=session, campaign_id=campaign_id, unit_code=unit, title=title, done_on=day
        )
    console.print(f"已登记 / recorded: {unit} · {title} · {day}")


# --- findings -------------------------------------------------------------------------------


@findings_app.command("list")
@friendly
def findings_list(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    unit: Annotated[str | None, typer.Option(help="单位编码 unit code (and below)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出")] = False,
) -> None:
    """列出问题线索 / list findings (a unit's subtree with --unit)."""
    campaign_id = _campaign_id(campaign)
    _schema()
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


# --- complaints -----------------------------------------------------------------------------
# Complaint text and complainant contact are printed by `complaints case` alone, for the
# discipline office of the case's managing unit; every other command prints ids and counts.


@complaints_app.command("import")
@friendly
def complaints_import(
    file: Path,
    campaign: Annotated[str, typer.Option(help="专项活动编号 campaign id")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="今天 today")] = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入信访举报件并匹配干部 / import complaints and match them to cadres."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        report = import_complaints(
            session=session,
            campaign_id=campaign_id,
            path=file,
            skip_invalid=skip_invalid,
            today=day,
        )
    _print_report(report)
    console.print(
        f"匹配 {report.matched}，待人工确认 {report.ambiguous}，未匹配 {report.unmatched}，"
        f"重复 {report.duplicates} / matched {report.matched}, ambiguous {report.ambiguous}, "
        f"unmatched {report.unmatched}, duplicates {report.duplicates}"
    )
    for receipt in report.receipts:
        console.print(
            f"第{receipt.row}行 匿名举报回执码 / receipt code: {receipt.code.get_secret_value()}"
        )


@complaints_app.command("add")
@friendly
def complaints_add(
    campaign: Annotated[str, typer.Option(help="专项活动编号 campaign id")],
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
    campaign_id = _campaign_id(campaign)
    today = today_in_china()
    day = _date(received, "收到日期 received") or today
    _schema()
    with db.session_scope() as session:
        complaint, receipt = add_complaint(
            session=session,
            campaign_id=campaign_id,
            channel=channel,
            received_on=day,
            anonymous=anonymous,
            accused_name=accused,
            accused_unit=unit,
            alleged_category=category,
            content=content,
            contact=contact,
            today=today,
        )
        complaint_id, status = complaint.id, complaint.status
    console.print(f"已登记 / recorded: 举报件 {complaint_id}（{status.value}）")
    if receipt:
        console.print(f"匿名举报回执码（只显示一次）/ receipt code (shown once): {receipt}")


@complaints_app.command("receipt")
@friendly
def complaints_receipt(code: str) -> None:
    """凭回执码查询办理状态 / look up a complaint's status by its receipt code."""
    _schema()
    with db.session_scope() as session:
        console.print(complaint_status_by_receipt(session=session, receipt_code=code))


@complaints_app.command("queue")
@friendly
def complaints_queue(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
) -> None:
    """待人工确认的举报件及候选干部 / complaints waiting for a person to match them."""
    campaign_id = _campaign_id(campaign)
    _schema()
    with db.session_scope() as session:
        items = list_review_queue(session=session, campaign_id=campaign_id)
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


@complaints_app.command("assign")
@friendly
def complaints_assign(
    complaint: Annotated[int, typer.Argument(help="举报件编号 complaint id")],
    cadre: Annotated[str, typer.Argument(help="干部工号 staff number")],
    by: Annotated[str, typer.Option(help="确认人 who decided")],
) -> None:
    """人工确认举报件所指干部 / say which cadre a complaint is about."""
    _schema()
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


@complaints_app.command("cases")
@friendly
def complaints_cases(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    office: Annotated[str, typer.Option(help="核实单位编码 the verifying unit")],
) -> None:
    """本单位纪检部门负责核实的案件（不含举报内容）/ a discipline office's cases."""
    campaign_id = _campaign_id(campaign)
    _schema()
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


@complaints_app.command("case")
@friendly
def complaints_case(
    case: Annotated[int, typer.Argument(help="案件编号 case id")],
    office: Annotated[str, typer.Option(help="核实单位编码 the verifying unit")],
    reader: Annotated[str, typer.Option(help="阅件人 who reads (audited)")],
) -> None:
    """核实单位纪检部门阅看举报内容（留痕）/ the verifying office reads a case (audited)."""
    _schema()
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


@complaints_app.command("verify")
@friendly
def complaints_verify(
    case: Annotated[int, typer.Argument(help="案件编号 case id")],
    outcome: Annotated[
        str, typer.Option(help="substantiated 属实 | partly 部分属实 | unsubstantiated 不属实")
    ],
    reason: Annotated[str, typer.Option(help="理由 reason")],
    by: Annotated[str, typer.Option(help="核实人 who decided")],
) -> None:
    """登记核实结论 / record a case's verification outcome."""
    _schema()
    with db.session_scope() as session:
        view = record_verification(
            session=session,
            case_id=case,
            outcome=outcome,
            reason=reason,
            decided_by=by,
            decided_at=datetime.now(UTC),
        )
    console.print(f"已登记 / recorded: 案件 {view.id} · {view.outcome}")


# --- rectification, escalation, outbox -----------------------------------------------------


@rectify_app.command("ensure")
@friendly
def rectify_ensure(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    due: Annotated[str, typer.Option(help="默认整改时限 default deadline")],
) -> None:
    """为每条已确认的问题线索建立整改事项 / one rectification item per confirmed finding."""
    campaign_id = _campaign_id(campaign)
    day = _date(due, "整改时限 due")
    assert day is not None
    _schema()
    with db.session_scope() as session:
        created = ensure_rectification_items(
            session=session, campaign_id=campaign_id, default_due=day
        )
    console.print(f"新建整改事项 {created} 项 / created {created} rectification items")


@rectify_app.command("import")
@friendly
def rectify_import(
    file: Path,
    campaign: Annotated[str, typer.Option(help="专项活动编号 campaign id")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="今天 today")] = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入或更新整改事项（XLSX/CSV）/ import or update rectification items."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        report = import_rectification(
            session=session,
            campaign_id=campaign_id,
            path=file,
            skip_invalid=skip_invalid,
            as_of=day,
        )
    _print_report(report)


@rectify_app.command("list")
@friendly
def rectify_list(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="按此日期 as-of date")] = None,
) -> None:
    """整改事项及其进度 / rectification items and where they stand."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        items = list_rectification_items(session=session, campaign_id=campaign_id, as_of=day)
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


@rectify_app.command("status")
@friendly
def rectify_status(
    item: Annotated[int, typer.Argument(help="整改事项编号 item id")],
    status: Annotated[str, typer.Option(help="in_progress | done")],
    on: Annotated[str, typer.Option("--on", help="日期 date")],
    evidence: Annotated[str | None, typer.Option(help="整改证据 evidence")] = None,
) -> None:
    """更新整改进度 / move an item on (planned → in_progress → done)."""
    day = _date(on, "日期 date")
    assert day is not None
    _schema()
    with db.session_scope() as session:
        view = update_rectification_status(
            session=session,
            item_id=item,
            status=RectificationStatus(status),
            on=day,
            evidence=evidence,
        )
    console.print(f"已更新 / updated: 整改事项 {view.id} · {view.status.value}")


@rectify_app.command("extend")
@friendly
def rectify_extend(
    item: Annotated[int, typer.Argument(help="整改事项编号 item id")],
    to: Annotated[str, typer.Option(help="新的时限 new deadline")],
    reason: Annotated[str, typer.Option(help="理由 reason")],
    by: Annotated[str, typer.Option(help="批准人 granted by")],
) -> None:
    """批准延期 / grant an extension, with its reason."""
    day = _date(to, "时限 deadline")
    assert day is not None
    _schema()
    with db.session_scope() as session:
        view = extend_rectification(
            session=session,
            item_id=item,
            new_due_on=day,
            reason=reason,
            granted_by=by,
            granted_at=datetime.now(UTC),
        )
    console.print(f"已延期 / extended: 整改事项 {view.id} → {view.due_on}")


@rectify_app.command("verify")
@friendly
def rectify_verify(
    item: Annotated[int, typer.Argument(help="整改事项编号 item id")],
    outcome: Annotated[str, typer.Option(help="passed 通过 | rejected 退回")],
    by: Annotated[str, typer.Option(help="验收人 who verified")],
    on: Annotated[str, typer.Option("--on", help="日期 date")],
    note: Annotated[str, typer.Option(help="意见 note")] = "",
) -> None:
    """管理单位验收整改 / the managing unit verifies a done item."""
    day = _date(on, "日期 date")
    assert day is not None
    _schema()
    with db.session_scope() as session:
        view = verify_rectification(
            session=session,
            item_id=item,
            by=by,
            outcome=VerificationOutcome(outcome),
            note=note,
            on=day,
        )
    console.print(f"已验收 / verified: 整改事项 {view.id} · {view.status.value}")


@app.command("escalate")
@friendly
def escalate(
    campaign: Annotated[str, typer.Option(help="专项活动编号 campaign id")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="按此日期 as-of date")] = None,
    send: Annotated[bool, typer.Option("--send/--no-send", help="扫描后发送")] = True,
) -> None:
    """督办扫描：逾期事项逐级提醒并发送 / run the escalation sweep (and deliver)."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        get_campaign(session=session, campaign_id=campaign_id)
    from flows.escalation import SweepInput, escalation_sweep

    result = escalation_sweep(SweepInput(campaign_id=campaign_id, as_of=day, deliver=send))
    console.print(
        f"督办 {day}: 未完成事项 {result.open_items}，新增督办步骤 {result.new_item_steps}，"
        f"汇总通知 {result.digests} 份 / open {result.open_items}, new steps "
        f"{result.new_item_steps}, digests {result.digests}"
    )


@outbox_app.command("list")
@friendly
def outbox_list(
    campaign: Annotated[str | None, typer.Option(help="专项活动编号 campaign id")] = None,
    status: Annotated[str | None, typer.Option(help="pending|sending|sent|failed|given_up")] = None,
) -> None:
    """发件箱 / the outbox (targets by name; never a URL)."""
    _schema()
    with db.session_scope() as session:
        rows = list_outbox(
            session=session,
            campaign_id=_campaign_id(campaign) if campaign else None,
            status=OutboxStatus(status) if status else None,
        )
    table = Table(
        "#",
        "目标 target",
        "标题 title",
        "事项 items",
        "状态 status",
        "尝试 attempts",
        "错误 error",
        title="发件箱 / outbox",
    )
    for row in rows:
        table.add_row(
            str(row.id),
            row.target,
            row.title,
            str(row.item_count),
            row.status.value,
            str(row.attempts),
            row.last_error or "",
        )
    console.print(table)


@outbox_app.command("retry")
@friendly
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="编号 ids (default: all failed)")] = None,
    campaign: Annotated[str | None, typer.Option(help="专项活动编号 campaign id")] = None,
) -> None:
    """重发失败的通知 / send failed or given-up messages again."""
    _schema()
    with db.session_scope() as session:
        count = retry_outbox(
            session=session,
            now=datetime.now(UTC),
            ids=ids or None,
            campaign_id=_campaign_id(campaign) if campaign else None,
        )
    console.print(f"已重新排队 {count} 条 / requeued {count}")


@app.command("serve")
@friendly
def serve() -> None:
    """在本机提供各部署，供 Prefect 界面触发 / serve the deployments for the Prefect UI."""
    _schema()
    from deployments.serve import serve_deployments

    serve_deployments()


# --- status -------------------------------------------------------------------------------


@app.command("status")
@friendly
def status(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    unit: Annotated[str | None, typer.Option(help="单位编码 unit code")] = None,
    phase: Annotated[str | None, typer.Option(help="阶段 phase key (default: all)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="按此日期 as-of date")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="稳定的 JSON 输出 / stable JSON")] = False,
) -> None:
    """上报进度及逐级汇总 / reporting progress rolled up the tree."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        record = get_campaign(session=session, campaign_id=campaign_id)
        progress = campaign_progress(
            session=session,
            campaign_id=campaign_id,
            as_of=day,
            unit_code=unit,
            phase_key=phase,
        )
        own = unit_deliverables(
            session=session,
            campaign_id=campaign_id,
            unit_id=progress.unit_id,
            phase_id=get_phase(session=session, campaign=record, key=phase).id if phase else None,
            as_of=day,
        )
        # Who has not filed is for the unit's own office: only with --unit, only its own cadres.
        overdue = (
            missing_cadres(
                cadre_forms(
                    session=session,
                    campaign=record,
                    root=get_unit_by_code(session=session, code=unit),
                    as_of=day,
                    own_only=True,
                ).get(progress.unit_id, [])
            )
            if unit and progress.forms is not None
            else []
        )
    if as_json:
        payload: dict[str, object] = {
            "schema": "qinglian.status/1",
            "campaign": {"id": record.id, "template": record.template_key, "title": record.title},
            "phase": phase,
            "as_of": day.isoformat(),
            "unit": progress.as_json(),
        }
        if unit and progress.forms is not None:
            payload["missing_forms"] = [
                {"staff_no": f.staff_no, "name": f.name, "due_on": f.due_on.isoformat()}
                for f in overdue
            ]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console.print(
        f"{record.title}  专项活动 {record.id}  截至 {day}" + (f"  阶段 {phase}" if phase else ""),
        highlight=False,
    )
    console.print(_progress_table(progress))
    if progress.forms is not None:
        console.print(_forms_table(progress))
        if unit:
            names = "、".join(f"{f.staff_no} {f.name}" for f in overdue) or "无 none"
            console.print(f"逾期未报《报告表》/ overdue forms: {names}", highlight=False)
    if own:
        table = Table(
            "事项 item",
            "截止 due",
            "提交 submitted",
            "状态 status",
            title=f"{progress.name} 本级事项 / own deliverables",
        )
        for view in own:
            table.add_row(
                view.title, str(view.due_on), str(view.submitted_on or ""), view.status.label
            )
        console.print(table)


def _forms_table(progress: UnitProgress) -> Table:
    table = Table(
        "单位 unit",
        "应报 expected",
        "已报 received",
        "按时 on time",
        "逾期 late",
        "缺报 missing",
        "上报率 rate",
        "问题线索 findings",
        title="《报告表》收集及问题线索 / declarations and findings",
    )
    for node, name in [(progress, Text(progress.name, style="bold"))] + [
        (child, Text(f"  {child.name}")) for child in progress.children
    ]:
        forms = node.forms or ReportingRate()
        table.add_row(
            name,
            str(forms.expected),
            str(forms.received),
            str(forms.on_time),
            str(forms.late),
            str(forms.missing),
            percent(forms.rate),
            str(sum(node.findings.values())),
        )
    return table


def _progress_table(progress: UnitProgress) -> Table:
    table = Table(
        "单位 unit",
        "层级",
        "本级完成率 own",
        "应报 expected",
        "已报 received",
        "按时 on time",
        "逾期 late",
        "缺报 missing",
        "未到期 pending",
        "上报率 rate",
        title="上报率（本单位及各下级单位，含其所属） / reporting rate of the subtree",
    )

    def row(node: UnitProgress, name: Text) -> None:
        rate: ReportingRate = node.subtree
        table.add_row(
            name,
            node.level.label,
            percent(node.own.rate),
            str(rate.expected),
            str(rate.received),
            str(rate.on_time),
            str(rate.late),
            str(rate.missing),
            str(rate.pending),
            percent(rate.rate),
        )

    row(progress, Text(progress.name, style="bold"))
    for child in progress.children:
        row(child, Text(f"  {child.name}"))
    return table


# --- demo ---------------------------------------------------------------------------------


# --- findings review, phase summaries, the comprehensive report ----------------------------


def _finding_ids(ids: list[str]) -> list[int]:
    result = []
    for text in ids:
        if not re.fullmatch(r"[0-9]{1,10}", text.strip()) or int(text) > LARGEST_ID:
            raise QinglianError(
                f"问题线索编号应为正整数，而不是「{text}」",
                f"a finding id is a whole number, not {text!r}",
            )
        result.append(int(text))
    return result


@findings_app.command("confirm")
@friendly
def findings_confirm(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    ids: Annotated[list[str], typer.Argument(help="问题线索编号 finding ids")],
) -> None:
    """确认问题线索（进入限期整改）/ confirm findings: each then gets a rectification item."""
    _review(campaign, ids, confirm=True)


@findings_app.command("dismiss")
@friendly
def findings_dismiss(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    ids: Annotated[list[str], typer.Argument(help="问题线索编号 finding ids")],
) -> None:
    """排除问题线索（经核实不构成问题）/ dismiss findings."""
    _review(campaign, ids, confirm=False)


def _review(campaign: str, ids: list[str], *, confirm: bool) -> None:
    campaign_id = _campaign_id(campaign)
    finding_ids = _finding_ids(ids)
    _schema()
    with db.session_scope() as session:
        get_campaign(session=session, campaign_id=campaign_id)
        changed = review_findings(
            session=session, campaign_id=campaign_id, finding_ids=finding_ids, confirm=confirm
        )
    what = "已确认 / confirmed" if confirm else "已排除 / dismissed"
    console.print(f"{what}: {changed} 条（共 {len(set(finding_ids))} 条）")


@summary_app.command("submit")
@friendly
def summary_submit(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    phase: Annotated[str, typer.Option(help="阶段 phase key, e.g. find")],
    unit: Annotated[str, typer.Option(help="单位编码 unit code")],
    file: Annotated[
        Path | None, typer.Option(help="总结正文文件（UTF-8 文本）narrative text file")
    ] = None,
    text: Annotated[str | None, typer.Option(help="总结正文 narrative text")] = None,
    on: Annotated[str | None, typer.Option(help="提交日期 submitted on (default today)")] = None,
    by: Annotated[str, typer.Option(help="提交人 submitted by")] = "",
) -> None:
    """提交本单位阶段性总结（报上级）/ submit a unit's phase-summary narrative upward."""
    campaign_id = _campaign_id(campaign)
    today = today_in_china()
    day = _date(on, "提交日期 on") or today
    if (file is None) == (text is None):
        raise QinglianError(
            "请用 --file 或 --text 给出总结正文（二选一）", "give the narrative by --file or --text"
        )
    body = _narrative_file(file) if file is not None else text or ""
    _schema()
    with db.session_scope() as session:
        receipt = submit_narrative(
            session=session,
            campaign_id=campaign_id,
            phase_key=phase,
            unit_code=unit,
            text=body,
            submitted_on=day,
            submitted_by=by,
            today=today,
        )
    due = f"，截止 {receipt.due_on}" if receipt.due_on else ""
    console.print(
        f"{receipt.unit_name} · {receipt.phase_title}阶段性总结："
        f"{'已更新' if receipt.replaced else '已提交'}（{receipt.submitted_on} 提交{due}，"
        f"{receipt.status}）/ {'updated' if receipt.replaced else 'submitted'}"
    )


def _narrative_file(path: Path) -> str:
    if not path.is_file():
        raise QinglianError(f"找不到文件 {path}", f"no such file: {path}")
    size = path.stat().st_size
    if size > 4 * NARRATIVE_MAX_CHARS:  # UTF-8 Chinese is 3 bytes a character; refuse unread
        raise QinglianError(
            f"{path.name}：文件过大（{size} 字节），阶段性总结最多 {NARRATIVE_MAX_CHARS} 个字符，未保存",
            f"{path.name}: too large ({size} bytes) for a narrative of at most"
            f" {NARRATIVE_MAX_CHARS} characters; nothing saved",
        )
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        try:
            return path.read_bytes().decode("gb18030")
        except UnicodeDecodeError as exc:
            raise QinglianError(
                f"{path.name}：无法识别文件编码（应为 UTF-8 或 GB18030 文本）",
                f"{path.name}: not UTF-8 or GB18030 text",
            ) from exc


@summary_app.command("import")
@friendly
def summary_import(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    file: Path,
    as_of: Annotated[str | None, typer.Option("--as-of", help="今天 today")] = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入阶段性总结（单位编码、阶段、总结内容、提交日期、提交人）/ import narratives."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        report = import_narratives(
            session=session,
            campaign_id=campaign_id,
            path=file,
            today=day,
            skip_invalid=skip_invalid,
        )
    _print_report(report)


@summary_app.command("show")
@friendly
def summary_show(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    unit: Annotated[str, typer.Option(help="单位编码 unit code")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出")] = False,
) -> None:
    """查看单位各阶段的阶段性总结（统计与正文）/ a unit's phase summaries."""
    campaign_id = _campaign_id(campaign)
    _schema()
    with db.session_scope() as session:
        summaries = stored_summaries(session=session, campaign_id=campaign_id, unit_code=unit)
    if as_json:
        typer.echo(
            json.dumps(
                [item.model_dump(mode="json") for item in summaries], ensure_ascii=False, indent=2
            )
        )
        return
    if not summaries:
        console.print("尚无阶段性总结（运行阶段流程后生成）/ no phase summary yet")
    for item in summaries:
        figures = item.subtree
        table = Table("项目 item", "本单位及下级 subtree", title=f"{item.phase_title}阶段性总结")
        table.add_row("统计截至 computed as of", str(item.computed_as_of or ""))
        table.add_row(
            "事项上报率 reporting rate",
            f"{percent(figures.deliverables.rate)}（应报 {figures.deliverables.expected}，"
            f"缺报 {figures.deliverables.missing}）",
        )
        if figures.forms.expected:
            table.add_row("《报告表》上报率", percent(figures.forms.rate))
        table.add_row("问题线索 findings", str(figures.findings))
        table.add_row(
            "整改 rectified",
            f"{figures.rectified}/{figures.rectification_items}"
            f"（逾期 {figures.rectification_overdue}）",
        )
        table.add_row("督办提醒 escalations", str(figures.escalations))
        table.add_row("滞后下级 lagging children", "、".join(item.lagging_children) or "—")
        table.add_row(
            "总结正文 narrative",
            f"{item.submitted_on} 提交，{len(item.narrative)} 字" if item.narrative else "未提交",
        )
        console.print(table)
        if item.narrative:
            console.print(item.narrative)


@app.command("report")
@friendly
def report(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    unit: Annotated[str, typer.Option(help="单位编码 unit code (its subtree only)")],
    fmt: Annotated[str, typer.Option("--format", help="docx | md | pdf")] = "docx",
    out: Annotated[Path | None, typer.Option(help="输出文件 output file")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期 as-of date")] = None,
) -> None:
    """书面综合情况报告（Word/Markdown/PDF）/ write the comprehensive report of a subtree."""
    campaign_id = _campaign_id(campaign)
    if fmt not in FORMATS:
        raise QinglianError(
            f"不支持的格式「{fmt}」（可选：docx、md、pdf）",
            f"unknown format {fmt!r} (choose docx, md or pdf)",
        )
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
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


@campaign_app.command("run")
@friendly
def campaign_run(
    campaign: Annotated[str, typer.Argument(help="专项活动编号 campaign id")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="按此日期 as-of date")] = None,
) -> None:
    """按顺序运行已开始的各阶段（检查总结阶段生成报告并结束活动）/ run every started phase."""
    campaign_id = _campaign_id(campaign)
    day = _date(as_of, "日期 as-of") or today_in_china()
    _schema()
    with db.session_scope() as session:
        get_campaign(session=session, campaign_id=campaign_id)
    from flows.campaign import CampaignRunInput, run_campaign

    outcomes = run_campaign(CampaignRunInput(campaign_id=campaign_id, as_of=day))
    for key, outcome in outcomes.items():
        console.print(
            f"{key}: 上报率 rate {percent(outcome.subtree.rate)}，缺报 {outcome.subtree.missing}"
        )
    with db.session_scope() as session:
        done = get_campaign(session=session, campaign_id=campaign_id)
        if done.completed_on:
            console.print(f"专项活动已完成 / completed {done.completed_on}: {done.report_path}")


@app.command("demo")
@friendly
def demo() -> None:
    """运行 2012 年防止利益冲突专项活动演示 / run the 2012 campaign demo end to end."""
    run_demo(console)


def main() -> None:
    app()
