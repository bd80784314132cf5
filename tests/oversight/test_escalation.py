"""What is due and who is told: a small tree, replayed day by day across the rectify phase."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models.cadre import Cadre
from models.campaign import Campaign, Deliverable, Phase
from models.enums import (
    ContactRole,
    FindingCategory,
    FindingSource,
    FindingStatus,
    Level,
    RectificationStatus,
    RuleDecision,
    UnitKind,
)
from models.finding import Finding, RuleReviewItem
from models.form import Declaration
from models.outbox import NotifyContact, OutboxItem, OutboxMessage
from qinglian.notify.protocol import RecordingNotifier
from qinglian.oversight.delivery import deliver
from qinglian.oversight.lagging import find_lagging_units, unit_loads
from qinglian.oversight.notices import due_notices
from qinglian.oversight.outbox import sweep
from qinglian.oversight.recipients import add_contact
from qinglian.rectification.creation import ensure_rectification_items
from qinglian.rectification.progress import (
    extend_rectification,
    rectification_for_finding,
    update_rectification_status,
)
from qinglian.rules.ladder import LaggingThresholds, default_ladder
from tests.factories import UnitRow, add_units

START = date(2012, 7, 16)
SECRET_TEXT = "举报人李四反映其妻在本院承揽药品配送"
NAMES = ("施庆喜", "王局长", "李四", "潘菁")


ADMIN, MEDICAL = UnitKind.health_admin, UnitKind.public_medical
UNITS: tuple[UnitRow, ...] = (
    ("JS", "江苏省卫生厅", Level.province, ADMIN, None),
    ("JS-LYG", "连云港市卫生局", Level.city, ADMIN, "JS"),
    ("JS-LYG-FB", "连云港市妇幼保健院", Level.institution, MEDICAL, "JS-LYG"),
    ("JS-LYG-FB-CK", "产科", Level.department, MEDICAL, "JS-LYG-FB"),
)
# Who each unit's notices go to; 产科 has no contact of its own.
CONTACTS: dict[str, dict[str, str]] = {
    "JS": {"office_webhook": "js-office", "discipline_email": "jjz@js.example.cn"},
    "JS-LYG": {
        "office_webhook": "LYG-WeCom",
        "office_email": "Office@lyg.example.cn",
        "head": "王局长",
        "discipline_email": "jjz@lyg.example.cn",
    },
    "JS-LYG-FB": {"office_email": "office@fb.example.cn", "head": "施庆喜"},
}


@dataclass
class Tree:
    campaign_id: int
    js: int
    lyg: int
    fb: int
    ck: int
    finding_id: int


def build_tree(session: Session, template_key: str = "coi-2012") -> Tree:
    """江苏省卫生厅 → 连云港市卫生局 → 连妇保 → 产科, and a campaign rooted at the province."""
    js, lyg, fb, ck = add_units(session, UNITS, CONTACTS).values()
    add_contact(session=session, unit_id=lyg.id or 0, role=ContactRole.head, target="lyg-head")
    campaign = Campaign(
        template_key=template_key,
        title="集中开展落实《关于卫生系统领导干部防止利益冲突的若干规定》活动",
        root_unit_id=js.id or 0,
        start_on=START,
    )
    session.add(campaign)
    session.flush()
    cadre = Cadre(
        staff_no="FB001",
        name="施庆喜",
        scope_category=3,
        unit_id=fb.id or 0,
        managing_unit_id=lyg.id or 0,
    )
    session.add(cadre)
    session.flush()
    finding = Finding(
        campaign_id=campaign.id or 0,
        cadre_id=cadre.id,
        unit_id=fb.id or 0,
        source=FindingSource.complaint,
        category=FindingCategory.relative_business,
        status=FindingStatus.confirmed,
        summary=SECRET_TEXT,
        evidence={"complaint": SECRET_TEXT},
        fingerprint="f" * 64,
        found_on=date(2012, 8, 20),
    )
    session.add(finding)
    session.flush()
    return Tree(campaign.id or 0, js.id or 0, lyg.id or 0, fb.id or 0, ck.id or 0, finding.id or 0)


def add_phase(session: Session, campaign_id: int, key: str, starts: date, ends: date) -> int:
    phase = Phase(
        campaign_id=campaign_id, key=key, title=key, seq=1, starts_on=starts, ends_on=ends
    )
    session.add(phase)
    session.flush()
    assert phase.id is not None
    return phase.id


def add_deliverable(
    session: Session, tree: Tree, phase_id: int, unit_id: int, kind: str, title: str, due: date
) -> int:
    item = Deliverable(
        campaign_id=tree.campaign_id,
        phase_id=phase_id,
        unit_id=unit_id,
        kind=kind,
        title=title,
        due_on=due,
    )
    session.add(item)
    session.flush()
    assert item.id is not None
    return item.id


@pytest.fixture
def tree(session: Session) -> Tree:
    built = build_tree(session)
    session.commit()
    return built


def _sent_steps(session: Session) -> list[tuple[str, str, str]]:
    return [(row.target, row.item_key, row.step) for row in session.exec(select(OutboxItem)).all()]


def test_each_ladder_step_happens_once_across_the_rectify_phase(
    engine: Engine, session: Session, tree: Tree
) -> None:
    phase = add_phase(session, tree.campaign_id, "rectify", date(2012, 9, 1), date(2012, 11, 30))
    plan = add_deliverable(
        session, tree, phase, tree.fb, "rectification_plan", "制定整改措施", date(2012, 9, 14)
    )
    summary = add_deliverable(
        session, tree, phase, tree.lyg, "rectify_summary", "整改纠正阶段性总结", date(2012, 11, 30)
    )
    rule = RuleReviewItem(
        campaign_id=tree.campaign_id,
        unit_id=tree.ck,
        title="科室药品耗材采购管理规定",
        decision=RuleDecision.revise,
        due_on=date(2012, 10, 20),
    )
    session.add(rule)
    assert (
        ensure_rectification_items(
            session=session, campaign_id=tree.campaign_id, default_due=date(2012, 10, 15)
        )
        == 1
    )
    session.commit()
    item_id = rectification_for_finding(
        session=session, campaign_id=tree.campaign_id, finding_id=tree.finding_id
    ).id

    notifier = RecordingNotifier()
    first_day: dict[tuple[str, str, str], date] = {}
    day = date(2012, 9, 1)
    while day <= date(2012, 12, 31):
        with Session(engine) as s:
            # The world moves on: the plan is in late, an extension, the rectification done.
            if day == date(2012, 9, 20):
                s.get(Deliverable, plan).submitted_on = day  # type: ignore[union-attr]
            if day == date(2012, 10, 13):
                extend_rectification(
                    session=s,
                    item_id=item_id,
                    new_due_on=date(2012, 10, 31),
                    reason="需待合同到期后解除",
                    granted_by="连云港市卫生局",
                    granted_at=datetime(2012, 10, 13, 9, tzinfo=UTC),
                )
            if day == date(2012, 11, 3):
                update_rectification_status(
                    session=s, item_id=item_id, status=RectificationStatus.done, changed_on=day
                )
            s.commit()
            result = sweep(session=s, campaign_id=tree.campaign_id, as_of=day)
            again = sweep(session=s, campaign_id=tree.campaign_id, as_of=day)
            assert again.digests == 0 and again.new_item_steps == 0
            for key in _sent_steps(s):
                first_day.setdefault(key, day)
            today = s.exec(select(OutboxMessage).where(OutboxMessage.sweep_on == day)).all()
            assert result.digests == len(today) == len({m.target for m in today})
        deliver(
            session_factory=lambda: Session(engine),
            notifier=notifier,
            now=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=1),
        )
        day += timedelta(days=1)

    steps = _sent_steps(session)
    assert [k for k, n in Counter(steps).items() if n > 1] == []
    d, rr, s_ = f"d:{plan}@2012-09-14", f"rr:{rule.id}@2012-10-20", f"d:{summary}@2012-11-30"
    r_old, r = f"r:{item_id}@2012-10-15", f"r:{item_id}@2012-10-31"
    fb_office, lyg_office, lyg_mail = (
        "email:office@fb.example.cn",
        "lyg_wecom",
        "email:office@lyg.example.cn",
    )
    assert first_day == {
        # the plan: due 9-14, in on 9-20 → before, due, overdue; nothing after it came in
        (fb_office, d, "before"): date(2012, 9, 11),
        (fb_office, d, "due"): date(2012, 9, 14),
        (fb_office, d, "overdue"): date(2012, 9, 15),  # no head contact: via the office
        # the rectification: before for 10-15, extended on 10-13 to 10-31 → the ladder restarts
        (fb_office, r_old, "before"): date(2012, 10, 12),
        (fb_office, r, "before"): date(2012, 10, 28),
        (fb_office, r, "due"): date(2012, 10, 31),
        (fb_office, r, "overdue"): date(2012, 11, 1),
        # the department's rule: its office is the hospital's; the parent office too
        (fb_office, rr, "before"): date(2012, 10, 17),
        (fb_office, rr, "due"): date(2012, 10, 20),
        (fb_office, rr, "overdue"): date(2012, 10, 21),
        (fb_office, rr, "parent"): date(2012, 10, 27),
        ("email:jjz@lyg.example.cn", rr, "discipline"): date(2012, 11, 3),
        # the city's own summary: office (two channels), head contact, province, 纪检
        (lyg_office, s_, "before"): date(2012, 11, 27),
        (lyg_mail, s_, "before"): date(2012, 11, 27),
        (lyg_office, s_, "due"): date(2012, 11, 30),
        (lyg_mail, s_, "due"): date(2012, 11, 30),
        ("lyg_head", s_, "overdue"): date(2012, 12, 1),
        ("js_office", s_, "parent"): date(2012, 12, 7),
        ("email:jjz@lyg.example.cn", s_, "discipline"): date(2012, 12, 14),
    }

    # Delivered: one message per digest, never a name, never the complaint.
    assert len(notifier.sent) == len(session.exec(select(OutboxMessage)).all())
    assert len({m.key for m in notifier.sent}) == len(notifier.sent)
    for message in notifier.sent:
        for secret in (SECRET_TEXT, *NAMES):
            assert secret not in message.body and secret not in message.title
    by_target = defaultdict(list)
    for message in notifier.sent:
        by_target[message.target].append(message.body)
    assert any("下级单位逾期事项" in b and "产科" in b for b in by_target[fb_office])
    assert any("问题" in b and "整改" in b for b in by_target[fb_office])
    assert all("连云港市卫生局" in b for b in by_target["js_office"])


def test_one_digest_per_recipient_groups_every_item(session: Session, tree: Tree) -> None:
    phase = add_phase(session, tree.campaign_id, "find", date(2012, 8, 6), date(2012, 8, 31))
    for kind, title in [
        ("rules_review", "列出需修订的制度清单"),
        ("find_summary", "查找问题阶段性总结"),
    ]:
        add_deliverable(session, tree, phase, tree.fb, kind, title, date(2012, 8, 31))
    add_deliverable(session, tree, phase, tree.ck, "study_session", "组织学习", date(2012, 8, 31))
    session.commit()
    result = sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 8, 31))
    # before + due for three items, all to the hospital's office (the department has none)
    assert (result.digests, result.new_item_steps) == (1, 6)
    message = session.exec(select(OutboxMessage)).one()
    assert message.target == "email:office@fb.example.cn" and message.item_count == 6
    assert "[阶段性总结] 查找问题阶段性总结" in message.body
    assert (
        "[上报事项] 列出需修订的制度清单" in message.body and "产科（JS-LYG-FB-CK）" in message.body
    )
    assert message.body.count("今日到期") == 3  # each item once, at its highest step
    assert message.key == message.idempotency_key and message.key[:16] in message.body


def test_forms_are_reminded_as_counts_never_names(session: Session, tree: Tree) -> None:
    phase = add_phase(session, tree.campaign_id, "find", date(2012, 8, 6), date(2012, 8, 31))
    add_deliverable(
        session, tree, phase, tree.fb, "forms_collected", "收齐《报告表》并上报", date(2012, 8, 10)
    )
    for staff_no, name in [("FB002", "邵亚玲"), ("FB003", "顾扬")]:
        session.add(
            Cadre(
                staff_no=staff_no,
                name=name,
                scope_category=3,
                unit_id=tree.fb,
                managing_unit_id=tree.lyg,
            )
        )
    session.flush()
    filed = session.exec(select(Cadre).where(Cadre.staff_no == "FB002")).one()
    session.add(
        Declaration(
            campaign_id=tree.campaign_id,
            cadre_id=filed.id or 0,
            unit_id=tree.fb,
            submitted_on=date(2012, 8, 8),
            content_hash="0" * 64,
        )
    )
    session.commit()
    sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 8, 25))
    bodies = {m.target: m.body for m in session.exec(select(OutboxMessage)).all()}
    assert "尚有2份《报告表》未报" in bodies["email:office@fb.example.cn"]
    assert "尚有2份《报告表》未报" in bodies["email:jjz@lyg.example.cn"]  # 15 days overdue
    for body in bodies.values():
        assert not any(name in body for name in ("邵亚玲", "顾扬", "施庆喜"))


def test_notices_stop_when_done_and_restart_on_a_new_deadline(session: Session, tree: Tree) -> None:
    phase = add_phase(session, tree.campaign_id, "rectify", date(2012, 9, 1), date(2012, 11, 30))
    item = add_deliverable(
        session, tree, phase, tree.fb, "rectification_plan", "制定整改措施", date(2012, 9, 14)
    )
    session.commit()
    notices = due_notices(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 15))
    assert {(n.item.key, n.step.key) for n in notices.notices} == {
        (f"d:{item}@2012-09-14", "before"),
        (f"d:{item}@2012-09-14", "due"),
        (f"d:{item}@2012-09-14", "overdue"),
    }
    session.get(Deliverable, item).submitted_on = date(2012, 9, 15)  # type: ignore[union-attr]
    session.flush()
    assert (
        due_notices(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 15)).notices
        == []
    )
    # replaying an earlier day: the submission has not happened yet
    earlier = due_notices(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 14))
    assert len(earlier.notices) == 2
    # a custom ladder straight to the parent office
    ladder = default_ladder(before_days=0, parent_after_days=2, discipline_after_days=3)
    steep = due_notices(
        session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 14), ladder=ladder
    )
    assert [n.step.key for n in steep.notices] == ["due"]


def test_lagging_units(session: Session, tree: Tree) -> None:
    phase = add_phase(session, tree.campaign_id, "rectify", date(2012, 9, 1), date(2012, 11, 30))
    for n in range(3):
        add_deliverable(
            session, tree, phase, tree.fb, f"item_{n}", f"事项{n}", date(2012, 9, 10 + n)
        )
    add_deliverable(session, tree, phase, tree.lyg, "item_x", "事项", date(2012, 9, 30))
    for n in range(4):
        session.add(
            Finding(
                campaign_id=tree.campaign_id,
                unit_id=tree.lyg,
                source=FindingSource.inspection,
                category=FindingCategory.unapproved_or_paid_post,
                status=FindingStatus.open if n else FindingStatus.dismissed,
                fingerprint=f"{n}" * 64,
                found_on=date(2012, 9, 1),
            )
        )
    session.commit()
    loads = unit_loads(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 20))
    assert loads[tree.fb].overdue_items == 3 and loads[tree.fb].open_findings == 1
    assert loads[tree.lyg].overdue_items == 0 and loads[tree.lyg].open_findings == 3
    lagging = find_lagging_units(
        session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 20)
    )
    assert [u.code for u in lagging] == ["JS-LYG-FB"]
    stricter = find_lagging_units(
        session=session,
        campaign_id=tree.campaign_id,
        as_of=date(2012, 10, 2),
        thresholds=LaggingThresholds(overdue_items=1, open_findings=3),
    )
    assert [u.code for u in stricter] == ["JS-LYG-FB", "JS-LYG"]


def test_contacts_are_normalised_and_idempotent(session: Session, tree: Tree) -> None:
    assert add_contact(session=session, unit_id=tree.fb, role=ContactRole.head, target="FB-Head")
    assert not add_contact(
        session=session, unit_id=tree.fb, role=ContactRole.head, target="fb_head"
    )
    assert add_contact(
        session=session, unit_id=tree.fb, role=ContactRole.discipline, target=" JJZ@FB.example.cn "
    )
    targets = session.exec(
        select(NotifyContact.target).where(NotifyContact.unit_id == tree.fb)
    ).all()
    assert sorted(targets) == ["email:jjz@fb.example.cn", "fb_head"]
