"""Complaints (qinglian.complaints) on SQLite and PostgreSQL.

Intake and import with every bad input the brief lists, matching, the cross-check against the
declarations, verification, and who may read what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from models.cadre import Cadre
from models.campaign import Campaign
from models.complaint import AuditEvent, Complaint, ComplaintCandidate, VerificationCase
from models.enums import (
    AuditAction,
    BusinessType,
    CaseOutcome,
    CaseStatus,
    ComplaintChannel,
    ComplaintStatus,
    CrossCheckResult,
    FindingCategory,
    FindingSource,
    FindingStatus,
    Level,
    OrgType,
    Relation,
    UnitKind,
)
from models.finding import Finding
from models.form import Declaration, DeclaredPost, DeclaredRelative
from qinglian.complaints import crypto
from qinglian.complaints.cases import AccessDenied, list_cases, read_case, record_verification
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.import_complaints import MASKED, import_complaints
from qinglian.complaints.intake import add_complaint
from qinglian.complaints.matching import match_complaints
from qinglian.complaints.parsing import receipt_hash
from qinglian.complaints.review import assign_complaint, list_review_queue
from qinglian.complaints.visibility import complaint_counts, complaint_status_by_receipt
from qinglian.core.errors import ImportRejected, NotFoundError, QinglianError
from qinglian.declarations.findings import detect_findings
from tests.factories import UnitRow, add_cadre, add_units, write_table

TODAY = date(2012, 8, 20)
AS_OF = date(2012, 8, 25)
DECIDED = datetime(2012, 9, 10, 10, 0, tzinfo=UTC)
HEADERS = (
    "编号",
    "渠道",
    "收到日期",
    "是否匿名",
    "被反映人",
    "被反映单位",
    "问题类别",
    "内容",
    "反映人联系方式",
)
ENGLISH = (
    "ref",
    "channel",
    "received on",
    "anonymous",
    "accused",
    "accused unit",
    "category",
    "content",
    "contact",
)


pytestmark = pytest.mark.usefixtures("complaint_key")


ADMIN, MEDICAL = UnitKind.health_admin, UnitKind.public_medical
UNITS: tuple[UnitRow, ...] = (
    ("MOH", "卫生部", Level.ministry, ADMIN, None),
    ("JS", "江苏省卫生厅", Level.province, ADMIN, "MOH"),
    ("LYG", "连云港市卫生局", Level.city, ADMIN, "JS"),
    ("FB", "连云港市妇幼保健院", Level.institution, MEDICAL, "LYG"),
    ("FB-CK", "产科", Level.department, MEDICAL, "FB"),
    ("RM", "连云港市第一人民医院", Level.institution, MEDICAL, "LYG"),
)


@dataclass
class World:
    campaign_id: int
    units: dict[str, int]
    cadres: dict[str, int]


def build_world(session: Session) -> World:
    """The seeds' chain 卫生部 → 江苏省卫生厅 → 连云港市卫生局 → 连妇保 (+ another hospital).

    Declarations: 顾扬 declares a spouse selling drugs within jurisdiction (a rule hit);
    潘菁 a child selling devices outside it (declared, no hit); 施庆喜 nothing to declare;
    王建国 an unapproved post in a health social organisation; 王泰康 no form at all.
    """
    units = add_units(session, UNITS, {"FB": {"aliases": ["连妇保"]}})
    moh, js, lyg, fb, ck, rm = units.values()
    campaign = Campaign(
        template_key="coi-2012", title="防止利益冲突专项活动", root_unit_id=moh.id, start_on=TODAY
    )
    session.add(campaign)
    session.flush()
    cadres: dict[str, Cadre] = {}
    for staff_no, name, unit, post, category, managing in (
        ("LYG001", "王建国", lyg, "局长", 1, js),
        ("FB001", "施庆喜", fb, "院长", 3, lyg),
        ("FB003", "顾扬", fb, "副院长", 3, lyg),
        ("FB004", "王泰康", fb, "副院长", 3, lyg),
        ("FB101", "潘菁", ck, "产科主任", 4, fb),
        ("RM001", "李明", rm, "产科主任", 4, rm),
        ("RM002", "李华", rm, "内科主任", 4, rm),
    ):
        cadres[name] = add_cadre(
            session,
            unit,
            managing=managing,
            staff_no=staff_no,
            name=name,
            post=post,
            scope_category=category,
        )
    assert campaign.id is not None

    def declare(name: str, **extra: Any) -> int:
        cadre = cadres[name]
        declaration = Declaration(
            campaign_id=campaign.id,
            cadre_id=cadre.id,
            unit_id=cadre.unit_id,
            submitted_on=date(2012, 8, 8),
            content_hash=f"{cadre.id:064d}",
            **extra,
        )
        session.add(declaration)
        session.flush()
        assert declaration.id is not None
        return declaration.id

    session.add(
        DeclaredRelative(
            declaration_id=declare("顾扬"),
            sheet="亲属从业",
            row=2,
            name="张某",
            relation=Relation.spouse,
            employer="某医药公司",
            position="销售代表",
            business_type=BusinessType.pharma_sales,
            within_jurisdiction=True,
        )
    )
    session.add(
        DeclaredRelative(
            declaration_id=declare("潘菁"),
            sheet="亲属从业",
            row=2,
            name="潘某",
            relation=Relation.child,
            employer="外地器械公司",
            business_type=BusinessType.device_sales,
            within_jurisdiction=False,
        )
    )
    declare("施庆喜", nothing_to_declare=True)
    declare("李明", nothing_to_declare=True)
    declare("李华", nothing_to_declare=True)
    session.add(
        DeclaredPost(
            declaration_id=declare("王建国"),
            sheet="本人兼职",
            row=2,
            organisation="某医学会",
            org_type=OrgType.health_social_org,
            post="副会长",
            approved=False,
        )
    )
    session.flush()
    return World(
        campaign_id=campaign.id,
        units={code: unit.id for code, unit in units.items() if unit.id is not None},
        cadres={name: cadre.id for name, cadre in cadres.items() if cadre.id is not None},
    )


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def complain(
    session: Session,
    world: World,
    name: str = "顾扬",
    unit: str = "连妇保",
    category: FindingCategory | str | None = "亲属经商",
    content: str = "反映其配偶在辖区内推销药品。",
    **changes: Any,
) -> tuple[Complaint, str | None]:
    values: dict[str, Any] = {
        "channel": ComplaintChannel.hotline,
        "received_on": date(2012, 8, 10),
        "anonymous": True,
        "contact": "",
        "as_of": TODAY,
        **changes,
    }
    return add_complaint(
        session=session,
        campaign_id=world.campaign_id,
        accused_name=name,
        accused_unit=unit,
        alleged_category=category,
        content=content,
        **values,
    )


def count(session: Session, model: type[Any], *where: Any) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def events(session: Session, action: AuditAction) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


# --- intake --------------------------------------------------------------------------------


def test_an_anonymous_complaint_is_matched_and_gets_a_receipt_once(
    session: Session, world: World
) -> None:
    complaint, code = complain(session, world)
    assert code is not None
    assert complaint.status is ComplaintStatus.matched
    assert complaint.matched_cadre_id == world.cadres["顾扬"]
    assert complaint.accused_unit_id == world.units["FB"]
    assert complaint.receipt_code_hash == receipt_hash(code)
    assert complaint.receipt_code_hash != code
    assert code.replace("-", "") not in complaint.receipt_code_hash
    assert complaint.content_enc and b"\xe6" not in complaint.content_enc[:4]
    assert complaint.match_reason == "单位简称一致；姓名一致"
    candidates = session.exec(select(ComplaintCandidate)).all()
    assert [(c.cadre_id, c.rank) for c in candidates] == [(world.cadres["顾扬"], 1)]


def test_a_named_complaint_gets_no_receipt(session: Session, world: World) -> None:
    complaint, code = complain(session, world, anonymous=False, contact="13800000000")
    assert code is None
    assert complaint.receipt_code_hash is None
    assert complaint.contact_enc is not None


def test_the_receipt_tells_the_status_and_nothing_else(session: Session, world: World) -> None:
    _, code = complain(session, world)
    assert code is not None
    assert complaint_status_by_receipt(session=session, receipt_code=code) == (
        "办理中 / being handled"
    )
    # As the complainant may type it: lower case, without dashes, with spaces.
    typed = " ".join(code.replace("-", "").lower())
    assert complaint_status_by_receipt(session=session, receipt_code=typed).startswith("办理中")
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    [case] = session.exec(select(VerificationCase)).all()
    assert case.id is not None
    record_verification(
        session=session,
        case_id=case.id,
        outcome=CaseOutcome.substantiated,
        reason="经核实属实",
        decided_by="连云港市卫生局纪检组",
        decided_at=DECIDED,
    )
    assert complaint_status_by_receipt(session=session, receipt_code=code) == "已办结 / concluded"
    assert len(events(session, AuditAction.receipt_lookup)) == 3


def test_an_unknown_receipt(session: Session, world: World) -> None:
    complain(session, world)
    with pytest.raises(NotFoundError, match="回执码无效"):
        complaint_status_by_receipt(session=session, receipt_code="AAAA-BBBB-CCCC-DDDD")


def test_a_complaint_received_today_is_accepted(session: Session, world: World) -> None:
    complaint, _ = complain(session, world, received_on=TODAY)
    assert complaint.received_on == TODAY


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "", "unit": ""}, "被反映人与被反映单位不能都为空"),
        ({"name": " \u3000 ", "unit": "连云港市不存在医院"}, "未找到该单位"),
        ({"received_on": TODAY + timedelta(days=1)}, "晚于今天"),
        ({"content": "  "}, "举报内容不能为空"),
        ({"channel": "飞鸽传书"}, "无法识别的渠道"),
        ({"name": "顾" * 101}, "内容过长"),
    ],
)
def test_bad_intake_is_refused_and_nothing_is_stored(
    session: Session, world: World, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(QinglianError, match=message) as caught:
        complain(session, world, **changes)
    assert caught.value.en and caught.value.zh
    assert count(session, Complaint) == 0


def test_a_number_is_recorded_once(session: Session, world: World) -> None:
    complain(session, world, external_ref="XF-2012-001")
    with pytest.raises(QinglianError, match="已登记"):
        complain(session, world, external_ref="XF-2012-001", content="另一件")
    assert count(session, Complaint) == 1


def test_a_unit_that_does_not_exist_is_stored_and_matched_over_the_campaign(
    session: Session, world: World
) -> None:
    complaint, _ = complain(session, world, unit="连云港市不存在医院")
    assert complaint.status is ComplaintStatus.matched
    assert complaint.matched_cadre_id == world.cadres["顾扬"]
    assert complaint.accused_unit_id is None
    assert complaint.match_reason.startswith("被反映单位未找到，在全活动范围内匹配")


def test_a_known_unit_without_the_person_widens_but_asks_a_person(
    session: Session, world: World
) -> None:
    complaint, _ = complain(session, world, name="顾扬", unit="连云港市第一人民医院")
    assert complaint.status is ComplaintStatus.ambiguous
    assert complaint.matched_cadre_id is None
    assert "已在全活动范围内查找" in complaint.match_reason
    [item] = list_review_queue(session=session, campaign_id=world.campaign_id)
    assert [c.cadre_id for c in item.candidates] == [world.cadres["顾扬"]]


@pytest.mark.parametrize(
    ("name", "unit", "cadre"),
    [
        ("顧  揚", "連(lián)婦幼保健院", "顾扬"),
        ("顾 扬", "連雲港市婦幼保健院", "顾扬"),
        ("Gu Yang", "连妇保", "顾扬"),
        ("GU YANG", "", "顾扬"),
        ("顾阳", "连妇保", "顾扬"),
        ("施院长", "连云港市妇幼保健院", "施庆喜"),
        ("王院长", "连妇保", "王泰康"),
        ("潘主任", "连妇保产科", "潘菁"),
        ("王局长", "连云港卫生局", "王建国"),
        ("王建国", "江苏省连云港市卫生局", "王建国"),
    ],
)
def test_names_and_units_as_people_write_them(
    session: Session, world: World, name: str, unit: str, cadre: str
) -> None:
    complaint, _ = complain(session, world, name=name, unit=unit)
    assert (complaint.status, complaint.matched_cadre_id) == (
        ComplaintStatus.matched,
        world.cadres[cadre],
    )


def test_an_ambiguous_complaint_waits_for_a_person(session: Session, world: World) -> None:
    complaint, _ = complain(session, world, name="李主任", unit="连云港市第一人民医院")
    assert complaint.status is ComplaintStatus.ambiguous
    assert complaint.matched_cadre_id is None
    [item] = list_review_queue(session=session, campaign_id=world.campaign_id)
    assert item.complaint_id == complaint.id
    assert {c.cadre_id for c in item.candidates} == {world.cadres["李明"], world.cadres["李华"]}
    assert "内容" not in item.model_dump_json()
    # Nothing to cross-check until a person decides.
    assert cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF).complaints == 0
    assert complaint.id is not None
    assign_complaint(
        session=session,
        complaint_id=complaint.id,
        cadre_id=world.cadres["李明"],
        decided_by="市卫生局信访办",
        decided_at=DECIDED,
    )
    counts = cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    assert (counts.complaints, counts.cases_opened) == (1, 1)
    assert list_review_queue(session=session, campaign_id=world.campaign_id) == []
    assert len(events(session, AuditAction.assigned)) == 1
    with pytest.raises(QinglianError, match="已进入核实"):
        assign_complaint(
            session=session,
            complaint_id=complaint.id,
            cadre_id=world.cadres["李华"],
            decided_by="x",
            decided_at=DECIDED,
        )


def test_assigning_a_cadre_outside_the_campaign_is_refused(session: Session, world: World) -> None:
    complaint, _ = complain(session, world, name="李主任", unit="连云港市第一人民医院")
    assert complaint.id is not None
    with pytest.raises(NotFoundError):
        assign_complaint(
            session=session,
            complaint_id=complaint.id,
            cadre_id=987654,
            decided_by="x",
            decided_at=DECIDED,
        )


def test_the_same_complaint_by_two_channels_is_linked_not_double_counted(
    session: Session, world: World
) -> None:
    first, _ = complain(session, world, channel="热线", anonymous=True)
    second, _ = complain(
        session,
        world,
        channel="来信",
        unit="连云港市妇幼保健院",
        content="反映其配偶在辖区内推销药品",
        anonymous=False,
        contact="信封上的地址",
    )
    assert second.duplicate_of_id == first.id
    counts = complaint_counts(session=session, campaign_id=world.campaign_id)
    assert (counts.total, counts.duplicates) == (1, 1)
    checked = cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    assert (checked.complaints, checked.cases_opened) == (1, 1)
    [case] = session.exec(select(VerificationCase)).all()
    assert case.id is not None
    detail = read_case(session=session, case_id=case.id, office_unit_id=world.units["LYG"])
    assert [copy.channel for copy in detail.duplicates] == [ComplaintChannel.letter]
    record_verification(
        session=session,
        case_id=case.id,
        outcome="不属实",
        reason="查无实据",
        decided_by="纪检组",
        decided_at=DECIDED,
    )
    statuses = session.exec(select(Complaint.status)).all()
    assert statuses == [ComplaintStatus.closed, ComplaintStatus.closed]


def test_copies_naming_the_cadre_differently_are_linked_once_matched(
    session: Session, world: World
) -> None:
    first, _ = complain(session, world, name="顾扬", unit="连妇保")
    second, _ = complain(session, world, name="Gu Yang", unit="连云港市妇幼保健院", channel="email")
    assert first.duplicate_of_id is None
    assert second.duplicate_of_id == first.id
    assert [e.detail["by"] for e in events(session, AuditAction.linked_duplicate)] == ["cadre"]


def test_different_complaints_about_one_cadre_are_not_duplicates(
    session: Session, world: World
) -> None:
    complain(session, world)
    second, _ = complain(session, world, content="另有反映：其子女经营医疗器械。")
    assert second.duplicate_of_id is None
    assert complaint_counts(session=session, campaign_id=world.campaign_id).total == 2


def test_without_a_key_nothing_is_stored(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(crypto.KEY_ENV)
    crypto.reset_keys()
    with pytest.raises(crypto.ComplaintKeyError) as caught:
        complain(session, world)
    assert crypto.KEY_ENV in caught.value.zh and crypto.KEY_ENV in caught.value.en
    assert count(session, Complaint) == 0


def test_a_malformed_key_is_refused(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(crypto.KEY_ENV, "not-a-key")
    crypto.reset_keys()
    with pytest.raises(crypto.ComplaintKeyError, match="格式无效"):
        complain(session, world)


def test_retry_matches_again_once_the_cadre_is_known(session: Session, world: World) -> None:
    complaint, _ = complain(session, world, name="程学亮", unit="连妇保")
    assert complaint.status is ComplaintStatus.unmatched
    assert match_complaints(session=session, campaign_id=world.campaign_id).complaints == 0
    cadre = Cadre(
        staff_no="FB005",
        name="程学亮",
        unit_id=world.units["FB"],
        managing_unit_id=world.units["LYG"],
        post="副院长",
        scope_category=3,
    )
    session.add(cadre)
    session.flush()
    again = match_complaints(session=session, campaign_id=world.campaign_id, retry=True)
    assert (again.complaints, again.matched) == (1, 1)
    session.refresh(complaint)
    assert (complaint.status, complaint.matched_cadre_id) == (ComplaintStatus.matched, cadre.id)
    assert count(session, ComplaintCandidate) == 1


def test_retry_never_undoes_a_person(session: Session, world: World) -> None:
    complaint, _ = complain(session, world, name="李主任", unit="连云港市第一人民医院")
    assert complaint.id is not None
    assign_complaint(
        session=session,
        complaint_id=complaint.id,
        cadre_id=world.cadres["李华"],
        decided_by="信访办",
        decided_at=DECIDED,
    )
    assert (
        match_complaints(session=session, campaign_id=world.campaign_id, retry=True).complaints == 0
    )
    session.refresh(complaint)
    assert complaint.matched_cadre_id == world.cadres["李华"]


def test_a_copy_tells_its_complainant_the_fate_of_the_original(
    session: Session, world: World
) -> None:
    first, _ = complain(session, world, channel="热线")
    second, code = complain(session, world, channel="来信")
    assert second.duplicate_of_id == first.id and code is not None
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    [case] = session.exec(select(VerificationCase)).all()
    assert case.id is not None
    record_verification(
        session=session,
        case_id=case.id,
        outcome="属实",
        reason="属实",
        decided_by="纪检组",
        decided_at=DECIDED,
    )
    assert complaint_status_by_receipt(session=session, receipt_code=code).startswith("已办结")


def test_matching_is_idempotent(session: Session, world: World) -> None:
    complain(session, world)
    again = match_complaints(session=session, campaign_id=world.campaign_id)
    assert again.complaints == 0
    assert count(session, ComplaintCandidate) == 1


# --- import --------------------------------------------------------------------------------


def row(**cells: Any) -> dict[str, Any]:
    base = {
        "编号": None,
        "渠道": "举报电话",
        "收到日期": "2012-08-09",
        "是否匿名": "是",
        "被反映人": "顾扬",
        "被反映单位": "连妇保",
        "问题类别": "亲属经商",
        "内容": "反映其配偶在辖区内推销药品。",
        "反映人联系方式": None,
    }
    return {**base, **cells}


GOOD_ROWS = (
    row(编号="XF-001"),
    row(
        编号="XF-002",
        渠道="来信",
        收到日期="2012/8/10",
        是否匿名="否",
        被反映人="施院长",
        被反映单位="連雲港市婦幼保健院",
        问题类别="兼职取酬",
        内容="反映其在某学会兼职领取报酬。",
        反映人联系方式="13900000000",
    ),
    row(
        编号="XF-003",
        渠道="领导信箱",
        收到日期="2012年8月11日",
        被反映人="李主任",
        被反映单位="连云港市第一人民医院",
        问题类别="未回避",
        内容="反映其在设备采购中未回避。",
    ),
)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_import_a_file_then_reimport_it(
    session: Session, world: World, tmp_path: Path, suffix: str
) -> None:
    path = write_table(tmp_path / f"信访举报{suffix}", HEADERS, GOOD_ROWS)
    report = import_complaints(
        session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY
    )
    assert (report.created, report.unchanged, report.rejected) == (3, 0, [])
    assert (report.matched, report.ambiguous, report.unmatched) == (2, 1, 0)
    assert [(r.row, r.external_ref) for r in report.receipts] == [(2, "XF-001"), (4, "XF-003")]
    stored = session.exec(select(Complaint).order_by(Complaint.id)).all()
    assert [c.channel for c in stored] == [
        ComplaintChannel.hotline,
        ComplaintChannel.letter,
        ComplaintChannel.leader_mailbox,
    ]
    assert [c.received_on.day for c in stored] == [9, 10, 11]
    assert [c.alleged_category for c in stored] == [
        FindingCategory.relative_business,
        FindingCategory.unapproved_or_paid_post,
        FindingCategory.recusal_not_observed,
    ]
    assert [c.anonymous for c in stored] == [True, False, True]
    again = import_complaints(
        session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY
    )
    assert (again.created, again.unchanged, again.receipts) == (0, 3, [])
    assert count(session, Complaint) == 3


def test_import_with_english_headers_and_no_numbers(
    session: Session, world: World, tmp_path: Path
) -> None:
    rows = [dict(zip(ENGLISH, (r[h] for h in HEADERS), strict=True)) for r in GOOD_ROWS]
    for r in rows:
        r["ref"] = None
    path = write_table(tmp_path / "complaints.csv", ENGLISH, rows)
    report = import_complaints(
        session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY
    )
    assert report.created == 3
    again = import_complaints(
        session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY
    )
    assert (again.created, again.unchanged) == (0, 3)


BAD_ROWS = (
    row(编号="B1", 被反映人=None, 被反映单位=None),
    row(编号="B2", 收到日期="2012-08-21"),
    row(编号="B3", 渠道="飞鸽传书"),
    row(编号="B4", 收到日期="八月九日"),
    row(编号="B5", 内容=None),
    row(编号="B6", 收到日期=None),
    row(编号="B7", 内容="重复编号的第一行"),
    row(编号="B7", 内容="重复编号的第二行"),
    row(编号="OK", 被反映单位="不存在的单位", 内容="单位不存在但可以匹配。"),
)
BAD_COLUMNS = [
    (2, "被反映人", "被反映人与被反映单位不能都为空"),
    (3, "收到日期", "晚于今天"),
    (4, "渠道", "无法识别的渠道"),
    (5, "收到日期", "无法识别的日期"),
    (6, "内容", "举报内容不能为空"),
    (7, "收到日期", "收到日期不能为空"),
    (8, "编号", "重复"),
    (9, "编号", "重复"),
]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_file_with_bad_rows_imports_nothing(
    session: Session, world: World, tmp_path: Path, suffix: str
) -> None:
    path = write_table(tmp_path / f"bad{suffix}", HEADERS, BAD_ROWS)
    with pytest.raises(ImportRejected) as caught:
        import_complaints(session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY)
    errors = caught.value.errors
    assert [(e.row, e.column) for e in errors] == [(r, c) for r, c, _ in BAD_COLUMNS]
    for error, (_, _, message) in zip(errors, BAD_COLUMNS, strict=True):
        assert message in error.zh
        assert error.en and error.file == path.name and error.sheet
    assert count(session, Complaint) == 0
    assert not (tmp_path / "bad.rejected.csv").exists()


def test_skip_invalid_keeps_the_good_rows_and_quarantines_the_rest_masked(
    session: Session, world: World, tmp_path: Path
) -> None:
    rows = [
        *BAD_ROWS[:-1],
        row(编号="OK", 被反映单位="不存在的单位", 反映人联系方式="139-0000-1111"),
    ]
    path = write_table(tmp_path / "mixed.xlsx", HEADERS, rows)
    report = import_complaints(
        session=session, campaign_id=world.campaign_id, path=path, skip_invalid=True, as_of=TODAY
    )
    assert report.created == 1
    assert report.rejected_rows == 8
    [stored] = session.exec(select(Complaint)).all()
    assert stored.external_ref == "OK"
    assert stored.status is ComplaintStatus.matched
    assert stored.match_reason.startswith("被反映单位未找到")
    assert report.rejected_file is not None
    quarantined = report.rejected_file.read_text(encoding="utf-8-sig")
    assert "推销药品" not in quarantined
    assert "重复编号的第一行" not in quarantined
    assert MASKED in quarantined
    assert "被反映人与被反映单位不能都为空" in quarantined
    assert "the accused person and the accused unit are both empty" in quarantined


def test_a_number_recorded_with_another_text_is_refused(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = write_table(tmp_path / "a.csv", HEADERS, [row(编号="XF-9")])
    import_complaints(session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY)
    changed = write_table(tmp_path / "b.csv", HEADERS, [row(编号="XF-9", 内容="改过的内容")])
    with pytest.raises(ImportRejected) as caught:
        import_complaints(session=session, campaign_id=world.campaign_id, path=changed, as_of=TODAY)
    [error] = caught.value.errors
    assert error.column == "编号" and "已登记" in error.zh
    assert "改过的内容" not in str(error)


def test_repeated_rows_and_copies_in_one_file(
    session: Session, world: World, tmp_path: Path
) -> None:
    rows = [row(), row(), row(渠道="网络举报", 被反映单位="连云港市妇幼保健院")]
    path = write_table(tmp_path / "copies.csv", HEADERS, rows)
    report = import_complaints(
        session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY
    )
    assert (report.created, report.unchanged, report.duplicates) == (2, 1, 1)
    first, second = session.exec(select(Complaint).order_by(Complaint.id)).all()
    assert second.duplicate_of_id == first.id
    assert complaint_counts(session=session, campaign_id=world.campaign_id).total == 1


@pytest.mark.parametrize(
    ("written", "category"),
    [
        ("亲属经商", FindingCategory.relative_business),
        ("外资任职", FindingCategory.relative_foreign_post),
        ("兼任领导", FindingCategory.concurrent_leadership),
        ("兼职取酬", FindingCategory.unapproved_or_paid_post),
        ("离职从业", FindingCategory.post_retirement_employment),
        ("未回避", FindingCategory.recusal_not_observed),
        ("弄虚作假、隐瞒不报", FindingCategory.concealment),
        ("relative_business", FindingCategory.relative_business),
        (FindingCategory.relative_foreign_post.label, FindingCategory.relative_foreign_post),
        ("其他问题", None),
        (None, None),
    ],
)
def test_import_categories(
    session: Session, world: World, tmp_path: Path, written: str | None, category: Any
) -> None:
    path = write_table(tmp_path / "c.csv", HEADERS, [row(问题类别=written)])
    import_complaints(session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY)
    [stored] = session.exec(select(Complaint)).all()
    assert stored.alleged_category == category
    assert stored.alleged_category_raw == (written or "")


# --- the cross-check -----------------------------------------------------------------------


def _all_outcomes(session: Session, world: World) -> dict[str, Complaint]:
    made = {
        "declared_hit": complain(session, world, name="顾扬", category="亲属经商")[0],
        "concealed": complain(session, world, name="施庆喜", category="兼职取酬")[0],
        "declared_no_hit": complain(session, world, name="潘菁", unit="连妇保产科")[0],
        "no_form": complain(session, world, name="王泰康", category="亲属经商")[0],
        "unspecified": complain(
            session, world, name="王建国", unit="连云港市卫生局", category=None
        )[0],
        "alleged_concealment": complain(
            session, world, name="李明", unit="连云港市第一人民医院", category="隐瞒不报"
        )[0],
    }
    assert all(c.status is ComplaintStatus.matched for c in made.values())
    return made


def _case_of(session: Session, complaint: Complaint) -> VerificationCase:
    case = session.exec(
        select(VerificationCase).where(VerificationCase.complaint_id == complaint.id)
    ).one()
    return case


def test_cross_check_outcomes(session: Session, world: World) -> None:
    made = _all_outcomes(session, world)
    counts = cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    assert counts.model_dump() == {
        "complaints": 6,
        "concealment_suspected": 2,
        "no_form": 1,
        "declared": 2,
        "unspecified": 1,
        "unit_complaint": 0,
        "findings_created": 3,
        "findings_linked": 1,
        "cases_opened": 6,
    }
    results = {key: _case_of(session, c).check_result for key, c in made.items()}
    assert results == {
        "declared_hit": CrossCheckResult.declared,
        "concealed": CrossCheckResult.concealment_suspected,
        "declared_no_hit": CrossCheckResult.declared,
        "no_form": CrossCheckResult.no_form,
        "unspecified": CrossCheckResult.unspecified,
        "alleged_concealment": CrossCheckResult.concealment_suspected,
    }
    # Declared and caught by the rules: linked to the self-declared finding, none from the complaint.
    linked = session.get(Finding, _case_of(session, made["declared_hit"]).finding_id)
    assert linked is not None
    assert (linked.source, linked.category) == (
        FindingSource.self_declared,
        FindingCategory.relative_business,
    )
    assert _case_of(session, made["declared_no_hit"]).finding_id is None
    assert _case_of(session, made["unspecified"]).finding_id is None
    concealed = session.get(Finding, _case_of(session, made["concealed"]).finding_id)
    assert concealed is not None
    assert (concealed.source, concealed.category, concealed.status) == (
        FindingSource.complaint,
        FindingCategory.concealment,
        FindingStatus.verifying,
    )
    assert "兼职" in concealed.summary and "隐瞒不报" in concealed.summary
    assert concealed.evidence["missing_form"] is False
    assert concealed.evidence["declaration_id"] is not None
    missing = session.get(Finding, _case_of(session, made["no_form"]).finding_id)
    assert missing is not None
    assert missing.evidence["missing_form"] is True
    assert "未填报报告表" in missing.summary
    for complaint in made.values():
        assert complaint.content_enc not in (missing.summary.encode(), b"")
        assert "推销" not in _case_of(session, complaint).model_dump_json()
    # Each case sits at the cadre's managing unit (干部管理权限).
    managing = {key: _case_of(session, c).managing_unit_id for key, c in made.items()}
    assert managing == {
        "declared_hit": world.units["LYG"],
        "concealed": world.units["LYG"],
        "declared_no_hit": world.units["FB"],
        "no_form": world.units["LYG"],
        "unspecified": world.units["JS"],
        "alleged_concealment": world.units["RM"],
    }
    assert count(session, Complaint, Complaint.status == ComplaintStatus.cross_checked) == 6
    assert len(events(session, AuditAction.cross_checked)) == 6


def test_cross_check_is_idempotent(session: Session, world: World) -> None:
    _all_outcomes(session, world)
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    tables = (Finding, VerificationCase, Complaint, AuditEvent)
    before = {model.__name__: count(session, model) for model in tables}
    again = cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    assert again.complaints == again.cases_opened == again.findings_created == 0
    assert {model.__name__: count(session, model) for model in tables} == before


def test_two_complaints_of_one_kind_share_the_finding_not_the_case(
    session: Session, world: World
) -> None:
    complain(session, world, name="施庆喜", category="兼职取酬", content="第一件")
    complain(session, world, name="施庆喜", category="兼职取酬", content="第二件")
    counts = cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    assert (counts.findings_created, counts.cases_opened) == (1, 2)
    assert len({case.finding_id for case in session.exec(select(VerificationCase))}) == 1


def test_the_finding_detection_recorded_is_the_one_linked(session: Session, world: World) -> None:
    detected = detect_findings(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    assert detected.created == 2
    complaint, _ = complain(session, world, name="顾扬", category="亲属经商")
    counts = cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    assert (counts.findings_created, counts.findings_linked) == (0, 1)
    assert count(session, Finding) == 2
    finding = session.exec(
        select(Finding).where(Finding.category == FindingCategory.relative_business)
    ).one()
    assert _case_of(session, complaint).finding_id == finding.id


def test_a_form_submitted_later_does_not_duplicate_the_finding(
    session: Session, world: World
) -> None:
    complain(session, world, name="王泰康", content="第一件")
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    complain(session, world, name="王泰康", content="第二件")
    counts = cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    assert (counts.no_form, counts.findings_created, counts.cases_opened) == (1, 0, 1)


# --- verification --------------------------------------------------------------------------


def _verify(session: Session, case: VerificationCase, outcome: Any, reason: str = "理由") -> Any:
    assert case.id is not None
    return record_verification(
        session=session,
        case_id=case.id,
        outcome=outcome,
        reason=reason,
        decided_by="连云港市卫生局纪检组",
        decided_at=DECIDED,
    )


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (CaseOutcome.substantiated, FindingStatus.confirmed),
        ("属实", FindingStatus.confirmed),
        (CaseOutcome.partly, FindingStatus.confirmed),
        ("部分属实", FindingStatus.confirmed),
        (CaseOutcome.unsubstantiated, FindingStatus.dismissed),
        ("unsubstantiated", FindingStatus.dismissed),
    ],
)
def test_verification_moves_the_concealment_finding(
    session: Session, world: World, outcome: Any, status: FindingStatus
) -> None:
    complaint, _ = complain(session, world, name="施庆喜", category="兼职取酬")
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    case = _case_of(session, complaint)
    view = _verify(session, case, outcome, reason="经查，兼职取酬部分属实，已责令退还")
    assert view.status is CaseStatus.closed
    assert view.decided_at == DECIDED
    finding = session.get(Finding, case.finding_id)
    assert finding is not None
    assert finding.status is status
    assert finding.category is FindingCategory.concealment
    [verification] = finding.evidence["verification"]
    assert verification["reason"] == "经查，兼职取酬部分属实，已责令退还"
    assert verification["outcome"] == view.outcome
    session.refresh(complaint)
    assert complaint.status is ComplaintStatus.closed
    [event] = events(session, AuditAction.verified)
    assert event.actor == "连云港市卫生局纪检组"
    assert event.detail["finding_status"] == status.value


def test_one_substantiated_case_outweighs_an_unsubstantiated_one(
    session: Session, world: World
) -> None:
    first, _ = complain(session, world, name="施庆喜", category="兼职取酬", content="一")
    second, _ = complain(session, world, name="施庆喜", category="兼职取酬", content="二")
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    _verify(session, _case_of(session, first), CaseOutcome.unsubstantiated)
    finding = session.get(Finding, _case_of(session, first).finding_id)
    assert finding is not None
    assert finding.status is FindingStatus.verifying
    _verify(session, _case_of(session, second), CaseOutcome.substantiated)
    session.refresh(finding)
    assert finding.status is FindingStatus.confirmed


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        pytest.param(
            CaseOutcome.unsubstantiated, FindingStatus.open, id="declared-stands-when-complaint-not"
        ),
        pytest.param(
            CaseOutcome.substantiated, FindingStatus.confirmed, id="substantiated-confirms-declared"
        ),
    ],
)
def test_a_verified_complaint_about_a_declared_finding(
    session: Session, world: World, outcome: CaseOutcome, status: FindingStatus
) -> None:
    complaint, _ = complain(session, world, name="顾扬", category="亲属经商")
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    case = _case_of(session, complaint)
    _verify(session, case, outcome)
    finding = session.get(Finding, case.finding_id)
    assert finding is not None
    assert (finding.source, finding.category, finding.status) == (
        FindingSource.self_declared,
        FindingCategory.relative_business,
        status,
    )


def test_a_case_without_finding_closes(session: Session, world: World) -> None:
    complaint, _ = complain(session, world, name="王建国", unit="连云港市卫生局", category=None)
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    view = _verify(session, _case_of(session, complaint), "部分属实")
    assert (view.outcome, view.finding_id) == (CaseOutcome.partly, None)


def test_a_closed_case_keeps_its_outcome(session: Session, world: World) -> None:
    complaint, _ = complain(session, world, name="施庆喜", category="兼职取酬")
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    case = _case_of(session, complaint)
    _verify(session, case, CaseOutcome.substantiated, reason="属实")
    _verify(session, case, CaseOutcome.substantiated, reason="属实")
    assert len(events(session, AuditAction.verified)) == 1
    with pytest.raises(QinglianError, match="已办结"):
        _verify(session, case, CaseOutcome.unsubstantiated, reason="改判")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": "  "}, "理由"),
        ({"outcome": "大概"}, "无法识别的核实结论"),
        ({"decided_at": datetime(2012, 9, 10, 10, 0)}, "时区"),
        ({"decided_by": " "}, "核实人"),
    ],
)
def test_bad_verifications_are_refused(
    session: Session, world: World, changes: dict[str, Any], message: str
) -> None:
    complaint, _ = complain(session, world, name="施庆喜", category="兼职取酬")
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    case = _case_of(session, complaint)
    values: dict[str, Any] = {
        "outcome": CaseOutcome.substantiated,
        "reason": "属实",
        "decided_by": "纪检组",
        "decided_at": DECIDED,
        **changes,
    }
    assert case.id is not None
    with pytest.raises(QinglianError, match=message):
        record_verification(session=session, case_id=case.id, **values)
    session.refresh(case)
    assert case.status is CaseStatus.open


def test_an_unknown_case(session: Session, world: World) -> None:
    with pytest.raises(NotFoundError):
        record_verification(
            session=session,
            case_id=424242,
            outcome="属实",
            reason="x",
            decided_by="x",
            decided_at=DECIDED,
        )


# --- who reads what ------------------------------------------------------------------------


def test_only_the_managing_discipline_office_reads_the_case(session: Session, world: World) -> None:
    complaint, _ = complain(
        session, world, anonymous=False, contact="张先生 13800138000", content="机密举报内容"
    )
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    case = _case_of(session, complaint)
    assert case.id is not None
    detail = read_case(session=session, case_id=case.id, office_unit_id=world.units["LYG"])
    assert detail.complaint.content.get_secret_value() == "机密举报内容"
    assert detail.complaint.contact is not None
    assert detail.complaint.contact.get_secret_value() == "张先生 13800138000"
    assert detail.accused_name == "顾扬"
    assert "机密举报内容" not in repr(detail) and "13800138000" not in repr(detail)
    for office in ("FB", "JS", "MOH"):
        with pytest.raises(AccessDenied) as caught:
            read_case(session=session, case_id=case.id, office_unit_id=world.units[office])
        assert str(case.id) not in str(caught.value)
    with pytest.raises(AccessDenied):
        read_case(session=session, case_id=987654, office_unit_id=world.units["LYG"])
    assert len(events(session, AuditAction.case_read)) == 1
    assert len(events(session, AuditAction.case_read_denied)) == 3


def test_list_cases_shows_an_office_its_own_cases_only(session: Session, world: World) -> None:
    _all_outcomes(session, world)
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    lyg = list_cases(
        session=session, campaign_id=world.campaign_id, office_unit_id=world.units["LYG"]
    )
    assert len(lyg) == 3
    assert {case.managing_unit_id for case in lyg} == {world.units["LYG"]}
    assert (
        list_cases(
            session=session, campaign_id=world.campaign_id, office_unit_id=world.units["FB"]
        )[0].cadre_id
        == world.cadres["潘菁"]
    )
    assert (
        list_cases(
            session=session,
            campaign_id=world.campaign_id,
            office_unit_id=world.units["LYG"],
            status=CaseStatus.closed,
        )
        == []
    )


def test_counts_for_a_unit_are_counts_only(session: Session, world: World) -> None:
    _all_outcomes(session, world)
    complain(session, world, channel="来信")  # a copy of the first
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    campaign = complaint_counts(session=session, campaign_id=world.campaign_id)
    assert (campaign.total, campaign.duplicates, campaign.cases_open) == (6, 1, 6)
    assert campaign.by_channel == {ComplaintChannel.hotline: 6}
    fb = complaint_counts(session=session, campaign_id=world.campaign_id, unit_id=world.units["FB"])
    assert (fb.total, fb.duplicates, fb.cases_open, fb.by_channel) == (4, 1, 4, {})
    assert set(fb.model_dump()) == {
        "total",
        "duplicates",
        "same_matter",
        "about_units",
        "links_proposed",
        "cases_merged",
        "by_status",
        "by_channel",
        "by_category",
        "cases_open",
        "cases_closed",
        "outcomes",
    }


def test_every_step_is_audited(session: Session, world: World) -> None:
    complaint, code = complain(session, world, name="施庆喜", category="兼职取酬")
    assert code is not None
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    case = _case_of(session, complaint)
    assert case.id is not None
    read_case(session=session, case_id=case.id, office_unit_id=world.units["LYG"], reader="张三")
    _verify(session, case, CaseOutcome.substantiated)
    complaint_status_by_receipt(session=session, receipt_code=code)
    actions = [
        event.action
        for event in session.exec(
            select(AuditEvent)
            .where(AuditEvent.complaint_id == complaint.id)
            .order_by(AuditEvent.id)
        )
    ]
    assert actions == [
        AuditAction.received,
        AuditAction.matched,
        AuditAction.cross_checked,
        AuditAction.case_read,
        AuditAction.verified,
        AuditAction.receipt_lookup,
    ]
    assert all(
        event.at.tzinfo is not None or session.get_bind().dialect.name == "sqlite"
        for event in session.exec(select(AuditEvent))
    )
