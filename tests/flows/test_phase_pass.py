"""A phase pass over two provinces: a failed subtree fails the phase naming it, and a re-run
resumes without computing a finished subtree again; the summary groups units behind by place."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from prefect.artifacts import Artifact
from sqlmodel import func, select

import tasks.phase_pass
from flows.phase import start_phase
from models.flow_inputs import PhaseRunInput
from models.phase_pass import PhasePass, PhaseSubtree, PhaseUnitResult
from qinglian.campaigns.launch import launch_campaign, record_delivery
from qinglian.core import db
from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings
from qinglian.org.import_units import import_units
from qinglian.oversight.tracking import campaign_progress
from qinglian.reporting.artifacts import artifact_key
from qinglian.reporting.phase_pass import PassPart

AS_OF = date(2012, 8, 8)
UNITS = [
    ("MOH", "卫生部", "", "ministry", "health_admin", ""),
    ("JS", "江苏省卫生厅", "", "province", "health_admin", "MOH"),
    ("JS-LYG", "连云港市卫生局", "", "city", "health_admin", "JS"),
    ("JS-LYG-FB", "连云港市妇幼保健院", "", "institution", "public_medical", "JS-LYG"),
    ("JS-NJ", "南京市卫生局", "", "city", "health_admin", "JS"),
    ("ZJ", "浙江省卫生厅", "", "province", "health_admin", "MOH"),
    ("ZJ-HZ", "杭州市卫生局", "", "city", "health_admin", "ZJ"),
    ("ZJ-HZ-XH", "西湖区卫生局", "", "county", "health_admin", "ZJ-HZ"),
]


@pytest.fixture
def campaign_id(qinglian_home: Settings, tmp_path: Path) -> int:
    path = tmp_path / "units.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["单位编码", "单位名称", "简称", "层级", "类型", "上级单位编码"])
        writer.writerows(UNITS)
    with db.session_scope() as session:
        import_units(session=session, path=path)
        campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code="MOH")
        assert campaign.id is not None
        record_delivery(
            session=session,
            campaign_id=campaign.id,
            unit_code="ZJ-HZ",
            kind="mobilization_meeting",
            submitted_on=date(2012, 7, 20),
        )
        return campaign.id


class Computations:
    """Records which subtree roots were computed, and fails the given ones."""

    def __init__(self, fail: set[str]) -> None:
        self.fail = set(fail)
        self.roots: list[str] = []
        self._real = tasks.phase_pass.compute_part

    def __call__(self, *, session: Any, part: PassPart) -> Any:
        from models.unit import Unit

        unit = session.get(Unit, part.root_id)
        self.roots.append(unit.code)
        if unit.code in self.fail:
            raise RuntimeError(f"injected failure in {unit.code}")
        return self._real(session=session, part=part)


def test_a_failed_subtree_fails_the_phase_and_a_rerun_resumes(
    campaign_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    computations = Computations(fail={"JS"})
    monkeypatch.setattr(tasks.phase_pass, "compute_part", computations)
    params = PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=AS_OF)
    with pytest.raises(QinglianError, match=r"江苏省卫生厅（JS）") as failed:
        start_phase(params)
    assert "subtree run(s) failed: JS" in str(failed.value)
    assert sorted(computations.roots) == ["JS", "ZJ"]  # both subtrees ran; the top did not

    computations.roots.clear()
    computations.fail.clear()
    outcome = start_phase(params)
    # Resumed: only the failed subtree and the top were computed, Zhejiang was not again.
    assert computations.roots == ["JS", "MOH"]
    with db.session_scope() as session:
        expected = campaign_progress(
            session=session, campaign_id=campaign_id, as_of=AS_OF, phase_key="mobilize"
        )
        passes = session.exec(select(PhasePass)).all()
        results = session.exec(select(func.count()).select_from(PhaseUnitResult)).one()
        subtrees = session.exec(select(PhaseSubtree.unit_id)).all()
    assert outcome.subtree == expected.subtree
    assert outcome.units == len(UNITS)
    assert [(row.generation, row.finished) for row in passes] == [(1, True)]
    assert results == len(UNITS)  # every unit stored once
    assert len(subtrees) == 3  # two provinces and the top

    # A re-run of a finished pass starts its next generation and computes everything again.
    computations.roots.clear()
    again = start_phase(params)
    assert again == outcome
    assert sorted(computations.roots) == ["JS", "MOH", "ZJ"]
    with db.session_scope() as session:
        assert [row.generation for row in session.exec(select(PhasePass)).all()] == [2]
        assert session.exec(select(func.count()).select_from(PhaseUnitResult)).one() == len(UNITS)


def test_the_summary_groups_units_behind_by_province_and_city(campaign_id: int) -> None:
    outcome = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=date(2012, 9, 30))
    )
    # Everyone is behind by the end of September, but 杭州 held its meeting.
    assert outcome.behind_groups["江苏省卫生厅 · 连云港市卫生局"] == 2  # the city and hospital
    summary = Artifact.get(artifact_key(campaign_id, "mobilize", "summary"))
    assert summary is not None
    text = str(summary.data)
    assert "按省、市" in text
    assert "| 江苏省卫生厅 · 连云港市卫生局 | 2 |" in text
    assert "| 浙江省卫生厅 · 杭州市卫生局 |" in text
