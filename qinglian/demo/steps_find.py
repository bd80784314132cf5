"""The demo's 查找问题 phase: forms, rules lists and complaints imported; the phase run."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from flows.phase import start_phase
from models import Unit
from models.complaint import VerificationCase
from models.enums import ComplaintStatus, FindingSource
from models.flow_inputs import PhaseRunInput
from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.complaints.import_complaints import import_complaints
from qinglian.complaints.visibility import complaint_counts
from qinglian.core import db
from qinglian.declarations.findings import findings_by_category
from qinglian.declarations.import_forms import import_forms
from qinglian.demo.complaints import demo_complaints, use_demo_key, write_complaints_xlsx
from qinglian.demo.context import DemoRun
from qinglian.demo.find import demo_forms, demo_rules_review, write_forms_xlsx
from qinglian.demo.mobilize import DueItem, demo_deliveries, write_deliveries_xlsx
from qinglian.demo.tables import cases_table, findings_table, print_forms, rollup_table
from qinglian.demo.timeline import FIND_AS_OF, RULES_LISTED_ON
from qinglian.demo.tree import DemoUnit, write_csv
from qinglian.oversight.tracking import campaign_progress
from qinglian.rectification.import_regulations import import_rules_review
from qinglian.rectification.regulations import sync_rules_review_deliverables


def find_phase(
    run: DemoRun,
    cadres: list[dict[str, object]],
    units: list[DemoUnit],
    dues: list[DueItem],
    campaign_start: date,
) -> None:
    """Cadres file forms, units list their rules, complaints arrive; then the phase runs."""
    campaign_id, folder, rng = run.campaign_id, run.folder, run.rng
    forms_path = folder / "forms.xlsx"
    rules_path = folder / "rules_review.csv"
    complaints_path = folder / "complaints.xlsx"
    forms = demo_forms(cadres, units, dues, rng)
    write_forms_xlsx(forms, forms_path)
    use_demo_key(folder)
    write_complaints_xlsx(demo_complaints(cadres, units, forms), complaints_path)
    write_csv(demo_rules_review(units, rng), rules_path)
    with db.session_scope() as session:
        forms_report = import_forms(
            session=session, path=forms_path, campaign_id=campaign_id, as_of=FIND_AS_OF[-1]
        )
        import_rules_review(
            session=session, campaign_id=campaign_id, path=rules_path, as_of=FIND_AS_OF[-1]
        )
        sync_rules_review_deliverables(
            session=session, campaign_id=campaign_id, listed_on=RULES_LISTED_ON
        )
        complaints_report = import_complaints(
            session=session, campaign_id=campaign_id, path=complaints_path, as_of=FIND_AS_OF[-1]
        )
    # The cross-check against complaints is reported by each unit (the system's own cross-check
    # runs in the find phase); the forms and rules lists are synced from what was imported.
    checks = [item for item in dues if item.kind == "complaints_cross_check"]
    deliveries_path = folder / "find_deliveries.xlsx"
    write_deliveries_xlsx(demo_deliveries(checks, campaign_start, rng), deliveries_path)
    with db.session_scope() as session:
        import_deliveries(session=session, campaign_id=campaign_id, path=deliveries_path)
    run.import_narratives("find", FIND_AS_OF[-1])
    run.console.print(
        f"《报告表》forms: {forms_report.created} 份新收 new, {forms_report.unchanged} 份未变 unchanged"
    )
    # Just after the forms deadline, `status` (no flow run) shows who is late; the phase itself
    # runs at its end.
    with db.session_scope() as session:
        early = campaign_progress(
            session=session, campaign_id=campaign_id, as_of=FIND_AS_OF[0], phase_key="find"
        )
    print_forms(run.console, FIND_AS_OF[0], early.forms, "qinglian status")
    outcome = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="find", as_of=FIND_AS_OF[-1])
    )
    print_forms(run.console, FIND_AS_OF[-1], outcome.forms, "查找问题 find")
    run.console.print(
        f"  问题线索 findings {sum(outcome.findings.values())}（当日新增 new that day {outcome.new_findings}）"
    )
    _print_complaints(run, complaints_report.created)
    last = FIND_AS_OF[-1]
    with db.session_scope() as session:
        progress = campaign_progress(session=session, campaign_id=campaign_id, as_of=last)
        findings = {
            source: findings_by_category(session=session, campaign_id=campaign_id, source=source)
            for source in FindingSource
        }
    run.console.print(rollup_table(progress, last))
    run.console.print(findings_table(findings))


def _print_complaints(run: DemoRun, imported: int) -> None:
    """How many complaints came in, were linked or queued, and the cases they opened."""
    with db.session_scope() as session:
        counts = complaint_counts(session=session, campaign_id=run.campaign_id)
        cases = session.exec(
            select(VerificationCase)
            .where(VerificationCase.campaign_id == run.campaign_id)
            .order_by(VerificationCase.id)
        ).all()
        unit_names = dict(session.exec(select(Unit.id, Unit.name)).all())
    run.console.print(
        f"信访举报 complaints: {imported} 件导入 imported；共 {counts.total} 件"
        f"（重复 {counts.duplicates} 件已关联 duplicates linked）；"
        f"待人工确认 ambiguous {counts.by_status.get(ComplaintStatus.ambiguous, 0)} 件；"
        f"交调查核实 cases opened {counts.cases_open} 件"
    )
    run.console.print(cases_table(cases, unit_names))
