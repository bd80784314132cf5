"""`qinglian demo --template KEY` for the templates other than coi-2012: a district's campaign
through every phase the template declares, read from the campaign as launched, never named in
code. What a phase adds (明查暗访, 公开承诺, the year-end assessment) follows from its data: its
deliverables' keys and its activities."""

from __future__ import annotations

import random
from collections import Counter

from rich.console import Console
from rich.table import Table
from sqlmodel import col, select

from flows.phase import start_phase
from models import Deliverable, Unit
from models.flow_inputs import PhaseRunInput
from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.campaigns.launch import launch_campaign
from qinglian.campaigns.lookup import campaign_root, get_campaign, get_phase
from qinglian.campaigns.templates import get_template
from qinglian.core import db
from qinglian.core.settings import get_settings
from qinglian.demo.context import DemoRun
from qinglian.demo.district import (
    ROOT,
    PhaseDay,
    district_deliveries,
    district_narratives,
    district_units,
    phase_days,
)
from qinglian.demo.mobilize import due_items, write_deliveries_xlsx
from qinglian.demo.summarize import write_narratives_xlsx
from qinglian.demo.tables import print_rate
from qinglian.demo.tree import write_units_xlsx
from qinglian.demo.visits import (
    assessment_table,
    inspection_rounds,
    rectify_and_expose,
    visits_table,
)
from qinglian.org.import_units import import_units
from qinglian.reporting.document.files import default_report_path, reports_dir
from qinglian.reporting.import_narratives import import_narratives
from qinglian.reporting.narratives import summary_deliverable_kind
from qinglian.rules.status import deliverable_status

VISITS = "inspection_visits"  # 明查暗访: inspection visits spread across its window
COMMITMENT = "public_commitment"  # 公开承诺: evidence is the published commitment


def run_template_demo(console: Console, template_key: str) -> None:
    """Build the district, launch the template's campaign on it, run each of its phases."""
    settings = get_settings()
    template = get_template(template_key)
    folder = settings.home / "demo" / template.key
    folder.mkdir(parents=True, exist_ok=True)
    units_path = folder / "units.xlsx"
    units = district_units()
    write_units_xlsx(units, units_path)
    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        import_units(session=session, path=units_path)
        campaign, created = launch_campaign(
            session=session, template_key=template.key, root_code=ROOT
        )
        assert campaign.id is not None
        campaign_id, completed_on = campaign.id, campaign.completed_on
        phases = phase_days(session, campaign_id, template)
    console.print(
        f"专项活动 campaign {campaign_id}（模板 template {template.key}，{template.source}）："
        f"{template.title}；{len(units)} 个单位 units；{len(phases)} 个阶段 phases："
        + " → ".join(phase.title for phase in phases)
    )
    if not created and completed_on is not None:
        console.print(
            f"该专项活动已于 {completed_on} 运行完毕，不再重复 / this campaign already ran in this "
            f"home: qinglian status {campaign_id} --as-of {phases[-1].run_on}"
        )
        return
    run = DemoRun(
        console=console,
        campaign_id=campaign_id,
        folder=folder,
        rng=random.Random(f"{template.key}-{ROOT}"),
    )
    names = {unit.code: unit.name for unit in units}
    for phase in phases:
        _run_phase(run, phase, names)
    _print_end(run, phases[-1])


def _run_phase(run: DemoRun, phase: PhaseDay, names: dict[str, str]) -> None:
    console = run.console
    run.stand_on(phase.starts_on)
    console.print(f"\n{phase.title} {phase.key}：{phase.starts_on} 至 {phase.ends_on}")
    with db.session_scope() as session:
        campaign = get_campaign(session=session, campaign_id=run.campaign_id)
        template_phase = get_template(campaign.template_key).phase(phase.key)
        root_path = campaign_root(session=session, campaign=campaign).path
        dues = due_items(session, run.campaign_id, phase.key)
    summaries = summary_deliverable_kind(phase.key)
    report = template_phase.report_deliverable
    kinds = {item.kind for item in dues}
    if VISITS in kinds:
        window_end = max(item.due_on for item in dues if item.kind == VISITS)
        visits = inspection_rounds(run, phase.starts_on, window_end)
        console.print(visits_table(visits, phase.starts_on, window_end))
        for unit, problem, day, where in rectify_and_expose(run, phase.ends_on):
            console.print(f"公开曝光 exposed: {unit}「{problem}」，{day} 见于 {where}")
    rows = district_deliveries(
        [
            item
            for item in dues
            if item.kind != summaries and not (item.kind == report and item.unit_code == ROOT)
        ],
        phase,
        names,
        run.rng,
    )
    path = run.folder / f"{phase.key}_deliveries.xlsx"
    write_deliveries_xlsx(rows, path)
    with db.session_scope() as session:
        import_deliveries(session=session, campaign_id=run.campaign_id, path=path)
        if summaries in kinds:
            narratives = run.folder / f"{phase.key}_summaries.xlsx"
            summary_dues = {item.unit_code: item.due_on for item in dues if item.kind == summaries}
            write_narratives_xlsx(
                district_narratives(session, root_path, phase, summary_dues, run.rng), narratives
            )
    if summaries in kinds:
        with db.session_scope() as session:
            import_narratives(
                session=session, campaign_id=run.campaign_id, path=narratives, as_of=phase.run_on
            )
    if COMMITMENT in kinds:
        published = [row for row in rows if str(row["事项"]).startswith("公开承诺")]
        console.print(
            f"公开承诺 public commitments: {len(published)} 个单位已公开 published；"
            f"例 e.g. {published[0]['单位编码']}：{published[0]['说明']}"
        )
    outcome = start_phase(
        PhaseRunInput(campaign_id=run.campaign_id, phase=phase.key, as_of=phase.run_on)
    )
    print_rate(console, f"{phase.title} {phase.key}", phase.run_on, outcome.subtree, outcome.units)
    console.print(_items_table(run.campaign_id, phase))
    if "inspection" in template_phase.activities:
        console.print(assessment_table(run, phase.run_on))
        workbook = reports_dir(get_settings(), run.campaign_id) / f"年终考核-{phase.run_on}.xlsx"
        console.print(f"年终考核表 assessment: {workbook}")
    run.stand_on(phase.run_on)


def _items_table(campaign_id: int, phase: PhaseDay) -> Table:
    """Each deliverable of the phase across the district: expected, on time, late, missing."""
    with db.session_scope() as session:
        campaign = get_campaign(session=session, campaign_id=campaign_id)
        phase_id = get_phase(session=session, campaign=campaign, key=phase.key).id
        rows = session.exec(
            select(Deliverable.title, Deliverable.due_on, Deliverable.submitted_on)
            .join(Unit, col(Unit.id) == Deliverable.unit_id)
            .where(Deliverable.phase_id == phase_id)
            .order_by(col(Deliverable.id))
        ).all()
    counts: dict[str, Counter[str]] = {}
    for title, due_on, submitted_on in rows:
        status = deliverable_status(due_on, submitted_on, phase.run_on)
        counts.setdefault(title, Counter())[status.value] += 1
    table = Table(
        "事项 item",
        "应报 expected",
        "按时 on time",
        "逾期 late",
        "缺报 missing",
        "未到期 pending",
        title=f"{phase.title}阶段上报事项（截至 {phase.run_on}）/ deliverables",
    )
    for title, count in counts.items():
        table.add_row(
            title,
            str(count.total()),
            str(count["on_time"]),
            str(count["late"]),
            str(count["missing"]),
            str(count["pending"]),
        )
    return table


def _print_end(run: DemoRun, last: PhaseDay) -> None:
    settings = get_settings()
    with db.session_scope() as session:
        campaign = get_campaign(session=session, campaign_id=run.campaign_id)
        completed = campaign.completed_on
    report_dir = reports_dir(settings, run.campaign_id)
    run.console.print(
        f"\n专项活动{'已完成 completed ' + str(completed) if completed else '未完成 not completed'}"
        f"；总结报告 report: "
        f"{default_report_path(settings, run.campaign_id, ROOT, last.run_on, 'md')}\n"
        f"报告目录 reports: {report_dir}\n"
        f"查看进度 status: qinglian status {run.campaign_id} --as-of {last.run_on}\n"
        f"导入文件 input files: {run.folder}"
    )
