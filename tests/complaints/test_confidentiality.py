"""保密纪律: a complaint's text and its complainant's contact never leave encrypted storage.

Not in the database file's bytes, not in logs (SQL parameters included), exceptions, reprs,
audit events, findings, quarantine files, or anything the accused unit can list; only the
verifying discipline office reads them, through ``read_case``.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import prefect.blocks.system
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

import models  # noqa: F401  (registers the tables)
from models.complaint import AuditEvent, Complaint, VerificationCase
from models.enums import CaseOutcome
from qinglian.complaints import crypto
from qinglian.complaints.cases import AccessDenied, list_cases, read_case, record_verification
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.import_complaints import import_complaints
from qinglian.complaints.intake import add_complaint
from qinglian.complaints.link_review import confirm_link, list_links
from qinglian.complaints.matching import match_complaints
from qinglian.complaints.parsing import IntakeItem
from qinglian.complaints.review import list_review_queue
from qinglian.complaints.visibility import complaint_counts
from qinglian.core.errors import ImportRejected, QinglianError
from qinglian.declarations.findings import list_findings
from tests.complaints.test_complaints import AS_OF, DECIDED, HEADERS, TODAY, World, build_world, row
from tests.factories import write_table

# Distinctive enough that finding them anywhere can only mean a leak.
CONTENT = "绝密线索：顾扬之妻张秀英经营康泰医药公司，回扣账本藏于办公室保险柜"
CONTACT = "举报人李红梅 13912345678 lihongmei@example.cn"
FILE_CONTENT = "文件线索：潘菁之子代理迈瑞器械销往本院"
FILE_CONTACT = "王大爷 0518-85551234"
SECRETS = (
    CONTENT,
    CONTACT,
    FILE_CONTENT,
    FILE_CONTACT,
    "张秀英",
    "康泰医药",
    "回扣账本",
    "13912345678",
    "lihongmei",
    "迈瑞器械",
    "85551234",
)


pytestmark = pytest.mark.usefixtures("complaint_key")


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"


def _file_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _no_wal(dbapi_connection: Any, _record: Any) -> None:
        # Rollback journal: after commit every byte lives in the one file we grep.
        dbapi_connection.execute("PRAGMA journal_mode=DELETE")

    SQLModel.metadata.create_all(engine)
    return engine


def _whole_life(session: Session, world: World, tmp_path: Path) -> dict[str, Any]:
    """Intake (by hand and by file, bad rows too), matching, cross-check, verification."""
    seen: dict[str, Any] = {"errors": [], "reprs": []}
    complaint, code = add_complaint(
        session=session,
        campaign_id=world.campaign_id,
        channel="举报电话",
        received_on=date(2012, 8, 10),
        anonymous=False,
        accused_name="顾扬",
        accused_unit="连妇保",
        alleged_category="兼职取酬",
        content=CONTENT,
        contact=CONTACT,
        as_of=TODAY,
    )
    seen["reprs"] += [repr(complaint), str(complaint), f"{complaint}", f"{complaint!r}"]
    for bad in (
        {"received_on": date(2013, 1, 1)},
        {"accused_name": "  ", "accused_unit": "不存在的单位"},
        {"channel": "飞鸽传书"},
    ):
        values: dict[str, Any] = {
            "channel": "来信",
            "received_on": date(2012, 8, 11),
            "anonymous": True,
            "accused_name": "顾扬",
            "accused_unit": "连妇保",
            "alleged_category": "亲属经商",
            "content": CONTENT,
            "contact": CONTACT,
            **bad,
        }
        with pytest.raises(QinglianError) as caught:
            add_complaint(session=session, campaign_id=world.campaign_id, as_of=TODAY, **values)
        seen["errors"].append(caught.value)
    rows = [
        row(
            编号="F1",
            被反映人="潘主任",
            被反映单位="连妇保产科",
            内容=FILE_CONTENT,
            反映人联系方式=FILE_CONTACT,
        ),
        row(
            编号="F2",
            被反映人=None,
            被反映单位=None,
            内容=FILE_CONTENT,
            反映人联系方式=FILE_CONTACT,
        ),
        row(编号="F3", 收到日期="2013-01-01", 内容=CONTENT, 反映人联系方式=CONTACT),
        row(编号="F4", 被反映人="李主任", 被反映单位="连云港市第一人民医院", 内容=CONTENT),
        # About the unit as a whole: accepted, and as secret as any other.
        row(
            编号="F5",
            被反映人=None,
            被反映单位="连妇保",
            内容=FILE_CONTENT,
            反映人联系方式=FILE_CONTACT,
        ),
    ]
    path = write_table(tmp_path / "举报.xlsx", HEADERS, rows)
    with pytest.raises(ImportRejected) as rejected:
        import_complaints(session=session, campaign_id=world.campaign_id, path=path, as_of=TODAY)
    seen["errors"].append(rejected.value)
    seen["errors"].extend(rejected.value.errors)
    report = import_complaints(
        session=session,
        campaign_id=world.campaign_id,
        path=path,
        skip_invalid=True,
        as_of=TODAY,
    )
    seen["reprs"] += [repr(report), report.model_dump_json(), str(report)]
    assert report.rejected_file is not None
    seen["quarantine"] = report.rejected_file.read_bytes().decode("utf-8-sig")
    seen["reprs"].append(repr(match_complaints(session=session, campaign_id=world.campaign_id)))
    seen["reprs"].append(repr(list_review_queue(session=session, campaign_id=world.campaign_id)))
    # The same matter by letter, in other words: proposed, confirmed, read with the case.
    add_complaint(
        session=session,
        campaign_id=world.campaign_id,
        channel="来信",
        received_on=date(2012, 8, 12),
        anonymous=False,
        accused_name="顾副院长",
        accused_unit="连云港市妇幼保健院",
        alleged_category="兼职取酬",
        content=f"来信：{CONTENT}",
        contact=CONTACT,
        as_of=TODAY,
    )
    [link] = list_links(session=session, campaign_id=world.campaign_id)
    seen["reprs"] += [repr(link), link.model_dump_json()]
    confirmed = confirm_link(
        session=session, link_id=link.id, decided_by="市局信访办", decided_at=DECIDED
    )
    seen["reprs"] += [
        repr(confirmed),
        repr(complaint_counts(session=session, campaign_id=world.campaign_id)),
    ]
    checked = cross_check(session=session, campaign_id=world.campaign_id, as_of=AS_OF)
    seen["reprs"].append(repr(checked))
    case = session.exec(
        select(VerificationCase).where(VerificationCase.complaint_id == complaint.id)
    ).one()
    assert case.id is not None
    detail = read_case(session=session, case_id=case.id, office_unit_id=world.units["LYG"])
    assert detail.complaint.content.get_secret_value() == CONTENT
    assert [c.content.get_secret_value() for c in detail.same_matter] == [f"来信：{CONTENT}"]
    seen["reprs"] += [repr(detail), str(detail), detail.model_dump_json()]
    with pytest.raises(AccessDenied) as denied:
        read_case(session=session, case_id=case.id, office_unit_id=world.units["FB"])
    seen["errors"].append(denied.value)
    view = record_verification(
        session=session,
        case_id=case.id,
        outcome=CaseOutcome.substantiated,
        reason="经核实，兼职取酬属实",
        decided_by="连云港市卫生局纪检组",
        decided_at=DECIDED,
    )
    seen["reprs"].append(repr(view))
    for stored in session.exec(select(Complaint)):
        seen["reprs"] += [repr(stored), str(stored)]
    seen["complaint_id"], seen["case_id"], seen["code"] = complaint.id, case.id, code
    return seen


def test_the_database_file_holds_no_plaintext(tmp_path: Path) -> None:
    path = tmp_path / "qinglian.db"
    engine = _file_engine(path)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        _whole_life(session, world, tmp_path)
        session.commit()
    engine.dispose()
    data = b"".join(p.read_bytes() for p in tmp_path.glob("qinglian.db*"))
    for secret in SECRETS:
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert secret.encode(encoding) not in data, (secret, encoding)
    # The grep looks at the right file: what is stored in clear is there.
    assert "连云港市妇幼保健院".encode() in data
    assert "顾扬".encode() in data


def test_logs_errors_and_reprs_never_carry_the_secrets(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    # SQL statements with their parameters: what an operator switching on echo would see.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        seen = _whole_life(session, world, tmp_path)
    engine.dispose()
    assert any("INSERT INTO complaint" in record.getMessage() for record in caplog.records)
    assert_clean(caplog.text, "the logs")
    for error in seen["errors"]:
        assert_clean(str(error), "an exception")
        assert_clean(repr(error), "an exception's repr")
        assert_clean(" ".join(str(arg) for arg in getattr(error, "args", ())), "exception args")
    for text in seen["reprs"]:
        assert_clean(text, "a repr")
    assert_clean(seen["quarantine"], "the quarantine file")
    assert "F2" in seen["quarantine"] and "F3" in seen["quarantine"]


def test_complaint_and_intake_reprs_hide_ciphertext_and_names(session: Session) -> None:
    world = build_world(session)
    complaint, _ = add_complaint(
        session=session,
        campaign_id=world.campaign_id,
        channel="hotline",
        received_on=date(2012, 8, 10),
        anonymous=True,
        accused_name="顾扬",
        accused_unit="连妇保",
        alleged_category=None,
        content=CONTENT,
        contact=CONTACT,
        as_of=TODAY,
    )
    shown = repr(complaint) + str(complaint)
    assert "顾扬" not in shown and "连妇保" not in shown
    assert "gAAAA" not in shown and "content" not in shown and "contact" not in shown
    rich = list(complaint.__rich_repr__())  # type: ignore[attr-defined]
    assert_clean(str(rich), "rich repr")
    assert "顾扬" not in str(rich)
    item = IntakeItem(
        channel=complaint.channel,
        received_on=complaint.received_on,
        anonymous=True,
        accused_name="顾扬",
        accused_unit="连妇保",
        alleged_category=None,
        alleged_category_raw="",
        content=CONTENT,
        contact=CONTACT,
    )
    assert_clean(repr(item), "IntakeItem")
    assert "顾扬" not in repr(item)


def test_what_the_accused_unit_can_reach_is_counts_only(session: Session, tmp_path: Path) -> None:
    world = build_world(session)
    seen = _whole_life(session, world, tmp_path)
    fb = world.units["FB"]
    counts = complaint_counts(session=session, campaign_id=world.campaign_id, unit_id=fb)
    dumped = counts.model_dump_json()
    assert_clean(dumped, "the unit's counts")
    assert "顾扬" not in dumped and "hotline" not in dumped
    assert counts.total >= 1
    # The case about 顾扬 is verified at 连云港市卫生局, not at his own hospital.
    cases = list_cases(session=session, campaign_id=world.campaign_id, office_unit_id=fb)
    assert seen["case_id"] not in {case.id for case in cases}
    for case in cases:
        assert_clean(case.model_dump_json(), "a case listed at the unit")
    with pytest.raises(AccessDenied):
        read_case(session=session, case_id=seen["case_id"], office_unit_id=fb)
    findings = list_findings(
        session=session, campaign_id=world.campaign_id, unit_id=fb, subtree=True
    )
    assert findings, "the unit sees that there are findings"
    for finding in findings:
        assert_clean(finding.model_dump_json(), "a finding the unit lists")


def test_the_audit_trail_holds_no_plaintext(session: Session, tmp_path: Path) -> None:
    world = build_world(session)
    _whole_life(session, world, tmp_path)
    trail = session.exec(select(AuditEvent)).all()
    assert len(trail) > 10
    for entry in trail:
        assert_clean(entry.model_dump_json(), "the audit trail")


def test_a_wrong_key_fails_without_quoting_anything(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = crypto.encrypt(CONTENT)
    assert CONTENT.encode() not in blob
    assert crypto.decrypt(blob) == CONTENT
    monkeypatch.setenv(crypto.KEY_ENV, Fernet.generate_key().decode())
    crypto.reset_keys()
    with pytest.raises(crypto.ComplaintKeyError) as caught:
        crypto.decrypt(blob)
    assert_clean(str(caught.value), "a decryption error")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_equal_texts_encrypt_differently_but_digest_equally() -> None:
    assert crypto.encrypt(CONTENT) != crypto.encrypt(CONTENT)
    assert crypto.digest(CONTENT) == crypto.digest(CONTENT)
    assert CONTENT not in crypto.digest(CONTENT)
    other_key = crypto.digest(CONTENT)
    crypto.reset_keys()
    assert crypto.digest(CONTENT) == other_key


def test_the_digest_depends_on_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    first = crypto.digest(CONTENT)
    monkeypatch.setenv(crypto.KEY_ENV, Fernet.generate_key().decode())
    crypto.reset_keys()
    assert crypto.digest(CONTENT) != first


def test_the_key_may_come_from_a_prefect_secret_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the env key, the named block is read (Prefect imported only then)."""
    key = Fernet.generate_key().decode()
    loaded: list[str] = []

    class FakeSecret:
        def __init__(self, value: str) -> None:
            self.value = value

        @classmethod
        def load(cls, name: str) -> FakeSecret:
            loaded.append(name)
            return cls(key)

        def get(self) -> str:
            return self.value

    monkeypatch.setattr(prefect.blocks.system, "Secret", FakeSecret)
    monkeypatch.delenv(crypto.KEY_ENV)
    monkeypatch.setenv(crypto.KEY_BLOCK_ENV, "complaint-key")
    crypto.reset_keys()
    blob = Fernet(key.encode()).encrypt(CONTENT.encode())
    assert crypto.decrypt(blob) == CONTENT
    assert loaded == ["complaint-key"]


def test_an_unreadable_block_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenSecret:
        @classmethod
        def load(cls, name: str) -> Any:
            raise ValueError(f"no block {name}")

    monkeypatch.setattr(prefect.blocks.system, "Secret", BrokenSecret)
    monkeypatch.delenv(crypto.KEY_ENV)
    monkeypatch.setenv(crypto.KEY_BLOCK_ENV, "missing-block")
    crypto.reset_keys()
    with pytest.raises(crypto.ComplaintKeyError, match="missing-block"):
        crypto.ensure_key()


def test_no_key_at_all_says_how_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(crypto.KEY_ENV)
    crypto.reset_keys()
    with pytest.raises(crypto.ComplaintKeyError) as caught:
        crypto.encrypt(CONTENT)
    assert crypto.KEY_ENV in caught.value.zh and crypto.KEY_BLOCK_ENV in caught.value.zh
    assert "Fernet.generate_key()" in caught.value.en
