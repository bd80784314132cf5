"""整改 in the portal: a unit's items (a complaint's text never shown), progress and evidence by
its office; extensions and verification shown read-only; another unit's item is not found."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from httpx import Response
from sqlmodel import Session, select

from models.account import Upload
from models.cadre import Cadre
from models.enums import (
    FindingCategory,
    FindingSource,
    FindingStatus,
    RectificationStatus,
    VerificationOutcome,
)
from models.finding import Finding
from models.rectification import RectificationItem, RectificationItemUpdate
from qinglian.core import db
from qinglian.rectification.creation import ensure_rectification_items
from qinglian.rectification.progress import (
    extend_rectification,
    rectification_for_finding,
    update_rectification,
    update_rectification_status,
)
from qinglian.rectification.verification import verify_rectification
from tests.factories import FB, LYG
from tests.portal.conftest import Portal, PortalClient

PAGE = f"/units/{FB}/rectification"
SECRET = "举报人张三反映其妻在院内承揽药品配送"
SELF_SUMMARY = "院长配偶在本院承揽医疗器械销售"
FOUND = date(2012, 7, 17)


@dataclass
class Items:
    declared: int  # FB, self-declared, extended once, verified and rejected once
    complaint: int  # FB, from a complaint: its summary is confidential
    theirs: int  # LYG's


def _finding(
    session: Session, campaign_id: int, staff_no: str, source: FindingSource, summary: str
) -> int:
    cadre = session.exec(select(Cadre).where(Cadre.staff_no == staff_no)).one()
    finding = Finding(
        campaign_id=campaign_id,
        cadre_id=cadre.id,
        unit_id=cadre.unit_id,
        source=source,
        category=FindingCategory.relative_business,
        status=FindingStatus.confirmed,
        summary=summary,
        fingerprint=f"{staff_no}-{source.value}",
        found_on=FOUND,
    )
    session.add(finding)
    session.flush()
    assert finding.id is not None
    return finding.id


@pytest.fixture
def items(portal: Portal) -> Items:
    return make_items(portal)


def make_items(portal: Portal) -> Items:
    """Three items found on 2012-07-17: two of 连妇保 (one self-declared, extended, done and
    sent back by verification; one from a complaint), one of 连云港市卫生局."""
    campaign_id = portal.campaign_id
    with db.session_scope() as session:
        findings = [
            _finding(session, campaign_id, "FB001", FindingSource.self_declared, SELF_SUMMARY),
            _finding(session, campaign_id, "FB002", FindingSource.complaint, SECRET),
            _finding(session, campaign_id, "LYG001", FindingSource.self_declared, "局长兼职"),
        ]
        ensure_rectification_items(
            session=session, campaign_id=campaign_id, default_due=date(2012, 7, 18)
        )
        ids = [
            rectification_for_finding(session=session, campaign_id=campaign_id, finding_id=f).id
            for f in findings
        ]
        declared = ids[0]
        update_rectification(
            session=session,
            item_id=declared,
            item_in=RectificationItemUpdate(measure="责令配偶退出销售业务", responsible="施庆喜"),
        )
        extend_rectification(
            session=session,
            item_id=declared,
            new_due_on=date(2012, 7, 19),
            reason="配送合同尚未到期",
            granted_by="连云港市卫生局",
            granted_at=datetime(2012, 7, 18, 9, tzinfo=UTC),
        )
        update_rectification_status(
            session=session,
            item_id=declared,
            status=RectificationStatus.done,
            changed_on=date(2012, 7, 18),
        )
        verify_rectification(
            session=session,
            item_id=declared,
            by="市局纪检组",
            outcome=VerificationOutcome.rejected,
            note="配偶仍在承揽业务",
            verified_on=date(2012, 7, 19),
        )
    return Items(declared=ids[0], complaint=ids[1], theirs=ids[2])


def item(portal: Portal, item_id: int) -> RectificationItem:
    with portal.cli.session() as session:
        row = session.get(RectificationItem, item_id)
    assert row is not None
    return row


def post_status(client: PortalClient, item_id: int, **data: str) -> Response:
    return client.post(f"{PAGE}/{item_id}/status", data={"csrf_token": client.csrf, **data})


def test_the_page_shows_the_units_items_without_the_complaint(portal: Portal, items: Items) -> None:
    page = portal.client("FB", "office").get(PAGE)
    assert page.status_code == 200
    text = page.text
    assert f'id="item-{items.declared}"' in text and f'id="item-{items.complaint}"' in text
    assert f'id="item-{items.theirs}"' not in text and "局长兼职" not in text
    assert SELF_SUMMARY in text and "信访举报" in text
    assert SECRET not in text and "张三" not in text
    assert "责令配偶退出销售业务" in text and "施庆喜" in text
    assert "配送合同尚未到期" in text and "连云港市卫生局 批准" in text  # the extension
    assert "整改不到位，退回" in text and "配偶仍在承揽业务" in text  # the verification
    assert "逾期 1 天" in text  # due 2012-07-19, the portal stands on 2012-07-20
    assert "逾期 2 天" in text  # the complaint's item, due 2012-07-18


def test_progress_is_updated_with_evidence(portal_db: Portal) -> None:
    portal = portal_db
    items = make_items(portal)
    client = portal.client("FB", "office")
    response = post_status(
        client, items.complaint, status="in_progress", evidence="已约谈本人", on="2012-07-19"
    )
    assert response.status_code == 303
    assert "done=in_progress" in response.headers["location"]
    page = client.get(response.headers["location"])
    assert "已更新整改进度" in page.text and "已约谈本人" in page.text
    row = item(portal, items.complaint)
    assert row.status == RectificationStatus.in_progress and row.evidence == "已约谈本人"
    listed = portal.cli.ok("rectify", "list", str(portal.campaign_id), "--as-of", "2012-07-20")
    assert "in_progress" in listed.output


def test_mark_done_dates_it_on_the_portal_day(portal: Portal, items: Items) -> None:
    client = portal.client("FB", "head")
    response = post_status(client, items.declared, status="done")
    assert response.status_code == 303
    row = item(portal, items.declared)
    assert row.status == RectificationStatus.done and row.done_on == date(2012, 7, 20)
    assert row.evidence == ""  # an empty box keeps what was there
    assert "待管理单位验收" in client.get(response.headers["location"]).text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "done", "on": "2012-07-21"}, "晚于今天"),
        ({"status": "verified"}, "请选择整改状态"),
        ({"status": "planned"}, "请选择整改状态"),
        ({"status": "in_progress", "evidence": "证" * 2001}, "整改证据过长"),
    ],
)
def test_a_refused_update_writes_nothing(
    portal: Portal, items: Items, data: dict[str, str], message: str
) -> None:
    client = portal.client("FB", "office")
    before = portal.cli.dump()
    response = post_status(client, items.complaint, **data)
    assert response.status_code == 400
    assert message in response.text and f'id="item-{items.complaint}"' in response.text
    assert portal.cli.dump() == before


def test_evidence_files_get_a_receipt(portal: Portal, items: Items) -> None:
    client = portal.client("FB", "office")
    response = client.post(
        f"{PAGE}/{items.complaint}/evidence",
        data={"csrf_token": client.csrf},
        files={"file": ("谈话记录.txt", "谈话记录：已退出配送。".encode(), "text/plain")},
    )
    assert response.status_code == 303
    number = re.search(r"receipt=(HZ[0-9A-Z-]+)", response.headers["location"])
    assert number
    page = client.get(response.headers["location"])
    assert number.group(1) in page.text and "谈话记录.txt" in page.text
    with portal.cli.session() as session:
        upload = session.exec(select(Upload)).one()
    assert upload.subject == f"rectification:{items.complaint}"
    assert f'href="/units/{FB}/files/{upload.id}"' in page.text


def test_another_units_item_is_not_found(portal: Portal, items: Items) -> None:
    client = portal.client("FB", "office")
    before = portal.cli.dump()
    for item_id in (items.theirs, 999_999):
        assert post_status(client, item_id, status="in_progress").status_code == 404
        response = client.post(
            f"{PAGE}/{item_id}/evidence",
            data={"csrf_token": client.csrf},
            files={"file": ("a.txt", b"text", "text/plain")},
        )
        assert response.status_code == 404
    assert client.get(f"/units/{LYG}/rectification").status_code == 404
    assert portal.cli.dump() == before


def test_discipline_cannot_write_here(portal: Portal, items: Items) -> None:
    client = portal.client("FB", "discipline")
    before = portal.cli.dump()
    assert post_status(client, items.complaint, status="in_progress").status_code == 404
    assert portal.cli.dump() == before
    page = client.get(PAGE)
    assert page.status_code == 404 and SECRET not in page.text


def test_a_verified_item_offers_no_form(portal: Portal, items: Items) -> None:
    with db.session_scope() as session:
        update_rectification_status(
            session=session,
            item_id=items.declared,
            status=RectificationStatus.done,
            changed_on=date(2012, 7, 20),
        )
        verify_rectification(
            session=session,
            item_id=items.declared,
            by="市局纪检组",
            outcome=VerificationOutcome.passed,
            verified_on=date(2012, 7, 20),
        )
    client = portal.client("FB", "office")
    page = client.get(PAGE).text
    assert "验收通过" in page
    assert f"/rectification/{items.declared}/status" not in page
    assert f"/rectification/{items.complaint}/status" in page
