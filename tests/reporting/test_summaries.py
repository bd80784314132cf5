"""Phase summaries (阶段性总结): figures rolled up a small tree, narratives, their import, review.

The campaign is coi-2012 launched on 卫生部 over two provinces; one hospital leaves three items
undelivered (a lagging unit), findings of every source sit at different levels, one
rectification item is overdue and another done late, so a replay at an earlier ``as_of`` sees
a different campaign.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from models import Deliverable, Phase, RuleReviewItem, Unit
from models.cadre import Cadre
from models.enums import (
    FindingCategory,
    FindingSource,
    FindingStatus,
    Level,
    RectificationStatus,
    RuleDecision,
    UnitKind,
)
from models.finding import Finding
from models.rectification import RectificationItem
from models.summary import NARRATIVE_MAX_CHARS, PhaseSummary, SummaryFigures, UnitSummary
from qinglian.campaigns.launch import launch_campaign, record_delivery, record_leading_group
from qinglian.campaigns.templates import get_template
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.intake import add_complaint
from qinglian.core.errors import ImportRejected, NotFoundError, QinglianError
from qinglian.declarations.findings import review_findings
from qinglian.exchange.quarantine import rejected_path
from qinglian.rectification.creation import create_rectification_items
from qinglian.rectification.progress import rectification_for_finding, update_rectification_status
from qinglian.reporting.import_narratives import import_narratives
from qinglian.reporting.narratives import submit_narrative, summary_deliverable_kind
from qinglian.reporting.summary_figures import compute_summaries, walk
from qinglian.reporting.summary_store import record_phase_summaries, stored_summaries
from tests.factories import UnitRow, add_units, write_table

START = date(2012, 7, 16)  # coi-2012's own start
AS_OF = date(2012, 9, 20)  # three weeks into 整改纠正
EARLIER = date(2012, 9, 13)  # the replay day
TODAY = AS_OF

ADMIN, MEDICAL = UnitKind.health_admin, UnitKind.public_medical
# code, name, level, kind, parent code ("" for a root). XJB is a root of its own: no campaign.
UNITS: tuple[UnitRow, ...] = (
    ("MOH", "卫生部", Level.ministry, ADMIN, ""),
    ("JS", "江苏省卫生厅", Level.province, ADMIN, "MOH"),
    ("LYG", "连云港市卫生局", Level.city, ADMIN, "JS"),
    ("FB", "连云港市妇幼保健院", Level.institution, MEDICAL, "LYG"),
    ("FB-CK", "产科", Level.department, MEDICAL, "FB"),
    ("RM", "连云港市第一人民医院", Level.institution, MEDICAL, "LYG"),
    ("ZJ", "浙江省卫生厅", Level.province, ADMIN, "MOH"),
    ("HZ", "杭州市卫生局", Level.city, ADMIN, "ZJ"),
    ("XJB", "新疆生产建设兵团卫生局", Level.province, ADMIN, ""),
)
IN_CAMPAIGN = tuple(code for code, *_ in UNITS if code != "XJB")
# The hospital that lags: three deliverables never come in (≥ 3 overdue items).
LAGGING_SKIPS = frozenset(
    {("RM", "complaints_cross_check"), ("RM", "find_summary"), ("RM", "rectification_plan")}
)
# 浙江省卫生厅 hands in its rectification plan late: after EARLIER, before AS_OF.
LATE = {("ZJ", "rectification_plan"): date(2012, 9, 18)}

NARRATIVE_HEADERS = ("单位编码", "阶段", "总结内容", "提交日期", "提交人")


@dataclass
class World:
    campaign_id: int
    units: dict[str, int]

    def id(self, code: str) -> int:
        return self.units[code]


def build_world(session: Session) -> World:
    """The units above, and coi-2012 launched on 卫生部 at its own start; committed."""
    units = add_units(session, UNITS)
    campaign, created = launch_campaign(session=session, template_key="coi-2012", root_code="MOH")
    assert created and campaign.id is not None and campaign.start_on == START
    session.commit()
    return World(campaign.id, {code: unit.id or 0 for code, unit in units.items()})


def deliver_all(
    session: Session,
    world: World,
    until: date,
    skip: Iterable[tuple[str, str]] = (),
    late: dict[tuple[str, str], date] | None = None,
) -> None:
    """Every deliverable due before ``until`` recorded on its due date (or ``late``'s date).

    Template order, so a deadline relative to an earlier deliverable has moved before it is met.
    """
    skipped, late = set(skip), late or {}
    kinds = [item.key for phase in get_template("coi-2012").phases for item in phase.deliverables]
    for code in IN_CAMPAIGN:
        for kind in kinds:
            row = session.exec(
                select(Deliverable).where(
                    Deliverable.campaign_id == world.campaign_id,
                    Deliverable.unit_id == world.id(code),
                    Deliverable.kind == kind,
                )
            ).first()
            if row is None or row.due_on >= until or (code, kind) in skipped:
                continue
            on = late.get((code, kind), row.due_on)
            if kind == "leading_group":
                record_leading_group(
                    session=session,
                    campaign_id=world.campaign_id,
                    unit_code=code,
                    submitted_on=on,
                    office="监察室",
                    leaders=["组长甲"],
                    as_of=until,
                )
            else:
                record_delivery(
                    session=session,
                    campaign_id=world.campaign_id,
                    unit_code=code,
                    kind=kind,
                    submitted_on=on,
                    as_of=until,
                )
    session.commit()


def add_finding(
    session: Session,
    world: World,
    code: str,
    source: FindingSource,
    category: FindingCategory,
    found_on: date,
    campaign_id: int | None = None,
    status: FindingStatus = FindingStatus.open,
) -> int:
    count = session.exec(select(func.count()).select_from(Finding)).one()
    finding = Finding(
        campaign_id=campaign_id or world.campaign_id,
        unit_id=world.id(code),
        source=source,
        category=category,
        status=status,
        summary=category.label,
        fingerprint=f"{count + 1:064d}",
        found_on=found_on,
    )
    session.add(finding)
    session.flush()
    assert finding.id is not None
    return finding.id


@dataclass
class Busy:
    world: World
    findings: dict[str, int]


def build_busy(session: Session) -> Busy:
    """The campaign on AS_OF: deliveries, five findings, two rectification items, two rules.

    A (连妇保, self-declared, confirmed): item due 9-10, done 9-15 — done now, overdue on EARLIER.
    B (连妇保, complaint) and D (人民医院, rule review) stay open. C (产科, inspection, confirmed):
    item due 9-15, not done — overdue now. E (杭州, self-declared) is found after EARLIER.
    """
    world = build_world(session)
    deliver_all(session, world, AS_OF, skip=LAGGING_SKIPS, late=LATE)
    S, C = FindingSource, FindingCategory
    findings = {
        "A": add_finding(
            session, world, "FB", S.self_declared, C.relative_business, date(2012, 8, 20)
        ),
        "B": add_finding(session, world, "FB", S.complaint, C.concealment, date(2012, 8, 25)),
        "C": add_finding(
            session, world, "FB-CK", S.inspection, C.unapproved_or_paid_post, date(2012, 9, 5)
        ),
        "D": add_finding(
            session, world, "RM", S.rule_review, C.recusal_not_observed, date(2012, 8, 28)
        ),
        "E": add_finding(
            session, world, "HZ", S.self_declared, C.concurrent_leadership, date(2012, 9, 14)
        ),
    }
    review_findings(
        session=session,
        campaign_id=world.campaign_id,
        finding_ids=[findings["A"], findings["C"]],
        confirm=True,
    )
    create_rectification_items(
        session=session,
        campaign_id=world.campaign_id,
        items={
            findings["A"]: {"due_on": date(2012, 9, 10)},
            findings["C"]: {"due_on": date(2012, 9, 15)},
        },
    )
    item = rectification_for_finding(
        session=session, campaign_id=world.campaign_id, finding_id=findings["A"]
    )
    update_rectification_status(
        session=session,
        item_id=item.id,
        status=RectificationStatus.done,
        changed_on=date(2012, 9, 15),
    )
    for code, title, decision in (
        ("RM", "药品采购管理办法", RuleDecision.revise),
        ("FB", "院务公开制度", RuleDecision.keep),
    ):
        session.add(
            RuleReviewItem(
                campaign_id=world.campaign_id,
                unit_id=world.id(code),
                title=title,
                decision=decision,
                due_on=date(2012, 9, 30),
            )
        )
    session.commit()
    return Busy(world, findings)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


@pytest.fixture
def busy(session: Session) -> Busy:
    return build_busy(session)


def nodes(tree: UnitSummary) -> dict[str, UnitSummary]:
    return {node.code: node for node in walk(tree)}


def count(session: Session, model: type[Any], *where: Any) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def deliverable(session: Session, world: World, code: str, kind: str) -> Deliverable:
    row = session.exec(
        select(Deliverable).where(
            Deliverable.campaign_id == world.campaign_id,
            Deliverable.unit_id == world.id(code),
            Deliverable.kind == kind,
        )
    ).one()
    session.refresh(row)
    return row


def phase(session: Session, world: World, key: str) -> Phase:
    return session.exec(
        select(Phase).where(Phase.campaign_id == world.campaign_id, Phase.key == key)
    ).one()


# --- compute_summaries ---------------------------------------------------------------------


def _adds_up(node: UnitSummary) -> None:
    assert node.subtree == node.own + SummaryFigures.total(c.subtree for c in node.children), (
        node.code
    )
    for child in node.children:
        _adds_up(child)


def test_own_and_subtree_figures_add_up_the_tree(session: Session, busy: Busy) -> None:
    tree = compute_summaries(session=session, campaign_id=busy.world.campaign_id, as_of=AS_OF)
    _adds_up(tree)
    by_code = nodes(tree)
    assert set(by_code) == set(IN_CAMPAIGN)  # the other root is no part of it
    root = tree.subtree
    assert root.findings == count(session, Finding) == 5
    assert root.findings_by_source == {
        "self_declared": 2,
        "complaint": 1,
        "inspection": 1,
        "rule_review": 1,
    }
    assert sum(root.findings_by_category.values()) == 5
    assert root.rules_by_decision == {"revise": 1, "keep": 1}
    assert root.deliverables.missing == len(LAGGING_SKIPS)
    assert root.deliverables.late == len(LATE)

    fb, ck, rm = by_code["FB"], by_code["FB-CK"], by_code["RM"]
    assert fb.own.findings_by_source == {"self_declared": 1, "complaint": 1}
    assert fb.own.rectification_by_status == {"done": 1}
    assert fb.own.rectification_overdue == 0
    assert ck.own.rectification_by_status == {"planned": 1}
    assert ck.own.rectification_overdue == 1
    assert fb.subtree.rectification_items == 2
    assert fb.subtree.rectified == 1
    assert fb.subtree.rectification_overdue == 1
    assert rm.own.findings_by_category == {"recusal_not_observed": 1}
    assert rm.own.rules_by_decision == {"revise": 1}
    assert rm.own.deliverables.missing == 3
    assert by_code["LYG"].subtree.findings == 4
    assert by_code["JS"].subtree.findings == 4
    assert by_code["ZJ"].subtree.findings == 1
    assert by_code["ZJ"].own.deliverables.late == 1
    assert by_code["LYG"].own.findings == 0


def test_a_parent_names_its_lagging_children(session: Session, busy: Busy) -> None:
    by_code = nodes(
        compute_summaries(session=session, campaign_id=busy.world.campaign_id, as_of=AS_OF)
    )
    # Three undelivered items make 人民医院 lag; 产科's one overdue item does not.
    assert [code for code, node in by_code.items() if node.lagging] == ["RM"]
    assert by_code["LYG"].lagging_children == ["连云港市第一人民医院"]
    # A child lags when anything below it does: the name climbs one level at a time.
    assert by_code["JS"].lagging_children == ["连云港市卫生局"]
    assert by_code["MOH"].lagging_children == ["江苏省卫生厅"]
    assert by_code["FB"].lagging_children == []
    assert by_code["ZJ"].lagging_children == []


def test_a_replay_at_an_earlier_day_sees_the_campaign_as_it_was(
    session: Session, busy: Busy
) -> None:
    world = busy.world
    plan = deliverable(session, world, "ZJ", "rectification_plan")
    assert plan.due_on < EARLIER < plan.submitted_on  # type: ignore[operator]
    then = nodes(compute_summaries(session=session, campaign_id=world.campaign_id, as_of=EARLIER))
    now = nodes(compute_summaries(session=session, campaign_id=world.campaign_id, as_of=AS_OF))
    _adds_up(then["MOH"])

    # Done on 9-15: not done on 9-13, and past its 9-10 deadline then.
    assert now["FB"].own.rectification_by_status == {"done": 1}
    assert then["FB"].own.rectification_by_status == {"in_progress": 1}
    assert then["FB"].own.rectification_overdue == 1
    # Due 9-15: not overdue yet on 9-13.
    assert then["FB-CK"].own.rectification_by_status == {"planned": 1}
    assert then["FB-CK"].own.rectification_overdue == 0
    # Found on 9-14: not found yet.
    assert now["ZJ"].subtree.findings == 1
    assert then["ZJ"].subtree.findings == 0
    # Handed in late on 9-18: missing on 9-13.
    assert (now["ZJ"].own.deliverables.late, now["ZJ"].own.deliverables.missing) == (1, 0)
    assert (then["ZJ"].own.deliverables.late, then["ZJ"].own.deliverables.missing) == (0, 1)
    assert then["MOH"].subtree.findings == 4


def test_a_phase_counts_its_own_deliverables_only(session: Session, busy: Busy) -> None:
    world = busy.world
    find = nodes(
        compute_summaries(
            session=session, campaign_id=world.campaign_id, as_of=AS_OF, phase_key="find"
        )
    )
    phase_id = phase(session, world, "find").id
    assert find["RM"].own.deliverables.expected == count(
        session,
        Deliverable,
        Deliverable.unit_id == world.id("RM"),
        Deliverable.phase_id == phase_id,
    )
    assert find["RM"].own.deliverables.missing == 2  # complaints_cross_check, find_summary
    assert find["MOH"].subtree.deliverables.late == 0  # the late plan is the rectify phase's
    # Findings are the campaign's whatever the phase.
    assert find["MOH"].subtree.findings == 5


def test_a_subtree_summary_holds_that_subtree_only(session: Session, busy: Busy) -> None:
    tree = compute_summaries(
        session=session, campaign_id=busy.world.campaign_id, as_of=AS_OF, unit_code="JS"
    )
    assert tree.code == "JS"
    assert set(nodes(tree)) == {"JS", "LYG", "FB", "FB-CK", "RM"}
    assert tree.subtree.findings == 4
    assert tree.lagging_children == ["连云港市卫生局"]


@pytest.mark.parametrize(
    ("unit_code", "error"), [("XJB", "不在专项活动"), ("NOPE", "没有单位编码")]
)
def test_a_summary_of_a_unit_outside_the_campaign_is_refused(
    session: Session, world: World, unit_code: str, error: str
) -> None:
    with pytest.raises(NotFoundError, match=error) as caught:
        compute_summaries(
            session=session, campaign_id=world.campaign_id, as_of=AS_OF, unit_code=unit_code
        )
    assert caught.value.en


def test_a_replay_does_not_see_a_case_opened_later(
    session: Session, busy: Busy, complaint_key: str
) -> None:
    world = busy.world
    cadre = Cadre(
        staff_no="FB003",
        name="顾扬",
        unit_id=world.id("FB"),
        managing_unit_id=world.id("LYG"),
        post="副院长",
        scope_category=3,
    )
    session.add(cadre)
    session.flush()
    add_complaint(
        session=session,
        campaign_id=world.campaign_id,
        channel="举报电话",
        received_on=date(2012, 9, 14),
        anonymous=True,
        accused_name="顾扬",
        accused_unit="连云港市妇幼保健院",
        alleged_category="亲属经商",
        content="反映其配偶在辖区内推销药品。",
        contact=None,
        as_of=date(2012, 9, 15),
    )
    cross_check(session=session, campaign_id=world.campaign_id, as_of=date(2012, 9, 15))
    session.commit()
    now = nodes(compute_summaries(session=session, campaign_id=world.campaign_id, as_of=AS_OF))
    assert now["LYG"].own.cases_by_outcome == {"open": 1}
    then = nodes(compute_summaries(session=session, campaign_id=world.campaign_id, as_of=EARLIER))
    assert then["LYG"].own.cases_by_outcome == {}


# --- record_phase_summaries ----------------------------------------------------------------


def _rows(session: Session) -> dict[int, tuple[int | None, dict[str, Any], list[str], str]]:
    session.expire_all()
    return {
        row.unit_id: (row.id, row.figures, row.lagging_children, row.narrative)
        for row in session.exec(select(PhaseSummary))
    }


def test_recording_the_phase_summaries_twice_changes_nothing(session: Session, busy: Busy) -> None:
    world = busy.world
    tree = record_phase_summaries(
        session=session, campaign_id=world.campaign_id, phase_key="find", as_of=AS_OF
    )
    first = _rows(session)
    assert set(first) == {world.id(code) for code in IN_CAMPAIGN}
    lyg = first[world.id("LYG")]
    assert lyg[2] == ["连云港市第一人民医院"]
    assert lyg[1]["subtree"] == nodes(tree)["LYG"].subtree.model_dump(mode="json")

    submit_narrative(
        session=session,
        campaign_id=world.campaign_id,
        phase_key="find",
        unit_code="LYG",
        text="查找问题阶段，全市共发现问题线索四条。",
        submitted_on=date(2012, 8, 27),
    )
    written = _rows(session)
    record_phase_summaries(
        session=session, campaign_id=world.campaign_id, phase_key="find", as_of=AS_OF
    )
    assert _rows(session) == written
    assert written[world.id("LYG")][3] == "查找问题阶段，全市共发现问题线索四条。"

    # A later run refreshes the figures of the same rows and leaves the narrative alone.
    record_phase_summaries(
        session=session, campaign_id=world.campaign_id, phase_key="find", as_of=EARLIER
    )
    later = _rows(session)
    assert {unit: row[0] for unit, row in later.items()} == {
        unit: row[0] for unit, row in written.items()
    }
    assert later[world.id("LYG")][3] == written[world.id("LYG")][3]
    assert count(session, PhaseSummary) == len(IN_CAMPAIGN)
    [stored] = stored_summaries(session=session, campaign_id=world.campaign_id, unit_code="LYG")
    assert stored.computed_as_of == EARLIER
    assert stored.submitted_on == date(2012, 8, 27)
    assert stored.subtree.findings == 4  # A–D were all found by then; E (杭州) is not LYG's


# --- submit_narrative ----------------------------------------------------------------------

FB_FIND = ("FB", "find_summary")


@pytest.mark.parametrize(
    ("days_after_due", "status", "late"),
    [
        pytest.param(-3, "按时", 0, id="early"),
        pytest.param(0, "按时", 0, id="on-the-day"),
        pytest.param(1, "逾期提交", 1, id="a-day-late"),
        pytest.param(30, "逾期提交", 1, id="a-month-late"),
    ],
)
def test_a_narrative_fulfils_the_summary_deliverable(
    session: Session, world: World, days_after_due: int, status: str, late: int
) -> None:
    row = deliverable(session, world, *FB_FIND)
    root_due = deliverable(session, world, "MOH", "find_summary").due_on
    assert row.due_on < root_due  # cascaded: 连妇保 reports before 卫生部
    on = row.due_on + timedelta(days=days_after_due)
    receipt = submit_narrative(
        session=session,
        campaign_id=world.campaign_id,
        phase_key="find",
        unit_code="FB",
        text="  本院查找问题阶段工作总结。\r\n一、基本情况  ",
        submitted_on=on,
        submitted_by="院监察室",
    )
    assert summary_deliverable_kind("find") == "find_summary"
    assert (receipt.status, receipt.due_on, receipt.submitted_on) == (status, row.due_on, on)
    assert (receipt.unit_name, receipt.phase_title, receipt.replaced) == (
        "连云港市妇幼保健院",
        "查找问题",
        False,
    )
    assert deliverable(session, world, *FB_FIND).submitted_on == on
    [stored] = stored_summaries(session=session, campaign_id=world.campaign_id, unit_code="FB")
    assert stored.narrative == "本院查找问题阶段工作总结。\n一、基本情况"
    assert (stored.narrative_by, stored.submitted_on) == ("院监察室", on)
    figures = nodes(
        compute_summaries(
            session=session, campaign_id=world.campaign_id, as_of=on, phase_key="find"
        )
    )["FB"].own.deliverables
    assert (figures.on_time, figures.late) == (1 - late, late)


def test_a_resubmission_replaces_the_text_and_keeps_the_first_date(
    session: Session, world: World
) -> None:
    due = deliverable(session, world, *FB_FIND).due_on
    submit_narrative(
        session=session,
        campaign_id=world.campaign_id,
        phase_key="find",
        unit_code="FB",
        text="初稿",
        submitted_on=due,
        submitted_by="甲",
    )
    receipt = submit_narrative(
        session=session,
        campaign_id=world.campaign_id,
        phase_key="find",
        unit_code="FB",
        text="修改稿",
        submitted_on=due + timedelta(days=10),
        submitted_by="乙",
    )
    assert receipt.replaced
    assert (receipt.submitted_on, receipt.status) == (due, "按时")
    assert deliverable(session, world, *FB_FIND).submitted_on == due
    [stored] = stored_summaries(session=session, campaign_id=world.campaign_id, unit_code="FB")
    assert (stored.narrative, stored.narrative_by, stored.submitted_on) == ("修改稿", "乙", due)
    assert count(session, PhaseSummary) == 1


def test_a_narrative_of_exactly_the_limit_is_accepted(session: Session, world: World) -> None:
    submit_narrative(
        session=session,
        campaign_id=world.campaign_id,
        phase_key="find",
        unit_code="FB",
        text="廉" * NARRATIVE_MAX_CHARS,
        submitted_on=date(2012, 8, 20),
    )
    [stored] = stored_summaries(session=session, campaign_id=world.campaign_id, unit_code="FB")
    assert len(stored.narrative) == NARRATIVE_MAX_CHARS


FIVE_MB = "整改" * (5 * 1024 * 1024 // 6)  # 5 MB of UTF-8


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        pytest.param("", "为空", "empty", id="empty"),
        pytest.param("   ", "为空", "empty", id="spaces"),
        pytest.param("\r\n\t\u3000 \n", "为空", "empty", id="blank-lines-and-full-width-space"),
        pytest.param(
            "廉" * (NARRATIVE_MAX_CHARS + 1),
            f"{NARRATIVE_MAX_CHARS + 1} 个字符",
            "too long",
            id="one-over",
        ),
        pytest.param(FIVE_MB, f"{len(FIVE_MB)} 个字符", "too long", id="5-MB"),
    ],
)
def test_an_empty_or_oversized_narrative_is_refused_and_nothing_is_written(
    session: Session, world: World, text: str, zh: str, en: str
) -> None:
    with pytest.raises(QinglianError) as caught:
        submit_narrative(
            session=session,
            campaign_id=world.campaign_id,
            phase_key="find",
            unit_code="FB",
            text=text,
            submitted_on=date(2012, 8, 20),
        )
    assert zh in caught.value.zh and "未保存" in caught.value.zh
    assert en in caught.value.en and "nothing saved" in caught.value.en
    assert len(str(caught.value)) < 500  # the message quotes the size, never the text
    session.rollback()
    assert count(session, PhaseSummary) == 0
    assert deliverable(session, world, *FB_FIND).submitted_on is None


def test_an_invisible_narrative_is_refused(session: Session, world: World) -> None:
    with pytest.raises(QinglianError, match="为空"):
        submit_narrative(
            session=session,
            campaign_id=world.campaign_id,
            phase_key="find",
            unit_code="FB",
            text="\ufeff\u200b",
            submitted_on=date(2012, 8, 20),
        )


@pytest.mark.parametrize(
    ("changes", "error", "zh"),
    [
        pytest.param({"unit_code": "XJB"}, NotFoundError, "不在专项活动", id="unit-outside"),
        pytest.param({"unit_code": "NOPE"}, NotFoundError, "没有单位编码", id="unknown-unit"),
        pytest.param({"phase_key": "clean"}, NotFoundError, "没有阶段", id="unknown-phase"),
        pytest.param(
            {"submitted_on": date(2012, 8, 5)},
            QinglianError,
            "早于查找问题阶段开始",
            id="before-phase",
        ),
        pytest.param({"campaign_id": 999}, NotFoundError, "没有编号为 999", id="unknown-campaign"),
    ],
)
def test_a_narrative_in_the_wrong_place_is_refused(
    session: Session, world: World, changes: dict[str, Any], error: type[Exception], zh: str
) -> None:
    values: dict[str, Any] = {
        "campaign_id": world.campaign_id,
        "phase_key": "find",
        "unit_code": "FB",
        "text": "总结",
        "submitted_on": date(2012, 8, 20),
        **changes,
    }
    with pytest.raises(error) as caught:
        submit_narrative(session=session, **values)
    assert isinstance(caught.value, QinglianError)
    assert zh in caught.value.zh and caught.value.en
    session.rollback()
    assert count(session, PhaseSummary) == 0
    assert count(session, Deliverable, Deliverable.submitted_on.is_not(None)) == 0  # type: ignore[union-attr]


def test_the_phase_start_itself_is_accepted(session: Session, world: World) -> None:
    starts = phase(session, world, "find").starts_on
    receipt = submit_narrative(
        session=session,
        campaign_id=world.campaign_id,
        phase_key="find",
        unit_code="FB",
        text="总结",
        submitted_on=starts,
    )
    assert receipt.submitted_on == starts


# --- import_narratives ---------------------------------------------------------------------


def narrative_row(
    unit: str = "FB",
    phase_name: str = "find",
    text: str = "本院查找问题阶段工作总结。",
    on: Any = "2012-08-24",
    by: str = "院监察室",
) -> dict[str, Any]:
    return dict(zip(NARRATIVE_HEADERS, (unit, phase_name, text, on, by), strict=True))


def _import(session: Session, world: World, path: Path, **options: Any) -> Any:
    return import_narratives(
        session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY, **options
    )


def _narratives(session: Session) -> dict[tuple[str, str], tuple[str, date | None, str]]:
    session.expire_all()
    rows = session.exec(
        select(Unit.code, Phase.key, PhaseSummary)
        .join(Unit, Unit.id == PhaseSummary.unit_id)  # type: ignore[arg-type]
        .join(Phase, Phase.id == PhaseSummary.phase_id)  # type: ignore[arg-type]
    ).all()
    return {
        (code, key): (row.narrative, row.submitted_on, row.narrative_by) for code, key, row in rows
    }


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_narratives_are_imported_by_phase_key_or_title_once(
    session: Session, world: World, tmp_path: Path, suffix: str
) -> None:
    rows = [
        narrative_row(),
        narrative_row("LYG", "查找问题", "全市查找问题阶段总结。", "2012年8月30日", "王局长"),
        narrative_row("RM", "动员部署", "动员部署阶段总结。", None, ""),
    ]
    path = write_table(tmp_path / f"阶段性总结{suffix}", NARRATIVE_HEADERS, rows)
    session.commit()
    report = _import(session, world, path)
    session.commit()
    assert (report.created, report.updated, report.unchanged, report.rejected) == (3, 0, 0, [])
    assert report.rejected_file is None
    expected = {
        ("FB", "find"): ("本院查找问题阶段工作总结。", date(2012, 8, 24), "院监察室"),
        ("LYG", "find"): ("全市查找问题阶段总结。", date(2012, 8, 30), "王局长"),
        ("RM", "mobilize"): ("动员部署阶段总结。", TODAY, ""),  # no date: today
    }
    assert _narratives(session) == expected
    assert deliverable(session, world, "LYG", "find_summary").submitted_on == date(2012, 8, 30)
    assert deliverable(session, world, "RM", "mobilize_summary").submitted_on == TODAY

    again = _import(session, world, path)
    session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert _narratives(session) == expected

    rows[0] = narrative_row(text="本院查找问题阶段工作总结（修订）。", on="2012-09-01")
    changed = _import(session, world, write_table(path, NARRATIVE_HEADERS, rows))
    session.commit()
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    # The text is replaced; the narrative still counts as submitted on its first date.
    assert _narratives(session)[("FB", "find")] == (
        "本院查找问题阶段工作总结（修订）。",
        date(2012, 8, 24),
        "院监察室",
    )


BAD_ROWS = [
    pytest.param({"单位编码": "NOPE"}, "单位编码", "不存在", id="unknown-unit"),
    pytest.param({"单位编码": "XJB"}, "单位编码", "不在本专项活动", id="unit-outside"),
    pytest.param({"单位编码": None}, "单位编码", "不能为空", id="no-unit"),
    pytest.param({"阶段": "清查"}, "阶段", "没有阶段「清查」", id="unknown-phase"),
    pytest.param({"总结内容": "  \u3000 "}, "总结内容", "为空", id="empty-narrative"),
    pytest.param(
        {"总结内容": "廉" * (NARRATIVE_MAX_CHARS + 1)}, "总结内容", "过长", id="oversized"
    ),
    pytest.param({"提交日期": "2012-09-21"}, "提交日期", "晚于今天", id="future-date"),
    pytest.param({"提交日期": "2012-08-05"}, "提交日期", "早于查找问题阶段开始", id="before-phase"),
    pytest.param({"提交日期": "2012-13-45"}, "提交日期", "无法识别的日期", id="bad-date"),
]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize(("changes", "column", "zh"), BAD_ROWS)
def test_a_bad_row_rejects_the_whole_file(
    session: Session,
    world: World,
    tmp_path: Path,
    suffix: str,
    changes: dict[str, Any],
    column: str,
    zh: str,
) -> None:
    path = write_table(
        tmp_path / f"总结{suffix}",
        NARRATIVE_HEADERS,
        [narrative_row("LYG", on="2012-08-27"), {**narrative_row(), **changes}],
    )
    with pytest.raises(ImportRejected) as caught:
        _import(session, world, path)
    session.rollback()
    [error] = caught.value.errors
    assert (error.file, error.sheet, error.row, error.column) == (path.name, "总结", 3, column)
    assert zh in error.zh and error.en
    assert "总结" in str(caught.value) and "--skip-invalid" in caught.value.en
    assert count(session, PhaseSummary) == 0
    assert count(session, Deliverable, Deliverable.submitted_on.is_not(None)) == 0  # type: ignore[union-attr]
    assert not rejected_path(path).exists()


SECRET_TAIL = "（此段为超长附件，不应出现在退回文件中）"


def test_skipping_invalid_rows_quarantines_them_without_the_long_text(
    session: Session, world: World, tmp_path: Path
) -> None:
    oversized = "整改" * 100 + "廉" * (5 * 1024 * 1024 // 3) + SECRET_TAIL  # over 5 MB
    path = write_table(
        tmp_path / "总结.xlsx",
        NARRATIVE_HEADERS,
        [
            narrative_row("LYG", on="2012-08-27"),
            narrative_row(text=oversized),
            narrative_row("NOPE"),
        ],
    )
    report = _import(session, world, path, skip_invalid=True)
    session.commit()
    assert (report.created, report.rejected_rows) == (1, 2)
    assert {(e.row, e.column) for e in report.rejected} == {(3, "总结内容"), (4, "单位编码")}
    assert set(_narratives(session)) == {("LYG", "find")}
    assert deliverable(session, world, *FB_FIND).submitted_on is None

    assert report.rejected_file == rejected_path(path)
    assert report.rejected_file.stat().st_size < 10_000
    content = report.rejected_file.read_text(encoding="utf-8-sig")
    assert SECRET_TAIL not in content and "廉" * 300 not in content
    records = list(csv.reader(content.splitlines()))
    kept = [cell for record in records for cell in record if cell.startswith("整改整改")]
    assert kept and all(len(cell) <= 201 and cell.endswith("…") for cell in kept)
    assert any("NOPE" in cell for record in records for cell in record)

    # The valid row is in: importing the same file again adds nothing.
    again = _import(session, world, path, skip_invalid=True)
    session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_a_five_megabyte_narrative_in_a_csv_is_one_bad_row(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = write_table(
        tmp_path / "总结.csv",
        NARRATIVE_HEADERS,
        [narrative_row("LYG", on="2012-08-27"), narrative_row(text=FIVE_MB)],
    )
    report = _import(session, world, path, skip_invalid=True)
    assert [(e.row, e.column) for e in report.rejected] == [(3, "总结内容")]
    assert report.created == 1


def test_a_unit_and_phase_named_twice_in_one_file_is_refused(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = write_table(
        tmp_path / "总结.csv",
        NARRATIVE_HEADERS,
        [
            narrative_row(text="第一稿"),
            narrative_row(phase_name="查找问题", text="第二稿", on="2012-08-25"),
        ],
    )
    with pytest.raises(ImportRejected) as caught:
        _import(session, world, path)
    assert [error.row for error in caught.value.errors] == [3]
    session.rollback()
    assert count(session, PhaseSummary) == 0


# --- review_findings -----------------------------------------------------------------------

FS = FindingStatus


def _statuses(session: Session, ids: Iterable[int]) -> list[FindingStatus]:
    session.expire_all()
    return [session.get(Finding, finding_id).status for finding_id in ids]  # type: ignore[union-attr]


def _findings(session: Session, world: World, statuses: Iterable[FindingStatus]) -> list[int]:
    ids = [
        add_finding(
            session,
            world,
            "FB",
            FindingSource.self_declared,
            FindingCategory.relative_business,
            date(2012, 8, 20),
            status=status,
        )
        for status in statuses
    ]
    session.commit()
    return ids


@pytest.mark.parametrize(
    ("before", "confirm", "changed", "after"),
    [
        pytest.param([FS.open], True, 1, [FS.confirmed], id="confirm"),
        pytest.param([FS.open], False, 1, [FS.dismissed], id="dismiss"),
        pytest.param(
            [FS.open, FS.open, FS.open],
            True,
            3,
            [FS.confirmed, FS.confirmed, FS.confirmed],
            id="confirm-several",
        ),
        pytest.param(
            [FS.open, FS.confirmed],
            True,
            1,
            [FS.confirmed, FS.confirmed],
            id="confirm-again-changes-nothing",
        ),
        pytest.param(
            [FS.dismissed, FS.open],
            False,
            1,
            [FS.dismissed, FS.dismissed],
            id="dismiss-again-changes-nothing",
        ),
    ],
)
def test_findings_are_confirmed_or_dismissed(
    session: Session,
    world: World,
    before: list[FindingStatus],
    confirm: bool,
    changed: int,
    after: list[FindingStatus],
) -> None:
    ids = _findings(session, world, before)
    assert (
        review_findings(
            session=session,
            campaign_id=world.campaign_id,
            finding_ids=[*ids, ids[0]],  # a repeated id counts once
            confirm=confirm,
        )
        == changed
    )
    session.commit()
    assert _statuses(session, ids) == after


@pytest.mark.parametrize(
    ("before", "confirm"),
    [
        pytest.param([FS.open, FS.dismissed], True, id="dismissed-cannot-be-confirmed"),
        pytest.param([FS.open, FS.confirmed], False, id="confirmed-cannot-be-dismissed"),
        pytest.param([FS.open, FS.verifying], True, id="under-verification"),
        pytest.param([FS.open, FS.rectifying], False, id="rectifying"),
    ],
)
def test_a_decided_finding_refuses_the_whole_review(
    session: Session, world: World, before: list[FindingStatus], confirm: bool
) -> None:
    ids = _findings(session, world, before)
    with pytest.raises(QinglianError) as caught:
        review_findings(
            session=session, campaign_id=world.campaign_id, finding_ids=ids, confirm=confirm
        )
    assert "已处理或正在核实" in caught.value.zh and "未作任何更改" in caught.value.zh
    assert str(ids[1]) in caught.value.zh and "nothing changed" in caught.value.en
    session.commit()
    assert _statuses(session, ids) == before


def test_an_unknown_finding_refuses_the_whole_review(session: Session, world: World) -> None:
    [mine] = _findings(session, world, [FS.open])
    other, _ = launch_campaign(session=session, template_key="coi-2012", root_code="XJB")
    theirs = add_finding(
        session,
        world,
        "XJB",
        FindingSource.self_declared,
        FindingCategory.relative_business,
        date(2012, 8, 20),
        campaign_id=other.id,
    )
    session.commit()
    for wanted, missing in (([mine, 987654], "987654"), ([mine, theirs], str(theirs))):
        with pytest.raises(NotFoundError) as caught:
            review_findings(
                session=session, campaign_id=world.campaign_id, finding_ids=wanted, confirm=True
            )
        assert missing in caught.value.zh and missing in caught.value.en
        assert "未作任何更改" in caught.value.zh
        session.commit()
        assert _statuses(session, [mine, theirs]) == [FS.open, FS.open]
    assert count(session, RectificationItem) == 0
