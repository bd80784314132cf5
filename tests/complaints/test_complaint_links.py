"""One matter by two channels: proposed by rule, decided by a person, counted and verified once.

The link rule is a table over :func:`same_matter`; intake's proposals a table over real
complaints; the decisions run through the services and the CLI. Nothing any of them prints or
records carries a complaint's text or its complainant's contact.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, func, select

from models.complaint import AuditEvent, Complaint, ComplaintLink, VerificationCase
from models.enums import (
    AuditAction,
    CaseOutcome,
    CaseStatus,
    ComplaintChannel,
    ComplaintStatus,
    FindingCategory,
    FindingStatus,
    LinkStatus,
)
from models.finding import Finding
from qinglian.complaints import linking
from qinglian.complaints.cases import list_cases, read_case, record_verification
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.import_complaints import import_complaints
from qinglian.complaints.link_review import confirm_link, list_links, reject_link
from qinglian.complaints.linking import WINDOW_DAYS, LinkFacts, propose_links, same_matter
from qinglian.complaints.matching import match_complaints
from qinglian.complaints.review import assign_complaint
from qinglian.complaints.visibility import complaint_counts, complaint_status_by_receipt
from qinglian.core.errors import NotFoundError, QinglianError
from tests.complaints.test_complaints import (
    AS_OF,
    DECIDED,
    HEADERS,
    TODAY,
    World,
    build_world,
    complain,
    row,
)
from tests.factories import Qinglian, launch_seed_campaign, qinglian_cli, write_table

pytestmark = pytest.mark.usefixtures("complaint_key")

CALL = "来电反映：施院长在某学会兼职并领取报酬"
LETTER = "来信举报施庆喜院长违规兼职取酬，每月领取车马费"
CONTACT = "举报人张红 13811112222"
SECRETS = (CALL, LETTER, CONTACT, "车马费", "13811112222")


@pytest.fixture
def lite() -> Iterator[Session]:
    """SQLite in memory with foreign keys enforced, as the service runs it."""
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def world(lite: Session) -> World:
    return build_world(lite)


def links(session: Session) -> list[ComplaintLink]:
    return list(session.exec(select(ComplaintLink).order_by(ComplaintLink.id)))


def trail(session: Session, action: AuditAction) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def two_channels(
    session: Session, world: World, *, days: int = 12, **second: Any
) -> tuple[Complaint, Complaint]:
    """施庆喜 reported by the hotline, then by letter in other words (兼职取酬)."""
    first, _ = complain(
        session, world, name="施庆喜", category="兼职取酬", content=CALL, channel="热线"
    )
    values: dict[str, Any] = {
        "name": "施院长",
        "unit": "连云港市妇幼保健院",
        "category": "兼职取酬",
        "content": LETTER,
        "channel": "来信",
        "received_on": date(2012, 8, 10) + timedelta(days=days),
        "anonymous": False,
        "contact": CONTACT,
        "as_of": date(2012, 12, 31),
        **second,
    }
    later, _ = complain(session, world, **values)
    return first, later


# --- the rule --------------------------------------------------------------------------------

BASE = LinkFacts(
    id=1,
    channel=ComplaintChannel.hotline,
    received_on=date(2012, 8, 1),
    accused=("cadre", 7),
    category=FindingCategory.unapproved_or_paid_post,
)
LETTER_FACTS = replace(BASE, id=2, channel=ComplaintChannel.letter)


@pytest.mark.parametrize(
    ("first", "second", "linked"),
    [
        pytest.param({}, {}, True, id="same-cadre-category-other-channel"),
        pytest.param({}, {"received_on": date(2012, 8, 31)}, True, id="30-days-later"),
        pytest.param({}, {"received_on": date(2012, 9, 1)}, False, id="31-days-later"),
        pytest.param({}, {"received_on": date(2012, 7, 2)}, True, id="30-days-earlier"),
        pytest.param({}, {"received_on": date(2012, 7, 1)}, False, id="31-days-earlier"),
        pytest.param({}, {"channel": ComplaintChannel.hotline}, False, id="same-channel"),
        pytest.param({}, {"accused": ("cadre", 8)}, False, id="another-cadre"),
        pytest.param({}, {"accused": ("unit", 7)}, False, id="a-unit-not-the-cadre"),
        pytest.param(
            {"accused": ("unit", 3)}, {"accused": ("unit", 3)}, True, id="same-unit-complained-of"
        ),
        pytest.param({"accused": ("unit", 3)}, {"accused": ("unit", 4)}, False, id="another-unit"),
        pytest.param({}, {"category": FindingCategory.concealment}, False, id="other-category"),
        pytest.param({"category": None}, {"category": None}, True, id="both-without-category"),
        pytest.param({}, {"category": None}, False, id="one-without-category"),
        pytest.param({}, {"duplicate_of_id": 1}, False, id="already-an-exact-copy"),
        pytest.param({}, {"duplicate_of_id": 9}, False, id="a-copy-of-another"),
        pytest.param({}, {"matter_id": 1}, False, id="already-one-matter"),
        pytest.param({"matter_id": 5}, {"matter_id": 5}, False, id="both-of-one-matter-already"),
        pytest.param({"accused": None}, {"accused": None}, False, id="nobody-matched"),
    ],
)
def test_the_link_rule(first: dict[str, Any], second: dict[str, Any], linked: bool) -> None:
    a, b = replace(BASE, **first), replace(LETTER_FACTS, **second)
    assert same_matter(a, b) is linked
    assert same_matter(b, a) is linked
    assert WINDOW_DAYS == 30


# --- proposals at intake ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "proposed"),
    [
        pytest.param({}, 1, id="other-words-other-channel"),
        pytest.param({"days": 30}, 1, id="30-days-apart"),
        pytest.param({"days": 31}, 0, id="31-days-apart"),
        pytest.param({"days": -31}, 0, id="31-days-before"),
        pytest.param({"channel": "举报电话"}, 0, id="same-channel"),
        pytest.param({"content": CALL}, 0, id="same-text-is-a-copy"),
        pytest.param({"category": "亲属经商"}, 0, id="other-category"),
        pytest.param({"name": "顾扬"}, 0, id="other-cadre"),
    ],
)
def test_intake_proposes_a_link_by_the_rule(
    lite: Session, world: World, second: dict[str, Any], proposed: int
) -> None:
    first, later = two_channels(lite, world, **second)
    assert len(links(lite)) == proposed
    if proposed:
        [link] = links(lite)
        assert (link.complaint_id, link.other_id, link.status) == (
            first.id,
            later.id,
            LinkStatus.proposed,
        )
        [event] = trail(lite, AuditAction.link_proposed)
        assert event.detail == {"link_id": link.id, "other_id": first.id}


def test_two_complaints_about_a_unit_are_proposed_too(lite: Session, world: World) -> None:
    about = {"name": "", "unit": "连妇保", "category": None}
    complain(lite, world, content="门诊推诿病人", channel="热线", **about)
    complain(lite, world, content="该院看病难，服务差", channel="网上举报", **about)
    complain(
        lite,
        world,
        content="另一医院的事",
        channel="来信",
        **{**about, "unit": "连云港市第一人民医院"},
    )
    [link] = links(lite)
    [view] = list_links(session=lite, campaign_id=world.campaign_id)
    assert (view.cadre_id, view.accused_unit_id) == (None, world.units["FB"])
    assert view.channels == (ComplaintChannel.hotline, ComplaintChannel.online)
    assert link.id == view.id


FILE_ROWS = (
    row(被反映人="施庆喜", 问题类别="兼职取酬", 内容="甲", 收到日期="2012-08-01"),
    row(被反映人="施院长", 渠道="来信", 问题类别="兼职取酬", 内容="乙", 收到日期="2012-08-19"),
    row(被反映人="顾扬", 内容="丙", 收到日期="2012-08-02"),
    row(被反映人="顾扬", 内容="丁", 收到日期="2012-08-03"),
    row(被反映人=None, 问题类别=None, 内容="戊", 收到日期="2012-08-04"),
    row(被反映人=None, 渠道="网络举报", 问题类别=None, 内容="己", 收到日期="2012-08-05"),
)


@pytest.mark.parametrize("whole", [1, 5000], ids=["one-pass", "by-lookups"])
def test_an_import_proposes_the_same_links_whichever_way_it_reads(
    lite: Session, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole: int
) -> None:
    monkeypatch.setattr(linking, "_WHOLE_CAMPAIGN", whole)
    path = write_table(tmp_path / "举报.csv", HEADERS, FILE_ROWS)
    import_complaints(session=lite, campaign_id=world.campaign_id, path=path, as_of=TODAY)
    assert len(lite.exec(select(Complaint)).all()) == 6
    assert [(link.complaint_id, link.other_id) for link in links(lite)] == [(1, 2), (5, 6)]


def test_proposing_again_proposes_nothing(lite: Session, world: World) -> None:
    first, later = two_channels(lite, world)
    assert first.id is not None and later.id is not None
    assert (
        match_complaints(session=lite, campaign_id=world.campaign_id, retry=True).links_proposed
        == 0
    )
    ids = [first.id, later.id]
    assert propose_links(session=lite, campaign_id=world.campaign_id, complaint_ids=ids) == 0
    assert len(links(lite)) == 1 and len(trail(lite, AuditAction.link_proposed)) == 1


def test_an_assignment_proposes_the_links_matching_could_not(lite: Session, world: World) -> None:
    known, _ = complain(
        lite, world, name="李明", unit="连云港市第一人民医院", content="甲", category="未回避"
    )
    waiting, _ = complain(
        lite,
        world,
        name="李主任",
        unit="连云港市第一人民医院",
        content="乙",
        category="未回避",
        channel="来信",
    )
    assert waiting.status is ComplaintStatus.ambiguous and links(lite) == []
    assert waiting.id is not None
    assign_complaint(
        session=lite,
        complaint_id=waiting.id,
        cadre_id=world.cadres["李明"],
        decided_by="信访办",
        decided_at=DECIDED,
    )
    [link] = links(lite)
    assert (link.complaint_id, link.other_id) == (known.id, waiting.id)
    [event] = trail(lite, AuditAction.link_proposed)
    assert event.actor == "信访办"


# --- confirmed: one matter, counted once, verified once --------------------------------------


def test_a_confirmed_link_counts_once_and_opens_one_case(lite: Session, world: World) -> None:
    first, later = two_channels(lite, world)
    _, receipt = complain(
        lite, world, name="施庆喜", category="兼职取酬", content=LETTER, channel="网上举报"
    )
    before = complaint_counts(session=lite, campaign_id=world.campaign_id)
    assert (before.total, before.same_matter, before.duplicates, before.links_proposed) == (
        2,
        0,
        1,
        1,
    )
    [link] = links(lite)
    assert link.id is not None
    view = confirm_link(session=lite, link_id=link.id, decided_by="市局信访办", decided_at=DECIDED)
    assert (view.status, view.decided_by) == (LinkStatus.confirmed, "市局信访办")
    lite.refresh(later)
    assert later.same_matter_of_id == first.id
    counts = complaint_counts(session=lite, campaign_id=world.campaign_id)
    assert (counts.total, counts.same_matter, counts.duplicates, counts.links_proposed) == (
        1,
        1,
        1,
        0,
    )
    assert counts.headline().startswith("收到举报 2 件（其中经确认为同一事项 1 件），按 1 件计")
    fb = complaint_counts(session=lite, campaign_id=world.campaign_id, unit_id=world.units["FB"])
    assert (fb.total, fb.same_matter) == (1, 1)
    checked = cross_check(session=lite, campaign_id=world.campaign_id, as_of=AS_OF)
    assert checked.cases_opened == 1
    [case] = lite.exec(select(VerificationCase)).all()
    assert case.id is not None and case.complaint_id == first.id
    detail = read_case(session=lite, case_id=case.id, office_unit_id=world.units["LYG"])
    assert [copy.content.get_secret_value() for copy in detail.same_matter] == [LETTER, LETTER]
    record_verification(
        session=lite,
        case_id=case.id,
        outcome="属实",
        reason="兼职取酬属实",
        decided_by="纪检组",
        decided_at=DECIDED,
    )
    statuses = lite.exec(select(Complaint.status)).all()
    assert set(statuses) == {ComplaintStatus.closed}
    assert receipt is not None
    assert complaint_status_by_receipt(session=lite, receipt_code=receipt).startswith("已办结")
    assert (
        confirm_link(
            session=lite, link_id=link.id, decided_by="又一人", decided_at=DECIDED
        ).decided_by
        == "市局信访办"
    )
    [event] = trail(lite, AuditAction.link_confirmed)
    assert (event.actor, event.complaint_id) == ("市局信访办", later.id)
    assert event.detail["matter_id"] == first.id and event.detail["merged_case_id"] is None


def test_confirmed_after_both_were_opened_the_later_case_is_merged(session: Session) -> None:
    """On both databases: the enum values a merged case and a decided link need."""
    world = build_world(session)
    first, later = two_channels(session, world)
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    early, late = session.exec(select(VerificationCase).order_by(VerificationCase.id)).all()
    assert early.finding_id == late.finding_id is not None
    [link] = links(session)
    assert link.id is not None and early.id is not None and late.id is not None
    confirm_link(session=session, link_id=link.id, decided_by="纪检组", decided_at=DECIDED)
    session.refresh(late)
    assert (late.status, late.merged_into_id, late.outcome) == (CaseStatus.merged, early.id, None)
    counts = complaint_counts(session=session, campaign_id=world.campaign_id)
    assert (counts.total, counts.cases_open, counts.cases_merged) == (1, 1, 1)
    listed = list_cases(
        session=session, campaign_id=world.campaign_id, office_unit_id=world.units["LYG"]
    )
    assert [(c.id, c.status) for c in listed] == [
        (early.id, CaseStatus.open),
        (late.id, CaseStatus.merged),
    ]
    with pytest.raises(QinglianError, match=f"已并入核实案件 {early.id}"):
        record_verification(
            session=session,
            case_id=late.id,
            outcome="属实",
            reason="x",
            decided_by="x",
            decided_at=DECIDED,
        )
    record_verification(
        session=session,
        case_id=early.id,
        outcome=CaseOutcome.unsubstantiated,
        reason="查无实据",
        decided_by="纪检组",
        decided_at=DECIDED,
    )
    # The merged case has no say: the finding follows the one decision of the matter.
    finding = session.get(Finding, early.finding_id)
    assert finding is not None and finding.status is FindingStatus.dismissed
    session.refresh(first)
    session.refresh(later)
    assert (first.status, later.status) == (ComplaintStatus.closed, ComplaintStatus.closed)
    [merged] = trail(session, AuditAction.case_merged)
    assert (merged.case_id, merged.detail["merged_into_id"]) == (late.id, early.id)


def test_an_open_case_joins_a_matter_already_decided(lite: Session, world: World) -> None:
    first, _ = complain(lite, world, name="施庆喜", category="兼职取酬", content=CALL)
    cross_check(session=lite, campaign_id=world.campaign_id, as_of=AS_OF)
    [decided] = lite.exec(select(VerificationCase)).all()
    assert decided.id is not None
    record_verification(
        session=lite,
        case_id=decided.id,
        outcome="属实",
        reason="属实",
        decided_by="纪检组",
        decided_at=DECIDED,
    )
    later, _ = complain(
        lite,
        world,
        name="施院长",
        category="兼职取酬",
        content=LETTER,
        channel="来信",
        received_on=date(2012, 8, 18),
    )
    cross_check(session=lite, campaign_id=world.campaign_id, as_of=AS_OF)
    opened = lite.exec(
        select(VerificationCase).where(VerificationCase.complaint_id == later.id)
    ).one()
    [link] = links(lite)
    assert link.id is not None
    confirm_link(session=lite, link_id=link.id, decided_by="纪检组", decided_at=DECIDED)
    lite.refresh(opened)
    lite.refresh(later)
    assert (opened.status, opened.merged_into_id) == (CaseStatus.merged, decided.id)
    assert (later.status, later.same_matter_of_id) == (ComplaintStatus.closed, first.id)


# --- rejected, and what cannot be decided ----------------------------------------------------


def test_a_rejected_link_is_final_and_never_proposed_again(lite: Session, world: World) -> None:
    first, later = two_channels(lite, world)
    [link] = links(lite)
    assert link.id is not None and first.id is not None and later.id is not None
    with pytest.raises(QinglianError, match="理由"):
        reject_link(
            session=lite, link_id=link.id, decided_by="信访办", decided_at=DECIDED, reason=" "
        )
    view = reject_link(
        session=lite,
        link_id=link.id,
        decided_by="信访办",
        decided_at=DECIDED,
        reason="兼职单位不同",
    )
    assert (view.status, view.reason) == (LinkStatus.rejected, "兼职单位不同")
    again = reject_link(
        session=lite,
        link_id=link.id,
        decided_by="信访办",
        decided_at=DECIDED,
        reason="兼职单位不同",
    )
    assert (again.status, again.reason, again.decided_by) == (view.status, view.reason, "信访办")
    with pytest.raises(QinglianError, match="理由不能更改"):
        reject_link(
            session=lite, link_id=link.id, decided_by="x", decided_at=DECIDED, reason="改了"
        )
    with pytest.raises(QinglianError, match="不能更改"):
        confirm_link(session=lite, link_id=link.id, decided_by="x", decided_at=DECIDED)
    assert (
        propose_links(
            session=lite, campaign_id=world.campaign_id, complaint_ids=[first.id, later.id]
        )
        == 0
    )
    counts = complaint_counts(session=lite, campaign_id=world.campaign_id)
    assert (counts.total, counts.same_matter, counts.links_proposed) == (2, 0, 0)
    assert cross_check(session=lite, campaign_id=world.campaign_id, as_of=AS_OF).cases_opened == 2
    [event] = trail(lite, AuditAction.link_rejected)
    assert event.actor == "信访办" and "兼职单位不同" not in str(event.detail)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        pytest.param({"link_id": 424242}, NotFoundError, "没有编号为 424242", id="unknown"),
        pytest.param({"decided_by": " "}, QinglianError, "确认人", id="nobody"),
        pytest.param({"decided_by": "人" * 101}, QinglianError, "最长", id="too-long"),
        pytest.param(
            {"decided_at": datetime(2012, 9, 10, 10, 0)}, QinglianError, "时区", id="naive"
        ),
    ],
)
def test_a_decision_must_be_well_formed(
    lite: Session, world: World, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    two_channels(lite, world)
    [link] = links(lite)
    values: dict[str, Any] = {
        "link_id": link.id,
        "decided_by": "信访办",
        "decided_at": DECIDED,
        **changes,
    }
    with pytest.raises(error, match=message):
        confirm_link(session=lite, **values)
    assert links(lite)[0].status is LinkStatus.proposed


# --- the CLI ---------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Qinglian]:
    """The `qinglian` command on a fresh embedded database."""
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as harness:
        harness.ok("db", "upgrade")
        yield harness


def test_links_are_listed_confirmed_and_rejected_through_the_cli(
    cli: Qinglian, tmp_path: Path
) -> None:
    with cli.session() as session:
        campaign = str(launch_seed_campaign(session, tmp_path))
        session.commit()
    add = ("complaints", "add", "--campaign", campaign, "--category", "兼职取酬")
    out: list[str] = []
    for accused, channel, content, received in (
        ("施庆喜", "举报电话", CALL, "2012-08-10"),
        ("施院长", "来信", LETTER, "2012-08-20"),
        ("顾扬", "举报电话", "顾副院长在学会兼职", "2012-08-11"),
        ("顾扬", "领导信箱", "顾扬兼职取酬的另一说法", "2012-08-12"),
    ):
        out.append(
            cli.ok(
                *add,
                "--accused",
                accused,
                "--unit",
                "连妇保",
                "--channel",
                channel,
                "--content",
                content,
                "--received",
                received,
                "--contact",
                CONTACT,
            ).stdout
        )
    listed = cli.ok("complaints", "links", campaign).stdout
    out.append(listed)
    assert "举报电话、来信" in listed and "2012-08-10、2012-08-20" in listed and "待确认" in listed
    with cli.session() as session:
        shi, gu = (link.id for link in links(session))
    confirmed = cli.ok("complaints", "link-confirm", str(shi), "--by", "市局信访办").stdout
    rejected = cli.ok(
        "complaints", "link-reject", str(gu), "--by", "市局信访办", "--reason", "两件反映的兼职不同"
    ).stdout
    out += [confirmed, rejected]
    assert "已确认为同一事项" in confirmed and "不是同一事项" in rejected
    refused = cli("complaints", "link-reject", str(shi), "--by", "x", "--reason", "y")
    assert refused.exit_code == 1 and "不能更改" in refused.output
    assert (
        "已确认为同一事项"
        in cli.ok("complaints", "links", campaign, "--status", "confirmed").stdout
    )
    remaining = cli.ok("complaints", "links", campaign, "--status", "proposed").stdout
    assert "举报电话" not in remaining
    bad = cli("complaints", "links", campaign, "--status", "maybe")
    assert bad.exit_code == 2 and "maybe" in bad.output
    counts = cli.ok("complaints", "counts", campaign).stdout
    out.append(counts)
    assert "收到举报 4 件（其中经确认为同一事项 1 件），按 3 件计" in counts
    for text in out:
        for secret in (*SECRETS, "顾副院长在学会兼职", "另一说法"):
            assert secret not in text
    with cli.session() as session:
        actions = {(e.action, e.actor) for e in session.exec(select(AuditEvent))}
        assert (AuditAction.link_confirmed, "市局信访办") in actions
        assert (AuditAction.link_rejected, "市局信访办") in actions
        assert len(trail(session, AuditAction.link_proposed)) == 2
        for entry in session.exec(select(AuditEvent)):
            for secret in SECRETS:
                assert secret not in entry.model_dump_json()
        assert session.exec(select(func.count()).select_from(ComplaintLink)).one() == 2
