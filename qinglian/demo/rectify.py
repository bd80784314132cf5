"""The rectify phase as it really went: findings reviewed, a ledger of measures with deadlines,
most done on time, a few late, some never; the daily sweep reminding and escalating, delivered
to a webhook receiver on 127.0.0.1 that the demo starts.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import Session, col, select

from models import Finding, Unit
from models.complaint import VerificationCase
from models.enums import (
    CaseOutcome,
    CaseStatus,
    ContactRole,
    FindingCategory,
    FindingSource,
    FindingStatus,
    RectificationStatus,
    VerificationOutcome,
)
from models.rectification import RectificationItem
from qinglian.complaints.cases import record_verification
from qinglian.declarations.findings import review_findings
from qinglian.demo.tree import person_name
from qinglian.oversight.recipients import add_contact
from qinglian.rectification.verification import verify_rectification

MEASURES: dict[FindingCategory, str] = {
    FindingCategory.relative_business: "亲属退出管辖范围内的药品、器械经营活动，本人书面承诺",
    FindingCategory.relative_foreign_post: "亲属辞去外方委派职务或本人调整分管工作",
    FindingCategory.concurrent_leadership: "辞去管辖范围内医疗卫生单位领导职务",
    FindingCategory.unapproved_or_paid_post: "补办兼职审批，清退兼职报酬",
    FindingCategory.post_retirement_employment: "辞去违规任职，清退所得",
    FindingCategory.recusal_not_observed: "完善回避制度，补做回避并说明情况",
    FindingCategory.concealment: "如实补报，作出书面检查，按规定处理",
}


# --- findings and cases -----------------------------------------------------------------


def review_demo_findings(session: Session, campaign_id: int) -> int:
    """The managing units confirm every self-declared finding: the cadre declared the facts."""
    ids = session.exec(
        select(Finding.id).where(
            Finding.campaign_id == campaign_id,
            Finding.source == FindingSource.self_declared,
            Finding.status == FindingStatus.open,
        )
    ).all()
    return review_findings(
        session=session, campaign_id=campaign_id, finding_ids=[i for i in ids if i], confirm=True
    )


def verify_demo_cases(session: Session, campaign_id: int, as_of: date) -> dict[str, int]:
    """The discipline offices close the open cases: a few substantiated, the rest not."""
    cases = session.exec(
        select(VerificationCase)
        .where(
            VerificationCase.campaign_id == campaign_id,
            VerificationCase.status == CaseStatus.open,
        )
        .order_by(VerificationCase.id)
    ).all()
    outcomes: dict[str, int] = {}
    decided_at = datetime(as_of.year, as_of.month, as_of.day, 9, tzinfo=UTC)
    for number, case in enumerate(cases):
        outcome = (CaseOutcome.substantiated, CaseOutcome.partly, CaseOutcome.unsubstantiated)[
            min(number, 2)
        ]
        record_verification(
            session=session,
            case_id=case.id or 0,
            outcome=outcome,
            reason="经调查核实，结论如上（演示数据）",
            decided_by="纪检监察室",
            decided_at=decided_at,
        )
        outcomes[outcome.label] = outcomes.get(outcome.label, 0) + 1
    return outcomes


# --- the ledger ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerPlan:
    """When each measure is due and when (if ever) it is done."""

    plan_on: date
    due_dates: tuple[date, ...]
    as_of: date


def demo_ledger(
    session: Session, campaign_id: int, plan: LedgerPlan, rng: random.Random
) -> list[dict[str, object]]:
    """A 整改台账 row per confirmed finding: ~3/4 done on time, some late, some never."""
    rows: list[dict[str, object]] = []
    findings = session.exec(
        select(Finding)
        .where(
            Finding.campaign_id == campaign_id,
            col(Finding.status).in_([FindingStatus.confirmed, FindingStatus.rectifying]),
        )
        .order_by(Finding.id)
    ).all()
    for finding in findings:
        due = rng.choice(plan.due_dates)
        luck = rng.random()
        row: dict[str, object] = {
            "问题编号": finding.id,
            "整改措施": MEASURES[finding.category],
            "责任人": person_name(rng),
            "整改时限": due,
            "状态": "整改中",
            "完成日期": None,
            "整改证据": "",
        }
        if luck < 0.72:
            row |= _done(due - timedelta(days=rng.randint(1, 20)), plan)
        elif luck < 0.87:
            row |= _done(due + timedelta(days=rng.randint(3, 24)), plan)  # late
        # else: never done, climbs the whole ladder
        rows.append(row)
    return rows


def _done(on: date, plan: LedgerPlan) -> dict[str, object]:
    on = min(max(on, plan.plan_on + timedelta(days=3)), plan.as_of)
    return {"状态": "已完成", "完成日期": on, "整改证据": "整改报告及佐证材料已归档"}


def write_ledger_xlsx(rows: list[dict[str, object]], path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "整改台账"
    header = ["问题编号", "整改措施", "责任人", "整改时限", "状态", "完成日期", "整改证据"]
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column) for column in header])
    workbook.save(path)


def verify_done_items(session: Session, campaign_id: int, until: date, rng: random.Random) -> int:
    """The managing units verify most finished items within two weeks (by ``until``)."""
    items = session.exec(
        select(RectificationItem)
        .where(
            RectificationItem.campaign_id == campaign_id,
            RectificationItem.status == RectificationStatus.done,
        )
        .order_by(RectificationItem.id)
    ).all()
    verified = 0
    for item in items:
        if rng.random() < 0.8 and item.done_on is not None and item.done_on <= until:
            verify_rectification(
                session=session,
                item_id=item.id or 0,
                by="监察室",
                outcome=VerificationOutcome.passed,
                note="整改到位",
                verified_on=min(item.done_on + timedelta(days=rng.randint(1, 14)), until),
            )
            verified += 1
    return verified


# --- who is told --------------------------------------------------------------------------

DEMO_TARGETS = {"office": "demo_webhook", "head": "demo_head", "discipline": "demo_discipline"}


def add_demo_contacts(session: Session) -> None:
    """Every unit's head and discipline office get a webhook target (the office has one)."""
    for unit_id in session.exec(select(Unit.id)).all():
        add_contact(
            session=session,
            unit_id=unit_id or 0,
            role=ContactRole.head,
            target=DEMO_TARGETS["head"],
        )
        add_contact(
            session=session,
            unit_id=unit_id or 0,
            role=ContactRole.discipline,
            target=DEMO_TARGETS["discipline"],
        )


@dataclass
class Received:
    path: str
    idempotency_key: str
    title: str


@dataclass
class WebhookReceiver:
    """A JSON webhook receiver on 127.0.0.1: what a WeCom/DingTalk relay would get."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"json://127.0.0.1:{self.port}/{name}"

    @property
    def duplicates(self) -> int:
        keys = [item.idempotency_key for item in self.received]
        return len(keys) - len(set(keys))


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            payload = json.loads(body or b"{}")
            with receiver.lock:
                receiver.received.append(
                    Received(
                        path=self.path.strip("/"),
                        idempotency_key=self.headers.get("Idempotency-Key", ""),
                        title=str(payload.get("title", "")),
                    )
                )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:  # quiet: the demo prints its own table
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
