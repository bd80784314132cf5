"""我的任务: deadlines and status of every deliverable, the unit's own forms, and what the
reminder ladder has sent about the unit (targets by name only, no other unit's messages)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from models.outbox import OutboxItem, OutboxMessage
from qinglian.core import db
from qinglian.notify.protocol import RecordingNotifier
from qinglian.org.units import get_unit_by_code
from qinglian.oversight.delivery import deliver
from qinglian.oversight.outbox import sweep
from tests.portal.conftest import Portal, set_portal_day


def row_of(page: str, item: str) -> str:
    found = re.search(
        rf"<tr[^>]*>\s*<td>[^<]*</td>\s*<td>{re.escape(item)}</td>.*?</tr>", page, re.S
    )
    assert found, item
    return found.group(0)


def test_every_deliverable_with_its_deadline_and_status(portal: Portal) -> None:
    client = portal.client("FB", "office")
    page = client.get("/units/JS-LYG-FB").text
    # 2012-07-20: the leading group was due on 07-16 (cascaded from the ministry's dates).
    group = row_of(page, "成立领导小组和专项活动办公室")
    assert '<tr class="overdue">' in group and "2012-07-16" in group
    assert 'class="status-missing">缺报' in group
    plan = row_of(page, "制定实施方案")
    assert "2012-07-23" in plan and 'class="status-pending">未到期' in plan
    # All phases are listed, down to the written comprehensive report.
    assert "2012-12-03" in row_of(page, "书面综合情况报告")
    assert "有 2 项事项逾期或缺报" in page
    # The unit's own cadres' forms: three expected, none in yet, each named.
    assert re.search(r"FB001</td><td>施庆喜</td><td class=\"status-pending\">未到期", page)
    assert "FB101" not in page  # the department's head files with the department

    set_portal_day(portal.campaign_id, date(2012, 7, 24))
    later = client.get("/units/JS-LYG-FB").text
    assert "截至 2012-07-24" in later
    assert 'class="status-missing">缺报' in row_of(later, "制定实施方案")
    assert "有 3 项事项逾期或缺报" in later


def test_the_ladder_sent_so_far_by_target_name_only(portal: Portal) -> None:
    client = portal.client("FB", "office")
    assert "尚未发送任何督办提醒" in client.get("/units/JS-LYG-FB").text
    with db.session_scope() as session:
        sweep(session=session, campaign_id=portal.campaign_id, as_of=date(2012, 7, 20))
    deliver(
        session_factory=lambda: Session(db.get_engine()),
        notifier=RecordingNotifier(),
        now=datetime(2012, 7, 20, 9, tzinfo=UTC),
        campaign_id=portal.campaign_id,
    )
    with db.session_scope() as session:
        unit_id = get_unit_by_code(session=session, code="JS-LYG-FB").id
        ours = session.exec(select(OutboxItem).where(OutboxItem.unit_id == unit_id)).all()
        bodies = session.exec(select(OutboxMessage.body)).all()
    page = client.get("/units/JS-LYG-FB").text
    notices = page.split("督办提醒记录", 1)[1]
    rows = re.findall(
        r"<tr>\s*<td>(2012-\d\d-\d\d)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>"
        r"\s*<td>(.*?)</td><td>(.*?)</td>\s*<td[^>]*>(.*?)</td>",
        notices,
    )
    # One row per item-step about this unit, none about the city bureau's own items.
    assert len(rows) == len(ours) > 0
    assert {row[0] for row in rows} == {"2012-07-20"}
    assert ("2012-07-20", "成立领导小组和专项活动办公室", "2012-07-16", "逾期督办") in {
        row[:4] for row in rows
    }
    # FB has no address of its own: the city's office is told, by name or address only.
    assert {row[5] for row in rows} == {"office@lyg.example.cn", "lyg_wecom"}
    assert {row[6] for row in rows} == {"已发送"}
    # Never a digest's body: it lists the city bureau's items beside the hospital's.
    for body in bodies:
        for line in body.splitlines():
            if "项：" in line:
                assert line not in page


def test_another_units_tasks_are_not_found(portal: Portal) -> None:
    client = portal.client("FB", "office")
    assert client.get("/units/JS-LYG").status_code == 404
    assert client.get("/units/NOPE").status_code == 404
    admin = portal.client("LYG", "admin")
    assert admin.get("/units/JS-LYG-FB").status_code == 200
