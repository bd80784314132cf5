"""`qinglian demo`: the 2012 conflict-of-interest campaign on a tree built from the seeds.

The units are the ones the seeds name (卫生部, 内蒙古自治区卫生厅 and its 盟市卫生局, 连云港市卫生局
and 连云港市妇幼保健院, 镇宁县卫食局 and its 乡计卫中心) plus ordinary county bureaus, hospitals and
departments around them. Cadres are synthetic, except the leading-group names that seed 002
itself publishes for 连妇保. Everything goes through the same importers and flows a campaign
office uses: the demo writes XLSX/CSV files and imports them.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Unit
from models.complaint import VerificationCase
from models.enums import ComplaintStatus, OutboxStatus
from models.inspection import InspectionVisit
from models.outbox import OutboxItem, OutboxMessage
from models.rate import ReportingRate
from models.rectification import RectificationItem
from models.summary import UnitSummary
from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.campaigns.launch import launch_campaign
from qinglian.campaigns.lookup import get_campaign
from qinglian.complaints.import_complaints import import_complaints
from qinglian.complaints.service import complaint_counts
from qinglian.core import db
from qinglian.core.settings import get_settings
from qinglian.declarations.findings import findings_by_category
from qinglian.declarations.import_forms import import_forms
from qinglian.demo.complaints import demo_complaints, use_demo_key, write_complaints_xlsx
from qinglian.demo.find import demo_forms, demo_rules_review, write_forms_xlsx
from qinglian.demo.mobilize import demo_deliveries, due_items, write_deliveries_xlsx
from qinglian.demo.rectify import (
    DEMO_TARGETS,
    LedgerPlan,
    WebhookReceiver,
    add_demo_contacts,
    demo_ledger,
    review_demo_findings,
    verify_demo_cases,
    verify_done_items,
    webhook_receiver,
    write_ledger_xlsx,
)
from qinglian.demo.summarize import (
    demo_inspection_rows,
    demo_narratives,
    without_summaries,
    write_inspection_xlsx,
    write_narratives_xlsx,
)
from qinglian.demo.tree import demo_cadres, demo_units, write_csv, write_units_xlsx
from qinglian.inspection.import_results import import_inspection_results
from qinglian.inspection.service import draw_inspection_sample
from qinglian.org.import_cadres import import_cadres
from qinglian.org.import_units import import_units
from qinglian.oversight.escalation import campaign_ladder
from qinglian.oversight.tracking import UnitProgress, campaign_progress
from qinglian.rectification.import_ledger import import_rectification
from qinglian.rectification.import_regulations import import_rules_review
from qinglian.rectification.regulations import sync_rules_review_deliverables
from qinglian.reporting.artifacts import percent
from qinglian.reporting.document.files import default_report_path, reports_dir
from qinglian.reporting.import_narratives import import_narratives
from qinglian.reporting.summaries import compute_summaries

SEED = 2012


@dataclass(frozen=True)
class Timeline:
    start: date
    reviewed_on: date
    cases_decided_on: date
    plan_on: date
    due_dates: tuple[date, ...]
    end: date


TEMPLATE = "coi-2012"
ROOT = "MOH"
# The mobilisation phase: its status mid-phase (no flow run), then the phase run after it.
MOBILIZE_AS_OF = (date(2012, 7, 27), date(2012, 8, 8))
# The find phase: just after the forms deadline (08-10), then at the phase's end.
FIND_AS_OF = (date(2012, 8, 13), date(2012, 8, 31))
RULES_LISTED_ON = date(2012, 8, 24)
# The rectify phase: findings reviewed and cases decided early in September, a ledger of
# measures due mid-October to mid-November, the daily sweep across the whole phase.
RECTIFY = Timeline(
    start=date(2012, 9, 1),
    reviewed_on=date(2012, 9, 3),
    cases_decided_on=date(2012, 9, 10),
    plan_on=date(2012, 9, 5),
    due_dates=(date(2012, 10, 15), date(2012, 10, 31), date(2012, 11, 15)),
    end=date(2012, 11, 30),
)
# 检查总结: inspection teams visit 12-03..12-07; the root's report is due 12-10.
INSPECTION_DRAWN_ON = date(2012, 12, 3)
INSPECTION_SIZE = 12
SUMMARIZE_AS_OF = date(2012, 12, 10)


def run_demo(console: Console) -> None:
    from flows.phase import PhaseRunInput, start_phase

    settings = get_settings()
    rng = random.Random(SEED)
    folder = settings.home / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "units": folder / "units.xlsx",
        "cadres": folder / "cadres.csv",
        "deliveries": folder / "mobilize_deliveries.xlsx",
        "forms": folder / "forms.xlsx",
        "rules": folder / "rules_review.csv",
        "complaints": folder / "complaints.xlsx",
    }
    units = demo_units()
    cadres = demo_cadres(units, rng)
    write_units_xlsx(units, files["units"])
    write_csv(cadres, files["cadres"])

    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        import_units(session=session, path=files["units"])
        import_cadres(session=session, path=files["cadres"])
        campaign, _ = launch_campaign(session=session, template_key=TEMPLATE, root_code=ROOT)
        assert campaign.id is not None
        campaign_id = campaign.id
        mobilize_dues = due_items(session, campaign_id, "mobilize")
        find_dues = due_items(session, campaign_id, "find")
    console.print(
        f"专项活动 campaign {campaign_id}: {campaign.title}；{len(units)} 个单位 units，"
        f"{len(cadres)} 名适用对象 in-scope cadres"
    )

    write_deliveries_xlsx(
        demo_deliveries(without_summaries(mobilize_dues), campaign.start_on, rng),
        files["deliveries"],
    )
    with db.session_scope(settings) as session:
        import_deliveries(session=session, campaign_id=campaign_id, path=files["deliveries"])
    _import_narratives(campaign_id, "mobilize", MOBILIZE_AS_OF[-1], folder, rng)
    # Mid-phase, `status` (no flow run) shows how it stands; the phase runs once it is over.
    with db.session_scope(settings) as session:
        mid = campaign_progress(
            session=session,
            campaign_id=campaign_id,
            as_of=MOBILIZE_AS_OF[0],
            phase_key="mobilize",
        ).subtree
    _print_rate(console, "qinglian status", MOBILIZE_AS_OF[0], mid, len(units))
    outcome = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=MOBILIZE_AS_OF[-1])
    )
    _print_rate(console, "动员部署 mobilize", MOBILIZE_AS_OF[-1], outcome.subtree, outcome.units)

    forms = demo_forms(cadres, units, find_dues, rng)
    write_forms_xlsx(forms, files["forms"])
    use_demo_key(folder)
    write_complaints_xlsx(demo_complaints(cadres, units, forms), files["complaints"])
    write_csv(demo_rules_review(units, rng), files["rules"])
    with db.session_scope(settings) as session:
        forms_report = import_forms(
            session=session, path=files["forms"], campaign_id=campaign_id, as_of=FIND_AS_OF[-1]
        )
        import_rules_review(
            session=session, campaign_id=campaign_id, path=files["rules"], as_of=FIND_AS_OF[-1]
        )
        sync_rules_review_deliverables(
            session=session, campaign_id=campaign_id, listed_on=RULES_LISTED_ON
        )
        complaints_report = import_complaints(
            session=session,
            campaign_id=campaign_id,
            path=files["complaints"],
            today=FIND_AS_OF[-1],
        )
    # The cross-check against complaints is reported by each unit (the system's own cross-check
    # runs in the find phase); the forms and rules lists are synced from what was imported.
    checks = [item for item in find_dues if item.kind == "complaints_cross_check"]
    write_deliveries_xlsx(
        demo_deliveries(checks, campaign.start_on, rng), folder / "find_deliveries.xlsx"
    )
    with db.session_scope(settings) as session:
        import_deliveries(
            session=session, campaign_id=campaign_id, path=folder / "find_deliveries.xlsx"
        )
    _import_narratives(campaign_id, "find", FIND_AS_OF[-1], folder, rng)
    console.print(
        f"《报告表》forms: {forms_report.created} 份新收 new, {forms_report.unchanged} 份未变 unchanged"
    )
    # Just after the forms deadline, `status` (no flow run) shows who is late; the phase itself
    # runs at its end.
    with db.session_scope(settings) as session:
        early = campaign_progress(
            session=session, campaign_id=campaign_id, as_of=FIND_AS_OF[0], phase_key="find"
        )
    _print_forms(console, FIND_AS_OF[0], early.forms, "qinglian status")
    outcome = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="find", as_of=FIND_AS_OF[-1])
    )
    _print_forms(console, FIND_AS_OF[-1], outcome.forms, "查找问题 find")
    console.print(
        f"  问题线索 findings {sum(outcome.findings.values())}（本次新增 new {outcome.new_findings}）"
    )
    with db.session_scope(settings) as session:
        counts = complaint_counts(session=session, campaign_id=campaign_id)
        cases = session.exec(
            select(VerificationCase)
            .where(VerificationCase.campaign_id == campaign_id)
            .order_by(VerificationCase.id)
        ).all()
        unit_names = dict(session.exec(select(Unit.id, Unit.name)).all())
    console.print(
        f"信访举报 complaints: {complaints_report.created} 件导入 imported；共 {counts.total} 件"
        f"（重复 {counts.duplicates} 件已关联 duplicates linked）；"
        f"待人工确认 ambiguous {counts.by_status.get(ComplaintStatus.ambiguous, 0)} 件；"
        f"交调查核实 cases opened {counts.cases_open} 件"
    )
    cases_table = Table(
        "案件 case",
        "核实单位 verifying unit",
        "反映类别 alleged",
        "排查结果 check",
        title="调查核实案件（不含举报内容）/ verification cases",
    )
    for case in cases:
        cases_table.add_row(
            str(case.id),
            unit_names.get(case.managing_unit_id, ""),
            case.alleged_category.label if case.alleged_category else "",
            case.check_result.label,
        )
    console.print(cases_table)

    last = FIND_AS_OF[-1]
    with db.session_scope(settings) as session:
        progress = campaign_progress(session=session, campaign_id=campaign_id, as_of=last)
        findings = findings_by_category(session=session, campaign_id=campaign_id)
    console.print(_rollup_table(progress, last))
    findings_table = Table(
        "类别 category", "条数 count", title="自查发现的问题线索 / self-declared findings"
    )
    for category, count in sorted(findings.items()):
        if count:
            findings_table.add_row(category.label, str(count))
    console.print(findings_table)
    _rectify_phase(console, campaign_id, folder, rng)
    reports = _summarize_phase(console, campaign_id, folder, rng)
    console.print(
        f"\n数据库 database: {settings.effective_database_url}\n"
        f"导入文件 input files: {folder}\n"
        f"查看进度 status: qinglian status {campaign_id} --as-of {SUMMARIZE_AS_OF}\n"
        f"问题线索 findings: qinglian findings list {campaign_id}\n"
        f"整改台账 rectification: qinglian rectify list {campaign_id}\n"
        f"阶段性总结 summaries: qinglian summary show {campaign_id} --unit JS-LYG\n"
        f"下级单位报告 a subtree's report: qinglian report {campaign_id} --unit JS --format md\n"
        "Prefect 界面 UI: run `.venv/bin/prefect server start`, then open "
        "http://127.0.0.1:4200/runs (flow runs 「动员部署 · …」「查找问题 · …」「整改纠正 · …」"
        "「检查总结 · …」 and their artifacts)"
    )
    console.print("\n书面综合情况报告 the comprehensive report:")
    for path in reports:
        console.print(f"  {path}")


def _import_narratives(
    campaign_id: int, phase_key: str, today: date, folder: Path, rng: random.Random
) -> None:
    """Units write the phase's summary (阶段性总结) and submit it upward, as a file."""
    path = folder / f"{phase_key}_summaries.xlsx"
    with db.session_scope() as session:
        rows = demo_narratives(session, campaign_id, (phase_key,), today, rng)
    write_narratives_xlsx(rows, path)
    with db.session_scope() as session:
        import_narratives(session=session, campaign_id=campaign_id, path=path, today=today)


def _rectify_phase(console: Console, campaign_id: int, folder: Path, rng: random.Random) -> None:
    """Findings confirmed, a ledger of measures, the daily sweep across the phase, the roll-up."""
    from flows.escalation import ReplayInput, escalation_replay
    from flows.phase import PhaseRunInput, start_phase

    ledger_path = folder / "rectification_ledger.xlsx"
    deliveries_path = folder / "rectify_deliveries.xlsx"
    with db.session_scope() as session:
        confirmed = review_demo_findings(session, campaign_id)
        cases = verify_demo_cases(session, campaign_id, RECTIFY.cases_decided_on)
        plan = LedgerPlan(plan_on=RECTIFY.plan_on, due_dates=RECTIFY.due_dates, as_of=RECTIFY.end)
        write_ledger_xlsx(demo_ledger(session, campaign_id, plan, rng), ledger_path)
        dues = without_summaries(due_items(session, campaign_id, "rectify"))
        campaign_start = get_campaign(session=session, campaign_id=campaign_id).start_on
    write_deliveries_xlsx(demo_deliveries(dues, campaign_start, rng), deliveries_path)
    with db.session_scope() as session:
        import_rectification(
            session=session, campaign_id=campaign_id, path=ledger_path, as_of=RECTIFY.end
        )
        verified = verify_done_items(session, campaign_id, RECTIFY.end, rng)
        import_deliveries(session=session, campaign_id=campaign_id, path=deliveries_path)
        add_demo_contacts(session)
    _import_narratives(campaign_id, "rectify", RECTIFY.end, folder, rng)
    console.print(
        f"\n整改纠正 rectify: 确认问题线索 confirmed {confirmed} 条；核实结论 cases "
        + "，".join(f"{label} {count}" for label, count in cases.items())
        + f"；验收 verified {verified} 项"
    )

    with webhook_receiver() as receiver, _demo_targets(receiver):
        days = escalation_replay(
            ReplayInput(campaign_id=campaign_id, start=RECTIFY.start, end=RECTIFY.end)
        )
        again = escalation_replay(
            ReplayInput(campaign_id=campaign_id, start=RECTIFY.end, end=RECTIFY.end)
        )
    sent = sum(day.delivery.sent for day in days)
    console.print(
        f"每日督办 daily sweep {RECTIFY.start} → {RECTIFY.end}（{len(days)} 天）："
        f"本地 Webhook 收到 {len(receiver.received)} 条 received，发送成功 sent {sent}，"
        f"重复 duplicates {receiver.duplicates}；重跑最后一天新增 re-run adds "
        f"{again[0].sweep.new_item_steps} 个步骤、{again[0].delivery.sent} 条消息"
    )
    with db.session_scope() as session:
        console.print(_ladder_table(session, campaign_id))
        trail = _item_trail(session, campaign_id)
    if trail is not None:
        console.print(trail)

    start_phase(PhaseRunInput(campaign_id=campaign_id, phase="rectify", as_of=RECTIFY.end))
    with db.session_scope() as session:
        summary = compute_summaries(
            session=session, campaign_id=campaign_id, as_of=RECTIFY.end, phase_key="rectify"
        )
    console.print(_rectification_table(summary, RECTIFY.end))


@contextmanager
def _demo_targets(receiver: WebhookReceiver) -> Iterator[None]:
    """Point the demo's named targets at the local receiver, for the sweep only."""
    names = {
        f"QINGLIAN_NOTIFY__{target.upper()}": receiver.url(role)
        for role, target in DEMO_TARGETS.items()
    }
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def _ladder_table(session: Session, campaign_id: int) -> Table:
    """Each ladder step, to whom, how many items, when: every (item, step) sent once."""
    ladder = campaign_ladder(get_campaign(session=session, campaign_id=campaign_id))
    rows = session.exec(
        select(
            OutboxItem.step,
            OutboxItem.target,
            func.count(),
            func.count(func.distinct(OutboxItem.item_key)),
            func.min(OutboxMessage.sweep_on),
            func.max(OutboxMessage.sweep_on),
        )
        .join(OutboxMessage, col(OutboxMessage.id) == OutboxItem.message_id)
        .where(OutboxItem.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.sent)
        .group_by(OutboxItem.step, OutboxItem.target)
    ).all()
    order = {step.key: rank for rank, step in enumerate(ladder.steps)}
    table = Table(
        "督办步骤 ladder step",
        "接收方 recipient",
        "事项×步骤 item-steps",
        "事项 items",
        "首次 first",
        "最近 last",
        title="逐级督办：每个事项的每一步只发送一次 / each ladder step once per item",
    )
    for step, target, count, items, first, last in sorted(rows, key=lambda r: order.get(r[0], 99)):
        table.add_row(
            ladder.step(step).title if step in order else step,
            target,
            str(count),
            str(items),
            str(first),
            str(last),
        )
    return table


def _item_trail(session: Session, campaign_id: int) -> Table | None:
    """One never-finished rectification item climbing the whole ladder, step by step."""
    item = session.exec(
        select(RectificationItem)
        .where(
            RectificationItem.campaign_id == campaign_id,
            col(RectificationItem.done_on).is_(None),
        )
        .order_by(RectificationItem.due_on, RectificationItem.id)
    ).first()
    if item is None:
        return None
    ladder = campaign_ladder(get_campaign(session=session, campaign_id=campaign_id))
    rows = session.exec(
        select(OutboxItem.step, OutboxItem.target, OutboxMessage.sweep_on)
        .join(OutboxMessage, col(OutboxMessage.id) == OutboxItem.message_id)
        .where(
            OutboxItem.campaign_id == campaign_id,
            OutboxItem.item_key == f"r:{item.id}@{item.due_on}",
        )
        .order_by(OutboxMessage.sweep_on)
    ).all()
    table = Table(
        "日期 day",
        "督办步骤 step",
        "接收方 recipient",
        title=f"整改事项 {item.id}（时限 {item.due_on}，未完成）的督办轨迹 / one item's trail",
    )
    for step, target, day in rows:
        table.add_row(str(day), ladder.step(step).title, target)
    return table


def _rectification_table(summary: UnitSummary, as_of: date) -> Table:
    table = Table(
        "单位",
        "整改事项",
        "已完成",
        "已验收",
        "逾期未完成",
        "督办提醒",
        title=f"整改纠正逐级汇总（截至 {as_of}）/ rectification roll-up",
    )
    rows = [(summary, "")]
    for province in summary.children:
        rows.append((province, "  "))
        rows.extend((city, "    ") for city in province.children)
    for node, indent in rows:
        figures = node.subtree
        table.add_row(
            f"{indent}{node.name}{'（滞后）' if node.lagging else ''}",
            str(figures.rectification_items),
            str(figures.rectified),
            str(figures.rectification_by_status.get("verified", 0)),
            str(figures.rectification_overdue),
            str(figures.escalations),
        )
    return table


def _summarize_phase(
    console: Console, campaign_id: int, folder: Path, rng: random.Random
) -> list[Path]:
    """Inspection teams visit a sample; the summarize phase writes the report and completes."""
    from flows.phase import PhaseRunInput, start_phase

    results_path = folder / "inspection_results.xlsx"
    deliveries_path = folder / "summarize_deliveries.xlsx"
    with db.session_scope() as session:
        sample = draw_inspection_sample(
            session=session,
            campaign_id=campaign_id,
            size=INSPECTION_SIZE,
            seed=SEED,
            as_of=INSPECTION_DRAWN_ON,
        )
        dues = [
            item
            for item in without_summaries(due_items(session, campaign_id, "summarize"))
            if item.unit_code != ROOT  # the root's report is the one the phase writes
        ]
        campaign_start = get_campaign(session=session, campaign_id=campaign_id).start_on
    visits = [(visit.unit_code, visit.lagging) for visit in sample.visits]
    write_inspection_xlsx(demo_inspection_rows(visits, INSPECTION_DRAWN_ON, rng), results_path)
    write_deliveries_xlsx(demo_deliveries(dues, campaign_start, rng), deliveries_path)
    with db.session_scope() as session:
        inspected = import_inspection_results(
            session=session, campaign_id=campaign_id, path=results_path, as_of=SUMMARIZE_AS_OF
        )
        import_deliveries(session=session, campaign_id=campaign_id, path=deliveries_path)
    _import_narratives(campaign_id, "summarize", SUMMARIZE_AS_OF, folder, rng)
    table = Table(
        "单位 unit",
        "层级 level",
        "滞后 lagging",
        "得分 score",
        title=f"检查组抽查（{len(visits)} 个单位，种子 {SEED}）/ inspection sample",
    )
    with db.session_scope() as session:
        scores = {
            unit_id: (score, lagging)
            for unit_id, score, lagging in session.exec(
                select(
                    InspectionVisit.unit_id, InspectionVisit.score, InspectionVisit.lagging
                ).where(InspectionVisit.sample_id == sample.id)
            )
        }
    for visit in sample.visits:
        score, lagging = scores.get(visit.unit_id, (None, visit.lagging))
        table.add_row(
            visit.unit_name,
            visit.stratum.label,
            "是" if lagging else "",
            "" if score is None else f"{score:.1f}",
        )
    console.print(table)
    console.print(
        f"检查发现问题 inspection findings: {inspected.findings_created} 条，"
        f"新建整改事项 {inspected.items_created} 项"
    )

    start_phase(PhaseRunInput(campaign_id=campaign_id, phase="summarize", as_of=SUMMARIZE_AS_OF))
    with db.session_scope() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        root = session.get(Unit, campaign.root_unit_id)
        assert root is not None
        report_dir = reports_dir(get_settings(), campaign_id)
        reports = [
            default_report_path(get_settings(), campaign_id, root.code, SUMMARIZE_AS_OF, fmt)
            for fmt in ("docx", "md")
        ]
        assessment = report_dir / f"年终考核-{SUMMARIZE_AS_OF.isoformat()}.xlsx"
        console.print(
            f"检查总结 summarize: 专项活动{'已完成 completed ' + str(campaign.completed_on) if campaign.completed_on else '未完成'}；"
            f"年终考核表 assessment: {assessment}"
        )
    return reports


def _print_rate(console: Console, what: str, as_of: date, rate: ReportingRate, units: int) -> None:
    console.print(
        f"{what}, as of {as_of}: {units} 个单位，上报率 {percent(rate.rate)}，"
        f"按时率 {percent(rate.on_time_rate)}，缺报 {rate.missing} 项"
    )


def _print_forms(console: Console, as_of: date, forms: ReportingRate | None, what: str) -> None:
    assert forms is not None
    console.print(
        f"{what}, as of {as_of}: 《报告表》应报 {forms.expected}，按时 {forms.on_time}，"
        f"逾期 {forms.late}，缺报 {forms.missing}，未到期 {forms.pending}"
    )


def _rollup_table(progress: UnitProgress, as_of: date) -> Table:
    table = Table(
        "单位",
        "事项上报率",
        "事项缺报",
        "报告表上报率",
        "报告表缺报",
        "问题线索",
        title=f"逐级汇总（截至 {as_of}）/ roll-up",
    )
    rows = [(progress, "")]
    for province in progress.children:
        rows.append((province, "  "))
        rows.extend((city, "    ") for city in province.children)
    for node, indent in rows:
        rate, forms = node.subtree, node.forms or ReportingRate()
        table.add_row(
            f"{indent}{node.name}",
            percent(rate.rate),
            str(rate.missing),
            percent(forms.rate),
            str(forms.missing),
            str(sum(node.findings.values())),
        )
    return table
