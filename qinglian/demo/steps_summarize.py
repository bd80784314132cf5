"""The demo's 检查总结 phase: inspection teams visit a sample; the report is written."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from sqlmodel import select

from flows.phase import start_phase
from models.flow_inputs import PhaseRunInput
from models.inspection import InspectionVisit
from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.core import db
from qinglian.core.settings import get_settings
from qinglian.demo.context import DemoRun
from qinglian.demo.mobilize import demo_deliveries, due_items, write_deliveries_xlsx
from qinglian.demo.summarize import demo_inspection_rows, without_summaries, write_inspection_xlsx
from qinglian.demo.timeline import INSPECTION_DRAWN_ON, INSPECTION_SIZE, ROOT, SEED, SUMMARIZE_AS_OF
from qinglian.inspection.import_results import import_inspection_results
from qinglian.inspection.samples import draw_inspection_sample
from qinglian.reporting.document.files import default_report_path, reports_dir


def summarize_phase(run: DemoRun) -> list[Path]:
    """Inspection teams visit a sample; the summarize phase writes the report and completes."""
    campaign_id, folder, rng, console = run.campaign_id, run.folder, run.rng, run.console
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
    run.import_narratives("summarize", SUMMARIZE_AS_OF)
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
        root = campaign_root(session=session, campaign=campaign)
        report_dir = reports_dir(get_settings(), campaign_id)
        reports = [
            default_report_path(get_settings(), campaign_id, root.code, SUMMARIZE_AS_OF, fmt)
            for fmt in ("docx", "md")
        ]
        assessment = report_dir / f"年终考核-{SUMMARIZE_AS_OF.isoformat()}.xlsx"
        completed = (
            f"已完成 completed {campaign.completed_on}" if campaign.completed_on else "未完成"
        )
        console.print(
            f"检查总结 summarize: 专项活动{completed}；年终考核表 assessment: {assessment}"
        )
    return reports
