"""A whole campaign end to end: launched, its phases run in order, escalated, reported on.

Real Prefect flow runs against the test harness's API; the service's database is the SQLite
file or a fresh PostgreSQL (``qinglian_home``). The tree is the factories' six units.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from docx import Document
from openpyxl import load_workbook
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterStartTime,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import Artifact
from prefect.client.schemas.sorting import ArtifactSort
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import SQLModel, col, select

from flows.campaign import launch_campaign_flow, start_campaign
from flows.escalation import escalation_replay
from flows.phase import start_phase
from flows.report import write_report_flow
from models import Campaign, Deliverable, Finding, FindingStatus, Phase, Unit
from models.cadre import Cadre
from models.enums import FindingCategory, FindingSource, OutboxStatus, RectificationStatus
from models.flow_inputs import (
    CampaignRunInput,
    LaunchInput,
    PhaseRunInput,
    ReplayInput,
    ReportInput,
)
from models.outbox import OutboxItem, OutboxMessage
from models.rectification import RectificationItem
from models.summary import PhaseSummary
from qinglian.campaigns.launch import launch_campaign
from qinglian.core import db
from qinglian.core.settings import Settings, get_settings
from qinglian.declarations.findings import review_findings
from qinglian.inspection.assessment_xlsx import HEADER_ROW
from qinglian.reporting.document.files import default_report_path, reports_dir
from qinglian.reporting.document.sections import SECTIONS
from tests.factories import FB, JS, LYG, MOH, UNITS, import_seed_tree

TITLES = {
    "mobilize": "动员部署",
    "find": "查找问题",
    "rectify": "整改纠正",
    "summarize": "检查总结",
}
PHASES = tuple(TITLES)
FOUND_ON = date(2012, 8, 20)
RECTIFY_AS_OF = date(2012, 10, 15)
RECTIFY_ENDS = date(2012, 11, 30)  # the rectify phase's end: the items' default deadline
YEAR_END = date(2012, 12, 31)


# --- the tree and the campaign ----------------------------------------------------------------


@pytest.fixture
def tree(qinglian_home: Settings, tmp_path: Path) -> Settings:
    """The factories' units and cadres, imported; no campaign yet."""
    with db.session_scope() as session:
        import_seed_tree(session, tmp_path)
    return qinglian_home


@pytest.fixture
def campaign_id(tree: Settings) -> int:
    with db.session_scope() as session:
        campaign, created = launch_campaign(session=session, template_key="coi-2012", root_code=MOH)
        assert created and campaign.id is not None
        return campaign.id


def _confirmed_finding(campaign_id: int) -> int:
    """An open finding on 施庆喜 (连妇保), confirmed by its managing unit's review."""
    with db.session_scope() as session:
        cadre = session.exec(select(Cadre).where(Cadre.staff_no == "FB001")).one()
        assert cadre.id is not None
        finding = Finding(
            campaign_id=campaign_id,
            cadre_id=cadre.id,
            unit_id=cadre.unit_id,
            source=FindingSource.self_declared,
            category=FindingCategory.relative_business,
            status=FindingStatus.open,
            summary="其配偶在本院药品配送企业任职（测试）",
            evidence={},
            fingerprint="c" * 64,
            found_on=FOUND_ON,
        )
        session.add(finding)
        session.flush()
        assert finding.id is not None
        finding_id = finding.id
        changed = review_findings(
            session=session, campaign_id=campaign_id, finding_ids=[finding_id], confirm=True
        )
    assert changed == 1
    return finding_id


def _row_counts() -> dict[str, int]:
    """Rows per table: what a re-run that must write nothing is compared on."""
    with db.get_engine().connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def _unit_ids() -> dict[str, int]:
    with db.session_scope() as session:
        return {code: unit_id for code, unit_id in session.exec(select(Unit.code, Unit.id)).all()}


# --- reading the Prefect API back -------------------------------------------------------------


def _artifacts(flow_run_filter: FlowRunFilter) -> list[Artifact]:
    async def read() -> list[Artifact]:
        async with get_client() as client:
            return await client.read_artifacts(
                flow_run_filter=flow_run_filter, sort=ArtifactSort.KEY_ASC, limit=200
            )

    return asyncio.run(read())


def _campaign_artifacts(campaign: int, since: datetime) -> dict[str, Artifact]:
    """This test's artifacts of a campaign's tagged runs (the API lives for the session)."""
    found = _artifacts(
        FlowRunFilter(
            tags=FlowRunFilterTags(all_=[f"campaign:{campaign}"]),
            start_time=FlowRunFilterStartTime(after_=since),
        )
    )
    return {artifact.key: artifact for artifact in found if artifact.key}


def _link(path: Path, text: str) -> str:
    """A link artifact as Prefect stores it: Markdown ``[text](file://…)``."""
    return f"[{text}]({path.resolve().as_uri()})"


def _run_artifacts(flow_run_id: UUID) -> dict[str, Artifact]:
    found = _artifacts(FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {artifact.key: artifact for artifact in found if artifact.key}


# --- 1. launching -----------------------------------------------------------------------------


def test_launching_through_the_flow_is_idempotent(tree: Settings) -> None:
    first = launch_campaign_flow(LaunchInput(template="coi-2012", root_code=MOH))
    counts = _row_counts()
    again = launch_campaign_flow(LaunchInput(template="coi-2012", root_code=MOH))

    assert first.created is True and again.created is False
    assert again.campaign_id == first.campaign_id and again.title == first.title
    assert _row_counts() == counts  # the second launch wrote nothing
    with db.session_scope() as session:
        phases = session.exec(
            select(Phase.key).where(Phase.campaign_id == first.campaign_id).order_by(Phase.seq)
        ).all()
        units_with_work = session.exec(
            select(func.count(func.distinct(Deliverable.unit_id))).where(
                Deliverable.campaign_id == first.campaign_id
            )
        ).one()
    assert tuple(phases) == PHASES
    assert units_with_work == len(UNITS)  # every unit of the tree has its cascaded deadlines


# --- 2. the rectify phase ---------------------------------------------------------------------


def test_rectify_phase_gives_confirmed_findings_items_rolls_up_and_stores_summaries(
    campaign_id: int,
) -> None:
    finding_id = _confirmed_finding(campaign_id)
    params = PhaseRunInput(campaign_id=campaign_id, phase="rectify", as_of=RECTIFY_AS_OF)

    outcome = start_phase(params)

    ids = _unit_ids()
    with db.session_scope() as session:
        (item,) = session.exec(select(RectificationItem)).all()
        finding = session.get(Finding, finding_id)
        assert finding is not None
        finding_status = finding.status
        phase_id = session.exec(
            select(Phase.id).where(Phase.campaign_id == campaign_id, Phase.key == "rectify")
        ).one()
        summaries = {
            row.unit_id: row
            for row in session.exec(
                select(PhaseSummary).where(
                    PhaseSummary.campaign_id == campaign_id, PhaseSummary.phase_id == phase_id
                )
            )
        }
    assert (item.finding_id, item.unit_id, item.managing_unit_id) == (finding_id, ids[FB], ids[LYG])
    assert item.status is RectificationStatus.planned and item.due_on == RECTIFY_ENDS
    assert finding_status is FindingStatus.rectifying

    # The root's roll-up counts the hospital's item; nothing is overdue before its deadline.
    assert outcome.unit.code == MOH and outcome.units == len(UNITS)
    assert outcome.rectification == {"planned": 1}
    assert outcome.rectification_overdue == 0

    # Every unit of the tree has its stored phase summary, the item counted where it is.
    assert set(summaries) == set(ids.values())
    assert all(row.computed_as_of == RECTIFY_AS_OF for row in summaries.values())
    for code in (MOH, JS, LYG, FB):
        subtree = summaries[ids[code]].figures["subtree"]
        assert subtree["rectification_by_status"] == {"planned": 1}, code
    assert summaries[ids[FB]].figures["own"]["rectification_by_status"] == {"planned": 1}
    assert summaries[ids[LYG]].figures["own"]["rectification_by_status"] == {}

    # Re-running the phase changes nothing.
    counts = _row_counts()
    again = start_phase(params)
    assert again == outcome
    assert _row_counts() == counts


# --- 3. the whole campaign --------------------------------------------------------------------


def test_running_the_campaign_to_the_year_end_completes_it_with_its_report(
    campaign_id: int,
) -> None:
    _confirmed_finding(campaign_id)
    since = datetime.now(UTC)

    outcomes = start_campaign(CampaignRunInput(campaign_id=campaign_id, as_of=YEAR_END))

    assert tuple(outcomes) == PHASES
    assert all(outcome.units == len(UNITS) for outcome in outcomes.values())
    assert outcomes["rectify"].rectification == {"planned": 1}
    assert outcomes["summarize"].rectification == {"planned": 1}
    assert outcomes["summarize"].rectification_overdue == 1  # due 11-30, still planned 12-31

    settings = get_settings()
    folder = reports_dir(settings, campaign_id)
    docx = default_report_path(settings, campaign_id, MOH, YEAR_END, "docx")
    markdown = default_report_path(settings, campaign_id, MOH, YEAR_END, "md")
    assessment = folder / f"年终考核-{YEAR_END.isoformat()}.xlsx"
    assert folder == settings.home / "output" / "reports" / f"campaign-{campaign_id}"
    assert docx.is_file() and markdown.is_file() and assessment.is_file()

    text = markdown.read_text(encoding="utf-8")
    assert [text.index(f"## {heading}") for heading in SECTIONS] == sorted(
        text.index(f"## {heading}") for heading in SECTIONS
    )
    images = re.findall(r"^!\[[^\]]*\]\(([^)]+)\)$", text, flags=re.M)
    assert all((markdown.parent / image).is_file() for image in images), images
    headings = [p.text for p in Document(str(docx)).paragraphs if p.style.name == "Heading 1"]
    assert headings == list(SECTIONS)
    workbook = load_workbook(assessment, read_only=True)
    sheet = workbook.active
    assert sheet is not None
    # the title above the header, the 合计/平均 row below the units
    codes = [row[0] for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)][:-1]
    workbook.close()
    assert sorted(codes) == sorted(unit["单位编码"] for unit in UNITS if unit["单位编码"] != MOH)

    with db.session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        completed_on, report_path = campaign.completed_on, campaign.report_path
        report_deliverable = session.exec(
            select(Deliverable)
            .join(Campaign, col(Campaign.id) == Deliverable.campaign_id)
            .where(
                Deliverable.campaign_id == campaign_id,
                Deliverable.unit_id == Campaign.root_unit_id,
                Deliverable.kind == "comprehensive_report",
            )
        ).one()
    assert completed_on == YEAR_END
    assert report_path == str(docx.resolve())
    assert report_deliverable.submitted_on == YEAR_END

    artifacts = _campaign_artifacts(campaign_id, since)
    prefix = f"campaign-{campaign_id}-"
    for suffix, path in (("report-docx", docx), ("report-md", markdown)):
        assert artifacts[prefix + suffix].data == _link(path, path.name), suffix
    below_root = len(UNITS) - 1
    assessment_text = f"年终考核表（{below_root} 个单位）"
    assert artifacts[prefix + "summarize-assessment"].data == _link(assessment, assessment_text)
    full_text = str(artifacts[prefix + "report-text"].data)  # the report's text, in the UI
    assert all(f"## {heading}" in full_text for heading in SECTIONS)
    for phase, title in TITLES.items():  # every phase's Markdown summary
        summary = artifacts[f"{prefix}{phase}-summary"]
        assert summary.type == "markdown", phase
        assert title in str(summary.data), phase


# --- 4. the daily escalation sweep, replayed --------------------------------------------------


def _outbox() -> tuple[list[tuple[str, str, str, date]], list[OutboxMessage]]:
    """Every queued (target, item, ladder step, sweep day), and the digests carrying them."""
    with db.session_scope() as session:
        steps = [
            (target, item, step, on)
            for target, item, step, on in session.exec(
                select(
                    OutboxItem.target, OutboxItem.item_key, OutboxItem.step, OutboxMessage.sweep_on
                )
                .join(OutboxMessage, col(OutboxMessage.id) == OutboxItem.message_id)
                .order_by(col(OutboxItem.id))
            )
        ]
        messages = list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))
        session.expunge_all()
    return steps, messages


def _leading_group_key(campaign_id: int, code: str) -> str:
    """The outbox's key of a unit's leading-group deliverable: ``d:<id>@<deadline>``."""
    with db.session_scope() as session:
        deliverable = session.exec(
            select(Deliverable)
            .join(Unit, col(Unit.id) == Deliverable.unit_id)
            .where(
                Deliverable.campaign_id == campaign_id,
                Deliverable.kind == "leading_group",
                Unit.code == code,
            )
        ).one()
        return f"d:{deliverable.id}@{deliverable.due_on.isoformat()}"


def test_escalation_replay_queues_each_ladder_step_once(
    campaign_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGLIAN_NOTIFIER", "recording")
    get_settings.cache_clear()
    start, end = date(2012, 7, 16), date(2012, 7, 24)
    span = ReplayInput(campaign_id=campaign_id, start=start, end=end)

    days = escalation_replay(span)

    assert [day.day for day in days] == [date(2012, 7, d) for d in range(16, 25)]
    steps, messages = _outbox()
    assert steps, "the leading groups' deadlines fall in the span: something must be due"
    keys = [(target, item, step) for target, item, step, _ in steps]
    assert [key for key, n in Counter(keys).items() if n > 1] == []
    assert sum(day.sweep.new_item_steps for day in days) == len(steps)
    assert sum(day.sweep.digests for day in days) == len(messages)
    for day in days:  # each day's new item-steps are queued in that day's digests
        assert day.sweep.new_item_steps == sum(1 for *_, on in steps if on == day.day)
    # 连云港市卫生局 is the one unit with an office (WeCom and mail): its own leading group,
    # due on the first day of the span, climbs the ladder there; the step before the deadline
    # is caught up on the first day, never repeated.
    group = _leading_group_key(campaign_id, LYG)
    climbed = {(target, step): on for target, item, step, on in steps if item == group}
    assert climbed == {
        (target, step): on
        for target in ("lyg_wecom", "email:office@lyg.example.cn")
        for step, on in (("before", start), ("due", start), ("overdue", date(2012, 7, 17)))
    }
    assert all(message.status is OutboxStatus.sent for message in messages)
    assert sum(day.delivery.sent for day in days) == len(messages)

    counts = _row_counts()
    replayed = escalation_replay(span)
    assert all(day.sweep.new_item_steps == 0 and day.sweep.digests == 0 for day in replayed)
    assert all(day.delivery.attempted == 0 for day in replayed)
    assert _outbox()[0] == steps
    assert _row_counts() == counts


def test_a_replay_span_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError, match="end is before start"):
        ReplayInput(campaign_id=1, start=date(2012, 9, 2), end=date(2012, 9, 1))


# --- 5. a sub-unit's report on demand ---------------------------------------------------------


def test_a_sub_units_report_covers_only_its_subtree(campaign_id: int) -> None:
    _confirmed_finding(campaign_id)
    as_of = date(2012, 9, 30)
    start_phase(PhaseRunInput(campaign_id=campaign_id, phase="rectify", as_of=as_of))

    state = write_report_flow(
        ReportInput(campaign_id=campaign_id, unit_code=FB, format="md", as_of=as_of),
        return_state=True,
    )

    assert state.is_completed()
    path = Path(state.result())
    assert path == default_report_path(get_settings(), campaign_id, FB, as_of, "md")
    assert path.is_file()
    text = path.read_text(encoding="utf-8")
    assert "连云港市妇幼保健院" in text and "产科" in text and "院监察室" in text
    assert "纳入本次专项活动范围的单位共3个" in text  # 连妇保 and its two departments
    assert "卫生部" not in text and "江苏省卫生厅" not in text
    assert text.count("连云港市卫生局") == 1  # only as the addressee, the level above
    assert "连云港市卫生局：" in text
    assert "共发现问题1个" in text and "共建立整改事项1项" in text  # the hospital's finding

    link = _run_artifacts(state.state_details.flow_run_id)[
        f"campaign-{campaign_id}-report-{FB.lower()}-md"
    ]
    assert link.data == _link(path, path.name)
