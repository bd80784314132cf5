"""A complaint about a unit as a whole (被反映人 empty): accepted, routed, counted, verified.

The acceptance rule and the routing choice are tables; the rest runs on SQLite with foreign keys
enforced, and on PostgreSQL where the database matters (enum values, the migration).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from alembic import command
from models.complaint import AuditEvent, Complaint, VerificationCase
from models.decisions import VerificationDecisionBase
from models.enums import (
    AuditAction,
    CaseOutcome,
    CaseStatus,
    ComplaintChannel,
    ComplaintStatus,
    CrossCheckResult,
)
from qinglian.complaints.cases import AccessDenied, list_cases, read_case, record_verification
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.import_complaints import import_complaints
from qinglian.complaints.parsing import IntakeItem, intake_problems
from qinglian.complaints.review import list_review_queue
from qinglian.complaints.visibility import complaint_counts, complaint_status_by_receipt
from qinglian.core import db, migrations
from qinglian.core.errors import ImportRejected
from qinglian.core.settings import get_settings
from qinglian.rules.unit_names import UnitDirectory, UnitEntry
from tasks.verify_case import load_case, record_decision
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
from tests.databases import DATABASES
from tests.factories import FB, LYG, Qinglian, launch_seed_campaign, qinglian_cli, write_table

pytestmark = pytest.mark.usefixtures("complaint_key")

TEXT = "反映该院门诊服务态度差、推诿病人，作风漂浮"
CONTACT = "热线来电 13700001111"


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


def about_unit(session: Session, world: World, unit: str = "连妇保", **changes: Any) -> Complaint:
    values: dict[str, Any] = {"category": None, "content": TEXT, **changes}
    return complain(session, world, name="", unit=unit, **values)[0]


# --- the acceptance rule ---------------------------------------------------------------------

DIRECTORY = UnitDirectory(
    [
        UnitEntry(id=1, name="连云港市卫生局", path="/1/", aliases=()),
        UnitEntry(id=2, name="连云港市妇幼保健院", path="/1/2/", aliases=("连妇保", "一院")),
        UnitEntry(id=3, name="连云港市第一人民医院", path="/1/3/", aliases=("一院",)),
    ]
)


@pytest.mark.parametrize(
    ("name", "unit", "field", "message"),
    [
        pytest.param("顾扬", "连妇保", None, "", id="person-and-unit"),
        pytest.param("顾扬", "", None, "", id="person-without-unit"),
        pytest.param("顾扬", "不存在的医院", None, "", id="person-with-unknown-unit"),
        pytest.param("", "连妇保", None, "", id="unit-alone"),
        pytest.param(" \u3000 ", "连云港市妇幼保健院", None, "", id="blank-person-unit-alone"),
        pytest.param("", "", "accused_name", "不能都为空", id="nobody-at-all"),
        pytest.param("", "不存在的医院", "accused_unit", "未找到该单位", id="unknown-unit"),
        pytest.param("", "一院", "accused_unit", "对应 2 个单位", id="unit-names-two"),
    ],
)
def test_who_a_complaint_must_name(name: str, unit: str, field: str | None, message: str) -> None:
    item = IntakeItem(
        channel=ComplaintChannel.hotline,
        received_on=TODAY,
        anonymous=True,
        accused_name=name,
        accused_unit=unit,
        alleged_category=None,
        alleged_category_raw="",
        content=TEXT,
        contact="",
    )
    problems = intake_problems(item, TODAY, unit=DIRECTORY.resolve(unit))
    if field is None:
        assert problems == []
    else:
        [(key, zh, en)] = problems
        assert (key, message in zh) == (field, True)
        assert en and en.isascii()


# --- accepted, matched to its unit, counted --------------------------------------------------


def test_a_complaint_naming_only_a_unit_is_accepted_and_counted(
    lite: Session, world: World
) -> None:
    complaint = about_unit(lite, world)
    assert complaint.about_unit and complaint.accused_name_raw == ""
    assert (complaint.status, complaint.matched_cadre_id, complaint.accused_unit_id) == (
        ComplaintStatus.matched,
        None,
        world.units["FB"],
    )
    assert complaint.match_reason.startswith("反映单位（未写被反映人）")
    assert list_review_queue(session=lite, campaign_id=world.campaign_id) == []
    about_person = complain(lite, world)[0]
    assert not about_person.about_unit
    counts = complaint_counts(session=lite, campaign_id=world.campaign_id)
    assert (counts.total, counts.about_units) == (2, 1)
    assert "其中反映单位 1 件" in counts.headline()
    # The unit's own view, and its parents', count it; a sibling's does not.
    for code, total, units in (("FB", 2, 1), ("LYG", 2, 1), ("RM", 0, 0), ("FB-CK", 0, 0)):
        mine = complaint_counts(
            session=lite, campaign_id=world.campaign_id, unit_id=world.units[code]
        )
        assert (mine.total, mine.about_units) == (total, units), code
    [event] = lite.exec(
        select(AuditEvent).where(
            AuditEvent.action == AuditAction.matched, AuditEvent.complaint_id == complaint.id
        )
    ).all()
    assert event.detail["about_unit"] is True and event.detail["unit_id"] == world.units["FB"]


def test_the_same_text_about_the_same_unit_twice_is_a_copy(lite: Session, world: World) -> None:
    first = about_unit(lite, world, channel="热线")
    second = about_unit(lite, world, unit="连云港市妇幼保健院", channel="来信")
    other_unit = about_unit(lite, world, unit="连云港市第一人民医院", channel="来信")
    assert (second.duplicate_of_id, other_unit.duplicate_of_id) == (first.id, None)
    counts = complaint_counts(session=lite, campaign_id=world.campaign_id)
    assert (counts.total, counts.duplicates, counts.about_units) == (2, 1, 2)


@pytest.mark.parametrize(
    ("unit", "office"),
    [
        pytest.param("连妇保", "LYG", id="hospital-to-the-city-bureau"),
        pytest.param("连妇保产科", "FB", id="department-to-its-hospital"),
        pytest.param("连云港市卫生局", "JS", id="city-bureau-to-the-province"),
        pytest.param("卫生部", "MOH", id="the-top-to-itself"),
    ],
)
def test_a_unit_complaint_is_verified_by_the_level_above(
    lite: Session, world: World, unit: str, office: str
) -> None:
    """干部管理权限: a unit's leadership answers to the level above, and the text never goes to
    the unit complained about; a department answers to its hospital; the top to itself."""
    complaint = about_unit(lite, world, unit=unit, anonymous=False, contact=CONTACT)
    counts = cross_check(session=lite, campaign_id=world.campaign_id, as_of=AS_OF)
    assert (counts.complaints, counts.unit_complaint, counts.cases_opened) == (1, 1, 1)
    assert counts.findings_created == 0
    [case] = lite.exec(select(VerificationCase)).all()
    assert case.id is not None
    assert (case.cadre_id, case.accused_unit_id, case.finding_id) == (
        None,
        complaint.accused_unit_id,
        None,
    )
    assert case.check_result is CrossCheckResult.unit_complaint
    assert case.managing_unit_id == world.units[office]
    listed = list_cases(
        session=lite, campaign_id=world.campaign_id, office_unit_id=world.units[office]
    )
    assert [(view.id, view.cadre_id, view.accused_unit_id) for view in listed] == [
        (case.id, None, complaint.accused_unit_id)
    ]
    assert TEXT not in listed[0].model_dump_json()
    detail = read_case(session=lite, case_id=case.id, office_unit_id=world.units[office])
    assert (detail.accused_name, detail.complaint.content.get_secret_value()) == ("", TEXT)
    if office != "MOH":
        assert complaint.accused_unit_id is not None
        with pytest.raises(AccessDenied):
            read_case(session=lite, case_id=case.id, office_unit_id=complaint.accused_unit_id)
    view = record_verification(
        session=lite,
        case_id=case.id,
        outcome="部分属实",
        reason="门诊作风问题部分属实，已责令整改",
        decided_by="纪检组",
        decided_at=DECIDED,
    )
    assert (view.status, view.outcome) == (CaseStatus.closed, CaseOutcome.partly)
    lite.refresh(complaint)
    assert complaint.status is ComplaintStatus.closed
    assert cross_check(session=lite, campaign_id=world.campaign_id, as_of=AS_OF).complaints == 0


# --- the import keeps all-or-nothing; the unit complaint is a good row -----------------------

UNIT_ROWS = (
    row(编号="U1", 被反映人=None, 被反映单位="连妇保", 问题类别=None, 内容=TEXT),
    row(编号="U2", 被反映人=None, 被反映单位=None, 内容="无人无单位"),
    row(编号="U3", 被反映人="", 被反映单位="连云港市不存在医院", 内容="单位不存在"),
    row(编号="U4"),
)


def test_an_import_accepts_a_unit_complaint_and_refuses_one_naming_nobody(
    lite: Session, world: World, tmp_path: Path
) -> None:
    path = write_table(tmp_path / "举报.xlsx", HEADERS, UNIT_ROWS)
    with pytest.raises(ImportRejected) as caught:
        import_complaints(session=lite, campaign_id=world.campaign_id, path=path, as_of=TODAY)
    errors = caught.value.errors
    assert [(error.row, error.column) for error in errors] == [(3, "被反映人"), (4, "被反映单位")]
    assert all(error.en and error.file == path.name and error.sheet for error in errors)
    assert lite.exec(select(Complaint)).all() == []
    report = import_complaints(
        session=lite, campaign_id=world.campaign_id, path=path, skip_invalid=True, as_of=TODAY
    )
    assert (report.created, report.rejected_rows, report.matched) == (2, 2, 2)
    stored = {c.external_ref: c for c in lite.exec(select(Complaint))}
    assert stored["U1"].about_unit and stored["U1"].accused_unit_id == world.units["FB"]
    assert not stored["U4"].about_unit
    assert report.rejected_file is not None
    assert "无人无单位" not in report.rejected_file.read_text(encoding="utf-8-sig")


# --- PostgreSQL too: the new vocabulary, a case without a cadre ------------------------------


def test_a_unit_case_on_either_database(session: Session) -> None:
    world = build_world(session)
    _, code = complain(session, world, name="", unit="连妇保", category=None, content=TEXT)
    cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    [case] = session.exec(select(VerificationCase)).all()
    assert (case.cadre_id, case.check_result) == (None, CrossCheckResult.unit_complaint)
    assert code is not None
    assert complaint_status_by_receipt(session=session, receipt_code=code).startswith("办理中")
    fb = complaint_counts(session=session, campaign_id=world.campaign_id, unit_id=world.units["FB"])
    assert (fb.total, fb.about_units, fb.cases_open) == (1, 1, 1)


# --- the CLI, and the verification flow's tasks ----------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Qinglian]:
    """The `qinglian` command on a fresh embedded database (SQLite: the CLI path, not the DB)."""
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as harness:
        harness.ok("db", "upgrade")
        yield harness


def test_the_hotline_records_a_complaint_about_a_unit(cli: Qinglian, tmp_path: Path) -> None:
    with cli.session() as session:
        campaign = str(launch_seed_campaign(session, tmp_path))
        session.commit()
    add = ("complaints", "add", "--campaign", campaign, "--channel", "举报电话")
    recorded = cli.ok(*add, "--unit", "连妇保", "--content", TEXT, "--received", "2012-08-10")
    assert "反映单位" in recorded.stdout and TEXT not in recorded.stdout
    refused = cli(*add, "--unit", "", "--content", TEXT)
    assert refused.exit_code == 1 and "不能都为空" in refused.output
    assert "both empty" in refused.output and TEXT not in refused.output
    counts = cli.ok("complaints", "counts", campaign)
    assert "其中反映单位 1 件" in counts.stdout
    with cli.session() as session:
        cross_check(session=session, campaign_id=int(campaign), as_of=date(2012, 8, 31))
        session.commit()
        [case] = session.exec(select(VerificationCase)).all()
        assert case.id is not None
    cases = cli.ok("complaints", "cases", campaign, "--office", LYG).stdout
    assert f"单位 unit {FB}" in cases and TEXT not in cases
    read = cli.ok("complaints", "case", str(case.id), "--office", LYG, "--reader", "李纪检")
    assert "反映单位 连妇保" in read.stdout and TEXT in read.stdout
    # The verification flow's tasks handle a case without a cadre.
    loaded = load_case.fn(case.id)
    assert (loaded.cadre_id, loaded.accused_unit_id) == (None, case.accused_unit_id)
    decided = record_decision.fn(
        case.id,
        VerificationDecisionBase(
            outcome=CaseOutcome.unsubstantiated, reason="查无实据", decided_by="李纪检"
        ),
    )
    assert (decided.status, decided.outcome) == (CaseStatus.closed, CaseOutcome.unsubstantiated)


# --- the migration: 0011 with cases and their audit trail, foreign keys enforced -------------


@pytest.fixture(params=DATABASES)
def bare(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Qinglian]:
    """An empty database, nothing migrated (SQLite: the service's engine, foreign keys ON)."""
    with qinglian_cli(request.param, tmp_path, monkeypatch, upgrade=False) as harness:
        yield harness


def _migrate(to: str, *, down: bool = False) -> None:
    config = migrations.alembic_config(get_settings().effective_database_url)
    with db.get_engine().begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, to)


_AT = datetime(2012, 8, 20, 9, 0, tzinfo=UTC)
_ROWS_0011 = (
    "INSERT INTO unit (id, code, name, aliases, level, kind, path, depth) VALUES "
    "(1, 'LYG', '连云港市卫生局', '[]', 'city', 'health_admin', '/1/', 0)",
    "INSERT INTO unit (id, code, name, aliases, level, kind, parent_id, path, depth) VALUES "
    "(2, 'FB', '连云港市妇幼保健院', '[]', 'institution', 'public_medical', 1, '/1/2/', 1)",
    "INSERT INTO campaign (id, template_key, title, root_unit_id, start_on, created_at) "
    "VALUES (1, 'coi-2012', '专项', 1, '2012-07-16', :at)",
    "INSERT INTO cadre (id, staff_no, name, post, rank, scope_category, retired, unit_id, "
    "managing_unit_id) VALUES (1, 'FB001', '施庆喜', '院长', '', 3, false, 2, 1)",
    "INSERT INTO complaint (id, campaign_id, channel, received_on, anonymous, accused_name_raw, "
    "accused_unit_raw, accused_name_norm, accused_unit_norm, title_hint, alleged_category_raw, "
    "content_enc, content_digest, status, matched_cadre_id, match_reason, created_at) VALUES "
    "(1, 1, 'hotline', '2012-08-10', true, '施庆喜', '连妇保', '施庆喜', '连妇保', '', '', "
    ":blob, 'd', 'cross_checked', 1, '', :at)",
    "INSERT INTO verificationcase (id, campaign_id, complaint_id, cadre_id, managing_unit_id, "
    "check_result, status, outcome_reason, opened_on, created_at) VALUES "
    "(1, 1, 1, 1, 1, 'unspecified', 'open', '', '2012-08-25', :at)",
    "INSERT INTO auditevent (id, campaign_id, at, actor, action, complaint_id, case_id, detail) "
    "VALUES (1, 1, :at, 'system', 'cross_checked', 1, 1, '{}')",
)


def test_upgrade_from_0011_keeps_the_cases_and_allows_a_case_without_a_cadre(
    bare: Qinglian,
) -> None:
    _migrate("0011")
    with db.get_engine().begin() as connection:
        for statement in _ROWS_0011:
            connection.execute(text(statement), {"at": _AT, "blob": b"x"})
    _migrate("head")
    engine = db.get_engine()
    columns = {c["name"]: c["nullable"] for c in inspect(engine).get_columns("verificationcase")}
    assert columns["cadre_id"] is True
    assert {"accused_unit_id", "merged_into_id"} <= set(columns)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        kept = connection.execute(text("SELECT id, cadre_id, status FROM verificationcase")).all()
        assert [tuple(r) for r in kept] == [(1, 1, "open")]
        # The new vocabulary is there (PostgreSQL keeps enum types): a unit's case, merged.
        connection.execute(
            text(
                "INSERT INTO complaint (id, campaign_id, channel, received_on, anonymous, "
                "accused_name_raw, accused_unit_raw, accused_name_norm, accused_unit_norm, "
                "title_hint, accused_unit_id, alleged_category_raw, content_enc, content_digest, "
                "status, match_reason, created_at, same_matter_of_id) VALUES (2, 1, 'letter', "
                "'2012-08-12', true, '', '连妇保', '', '连妇保', '', 2, '', :blob, 'e', "
                "'cross_checked', '', :at, 1)"
            ),
            {"at": _AT, "blob": b"y"},
        )
        connection.execute(
            text(
                "INSERT INTO verificationcase (id, campaign_id, complaint_id, cadre_id, "
                "accused_unit_id, managing_unit_id, check_result, status, outcome_reason, "
                "opened_on, merged_into_id, created_at) VALUES (2, 1, 2, NULL, 2, 1, "
                "'unit_complaint', 'merged', '', '2012-08-25', 1, :at)"
            ),
            {"at": _AT},
        )
        connection.execute(
            text(
                "INSERT INTO auditevent (id, campaign_id, at, actor, action, complaint_id, "
                "case_id, detail) VALUES (2, 1, :at, 'x', 'case_merged', 2, 2, '{}')"
            ),
            {"at": _AT},
        )
    with Session(engine) as session:
        case = session.get(VerificationCase, 2)
        assert case is not None
        assert (case.cadre_id, case.status, case.check_result) == (
            None,
            CaseStatus.merged,
            CrossCheckResult.unit_complaint,
        )
    # Revision 0011 cannot hold a case without a cadre: the downgrade says so, changing nothing.
    with pytest.raises(RuntimeError, match="have no cadre"):
        _migrate("0011", down=True)
    assert migrations.current_revision(engine) == db.latest_revision()
