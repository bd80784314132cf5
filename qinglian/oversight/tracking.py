"""Where a campaign stands on ``as_of``: each unit's deliverables and the subtree roll-up."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Campaign, Deliverable, DeliverableStatus, Finding, Level, Phase, Unit
from models.outcome import DeliverableView
from models.rate import ReportingRate
from qinglian.campaigns.lookup import campaign_root, get_campaign, get_phase
from qinglian.campaigns.templates import get_template
from qinglian.core.errors import NotFoundError
from qinglian.declarations.completeness import CadreForm, cadre_forms, forms_rate
from qinglian.org.units import get_unit_by_code, subtree
from qinglian.rules.status import deliverable_status


class UnitProgress(BaseModel):
    """A unit's own reporting and its subtree's, with its children's (recursively)."""

    unit_id: int
    code: str
    name: str
    level: Level
    own: ReportingRate
    subtree: ReportingRate
    forms_own: ReportingRate | None = None
    forms: ReportingRate | None = None
    findings_own: dict[str, int] = Field(default_factory=dict)
    findings: dict[str, int] = Field(default_factory=dict)
    children: list[UnitProgress] = Field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        document: dict[str, object] = {
            "code": self.code,
            "name": self.name,
            "level": self.level.value,
            "own": self.own.as_dict(),
            "subtree": self.subtree.as_dict(),
        }
        if self.forms is not None and self.forms_own is not None:
            document["forms"] = {"own": self.forms_own.as_dict(), "subtree": self.forms.as_dict()}
            document["findings"] = {"own": self.findings_own, "subtree": self.findings}
        document["children"] = [child.as_json() for child in self.children]
        return document


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
    top = campaign_root(session=session, campaign=campaign)
    root = get_unit_by_code(session=session, code=unit_code) if unit_code else top
    if not root.path.startswith(top.path):
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
    tree = build_tree(units, statuses, root.id)
    if _collects_declarations(campaign, phase):
        forms = cadre_forms(session=session, campaign=campaign, root=root, as_of=as_of)
        add_forms(tree, forms, _findings_by_unit(session, campaign, root))
    return tree


def _collects_declarations(campaign: Campaign, phase: Phase | None) -> bool:
    template = get_template(campaign.template_key)
    phases = [template.phase(phase.key)] if phase else template.phases
    return any("declarations" in item.activities for item in phases)


def _findings_by_unit(
    session: Session, campaign: Campaign, root: Unit
) -> dict[int, dict[str, int]]:
    rows = session.exec(
        select(Finding.unit_id, Finding.category, func.count())
        .join(Unit, col(Unit.id) == Finding.unit_id)
        .where(Finding.campaign_id == campaign.id, col(Unit.path).startswith(root.path))
        .group_by(Finding.unit_id, Finding.category)
    ).all()
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for unit_id, category, count in rows:
        result[unit_id][category.value] = count
    return result


def add_forms(
    node: UnitProgress,
    forms: dict[int, list[CadreForm]],
    findings: dict[int, dict[str, int]],
) -> None:
    """Roll declarations and findings up the same tree, depth first."""
    for child in node.children:
        add_forms(child, forms, findings)
    node.forms_own = forms_rate(forms.get(node.unit_id, []))
    node.forms = node.forms_own + ReportingRate.total(
        child.forms for child in node.children if child.forms is not None
    )
    node.findings_own = findings.get(node.unit_id, {})
    total: Counter[str] = Counter(node.findings_own)
    for child in node.children:
        total.update(child.findings)
    node.findings = dict(total)


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
