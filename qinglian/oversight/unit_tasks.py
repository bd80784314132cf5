"""A unit's own tasks (我的任务) on ``as_of``: every deliverable of the campaign with its
cascaded deadline and status, the collection of its own cadres' report forms, and what the
escalation ladder has already sent about it.

Only what the unit's office may see: its own items, the ladder's steps about them and the
*names* of the targets told (never an Apprise URL, never a digest's body, which may carry other
units' items).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from models import Campaign, Deliverable, Phase, Unit
from models.enums import DeliverableStatus, OutboxStatus
from models.outbox import OutboxItem, OutboxMessage
from models.outcome import DeliverableView
from models.rate import ReportingRate
from qinglian.declarations.completeness import CadreForm, cadre_forms, forms_rate
from qinglian.oversight.campaign_rules import campaign_ladder
from qinglian.oversight.tracking import view_of

_ITEM_KINDS = {"r": "整改事项", "rr": "制度清单事项"}
# What a unit is told of a digest's fate: sent, waiting (to be sent or retried) or failed.
_DELIVERY = {
    OutboxStatus.pending: "pending",
    OutboxStatus.sending: "pending",
    OutboxStatus.sent: "sent",
    OutboxStatus.failed: "pending",
    OutboxStatus.given_up: "failed",
}
_DELIVERY_LABELS = {"sent": "已发送", "pending": "待发送", "failed": "发送失败"}


@dataclass(frozen=True, slots=True)
class PhaseTask:
    """A deliverable with the phase it belongs to."""

    phase_key: str
    phase_title: str
    view: DeliverableView

    @property
    def behind(self) -> bool:
        return self.view.status in {DeliverableStatus.late, DeliverableStatus.missing}


@dataclass(frozen=True, slots=True)
class FormsCollection:
    """The unit's own cadres' report forms: the rate, and each cadre not yet filed."""

    due_on: date
    rate: ReportingRate
    not_filed: list[CadreForm]


@dataclass(frozen=True, slots=True)
class LadderNotice:
    """One step of the ladder sent (or to be sent) about one of the unit's items."""

    item: str
    deadline: date
    step: str
    step_title: str
    audience: str
    target: str
    sweep_on: date
    delivery: str  # sent | pending | failed

    @property
    def delivery_label(self) -> str:
        return _DELIVERY_LABELS[self.delivery]


@dataclass(frozen=True, slots=True)
class UnitTasks:
    tasks: list[PhaseTask]
    forms: FormsCollection | None
    notices: list[LadderNotice]

    @property
    def behind(self) -> int:
        return sum(1 for task in self.tasks if task.behind)


def unit_tasks(*, session: Session, campaign: Campaign, unit: Unit, as_of: date) -> UnitTasks:
    """Everything the 我的任务 page shows of ``unit`` on ``as_of``."""
    tasks = phase_tasks(session=session, campaign=campaign, unit=unit, as_of=as_of)
    return UnitTasks(
        tasks=tasks,
        forms=forms_collection(session=session, campaign=campaign, unit=unit, as_of=as_of),
        notices=ladder_notices(session=session, campaign=campaign, unit=unit, as_of=as_of),
    )


def phase_tasks(
    *, session: Session, campaign: Campaign, unit: Unit, as_of: date
) -> list[PhaseTask]:
    """Every deliverable of the unit in the campaign, all phases, by phase then deadline."""
    rows = session.exec(
        select(Deliverable, Phase.key, Phase.title)
        .join(Phase, col(Phase.id) == Deliverable.phase_id)
        .where(Deliverable.campaign_id == campaign.id, Deliverable.unit_id == unit.id)
        .order_by(col(Phase.seq), col(Deliverable.due_on), col(Deliverable.id))
    ).all()
    return [PhaseTask(key, title, view_of(row, as_of)) for row, key, title in rows]


def forms_collection(
    *, session: Session, campaign: Campaign, unit: Unit, as_of: date
) -> FormsCollection | None:
    """The unit's own cadres' forms, or ``None`` if the unit collects none in this campaign."""
    forms = cadre_forms(
        session=session, campaign=campaign, root=unit, as_of=as_of, own_only=True
    ).get(unit.id or 0)
    if not forms:
        return None
    return FormsCollection(
        due_on=forms[0].due_on,
        rate=forms_rate(forms),
        not_filed=[
            form for form in forms if form.submitted_on is None or form.submitted_on > as_of
        ],
    )


def ladder_notices(
    *, session: Session, campaign: Campaign, unit: Unit, as_of: date
) -> list[LadderNotice]:
    """The ladder's steps about the unit's items, swept on or before ``as_of``, newest first."""
    ladder = campaign_ladder(campaign)
    steps = {step.key: step for step in ladder.steps}
    deliverables = dict(
        session.exec(
            select(Deliverable.id, Deliverable.title).where(
                Deliverable.campaign_id == campaign.id, Deliverable.unit_id == unit.id
            )
        ).all()
    )
    rows = session.exec(
        select(
            OutboxItem.item_key,
            OutboxItem.deadline,
            OutboxItem.step,
            OutboxItem.target,
            OutboxMessage.sweep_on,
            OutboxMessage.status,
        )
        .join(OutboxMessage, col(OutboxMessage.id) == OutboxItem.message_id)
        .where(
            OutboxItem.campaign_id == campaign.id,
            OutboxItem.unit_id == unit.id,
            col(OutboxMessage.sweep_on) <= as_of,
        )
        .order_by(col(OutboxMessage.sweep_on).desc(), col(OutboxItem.deadline), col(OutboxItem.id))
    ).all()
    notices: list[LadderNotice] = []
    for item_key, deadline, step_key, target, sweep_on, status in rows:
        step = steps.get(step_key)
        notices.append(
            LadderNotice(
                item=_item_title(item_key, deliverables),
                deadline=deadline,
                step=step_key,
                step_title=step.title if step else step_key,
                audience=step.audience.label if step else "",
                target=target_name(target),
                sweep_on=sweep_on,
                delivery=_DELIVERY[status],
            )
        )
    return notices


def target_name(target: str) -> str:
    """A target as the unit may see it: a name, or the e-mail address (never a URL)."""
    if "://" in target:  # never stored so, but a URL is never shown
        return "（已隐去）"
    return target.removeprefix("email:")


def _item_title(item_key: str, deliverables: dict[int | None, str]) -> str:
    kind, _, rest = item_key.partition(":")
    number = rest.partition("@")[0]
    if kind == "d" and number.isdigit():
        return deliverables.get(int(number), f"事项 {number}")
    return f"{_ITEM_KINDS.get(kind, '事项')} {number}"
