"""The crash harness's campaign: a tiny tree built with the demo's own data makers.

卫生部 → 江苏省卫生厅 → 连云港市卫生局 → two hospitals and a county (with its hospital), each
hospital with a department or two: 11 units, 30 in-scope cadres. Every unit has a webhook target
of its own (``office-<code>``) and every admin unit a head and a discipline target, so the
sweep writes one digest per recipient: 15 of them.

Two states are built, each by the project's own importers, in the order an office works:

- :func:`build_find_state`: the tree and cadres imported, coi-2012 launched, the mobilisation
  deliveries and every cadre's 报告表 imported — the find phase (:func:`phase_args`) is next;
- :func:`build_sweep_state`, on the database the find phase left: the findings confirmed and a
  rectification ledger imported whose measures are partly overdue on :data:`SWEEP_DAY`, when
  the escalation sweep with delivery (:func:`sweep_args`) runs.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import Session, select

from models.enums import ContactRole
from models.unit import Unit
from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.campaigns.launch import launch_campaign
from qinglian.core import db
from qinglian.core.settings import Settings
from qinglian.declarations.import_forms import import_forms
from qinglian.demo.find import demo_forms, write_forms_xlsx
from qinglian.demo.mobilize import demo_deliveries, due_items, write_deliveries_xlsx
from qinglian.demo.rectify import LedgerPlan, demo_ledger, review_demo_findings, write_ledger_xlsx
from qinglian.demo.timeline import FIND_AS_OF, RECTIFY, ROOT, TEMPLATE
from qinglian.demo.tree import DemoUnit, demo_cadres, write_csv
from qinglian.notify.targets import normalise_target
from qinglian.org.import_cadres import import_cadres
from qinglian.org.import_units import UNIT_COLUMNS, import_units
from qinglian.oversight.recipients import add_contact
from qinglian.rectification.import_ledger import import_rectification

SEED = 2012
FIND_DAY = FIND_AS_OF[-1]
SWEEP_DAY = date(2012, 11, 20)  # after every ledger deadline: the unfinished ones are overdue

UNITS = (
    DemoUnit("MOH", "卫生部", "ministry", "health_admin", None),
    DemoUnit("JS", "江苏省卫生厅", "province", "health_admin", "MOH"),
    DemoUnit("JS-LYG", "连云港市卫生局", "city", "health_admin", "JS"),
    DemoUnit(
        "JS-LYG-FB", "连云港市妇幼保健院", "institution", "public_medical", "JS-LYG", "连妇保"
    ),
    DemoUnit(
        "JS-LYG-FB-D01", "连云港市妇幼保健院产科", "department", "public_medical", "JS-LYG-FB"
    ),
    DemoUnit(
        "JS-LYG-FB-D02", "连云港市妇幼保健院儿科", "department", "public_medical", "JS-LYG-FB"
    ),
    DemoUnit("JS-LYG-DY", "连云港市第一人民医院", "institution", "public_medical", "JS-LYG"),
    DemoUnit(
        "JS-LYG-DY-D01", "连云港市第一人民医院内科", "department", "public_medical", "JS-LYG-DY"
    ),
    DemoUnit("JS-LYG-HZ", "海州区卫生局", "county", "health_admin", "JS-LYG"),
    DemoUnit("JS-LYG-HZ-RM", "海州区人民医院", "institution", "public_medical", "JS-LYG-HZ"),
    DemoUnit(
        "JS-LYG-HZ-RM-D01", "海州区人民医院外科", "department", "public_medical", "JS-LYG-HZ-RM"
    ),
)


def targets() -> list[str]:
    """Every notification target the tree names, as the environment spells them."""
    names = [f"office-{unit.code}" for unit in UNITS]
    for unit in UNITS:
        if unit.kind == "health_admin":
            names += [f"head-{unit.code}", f"jjz-{unit.code}"]
    return [normalise_target(name) for name in names]


def build_find_state(settings: Settings, folder: Path) -> int:
    """The tree, its cadres, coi-2012 launched, mobilisation deliveries and forms imported."""
    rng = random.Random(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    units_path, cadres_path = folder / "units.xlsx", folder / "cadres.csv"
    _write_units(units_path)
    cadres = demo_cadres(list(UNITS), rng)
    write_csv(cadres, cadres_path)
    with db.session_scope(settings) as session:
        import_units(session=session, path=units_path)
        import_cadres(session=session, path=cadres_path)
        campaign, _ = launch_campaign(session=session, template_key=TEMPLATE, root_code=ROOT)
        assert campaign.id is not None
        campaign_id, start = campaign.id, campaign.start_on
        mobilize = due_items(session, campaign_id, "mobilize")
        find = due_items(session, campaign_id, "find")
        _add_contacts(session)
    deliveries_path, forms_path = folder / "mobilize_deliveries.xlsx", folder / "forms.xlsx"
    write_deliveries_xlsx(demo_deliveries(mobilize, start, rng), deliveries_path)
    write_forms_xlsx(demo_forms(cadres, list(UNITS), find, rng), forms_path)
    with db.session_scope(settings) as session:
        import_deliveries(session=session, campaign_id=campaign_id, path=deliveries_path)
        import_forms(session=session, path=forms_path, campaign_id=campaign_id, as_of=FIND_DAY)
    return campaign_id


def build_sweep_state(settings: Settings, folder: Path, campaign_id: int) -> None:
    """After the find phase: its findings confirmed and a ledger with overdue measures."""
    rng = random.Random(SEED + 1)
    ledger_path = folder / "rectification_ledger.xlsx"
    plan = LedgerPlan(plan_on=RECTIFY.plan_on, due_dates=RECTIFY.due_dates, as_of=SWEEP_DAY)
    with db.session_scope(settings) as session:
        review_demo_findings(session, campaign_id)
        write_ledger_xlsx(demo_ledger(session, campaign_id, plan, rng), ledger_path)
    with db.session_scope(settings) as session:
        import_rectification(
            session=session, campaign_id=campaign_id, path=ledger_path, as_of=SWEEP_DAY
        )


def phase_args(campaign_id: int) -> tuple[str, ...]:
    return ("phase", "run", str(campaign_id), "find", "--as-of", FIND_DAY.isoformat())


def sweep_args(campaign_id: int) -> tuple[str, ...]:
    return ("escalate", "--campaign", str(campaign_id), "--as-of", SWEEP_DAY.isoformat())


def _write_units(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "单位"
    sheet.append([column.header for column in UNIT_COLUMNS])
    for unit in UNITS:
        parent = unit.parent or ""
        sheet.append(
            [
                unit.code,
                unit.name,
                unit.alias,
                unit.level,
                unit.kind,
                parent,
                "",
                f"office-{unit.code}",
                "",
                "",
            ]
        )
    workbook.save(path)


def _add_contacts(session: Session) -> None:
    for unit_id, code in session.exec(select(Unit.id, Unit.code)).all():
        unit = next(u for u in UNITS if u.code == code)
        if unit.kind != "health_admin" or unit_id is None:
            continue
        add_contact(session=session, unit_id=unit_id, role=ContactRole.head, target=f"head-{code}")
        add_contact(
            session=session, unit_id=unit_id, role=ContactRole.discipline, target=f"jjz-{code}"
        )
