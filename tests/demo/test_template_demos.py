"""`qinglian demo --template KEY`: conduct-2007 and conduct-2023 run through every phase their
template declares (issue 17, item 4); seed 004's 明查暗访, 公开承诺 and 公开曝光 reach the figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from openpyxl import load_workbook
from prefect.testing.utilities import prefect_test_harness
from sqlmodel import col, select

from models import Campaign, Deliverable
from models.inspection import InspectionVisit
from models.phase_pass import PhasePass
from qinglian.campaigns.templates import get_template
from qinglian.core.settings import get_settings
from qinglian.inspection.assessment import (
    EXPOSURE_DEDUCTION,
    assessment_rows,
    composite_score,
)
from qinglian.inspection.assessment_xlsx import HEADER_ROW
from qinglian.reporting.document.files import reports_dir
from tests.factories import Qinglian, assert_one_error


@pytest.fixture(scope="module", autouse=True)
def prefect_api() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


def _campaign(cli: Qinglian, key: str) -> Campaign:
    with cli.session() as session:
        campaign = session.exec(select(Campaign).where(Campaign.template_key == key)).one()
    return campaign


def _finished_phases(cli: Qinglian, campaign_id: int) -> set[str]:
    with cli.session() as session:
        return set(
            session.exec(
                select(PhasePass.phase_key).where(
                    PhasePass.campaign_id == campaign_id, col(PhasePass.finished)
                )
            ).all()
        )


def _deliverables(cli: Qinglian, campaign_id: int) -> list[Deliverable]:
    with cli.session() as session:
        return list(
            session.exec(select(Deliverable).where(Deliverable.campaign_id == campaign_id)).all()
        )


def test_conduct_2007_runs_its_five_phases_and_a_second_run_says_so(cli: Qinglian) -> None:
    out = cli.ok("demo", "--template", "conduct-2007").stdout
    template = get_template("conduct-2007")
    campaign = _campaign(cli, "conduct-2007")
    assert campaign.id is not None
    assert _finished_phases(cli, campaign.id) == {phase.key for phase in template.phases}
    for phase in template.phases:  # one printed rate line per phase, in order
        assert f"{phase.title} {phase.key}, as of " in out
    titles = [phase.title for phase in template.phases]
    assert titles == ["思想发动", "学习讨论", "查找问题", "集中整改", "总结表彰"]
    positions = [out.index(f"{title} ") for title in titles]
    assert positions == sorted(positions)
    items = _deliverables(cli, campaign.id)
    submitted = [item for item in items if item.submitted_on is not None]
    late = [item for item in submitted if item.submitted_on and item.submitted_on > item.due_on]
    assert len(submitted) > len(items) * 0.7  # most units deliver …
    assert late and len(submitted) < len(items)  # … some late, some never
    assert campaign.completed_on == date(2007, 12, 14)  # the root's report, on its due day

    again = cli.ok("demo", "--template", "conduct-2007").stdout
    assert "already ran" in again
    assert _deliverables(cli, campaign.id) == items  # nothing imported twice


def test_conduct_2023_visits_commitments_and_exposures_reach_the_assessment(
    cli: Qinglian,
) -> None:
    out = cli.ok("demo", "--template", "conduct-2023").stdout
    template = get_template("conduct-2023")
    campaign = _campaign(cli, "conduct-2023")
    assert campaign.id is not None
    assert _finished_phases(cli, campaign.id) == {"mobilize", "self_check", "summarize"}
    for phase in template.phases:
        assert f"{phase.title} {phase.key}, as of " in out

    # 明查暗访: inspection visits spread across its window (03-01 .. its 11-30 deadline).
    self_check = template.phase("self_check")
    window_end = next(d.due for d in self_check.deliverables if d.key == "inspection_visits")
    with cli.session() as session:
        days = [
            day
            for day in session.exec(
                select(InspectionVisit.inspected_on).where(
                    InspectionVisit.campaign_id == campaign.id
                )
            )
            if day is not None
        ]
    assert len(days) >= 6
    assert all(self_check.starts <= day <= window_end for day in days)
    assert len({day.month for day in days}) >= 4  # spread, not bunched
    assert "明查暗访（" in out

    # 公开承诺: recorded, its evidence the published commitment and where it was published.
    commitments = [
        item
        for item in _deliverables(cli, campaign.id)
        if item.kind == "public_commitment" and item.submitted_on is not None
    ]
    assert commitments
    assert all("公开" in item.note and "网站" in item.note for item in commitments)

    # 公开曝光 纳入年终考核: exposed problems counted in the assessment and its workbook.
    as_of = date(2023, 12, 20)
    with cli.session() as session:
        rows = assessment_rows(session=session, campaign_id=campaign.id, as_of=as_of)
    exposed = [row for row in rows if row.exposures]
    assert exposed and "公开曝光 exposed:" in out
    for row in exposed:
        plain = composite_score(
            row.completeness, row.timeliness, row.rectification_rate, row.inspection_score
        )
        assert row.composite == pytest.approx(
            max(0.0, plain - EXPOSURE_DEDUCTION * row.exposures), abs=0.05
        )
    workbook = reports_dir(get_settings(), campaign.id) / f"年终考核-{as_of}.xlsx"
    sheet = load_workbook(workbook).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]
    column = values[0].index("通报曝光")
    by_code = {row[0]: row[column] for row in values[1:]}
    assert all(by_code[row.unit_code] == row.exposures for row in exposed)
    assert "通报曝光" in out


def test_an_unknown_template_is_one_bilingual_line(cli: Qinglian) -> None:
    line = assert_one_error(cli("demo", "--template", "conduct-1999"))
    assert "conduct-1999" in line and "conduct-2023" in line
