"""`qinglian demo`: the 2012 conflict-of-interest campaign on a tree built from the seeds.

The units are the ones the seeds name (卫生部, 内蒙古自治区卫生厅 and its 盟市卫生局, 连云港市卫生局
and 连云港市妇幼保健院, 镇宁县卫食局 and its 乡计卫中心) plus ordinary county bureaus, hospitals and
departments around them. Cadres are synthetic, except the leading-group names that seed 002
itself publishes for 连妇保. Everything goes through the same importers and flows a campaign
office uses: the demo writes XLSX/CSV files and imports them.
"""

from __future__ import annotations

import random
from datetime import date

from rich.console import Console
from rich.table import Table
from sqlmodel import select

from models import Unit
from models.complaint import ComplaintStatus, VerificationCase
from qinglian import db
from qinglian.campaigns import launch_campaign
from qinglian.complaints import complaint_counts
from qinglian.demo.complaints import demo_complaints, use_demo_key, write_complaints_xlsx
from qinglian.demo.find import demo_forms, demo_rules_review, write_forms_xlsx
from qinglian.demo.mobilize import demo_deliveries, due_items, write_deliveries_xlsx
from qinglian.demo.tree import demo_cadres, demo_units, write_csv, write_units_xlsx
from qinglian.findings import findings_by_category
from qinglian.importers.cadres import import_cadres
from qinglian.importers.complaints import import_complaints
from qinglian.importers.deliveries import import_deliveries
from qinglian.importers.forms import import_forms
from qinglian.importers.rules_review import import_rules_review
from qinglian.importers.units import import_units
from qinglian.progress import UnitProgress, campaign_progress
from qinglian.reporting import percent
from qinglian.rules.status import ReportingRate
from qinglian.rules_review import sync_rules_review_deliverables
from qinglian.settings import get_settings

SEED = 2012
TEMPLATE = "coi-2012"
ROOT = "MOH"
# Points on the 2012 timeline at which the mobilisation phase is run (mid-phase, then after).
MOBILIZE_AS_OF = (date(2012, 7, 27), date(2012, 8, 8))
# The find phase: just after the forms deadline (08-10), then at the phase's end.
FIND_AS_OF = (date(2012, 8, 13), date(2012, 8, 31))
RULES_LISTED_ON = date(2012, 8, 24)


def run_demo(console: Console) -> None:
    from flows.phase import PhaseRunInput, start_phase  # Prefect is slow to import; only here

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
        demo_deliveries(mobilize_dues, campaign.start_on, rng), files["deliveries"]
    )
    with db.session_scope(settings) as session:
        import_deliveries(session=session, campaign_id=campaign_id, path=files["deliveries"])
    for as_of in MOBILIZE_AS_OF:
        outcome = start_phase(PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=as_of))
        console.print(
            f"动员部署 mobilize, as of {as_of}: {outcome.units} 个单位，"
            f"上报率 {percent(outcome.subtree.rate)}，按时率 {percent(outcome.subtree.on_time_rate)}，"
            f"缺报 {outcome.subtree.missing} 项"
        )

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
    console.print(
        f"\n数据库 database: {settings.effective_database_url}\n"
        f"导入文件 input files: {folder}\n"
        f"查看进度 status: qinglian status {campaign_id} --as-of {last}\n"
        f"问题线索 findings: qinglian findings list {campaign_id}\n"
        "Prefect 界面 UI: run `.venv/bin/prefect server start`, then open "
        "http://127.0.0.1:4200/runs (flow runs 「动员部署 · …」「查找问题 · …」 and their artifacts)"
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
