"""A unit adopts its own plan (结合实际): its deadlines, its subtree's cascade, history, refusals.

The campaign is the one 连云港市卫生局 (JS-LYG) runs for its subtree, with the city's own plan
(later than the template: 报告表 by 10-10, the report by 12-28) adopted first, so that the
seeds' plans of a hospital (000 篇3), of 连妇保 (002) and of a township centre (000 篇1) fit
under it; 连妇保 (JS-LYG-FB) adopts each, and its two departments follow.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models import Deliverable, Unit
from models.adopted_plan import AdoptedPlan
from qinglian.campaigns.launch import launch_campaign, record_delivery
from qinglian.campaigns.plans import PlanOutcome, adopt_plan, read_plan
from qinglian.campaigns.templates import get_template
from qinglian.core.errors import QinglianError
from tests.factories import FB, FB_OBSTETRICS, FB_SUPERVISION, JS, LYG, import_seed_tree
from tests.rules.test_plan_text import seed

D = date
DEPARTMENTS = (FB_OBSTETRICS, FB_SUPERVISION)
CITY_PLAN = """\
# 连云港市卫生局的实施方案（部分）: only what the city changes
phases:
  - key: mobilize
    deliverables:
      - {key: mobilization_meeting, due: 2012-08-03}
  - key: find
    starts: 2012-08-01
    ends: 2012-10-12
    deliverables:
      - {key: forms_collected, due: 2012-10-10}
  - key: summarize
    deliverables:
      - {key: comprehensive_report, due: 2012-12-28}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def adopt(
    session: Session, campaign_id: int, unit: str, path: Path, **options: object
) -> PlanOutcome:
    plan, digest = read_plan(path, template=get_template("coi-2012"), year=2012)
    return adopt_plan(
        session=session,
        campaign_id=campaign_id,
        unit_code=unit,
        plan=plan,
        source_name=path.name,
        source_sha256=digest,
        adopted_by="市卫生局办公室",
        **options,  # type: ignore[arg-type]
    )


def dues(session: Session, campaign_id: int, unit: str) -> dict[str, tuple[date, str | None]]:
    """kind → (due, the code of the unit whose plan it comes from)."""
    rows = session.exec(
        select(Deliverable, Unit)
        .join(Unit, Unit.id == Deliverable.unit_id)  # type: ignore[arg-type]
        .where(Deliverable.campaign_id == campaign_id, Unit.code == unit)
    ).all()
    codes = {u.id: u.code for u in session.exec(select(Unit)).all()}
    return {row.kind: (row.due_on, codes.get(row.due_plan_unit_id)) for row, _ in rows}  # type: ignore[arg-type]


@pytest.fixture
def campaign(session: Session, tmp_path: Path) -> int:
    """The city's campaign with the city's own plan adopted."""
    import_seed_tree(session, tmp_path)
    launched, _ = launch_campaign(session=session, template_key="coi-2012", root_code=LYG)
    assert launched.id is not None
    adopt(session, launched.id, LYG, write(tmp_path, "city.yaml", CITY_PLAN))
    return launched.id


SEEDS = [
    pytest.param(
        "000/篇3",
        {
            "mobilization_meeting": D(2012, 8, 2),
            "forms_collected": D(2012, 8, 10),
            "comprehensive_report": D(2012, 12, 10),
        },
        D(2012, 8, 8),  # 8-10 is a Friday: two working days earlier
        FB,
        id="000-篇3-hospital",
    ),
    pytest.param(
        "002",
        {"forms_collected": D(2012, 9, 30), "comprehensive_report": D(2012, 12, 25)},
        D(2012, 9, 27),  # 9-30 is a holiday: 9-29 (a make-up Saturday), then 9-28, 9-27
        FB,
        id="002-连妇保",
    ),
    pytest.param(
        "000/篇1",
        {"comprehensive_report": D(2012, 12, 25)},
        D(2012, 9, 28),  # not in this plan: the city's 10-10, two levels down (National Day)
        LYG,
        id="000-篇1-township-centre",
    ),
]


@pytest.mark.parametrize(("name", "expected", "department_forms", "forms_from"), SEEDS)
def test_a_seed_plan_sets_the_units_dues_and_its_departments_follow(
    session: Session,
    campaign: int,
    tmp_path: Path,
    name: str,
    expected: dict[str, date],
    department_forms: date,
    forms_from: str,
) -> None:
    before = dues(session, campaign, FB)
    outcome = adopt(session, campaign, FB, write(tmp_path, "plan.txt", seed(name)))

    assert outcome.version == 1 and not outcome.unchanged and outcome.late == []
    after = dues(session, campaign, FB)
    for kind, due in expected.items():
        assert after[kind] == (due, FB)
    untouched = {kind for kind in before if kind not in expected}
    assert {kind: after[kind] for kind in untouched} == {kind: before[kind] for kind in untouched}
    for department in DEPARTMENTS:
        # Departments report only the forms (and study) upward: the cascade goes on from the plan.
        assert dues(session, campaign, department)["forms_collected"] == (
            department_forms,
            forms_from,
        )
    changed = {(change.unit_code, change.title) for change in outcome.changes}
    assert (FB, "收齐《报告表》并上报") in changed or "forms_collected" not in expected


def test_a_plan_later_than_its_parent_is_refused_and_nothing_is_written(
    session: Session, tmp_path: Path
) -> None:
    import_seed_tree(session, tmp_path)
    launched, _ = launch_campaign(session=session, template_key="coi-2012", root_code=LYG)
    assert launched.id is not None
    before = dues(session, launched.id, FB)

    with pytest.raises(QinglianError) as refused:
        adopt(session, launched.id, FB, write(tmp_path, "002.txt", seed("002")))

    message = refused.value
    assert "收齐《报告表》并上报" in message.zh and "连云港市卫生局" in message.zh
    assert "2012-09-30" in message.zh and "2012-08-10" in message.zh
    assert "forms_collected" in message.en and f"({LYG}: 2012-08-10)" in message.en
    assert dues(session, launched.id, FB) == before
    assert session.exec(select(AdoptedPlan)).all() == []

    outcome = adopt(
        session,
        launched.id,
        FB,
        write(tmp_path, "002.txt", seed("002")),
        allow_late=True,
        late_reason="院内报告表收集需至九月底",
    )
    assert [item.kind for item in outcome.late] == ["forms_collected", "comprehensive_report"]
    stored = session.exec(select(AdoptedPlan)).one()
    assert stored.allow_late and stored.late_reason == "院内报告表收集需至九月底"
    assert [item["parent_due_on"] for item in stored.late_items] == ["2012-08-10", "2012-12-10"]
    assert dues(session, launched.id, FB)["forms_collected"] == (D(2012, 9, 30), FB)


def test_adopting_the_same_file_again_changes_nothing(
    session: Session, campaign: int, tmp_path: Path
) -> None:
    path = write(tmp_path, "002.txt", seed("002"))
    adopt(session, campaign, FB, path)
    before = dues(session, campaign, FB)

    again = adopt(session, campaign, FB, path)

    assert again.unchanged and again.version is None and again.changes == []
    assert dues(session, campaign, FB) == before
    assert len(session.exec(select(AdoptedPlan)).all()) == 2  # the city's and 连妇保's


def test_a_new_plan_replaces_the_old_one_and_the_history_is_kept(
    session: Session, campaign: int, tmp_path: Path
) -> None:
    adopt(session, campaign, FB, write(tmp_path, "篇3.txt", seed("000/篇3")))
    assert dues(session, campaign, FB)["mobilization_meeting"] == (D(2012, 8, 2), FB)

    second = adopt(session, campaign, FB, write(tmp_path, "002.txt", seed("002")))

    assert second.version == 2
    now = dues(session, campaign, FB)
    assert now["forms_collected"] == (D(2012, 9, 30), FB)
    # 002 does not date the meeting: it goes back to the city's plan, cascaded one level.
    assert now["mobilization_meeting"] == (D(2012, 8, 1), LYG)
    history = session.exec(
        select(AdoptedPlan)
        .join(Unit, Unit.id == AdoptedPlan.unit_id)  # type: ignore[arg-type]
        .where(Unit.code == FB)
        .order_by(AdoptedPlan.version)  # type: ignore[arg-type]
    ).all()
    assert [(p.version, p.source_name, p.replaced_at is not None) for p in history] == [
        (1, "篇3.txt", True),
        (2, "002.txt", False),
    ]


def test_a_deeper_units_own_plan_survives_its_parents_new_plan(
    session: Session, campaign: int, tmp_path: Path
) -> None:
    department = write(
        tmp_path,
        "ck.yaml",
        "phases:\n  - key: find\n    deliverables:\n      - {key: forms_collected, due: 2012-09-20}\n",
    )
    adopt(session, campaign, FB_OBSTETRICS, department)

    adopt(session, campaign, FB, write(tmp_path, "002.txt", seed("002")))

    assert dues(session, campaign, FB_OBSTETRICS)["forms_collected"] == (
        D(2012, 9, 20),
        FB_OBSTETRICS,
    )
    assert dues(session, campaign, FB_SUPERVISION)["forms_collected"] == (D(2012, 9, 27), FB)


def test_a_deadline_that_follows_a_recorded_deliverable_keeps_its_date(
    session: Session, campaign: int, tmp_path: Path
) -> None:
    # 学习动员情况书面报告: one week after the meeting, as recorded.
    record_delivery(
        session=session,
        campaign_id=campaign,
        unit_code=FB,
        kind="mobilization_meeting",
        submitted_on=D(2012, 7, 26),
        as_of=D(2012, 7, 30),
    )
    report = "      - {key: mobilization_report, due: 2012-08-09}\n"
    city = CITY_PLAN.replace("due: 2012-08-03}\n", "due: 2012-08-03}\n" + report)
    outcome = adopt(session, campaign, LYG, write(tmp_path, "city2.yaml", city))

    assert outcome.version == 2
    assert dues(session, campaign, LYG)["mobilization_report"] == (D(2012, 8, 9), LYG)

    assert dues(session, campaign, FB)["mobilization_report"][0] == D(2012, 8, 2)


def test_a_dry_run_writes_nothing(session: Session, campaign: int, tmp_path: Path) -> None:
    before = dues(session, campaign, FB), len(session.exec(select(AdoptedPlan)).all())

    outcome = adopt(session, campaign, FB, write(tmp_path, "002.txt", seed("002")), dry_run=True)

    assert outcome.version is None and outcome.changes
    forms = next(row for row in outcome.rows if row.kind == "forms_collected")
    assert (forms.parent_due, forms.current_due, forms.plan_due, forms.new_due) == (
        D(2012, 10, 10),
        D(2012, 10, 8),
        D(2012, 9, 30),
        D(2012, 9, 30),
    )
    assert [entry.sentence for entry in outcome.unplaced] == ["二○一二年十月八日"]
    session.expire_all()
    assert (dues(session, campaign, FB), len(session.exec(select(AdoptedPlan)).all())) == before


def test_a_unit_outside_the_campaign_cannot_adopt_a_plan(
    session: Session, campaign: int, tmp_path: Path
) -> None:
    with pytest.raises(QinglianError) as refused:
        adopt(session, campaign, JS, write(tmp_path, "002.txt", seed("002")))
    assert "不在专项活动" in refused.value.zh and "not part of campaign" in refused.value.en


@pytest.mark.parametrize(
    ("text", "due"),
    [
        # The meeting is not in the plan: 5 working days after 连妇保's own (8-01, the city's).
        ("动员会后5个工作日内书面上报学习动员情况。", D(2012, 8, 8)),
        # The phase's end is not in the plan: one week after the campaign's (8-05).
        ("学习动员结束后，各单位要将学习动员的情况在一周内书面上报。", D(2012, 8, 12)),
    ],
)
def test_a_relative_deadline_is_dated_against_the_units_calendar(
    session: Session, campaign: int, tmp_path: Path, text: str, due: date
) -> None:
    outcome = adopt(session, campaign, FB, write(tmp_path, "plan.txt", text), dry_run=True)

    report = next(row for row in outcome.rows if row.kind == "mobilization_report")
    assert (report.plan_due, report.parent_due, report.late) == (due, D(2012, 8, 6), True)
    assert len(session.exec(select(AdoptedPlan)).all()) == 1  # the city's: a dry run writes none
