"""The escalation sweep over a national-size campaign, then delivery to a local webhook.

    .venv/bin/python benchmarks/escalation_sweep.py [UNITS] [DELIVER]

Builds about UNITS units (50,000 by default: a province, 20 cities, 200 counties and the
institutions under them, each admin unit with a discipline-inspection webhook) and four open
items per institution — a phase summary, two rectification items (with their findings) and a
rules-review change, about 200,000 — in a temporary SQLite file (WAL, as the service runs it)
by Core inserts. Deadlines are spread from 20 days before to 5 days after the sweep day, so
the first sweep catches up on every ladder step at once (the worst case: ~650,000 item-steps).
Then it prints:
  1. the computation alone (what is due, recipients, one rendered digest per recipient),
     three runs with wall and CPU seconds, and the best of the three (target < 3 s on a
     2-core machine; the machine may be shared, so the best run counts);
  2. the sweep itself (computation, then writing the outbox in one transaction), the same
     sweep again (nothing new), and a check that the outbox holds one digest per recipient;
  3. the next day's sweep (only the new steps);
  4. delivery of DELIVER digests (3,000 by default) through the real Apprise ``json://``
     plugin to a threaded HTTP receiver on 127.0.0.1, in messages per second (target >= 200/s).
"""

from __future__ import annotations

import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert
from sqlmodel import Session, SQLModel, select

import models  # noqa: F401  (registers the tables)
from models.campaign import Campaign, Deliverable, Phase
from models.enums import (
    ContactRole,
    FindingCategory,
    FindingSource,
    FindingStatus,
    Level,
    OutboxStatus,
    RectificationStatus,
    RuleDecision,
    UnitKind,
)
from models.finding import Finding, RuleReviewItem
from models.outbox import NotifyContact, OutboxItem, OutboxMessage
from models.rectification import RectificationItem
from models.unit import Unit
from qinglian.core.db import engine_for
from qinglian.notify.apprise_notifier import AppriseNotifier
from qinglian.oversight.delivery import deliver
from qinglian.oversight.outbox import plan_sweep, sweep

UNITS = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
DELIVER = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000
CITIES = 20
COUNTIES_PER_CITY = 10
AS_OF = date(2012, 10, 20)
START = date(2012, 7, 16)
BATCH = 20_000
random.seed(20120716)


def build(engine: Engine) -> tuple[int, int]:
    """The tree, the campaign and its open items; returns (campaign id, open items)."""
    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    units: list[dict[str, Any]] = []

    def unit(parent: dict[str, Any] | None, level: Level, kind: UnitKind, **extra: Any) -> int:
        unit_id = len(units) + 1
        path = f"{parent['path'] if parent else '/'}{unit_id}/"
        units.append(
            {
                "id": unit_id,
                "code": f"U{unit_id:06d}",
                "name": f"第{unit_id}号单位",
                "aliases": [],
                "level": level,
                "kind": kind,
                "office_email": None,
                "office_webhook": f"office-{unit_id}",
                "head": None,
                "discipline_email": None,
                "parent_id": parent["id"] if parent else None,
                "path": path,
                "depth": parent["depth"] + 1 if parent else 0,
                **extra,
            }
        )
        return unit_id

    root = unit(None, Level.province, UnitKind.health_admin)
    institutions: list[int] = []
    counties = CITIES * COUNTIES_PER_CITY
    per_county = max(1, (UNITS - 1 - CITIES - counties) // counties)
    for _city in range(CITIES):
        city = unit(units[root - 1], Level.city, UnitKind.health_admin)
        for _county in range(COUNTIES_PER_CITY):
            county = unit(units[city - 1], Level.county, UnitKind.health_admin)
            for _ in range(per_county):
                institutions.append(
                    unit(units[county - 1], Level.institution, UnitKind.public_medical)
                )

    with engine.begin() as connection:
        _insert(connection, Unit, units)
        # Every admin unit's discipline-inspection group has a webhook of its own.
        _insert(
            connection,
            NotifyContact,
            [
                {"unit_id": u["id"], "role": ContactRole.discipline, "target": f"jjz-{u['id']}"}
                for u in units
                if u["level"] is not Level.institution
            ],
        )
        campaign_id = connection.execute(
            insert(Campaign).returning(Campaign.id),
            {
                "template_key": "coi-2012",
                "title": "集中开展落实《关于卫生系统领导干部防止利益冲突的若干规定》活动",
                "root_unit_id": root,
                "start_on": START,
                "created_at": now,
            },
        ).scalar_one()
        phase_id = connection.execute(
            insert(Phase).returning(Phase.id),
            {
                "campaign_id": campaign_id,
                "key": "rectify",
                "title": "整改纠正",
                "seq": 3,
                "starts_on": date(2012, 9, 1),
                "ends_on": date(2012, 11, 30),
            },
        ).scalar_one()

        def due() -> date:
            return AS_OF + timedelta(days=random.randint(-20, 5))

        _insert(
            connection,
            Deliverable,
            [
                {
                    "campaign_id": campaign_id,
                    "phase_id": phase_id,
                    "unit_id": unit_id,
                    "kind": "rectify_summary",
                    "title": "整改纠正阶段性总结",
                    "due_on": due(),
                    "submitted_on": None,
                    "note": "",
                    "detail": {},
                }
                for unit_id in institutions
            ],
        )
        findings = [
            {
                "id": n + 1,
                "campaign_id": campaign_id,
                "cadre_id": None,
                "unit_id": unit_id,
                "source": FindingSource.self_declared,
                "category": FindingCategory.unapproved_or_paid_post,
                "status": FindingStatus.rectifying,
                "summary": "",
                "evidence": {},
                "fingerprint": f"{n:064d}",
                "found_on": date(2012, 8, 20),
                "created_at": now,
            }
            for n, unit_id in enumerate(u for u in institutions for _ in range(2))
        ]
        _insert(connection, Finding, findings)
        _insert(
            connection,
            RectificationItem,
            [
                {
                    "campaign_id": campaign_id,
                    "finding_id": finding["id"],
                    "unit_id": finding["unit_id"],
                    "managing_unit_id": units[finding["unit_id"] - 1]["parent_id"],
                    "measure": "清退兼职报酬",
                    "responsible": "",
                    "evidence": "",
                    "status": RectificationStatus.in_progress,
                    "done_on": None,
                    "due_on": (d := due()),
                    "original_due_on": d,
                    "created_at": now,
                    "updated_at": now,
                }
                for finding in findings
            ],
        )
        _insert(
            connection,
            RuleReviewItem,
            [
                {
                    "campaign_id": campaign_id,
                    "unit_id": unit_id,
                    "title": "药品耗材采购管理办法",
                    "decision": RuleDecision.revise,
                    "reason": "",
                    "due_on": due(),
                    "done_on": None,
                }
                for unit_id in institutions
            ],
        )
    return campaign_id, len(institutions) * 4


def _insert(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(table), rows[start : start + BATCH])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 drops concurrent connects (1 s SYN retries)


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with _Receiver.lock:
            _Receiver.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="qinglian-escalation-"))
    try:
        engine = engine_for(f"sqlite:///{workdir / 'bench.db'}")
        started = time.perf_counter()
        campaign_id, items = build(engine)
        with Session(engine) as session:
            unit_count = session.exec(select(func.count()).select_from(Unit)).one()
        seconds = time.perf_counter() - started
        print(f"built {unit_count:,} units, {items:,} open items in {seconds:.1f} s")

        with Session(engine) as session:
            # The computation alone, three times (this machine is shared: the best run counts).
            timings = []
            for _ in range(3):
                cpu = time.process_time()
                plan = plan_sweep(session=session, campaign_id=campaign_id, as_of=AS_OF).result
                timings.append((plan.seconds_computing, time.process_time() - cpu))
            session.rollback()
            runs = ", ".join(f"{wall:.2f} ({cpu:.2f} CPU)" for wall, cpu in timings)
            best = min(wall for wall, _ in timings)
            print(f"computation alone, 3 runs: {runs} s; best of 3: {best:.2f} s (target < 3 s)")
            started = time.perf_counter()
            result = sweep(session=session, campaign_id=campaign_id, as_of=AS_OF)
            total = time.perf_counter() - started
        print(
            f"sweep: {result.open_items:,} items due for a step, {result.due_item_steps:,} "
            f"item-steps, {result.new_item_steps:,} queued in {result.digests:,} digests "
            f"({result.unreachable} unreachable)"
        )
        print(
            f"  computation {result.seconds_computing:.2f} s (target < 3 s), "
            f"writing {result.seconds_writing:.2f} s, total {total:.2f} s"
        )
        with Session(engine) as session:
            started = time.perf_counter()
            again = sweep(session=session, campaign_id=campaign_id, as_of=AS_OF)
            print(
                f"  the same sweep again: {again.digests} digests, "
                f"{time.perf_counter() - started:.2f} s"
            )
            messages = session.exec(select(func.count()).select_from(OutboxMessage)).one()
            targets = session.exec(select(func.count(func.distinct(OutboxMessage.target)))).one()
            item_targets = session.exec(select(func.count(func.distinct(OutboxItem.target)))).one()
            item_rows = session.exec(select(func.count()).select_from(OutboxItem)).one()
        assert messages == targets == item_targets == result.digests, (messages, targets)
        assert item_rows == result.new_item_steps and again.digests == 0
        print(f"  outbox: {messages:,} digests for {targets:,} recipients (one each): OK")
        with Session(engine) as session:
            started = time.perf_counter()
            daily = sweep(session=session, campaign_id=campaign_id, as_of=AS_OF + timedelta(1))
            print(
                f"the next day's sweep: {daily.new_item_steps:,} new item-steps in "
                f"{daily.digests:,} digests; computation {daily.seconds_computing:.2f} s, "
                f"writing {daily.seconds_writing:.2f} s, total {time.perf_counter() - started:.2f} s"
            )

        server = _Server(("127.0.0.1", 0), _Receiver)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        with Session(engine) as session:
            names = session.exec(
                select(OutboxMessage.target).order_by(OutboxMessage.id).limit(DELIVER)
            ).all()
        base = f"json://127.0.0.1:{server.server_port}/hook"
        notifier = AppriseNotifier({name: f"{base}/{name}" for name in names})
        started = time.perf_counter()
        delivered = deliver(
            session_factory=lambda: Session(engine, expire_on_commit=False),
            notifier=notifier,
            now=datetime(2012, 10, 20, 1, tzinfo=UTC),
            limit=DELIVER,
            workers=4,
        )
        seconds = time.perf_counter() - started
        server.shutdown()
        with Session(engine) as session:
            sent = session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.sent)
            ).one()
        assert delivered.sent == sent == _Receiver.count == len(names), (delivered, sent)
        print(
            f"delivery: {delivered.sent:,} digests to a local json:// webhook in {seconds:.2f} s "
            f"= {delivered.sent / seconds:,.0f} messages/s (target >= 200/s)"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {peak:,.0f} MiB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
