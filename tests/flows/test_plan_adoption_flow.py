"""After 连妇保 adopts its own plan (seed 002: 报告表 by the end of September), a find phase run
counts its forms by the plan's date and the escalation sweep chases the plan's deadline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import col, select

from flows.escalation import escalation_sweep
from flows.phase import start_phase
from models import Deliverable, Unit
from models.flow_inputs import PhaseRunInput, SweepInput
from models.outbox import OutboxItem
from qinglian.campaigns.launch import launch_campaign
from qinglian.core import db
from qinglian.core.settings import Settings
from qinglian.declarations.columns import BASICS, SECTIONS
from qinglian.declarations.import_forms import import_forms
from qinglian.demo.find import write_forms_xlsx
from tests.campaigns.test_plans import CITY_PLAN, adopt, write
from tests.factories import FB, FB_OBSTETRICS, LYG, import_seed_tree
from tests.rules.test_plan_text import seed

FILED = date(2012, 8, 20)  # late by the template (连妇保 8-08, its departments 8-06)
PLAN_DUE = date(2012, 9, 30)


def _forms(path: Path) -> Path:
    sheets: dict = {section: [] for section in SECTIONS}
    for staff_no, name, unit in (
        ("LYG001", "王局长", LYG),
        ("FB001", "施庆喜", FB),
        ("FB002", "邵亚玲", FB),
        ("FB101", "潘菁", FB_OBSTETRICS),
    ):  # FB003 顾扬 never files
        sheets[BASICS].append([staff_no, name, unit, "", "", "否", "是", FILED, FILED])
    write_forms_xlsx(sheets, path)
    return path


def test_a_phase_run_and_a_sweep_after_adoption_use_the_plans_deadlines(
    qinglian_home: Settings, tmp_path: Path
) -> None:
    with db.session_scope() as session:
        import_seed_tree(session, tmp_path)
        campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code=LYG)
        assert campaign.id is not None
        campaign_id = campaign.id
        adopt(session, campaign_id, LYG, write(tmp_path, "city.yaml", CITY_PLAN))
        adopt(session, campaign_id, FB, write(tmp_path, "002.txt", seed("002")))
        hospital = session.exec(select(Unit).where(Unit.code == FB)).one()
        hospital.office_email = "office@fb.example.cn"  # someone to tell on the deadline
        session.add(hospital)
        import_forms(
            session=session,
            path=_forms(tmp_path / "forms.xlsx"),
            campaign_id=campaign_id,
            as_of=date(2012, 8, 31),
        )

    sweep = escalation_sweep(SweepInput(campaign_id=campaign_id, as_of=PLAN_DUE, deliver=False))
    assert sweep.sweeps[0].digests > 0
    with db.session_scope() as session:
        forms_item = session.exec(
            select(Deliverable).where(
                Deliverable.campaign_id == campaign_id,
                Deliverable.unit_id == hospital.id,
                Deliverable.kind == "forms_collected",
            )
        ).one()
        deadlines = set(
            session.exec(
                select(OutboxItem.deadline).where(
                    OutboxItem.unit_id == hospital.id,
                    col(OutboxItem.item_key).startswith(f"d:{forms_item.id}@"),
                )
            ).all()
        )
    assert deadlines == {PLAN_DUE}  # chased on the plan's day, never on the template's 8-08

    outcome = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="find", as_of=date(2012, 10, 12))
    )
    assert outcome.forms is not None
    # Every form came in on 8-20: on time by the plan (9-30, departments 9-27), none late.
    assert (outcome.forms.expected, outcome.forms.received) == (5, 4)
    assert (outcome.forms.late, outcome.forms.missing) == (0, 1)
