"""The mobilisation phase end to end: real nested Prefect flow runs over a small tree."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterStartTime,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import Artifact, FlowRun
from prefect.client.schemas.sorting import ArtifactSort, FlowRunSort

from flows.phase import start_phase
from models import DeliverableStatus
from models.flow_inputs import PhaseRunInput
from qinglian.campaigns.launch import launch_campaign, record_delivery, record_leading_group
from qinglian.core import db
from qinglian.core.settings import Settings
from qinglian.org.import_units import import_units
from qinglian.oversight.tracking import campaign_progress, unit_deliverables

UNITS = [
    ("MOH", "卫生部", "", "ministry", "health_admin", ""),
    ("JS", "江苏省卫生厅", "", "province", "health_admin", "MOH"),
    ("JS-LYG", "连云港市卫生局", "", "city", "health_admin", "JS"),
    ("JS-LYG-FB", "连云港市妇幼保健院", "连妇保", "institution", "public_medical", "JS-LYG"),
    ("JS-LYG-FB-D1", "连云港市妇幼保健院监察室", "", "department", "public_medical", "JS-LYG-FB"),
    ("JS-LYG-FB-D2", "连云港市妇幼保健院妇产科", "", "department", "public_medical", "JS-LYG-FB"),
    ("JS-LYG-HZ", "海州区卫生局", "", "county", "health_admin", "JS-LYG"),
]


def _write_units(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["单位编码", "单位名称", "简称", "层级", "类型", "上级单位编码"])
        writer.writerows(UNITS)
    return path


@pytest.fixture
def campaign_id(qinglian_home: Settings, tmp_path: Path) -> int:
    with db.session_scope() as session:
        import_units(session=session, path=_write_units(tmp_path / "units.csv"))
        campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code="MOH")
        assert campaign.id is not None
        record_leading_group(
            session=session,
            campaign_id=campaign.id,
            unit_code="JS-LYG-FB",
            submitted_on=date(2012, 7, 16),  # its cascaded deadline is the phase start
            office="院监察室",
            leaders=["施庆喜", "邵亚玲"],
            deputies=["程学亮", "顾扬", "王泰康"],
        )
        record_delivery(
            session=session,
            campaign_id=campaign.id,
            unit_code="JS-LYG-FB",
            kind="mobilization_meeting",
            submitted_on=date(2012, 7, 30),  # after its cascaded deadline: late
        )
        record_delivery(
            session=session,
            campaign_id=campaign.id,
            unit_code="JS-LYG-FB-D1",
            kind="study_session",
            submitted_on=date(2012, 7, 20),
        )
        return campaign.id


def _flow_runs(campaign: int, since: datetime) -> list[FlowRun]:
    """This test's runs of a campaign (the harness's API lives for the whole session)."""

    async def read() -> list[FlowRun]:
        async with get_client() as client:
            return await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    tags=FlowRunFilterTags(all_=[f"campaign:{campaign}"]),
                    start_time=FlowRunFilterStartTime(after_=since),
                ),
                sort=FlowRunSort.START_TIME_ASC,
                limit=200,
            )

    return asyncio.run(read())


def _artifacts(runs: list[FlowRun]) -> list[Artifact]:
    async def read() -> list[Artifact]:
        async with get_client() as client:
            return await client.read_artifacts(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id for run in runs])),
                sort=ArtifactSort.KEY_ASC,
                limit=200,
            )

    return asyncio.run(read())


def test_phase_run_is_a_tree_of_named_unit_runs_that_rolls_up(campaign_id: int) -> None:
    as_of = date(2012, 8, 8)
    since = datetime.now(UTC)
    outcome = start_phase(PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=as_of))

    with db.session_scope() as session:
        expected = campaign_progress(
            session=session, campaign_id=campaign_id, as_of=as_of, phase_key="mobilize"
        )
        fb = next(
            child
            for child in expected.children[0].children[0].children
            if child.code == "JS-LYG-FB"
        )
        own = unit_deliverables(
            session=session,
            campaign_id=campaign_id,
            unit_id=fb.unit_id,
            phase_id=None,
            as_of=as_of,
        )
    # The flow's roll-up and `qinglian status` (set-based) agree exactly.
    assert outcome.subtree == expected.subtree
    assert outcome.units == len(UNITS)
    assert outcome.subtree.on_time == 2  # the leading group and one department's study session
    assert outcome.subtree.late == 1  # 连妇保's mobilisation meeting
    assert outcome.subtree.missing == outcome.subtree.expected - 3
    assert "连云港市妇幼保健院" in outcome.behind
    statuses = {view.kind: view.status for view in own if view.kind in ("leading_group",)}
    assert statuses == {"leading_group": DeliverableStatus.on_time}

    found = _flow_runs(campaign_id, since)
    runs = {run.name: run for run in found}
    assert "动员部署 · 连云港市妇幼保健院 · JS-LYG-FB" in runs
    # Runs go down to institutions (the default run depth): departments are table rows.
    assert not any(name.endswith("JS-LYG-FB-D2") for name in runs)
    assert len(runs) == len(UNITS) - 2  # the phase run stands for the ministry
    fb_run = runs["动员部署 · 连云港市妇幼保健院 · JS-LYG-FB"]
    # Exactly the unit's own tags: a unit does not inherit its ancestors' level tags.
    assert set(fb_run.tags) == {
        "level:institution",
        "province:江苏省卫生厅",
        f"campaign:{campaign_id}",
        "phase:mobilize",
    }
    city_run = runs["动员部署 · 连云港市卫生局 · JS-LYG"]
    assert fb_run.parent_task_run_id is not None and city_run.parent_task_run_id is not None
    assert all(run.state and run.state.is_completed() for run in runs.values())

    artifacts = {artifact.key: artifact for artifact in _artifacts(found)}
    prefix = f"campaign-{campaign_id}-mobilize-"
    assert artifacts[prefix + "progress"].type == "progress"
    summary = artifacts[prefix + "summary"].data
    assert "动员部署" in summary and "上报率" in summary and "连云港市妇幼保健院" in summary
    tables = [artifact for artifact in artifacts.values() if artifact.type == "table"]
    assert len(tables) == len(UNITS) - 2  # one per run, keyed by the unit's code
    city_table = artifacts[prefix + "js-lyg"]
    rows = json.loads(city_table.data)
    assert {row["单位"] for row in rows} == {"连云港市妇幼保健院", "海州区卫生局"}
    assert all({"应报", "按时", "逾期提交", "缺报", "上报率"} <= set(row) for row in rows)
    # The departments, below the run depth, are rows of their hospital's table with their own
    # figures (one study session, on time).
    hospital = json.loads(artifacts[prefix + "js-lyg-fb"].data)
    departments = {row["单位"]: row for row in hospital}
    assert set(departments) == {"连云港市妇幼保健院监察室", "连云港市妇幼保健院妇产科"}
    assert departments["连云港市妇幼保健院监察室"]["按时"] == 1
    assert departments["连云港市妇幼保健院妇产科"]["上级单位"] == "连云港市妇幼保健院"


@pytest.mark.parametrize(
    ("depth", "runs"),
    [
        ("province", ["JS"]),
        ("county", ["JS", "JS-LYG", "JS-LYG-HZ"]),
        ("department", [code for code, *_ in UNITS[1:]]),
    ],
)
def test_run_depth_makes_fewer_runs_and_loses_no_figure(
    campaign_id: int, depth: str, runs: list[str]
) -> None:
    as_of = date(2012, 8, 8)
    since = datetime.now(UTC)
    deep = start_phase(PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=as_of))
    since = datetime.now(UTC)
    outcome = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=as_of, runs_down_to=depth)
    )
    assert outcome == deep  # the same figures, whatever the depth
    found = _flow_runs(campaign_id, since)
    codes = sorted(run.name.rsplit(" · ", 1)[-1] for run in found if run.name.count(" · ") == 2)
    assert codes == sorted(runs)
    tables = [a for a in _artifacts(found) if a.type == "table"]
    rows = sum(len(json.loads(str(table.data))) for table in tables)
    assert rows >= len(UNITS) - 1  # every unit below the ministry is a row somewhere


def test_statuses_follow_the_as_of_clock(campaign_id: int) -> None:
    before = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=date(2012, 7, 16))
    )
    assert before.subtree.missing == 0
    assert before.subtree.received == 1  # only 连妇保 had set up its leading group on day one
    after = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=date(2012, 9, 1))
    )
    assert after.subtree.pending == 0
    assert after.subtree.received == 3
    again = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="mobilize", as_of=date(2012, 9, 1))
    )
    assert again == after  # re-running a phase changes nothing
