"""The find phase end to end: forms collected, problems detected, rolled up, idempotent."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from prefect.artifacts import Artifact
from sqlmodel import func, select

from flows.phase import start_phase
from models import Deliverable, Finding, Unit
from models.flow_inputs import PhaseRunInput
from qinglian.core import db
from qinglian.core.settings import Settings
from qinglian.declarations.columns import BASICS, POSTS, RELATIVES, SECTIONS
from qinglian.declarations.import_forms import import_forms
from qinglian.demo.find import write_forms_xlsx
from qinglian.reporting.artifacts import artifact_key
from tests.factories import FB, FB_OBSTETRICS, LYG, launch_seed_campaign

ON_TIME, LATE, END = date(2012, 8, 6), date(2012, 8, 8), date(2012, 8, 31)


def _basics(staff_no: str, name: str, unit: str, nothing: bool, on: date) -> list[object]:
    return [staff_no, name, unit, "", "", "否", "是" if nothing else "否", on, on]


def _forms(path: Path) -> Path:
    sheets: dict = {section: [] for section in SECTIONS}
    sheets[BASICS] += [
        _basics("LYG001", "王局长", LYG, False, ON_TIME),
        _basics("FB001", "施庆喜", FB, False, ON_TIME),
        _basics("FB002", "邵亚玲", FB, True, LATE),
        _basics("FB101", "潘菁", FB_OBSTETRICS, True, ON_TIME),
    ]  # FB003 顾扬 never files
    sheets[RELATIVES].append(["FB001", "施某", "配偶", "某医药公司", "销售", "药品销售", "是"])
    sheets[POSTS].append(
        ["LYG001", "辖区人民医院", "管辖范围内医疗卫生单位", "院长", "是", "是", "否"]
    )
    write_forms_xlsx(sheets, path)
    return path


def test_find_phase_collects_detects_and_rolls_up(qinglian_home: Settings, tmp_path: Path) -> None:
    with db.session_scope() as session:
        campaign_id = launch_seed_campaign(session, tmp_path)
        report = import_forms(
            session=session,
            path=_forms(tmp_path / "forms.xlsx"),
            campaign_id=campaign_id,
            as_of=END,
        )
    assert report.created == 4

    outcome = start_phase(PhaseRunInput(campaign_id=campaign_id, phase="find", as_of=END))
    assert outcome.forms is not None
    assert (outcome.forms.expected, outcome.forms.received) == (5, 4)
    assert (outcome.forms.late, outcome.forms.missing) == (1, 1)
    assert outcome.findings == {"relative_business": 1, "concurrent_leadership": 1}
    assert outcome.new_findings == 2
    assert "连云港市妇幼保健院" in outcome.behind

    again = start_phase(PhaseRunInput(campaign_id=campaign_id, phase="find", as_of=END))
    # The same day again: the same figures (new = found on the pass's day), nothing recorded.
    assert again == outcome
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Finding)).one() == 2
        collected = dict(
            session.exec(
                select(Unit.code, Deliverable.submitted_on)
                .join(Unit, Unit.id == Deliverable.unit_id)
                .where(Deliverable.kind == "forms_collected")
            ).all()
        )
    assert collected[LYG] == ON_TIME  # its one cadre filed: the unit's forms are in
    assert collected[FB] is None  # 顾扬 has not filed

    # Who has not filed is for the unit's own office; the level above sees counts only.
    own = Artifact.get(artifact_key(campaign_id, "find", f"{FB}-forms"))
    assert own is not None and "FB003 顾扬" in str(own.data)
    parent = Artifact.get(artifact_key(campaign_id, "find", LYG))
    assert parent is not None
    rows = json.loads(str(parent.data))
    fb_row = next(row for row in rows if row["单位"] == "连云港市妇幼保健院")
    assert fb_row["报告表缺报"] == 1 and "顾扬" not in str(parent.data)
