"""The demo's 动员部署 phase: units report their deliverables; status mid-phase, then the run."""

from __future__ import annotations

from datetime import date

from flows.phase import start_phase
from models.flow_inputs import PhaseRunInput
from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.core import db
from qinglian.demo.context import DemoRun
from qinglian.demo.mobilize import DueItem, demo_deliveries, write_deliveries_xlsx
from qinglian.demo.summarize import without_summaries
from qinglian.demo.tables import print_rate
from qinglian.demo.timeline import MOBILIZE_AS_OF
from qinglian.oversight.tracking import campaign_progress


def mobilize_phase(run: DemoRun, dues: list[DueItem], campaign_start: date, units: int) -> None:
    """Deliveries and summaries imported as files; `status` mid-phase; the phase run after it."""
    path = run.folder / "mobilize_deliveries.xlsx"
    write_deliveries_xlsx(demo_deliveries(without_summaries(dues), campaign_start, run.rng), path)
    with db.session_scope() as session:
        import_deliveries(session=session, campaign_id=run.campaign_id, path=path)
    run.import_narratives("mobilize", MOBILIZE_AS_OF[-1])
    # Mid-phase, `status` (no flow run) shows how it stands; the phase runs once it is over.
    with db.session_scope() as session:
        mid = campaign_progress(
            session=session,
            campaign_id=run.campaign_id,
            as_of=MOBILIZE_AS_OF[0],
            phase_key="mobilize",
        ).subtree
    print_rate(run.console, "qinglian status", MOBILIZE_AS_OF[0], mid, units)
    outcome = start_phase(
        PhaseRunInput(campaign_id=run.campaign_id, phase="mobilize", as_of=MOBILIZE_AS_OF[-1])
    )
    print_rate(run.console, "动员部署 mobilize", MOBILIZE_AS_OF[-1], outcome.subtree, outcome.units)
