"""The demo's 整改纠正 phase: findings confirmed, a ledger of measures, the daily sweep."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from rich.table import Table
from sqlalchemy import func
from sqlmodel import Session, col, select

from flows.escalation import escalation_replay
from flows.phase import start_phase
from models.enums import OutboxStatus
from models.flow_inputs import PhaseRunInput, ReplayInput
from models.outbox import OutboxItem, OutboxMessage
from models.rectification import RectificationItem
from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.campaigns.lookup import get_campaign
from qinglian.core import db
from qinglian.core.settings import get_settings
from qinglian.demo.context import DemoRun
from qinglian.demo.mobilize import demo_deliveries, due_items, write_deliveries_xlsx
from qinglian.demo.rectify import (
    DEMO_TARGETS,
    LedgerPlan,
    WebhookReceiver,
    add_demo_contacts,
    demo_ledger,
    review_demo_findings,
    verify_demo_cases,
    verify_done_items,
    webhook_receiver,
    write_ledger_xlsx,
)
from qinglian.demo.summarize import without_summaries
from qinglian.demo.tables import rectification_table
from qinglian.demo.timeline import RECTIFY
from qinglian.oversight.campaign_rules import campaign_ladder
from qinglian.rectification.import_ledger import import_rectification
from qinglian.reporting.summary_figures import compute_summaries


def rectify_phase(run: DemoRun) -> None:
    """Findings confirmed, a ledger of measures, the daily sweep across the phase, the roll-up."""
    campaign_id, folder, rng, console = run.campaign_id, run.folder, run.rng, run.console
    ledger_path = folder / "rectification_ledger.xlsx"
    deliveries_path = folder / "rectify_deliveries.xlsx"
    with db.session_scope() as session:
        confirmed = review_demo_findings(session, campaign_id)
        cases = verify_demo_cases(session, campaign_id, RECTIFY.cases_decided_on)
        plan = LedgerPlan(plan_on=RECTIFY.plan_on, due_dates=RECTIFY.due_dates, as_of=RECTIFY.end)
        write_ledger_xlsx(demo_ledger(session, campaign_id, plan, rng), ledger_path)
        dues = without_summaries(due_items(session, campaign_id, "rectify"))
        campaign_start = get_campaign(session=session, campaign_id=campaign_id).start_on
    write_deliveries_xlsx(demo_deliveries(dues, campaign_start, rng), deliveries_path)
    with db.session_scope() as session:
        import_rectification(
            session=session, campaign_id=campaign_id, path=ledger_path, as_of=RECTIFY.end
        )
        verified = verify_done_items(session, campaign_id, RECTIFY.end, rng)
        import_deliveries(session=session, campaign_id=campaign_id, path=deliveries_path)
        add_demo_contacts(session)
    run.import_narratives("rectify", RECTIFY.end)
    console.print(
        f"\n整改纠正 rectify: 确认问题线索 confirmed {confirmed} 条；核实结论 cases "
        + "，".join(f"{label} {count}" for label, count in cases.items())
        + f"；验收 verified {verified} 项"
    )

    with webhook_receiver() as receiver, _demo_targets(receiver):
        days = escalation_replay(
            ReplayInput(campaign_id=campaign_id, start=RECTIFY.start, end=RECTIFY.end)
        )
        again = escalation_replay(
            ReplayInput(campaign_id=campaign_id, start=RECTIFY.end, end=RECTIFY.end)
        )
    sent = sum(day.delivery.sent for day in days)
    console.print(
        f"每日督办 daily sweep {RECTIFY.start} → {RECTIFY.end}（{len(days)} 天）："
        f"本地 Webhook 收到 {len(receiver.received)} 条 received，发送成功 sent {sent}，"
        f"重复 duplicates {receiver.duplicates}；重跑最后一天新增 re-run adds "
        f"{again[0].sweep.new_item_steps} 个步骤、{again[0].delivery.sent} 条消息"
    )
    with db.session_scope() as session:
        console.print(_ladder_table(session, campaign_id))
        trail = _item_trail(session, campaign_id)
    if trail is not None:
        console.print(trail)

    start_phase(PhaseRunInput(campaign_id=campaign_id, phase="rectify", as_of=RECTIFY.end))
    with db.session_scope() as session:
        summary = compute_summaries(
            session=session, campaign_id=campaign_id, as_of=RECTIFY.end, phase_key="rectify"
        )
    console.print(rectification_table(summary, RECTIFY.end))


@contextmanager
def _demo_targets(receiver: WebhookReceiver) -> Iterator[None]:
    """Point the demo's named targets at the local receiver, for the sweep only."""
    names = {
        f"QINGLIAN_NOTIFY__{target.upper()}": receiver.url(role)
        for role, target in DEMO_TARGETS.items()
    }
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def _ladder_table(session: Session, campaign_id: int) -> Table:
    """Each ladder step, to whom, how many items, when: every (item, step) sent once."""
    ladder = campaign_ladder(get_campaign(session=session, campaign_id=campaign_id))
    rows = session.exec(
        select(
            OutboxItem.step,
            OutboxItem.target,
            func.count(),
            func.count(func.distinct(OutboxItem.item_key)),
            func.min(OutboxMessage.sweep_on),
            func.max(OutboxMessage.sweep_on),
        )
        .join(OutboxMessage, col(OutboxMessage.id) == OutboxItem.message_id)
        .where(OutboxItem.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.sent)
        .group_by(OutboxItem.step, OutboxItem.target)
    ).all()
    order = {step.key: rank for rank, step in enumerate(ladder.steps)}
    table = Table(
        "督办步骤 ladder step",
        "接收方 recipient",
        "事项×步骤 item-steps",
        "事项 items",
        "首次 first",
        "最近 last",
        title="逐级督办：每个事项的每一步只发送一次 / each ladder step once per item",
    )
    for step, target, count, items, first, last in sorted(rows, key=lambda r: order.get(r[0], 99)):
        table.add_row(
            ladder.step(step).title if step in order else step,
            target,
            str(count),
            str(items),
            str(first),
            str(last),
        )
    return table


def _item_trail(session: Session, campaign_id: int) -> Table | None:
    """One never-finished rectification item climbing the whole ladder, step by step."""
    item = session.exec(
        select(RectificationItem)
        .where(
            RectificationItem.campaign_id == campaign_id,
            col(RectificationItem.done_on).is_(None),
        )
        .order_by(RectificationItem.due_on, RectificationItem.id)
    ).first()
    if item is None:
        return None
    ladder = campaign_ladder(get_campaign(session=session, campaign_id=campaign_id))
    rows = session.exec(
        select(OutboxItem.step, OutboxItem.target, OutboxMessage.sweep_on)
        .join(OutboxMessage, col(OutboxMessage.id) == OutboxItem.message_id)
        .where(
            OutboxItem.campaign_id == campaign_id,
            OutboxItem.item_key == f"r:{item.id}@{item.due_on}",
        )
        .order_by(OutboxMessage.sweep_on)
    ).all()
    table = Table(
        "日期 day",
        "督办步骤 step",
        "接收方 recipient",
        title=f"整改事项 {item.id}（时限 {item.due_on}，未完成）的督办轨迹 / one item's trail",
    )
    for step, target, day in rows:
        table.add_row(str(day), ladder.step(step).title, target)
    return table
