"""Where a campaign stands on ``as_of``: each unit's deliverables and the subtree roll-up."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from models import Deliverable, DeliverableStatus, Level, Phase, Unit
from qinglian.campaigns import get_campaign, get_phase
from qinglian.errors import NotFoundError
from qinglian.rules.status import ReportingRate, deliverable_status
from qinglian.units import get_unit_by_code, subtree


class DeliverableView(BaseModel):
    kind: str
    title: str
    due_on: date
    submitted_on: date | None
    status: DeliverableStatus


class UnitProgress(BaseModel):
    """A unit's own reporting and its subtree's, with its children's (recursively)."""

    unit_id: int
    code: str
    name: str
    level: Level
    own: ReportingRate
    subtree: ReportingRate
    children: list[UnitProgress] = Field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level.value,
            "own": self.own.as_dict(),
            "subtree": self.subtree.as_dict(),
            "children": [child.as_json() for child in self.children],
        }


def view_of(row: Deliverable, as_of: date) -> DeliverableView:
    return DeliverableView(
        kind=row.kind,
        title=row.title,
        due_on=row.due_on,
        submitted_on=row.submitted_on if row.submitted_on and row.submitted_on <= as_of else None,
        status=deliverable_status(row.due_on, row.submitted_on, as_of),
    )


def unit_deliverables(
    *, session: Session, campaign_id: int, unit_id: int, phase_id: int | None, as_of: date
) -> list[DeliverableView]:
    query = select(Deliverable).where(
        Deliverable.campaign_id == campaign_id, Deliverable.unit_id == unit_id
    )
    if phase_id is not None:
        query = query.where(Deliverable.phase_id == phase_id)
    rows = session.exec(query.order_by(Deliverable.due_on, Deliverable.id)).all()
    return [view_of(row, as_of) for row in rows]


def campaign_progress(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    unit_code: str | None = None,
    phase_key: str | None = None,
) -> UnitProgress:
    """The roll-up computed set-based: two queries, however large the subtree."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    root = (
        get_unit_by_code(session=session, code=unit_code)
        if unit_code
        else session.get(Unit, campaign.root_unit_id)
    )
    assert root is not None
    campaign_root = session.get(Unit, campaign.root_unit_id)
    assert campaign_root is not None
    if not root.path.startswith(campaign_root.path):
        raise_outside(root, campaign.id)
    phase: Phase | None = (
        get_phase(session=session, campaign=campaign, key=phase_key) if phase_key else None
    )
    units = subtree(session=session, unit=root)
    query = (
        select(Deliverable.unit_id, Deliverable.due_on, Deliverable.submitted_on)
        .join(Unit, col(Unit.id) == Deliverable.unit_id)
        .where(Deliverable.campaign_id == campaign.id, col(Unit.path).startswith(root.path))
    )
    if phase is not None:
        query = query.where(Deliverable.phase_id == phase.id)
    statuses: dict[int, list[DeliverableStatus]] = defaultdict(list)
    for unit_id, due_on, submitted_on in session.exec(query):
        statuses[unit_id].append(deliverable_status(due_on, submitted_on, as_of))
    return build_tree(units, statuses, root.id)


def raise_outside(unit: Unit, campaign_id: int | None) -> None:
    raise NotFoundError(
        f"单位 {unit.code}（{unit.name}）不在专项活动 {campaign_id} 的范围内",
        f"unit {unit.code} is not part of campaign {campaign_id}",
    )


def build_tree(
    units: list[Unit] | tuple[Unit, ...],
    statuses: dict[int, list[DeliverableStatus]],
    root_id: int | None,
) -> UnitProgress:
    """Roll own rates up the tree, deepest units first (``units`` is ordered by depth)."""
    nodes = {
        unit.id: UnitProgress(
            unit_id=unit.id,
            code=unit.code,
            name=unit.name,
            level=unit.level,
            own=ReportingRate.of(statuses.get(unit.id, [])),
            subtree=ReportingRate(),
        )
        for unit in units
        if unit.id is not None
    }
    for unit in reversed(units):
        node = nodes[unit.id]
        node.children.sort(key=lambda child: child.code)
        node.subtree = node.own + ReportingRate.total(child.subtree for child in node.children)
        if unit.id != root_id and unit.parent_id in nodes:
            nodes[unit.parent_id].children.append(node)
    return nodes[root_id]
