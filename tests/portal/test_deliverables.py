"""动员部署等事项 in the portal: the page, the leading group, a deliverable recorded done and
evidence files with their receipts; refusals write nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import select

from models import Deliverable, LeadingGroupMember, Unit
from models.account import Receipt, Upload
from models.enums import GroupRole, UploadPurpose
from tests.factories import FB, LYG
from tests.portal.conftest import Portal

PAGE = f"/units/{FB}/deliverables"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def deliverable_id(portal: Portal, unit: str, kind: str) -> int:
    with portal.cli.session() as session:
        found = session.exec(
            select(Deliverable.id)
            .join(Unit, Unit.id == Deliverable.unit_id)  # type: ignore[arg-type]
            .where(Unit.code == unit, Deliverable.kind == kind)
        ).first()
    assert found is not None
    return found


def deliverable(portal: Portal, item_id: int) -> Deliverable:
    with portal.cli.session() as session:
        row = session.get(Deliverable, item_id)
    assert row is not None
    return row


def test_the_page_lists_each_phases_deliverables(portal: Portal) -> None:
    page = portal.client("FB", "office").get(PAGE)
    assert page.status_code == 200
    for text in ("动员部署", "召开动员会", "制定实施方案", "查找问题", "检查总结", "截止日期"):
        assert text in page.text
    assert 'name="leaders"' in page.text  # the office may record


def test_leading_group_recorded_one_name_a_line(portal: Portal) -> None:
    client = portal.client("FB", "office")
    response = client.post(
        f"{PAGE}/leading-group",
        data={
            "csrf_token": client.csrf,
            "leaders": "施庆喜\n邵亚玲",
            "deputies": "程学亮\r\n顾  扬\n\n王泰康",
            "members": "潘菁",
            "office": "院监察室",
            "on": "2012-07-18",
        },
    )
    assert response.status_code == 303
    assert "done=leading_group" in response.headers["location"]
    page = client.get(response.headers["location"])
    assert "已登记领导小组" in page.text
    assert "施庆喜、邵亚玲" in page.text and "程学亮、顾扬、王泰康" in page.text
    assert "院监察室" in page.text
    with portal.cli.session() as session:
        members = session.exec(select(LeadingGroupMember)).all()
    assert sorted(m.name for m in members if m.role == GroupRole.leader) == ["施庆喜", "邵亚玲"]
    assert len(members) == 6
    row = deliverable(portal, deliverable_id(portal, FB, "leading_group"))
    assert row.submitted_on == date(2012, 7, 18) and row.detail["office"] == "院监察室"


def test_a_deliverable_recorded_done_shows_its_status(portal: Portal) -> None:
    client = portal.client("FB", "office")
    item = deliverable_id(portal, FB, "mobilization_meeting")
    response = client.post(
        f"{PAGE}/{item}/record",
        data={"csrf_token": client.csrf, "on": "2012-07-19", "note": "全院职工大会"},
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "已登记完成情况" in page.text and "全院职工大会" in page.text
    row = deliverable(portal, item)
    assert row.submitted_on == date(2012, 7, 19) and row.note == "全院职工大会"
    # the written report is now due a week after the meeting (seed 001)
    report = deliverable(portal, deliverable_id(portal, FB, "mobilization_report"))
    assert report.due_on == date(2012, 7, 26)


def test_the_date_defaults_to_the_portal_day(portal: Portal) -> None:
    client = portal.client("FB", "head")
    item = deliverable_id(portal, FB, "implementation_plan")
    response = client.post(f"{PAGE}/{item}/record", data={"csrf_token": client.csrf})
    assert response.status_code == 303
    assert deliverable(portal, item).submitted_on == date(2012, 7, 20)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"on": "2012-07-21"}, "晚于今天"),
        ({"on": "2012-07-01"}, "早于专项活动开始日期"),
        ({"on": "next tuesday"}, "无法识别的日期"),
        ({"note": "长" * 2001}, "说明过长"),
    ],
)
def test_a_refused_record_writes_nothing(
    portal: Portal, data: dict[str, str], message: str
) -> None:
    client = portal.client("FB", "office")
    item = deliverable_id(portal, FB, "mobilization_meeting")
    before = portal.cli.dump()
    response = client.post(f"{PAGE}/{item}/record", data={"csrf_token": client.csrf, **data})
    assert response.status_code == 400
    assert message in response.text and 'role="alert"' in response.text
    assert "召开动员会" in response.text  # the page itself, re-rendered
    assert portal.cli.dump() == before


def test_a_leading_group_without_a_leader_is_refused(portal: Portal) -> None:
    client = portal.client("FB", "office")
    before = portal.cli.dump()
    response = client.post(
        f"{PAGE}/leading-group",
        data={"csrf_token": client.csrf, "leaders": " \n", "office": "院监察室"},
    )
    assert response.status_code == 400
    assert "至少要有一名组长" in response.text
    assert portal.cli.dump() == before


def test_evidence_is_stored_with_a_receipt(portal_db: Portal) -> None:
    portal = portal_db
    client = portal.client("FB", "office")
    item = deliverable_id(portal, FB, "implementation_plan")
    response = client.post(
        f"{PAGE}/{item}/evidence",
        data={"csrf_token": client.csrf},
        files={"file": ("实施方案.pdf", PDF_BYTES, "application/pdf")},
    )
    assert response.status_code == 303
    number = re.search(r"receipt=(HZ[0-9A-Z-]+)", response.headers["location"])
    assert number
    page = client.get(response.headers["location"])
    assert number.group(1) in page.text and "实施方案.pdf" in page.text
    with portal.cli.session() as session:
        upload = session.exec(select(Upload)).one()
        receipt = session.exec(select(Receipt)).one()
    assert upload.subject == f"deliverable:{item}" and upload.purpose == UploadPurpose.evidence
    assert upload.media_type == "application/pdf"
    assert receipt.number == number.group(1) and receipt.upload_id == upload.id
    assert f'href="/units/{FB}/files/{upload.id}"' in page.text
    assert (portal.home / "uploads" / upload.sha256[:2] / upload.sha256).read_bytes() == PDF_BYTES


def test_evidence_of_a_wrong_type_is_refused(portal: Portal) -> None:
    client = portal.client("FB", "office")
    item = deliverable_id(portal, FB, "implementation_plan")
    before = portal.cli.dump()
    response = client.post(
        f"{PAGE}/{item}/evidence",
        data={"csrf_token": client.csrf},
        files={"file": ("plan.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf")},
    )
    assert response.status_code == 400
    assert "不是可接受的类型" in response.text
    assert portal.cli.dump() == before


def test_another_units_deliverable_is_not_found(portal: Portal) -> None:
    client = portal.client("FB", "office")
    theirs = deliverable_id(portal, LYG, "mobilization_meeting")
    before = portal.cli.dump()
    for path in (f"{PAGE}/{theirs}/record", f"{PAGE}/{theirs}/evidence", f"{PAGE}/999999/record"):
        response = client.post(path, data={"csrf_token": client.csrf, "on": "2012-07-19"})
        assert response.status_code == 404, path
    assert client.get(f"/units/{LYG}/deliverables").status_code == 404
    assert portal.cli.dump() == before


def test_discipline_neither_reads_nor_writes_here(portal: Portal) -> None:
    # A discipline account only logs in until its case desk comes (the confidentiality work).
    client = portal.client("FB", "discipline")
    item = deliverable_id(portal, FB, "mobilization_meeting")
    assert client.get(PAGE).status_code == 404
    before = portal.cli.dump()
    response = client.post(
        f"{PAGE}/{item}/record", data={"csrf_token": client.csrf, "on": "2012-07-19"}
    )
    assert response.status_code == 404
    assert portal.cli.dump() == before


def test_a_post_without_the_csrf_token_is_refused(portal: Portal) -> None:
    client = portal.client("FB", "office")
    item = deliverable_id(portal, FB, "mobilization_meeting")
    before = portal.cli.dump()
    response = client.post(f"{PAGE}/{item}/record", data={"on": "2012-07-19"})
    assert response.status_code == 403
    assert portal.cli.dump() == before


def test_an_admin_above_records_for_the_unit(portal: Portal) -> None:
    client = portal.client("LYG", "admin")
    item = deliverable_id(portal, FB, "mobilization_meeting")
    response = client.post(
        f"{PAGE}/{item}/record", data={"csrf_token": client.csrf, "on": "2012-07-19"}
    )
    assert response.status_code == 303
    assert deliverable(portal, item).submitted_on == date(2012, 7, 19)
