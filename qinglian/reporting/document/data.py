"""Collect what the written comprehensive report says about one unit's subtree.

Only the subtree's own figures are read (every query is bounded by the unit's path), and only
counts and titles: complaint text and complainants never reach the report.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    Cadre,
    Deliverable,
    DeliverableStatus,
    Finding,
    FindingCategory,
    FindingSource,
    LeadingGroupMember,
    Phase,
    Unit,
)
from models.enums import RectificationStatus
from models.inspection import InspectionVisit
from models.rate import ReportingRate
from models.rectification import RectificationItem
from models.report import (
    BurnDownPoint,
    ChildLine,
    InspectionLine,
    LaggingLine,
    NarrativeLine,
    PhaseLine,
    ReportData,
)
from models.summary import CASE_LABELS, RULE_LABELS, SOURCE_LABELS, SummaryFigures
from qinglian.campaigns.lookup import get_campaign
from qinglian.campaigns.plans import late_plans
from qinglian.campaigns.templates import get_template
from qinglian.core.errors import QinglianError
from qinglian.core.sql import chunked
from qinglian.org.units import get_unit_by_code
from qinglian.oversight.lagging import find_lagging_units
from qinglian.reporting.document.reminders import overdue_reminders
from qinglian.reporting.narratives import narratives_of
from qinglian.reporting.scope import check_in_campaign
from qinglian.reporting.summary_figures import compute_summaries, walk
from qinglian.rules.status import deliverable_status

BURN_DOWN_POINTS = 16


def collect_report_data(
    *, session: Session, campaign_id: int, unit_code: str, as_of: date
) -> ReportData:
    """The report's figures for ``unit_code``'s subtree on ``as_of``."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    unit = get_unit_by_code(session=session, code=unit_code)
    root = check_in_campaign(session=session, campaign=campaign, unit=unit)
    if as_of < campaign.start_on:
        raise QinglianError(
            f"报告日期 {as_of} 早于专项活动开始（{campaign.start_on}）",
            f"report date {as_of} is before the campaign started ({campaign.start_on})",
        )
    assert campaign.id is not None and unit.id is not None
    lagging = find_lagging_units(session=session, campaign_id=campaign.id, as_of=as_of)
    summary = compute_summaries(
        session=session,
        campaign_id=campaign.id,
        as_of=as_of,
        unit_code=unit.code,
        lagging={line.unit_id for line in lagging},
    )
    figures = summary.subtree
    units = list(walk(summary))
    unit_ids = {node.unit_id for node in units}
    parent = session.get(Unit, unit.parent_id) if unit.parent_id and unit.id != root.id else None
    lagging_here = [line for line in lagging if line.unit_id in unit_ids]
    plans = late_plans(session=session, campaign_id=campaign.id, path=unit.path)
    children = {child.unit_id: (child.code, child.name) for child in summary.children}
    paths = _paths(session, [line.unit_id for line in lagging_here])
    branches = {unit_id: _branch(children, unit.path, path) for unit_id, path in paths.items()} | {
        late.id or 0: _branch(children, unit.path, late.path) for late, _ in plans
    }
    return ReportData(
        campaign_title=campaign.title,
        basis=get_template(campaign.template_key).basis,
        unit_name=unit.name,
        unit_code=unit.code,
        parent_name=parent.name if parent else None,
        as_of=as_of,
        units=len(units),
        cadres=_cadres(session, unit.path),
        phases=_phases(session, campaign.id, unit.path, as_of),
        leading_group=_leading_group(session, campaign.id, unit.id),
        deliverables=figures.deliverables,
        forms=figures.forms if figures.forms.expected else None,
        own_deliverables_missing=summary.own.deliverables.missing,
        own_forms_missing=summary.own.forms.missing,
        findings_by_category=_labelled(
            figures.findings_by_category,
            {category.value: category.label for category in FindingCategory},
        ),
        findings_by_source=_labelled(figures.findings_by_source, SOURCE_LABELS),
        findings_by_category_source=_findings_by_category_source(
            session, campaign.id, unit.path, as_of
        ),
        cases_by_outcome=_labelled(figures.cases_by_outcome, CASE_LABELS),
        rectification_by_status=_labelled(
            figures.rectification_by_status,
            {status.value: status.label for status in RectificationStatus},
        ),
        rectification_overdue=figures.rectification_overdue,
        burn_down=_burn_down(session, campaign.id, unit.path, campaign.start_on, as_of),
        rules_by_decision=_labelled(figures.rules_by_decision, RULE_LABELS),
        reminders=overdue_reminders(
            session=session, campaign_id=campaign.id, path=unit.path, as_of=as_of
        ),
        lagging=[
            LaggingLine(
                name=line.name,
                reason=f"逾期事项 {line.overdue_items} 项，未整改问题 {line.open_findings} 个",
                code=line.code,
                branch_code=branches[line.unit_id][0],
                branch_name=branches[line.unit_id][1],
                overdue_items=line.overdue_items,
                open_findings=line.open_findings,
            )
            for line in lagging_here
        ],
        late_plans=[
            LaggingLine(
                name=late_unit.name,
                reason="；".join(
                    f"{item.title} {item.due_on}（上级 {item.parent_due_on}）"
                    for item in plan.late()
                )
                + (f"；理由：{plan.late_reason}" if plan.late_reason else ""),
                code=late_unit.code,
                branch_code=branches[late_unit.id or 0][0],
                branch_name=branches[late_unit.id or 0][1],
            )
            for late_unit, plan in plans
        ],
        inspections=_inspections(session, campaign.id, unit.path),
        children=[
            _child(
                child.name,
                child.level.label,
                child.subtree,
                child.lagging or bool(child.lagging_children),
            )
            for child in summary.children
        ],
        narratives=[
            NarrativeLine(
                phase_title=phase.title, text=row.narrative, submitted_on=row.submitted_on
            )
            for phase, row in narratives_of(
                session=session, campaign_id=campaign.id, unit_id=unit.id
            )
        ],
    )


def _labelled(counts: dict[str, int], labels: dict[str, str]) -> dict[str, int]:
    """Counts under their Chinese labels, in the vocabulary's order, zeros left out."""
    return {labels.get(key, key): counts[key] for key in labels if counts.get(key)} | {
        key: value for key, value in counts.items() if key not in labels and value
    }


def _child(name: str, level: str, figures: SummaryFigures, lagging: bool) -> ChildLine:
    return ChildLine(
        name=name,
        level_label=level,
        deliverables=figures.deliverables,
        forms=figures.forms if figures.forms.expected else None,
        findings=figures.findings,
        rectification_items=figures.rectification_items,
        rectified=figures.rectified,
        lagging=lagging,
    )


def _cadres(session: Session, path: str) -> int:
    return session.exec(
        select(func.count())
        .select_from(Cadre)
        .join(Unit, col(Unit.id) == Cadre.unit_id)
        .where(col(Unit.path).startswith(path))
    ).one()


def _phases(session: Session, campaign_id: int, path: str, as_of: date) -> list[PhaseLine]:
    """Each started phase's deliverables in the subtree: one grouped read, no tree."""
    phases = session.exec(
        select(Phase).where(Phase.campaign_id == campaign_id).order_by(Phase.seq)
    ).all()
    statuses: dict[int, list[DeliverableStatus]] = defaultdict(list)
    for phase_id, due_on, submitted_on in session.exec(
        select(Deliverable.phase_id, Deliverable.due_on, Deliverable.submitted_on)
        .join(Unit, col(Unit.id) == Deliverable.unit_id)
        .where(Deliverable.campaign_id == campaign_id, col(Unit.path).startswith(path))
    ):
        statuses[phase_id].append(deliverable_status(due_on, submitted_on, as_of))
    return [
        PhaseLine(
            title=phase.title,
            starts_on=phase.starts_on,
            ends_on=phase.ends_on,
            deliverables=ReportingRate.of(statuses.get(phase.id or 0, [])),
        )
        for phase in phases
        if phase.starts_on <= as_of
    ]


def _leading_group(session: Session, campaign_id: int, unit_id: int) -> list[str]:
    members = session.exec(
        select(LeadingGroupMember).where(
            LeadingGroupMember.campaign_id == campaign_id, LeadingGroupMember.unit_id == unit_id
        )
    ).all()
    order = {"leader": 0, "deputy": 1, "member": 2}
    members = sorted(members, key=lambda member: (order[member.role.value], member.id or 0))
    return [f"{member.role.label}：{member.name}" for member in members]


def _burn_down(
    session: Session, campaign_id: int, path: str, start: date, as_of: date
) -> list[BurnDownPoint]:
    """Rectification items not yet done, sampled evenly from the first finding to ``as_of``;
    those the inspection phase found (检查发现) counted apart as well."""
    rows = session.exec(
        select(Finding.found_on, RectificationItem.done_on, Finding.source)
        .join(Finding, col(Finding.id) == RectificationItem.finding_id)
        .join(Unit, col(Unit.id) == RectificationItem.unit_id)
        .where(
            RectificationItem.campaign_id == campaign_id,
            col(Unit.path).startswith(path),
            Finding.found_on <= as_of,
        )
    ).all()
    if not rows:
        return []
    first = max(start, min(found_on for found_on, _, _ in rows))
    span = max((as_of - first).days, 1)
    step = max(span // (BURN_DOWN_POINTS - 1), 1)
    days = sorted({first + timedelta(days=offset) for offset in range(0, span, step)} | {as_of})
    points = []
    for day in days:
        found = [(done_on, source) for found_on, done_on, source in rows if found_on <= day]
        still_open = [source for done_on, source in found if done_on is None or done_on > day]
        points.append(
            BurnDownPoint(
                day=day,
                open_items=len(still_open),
                inspection_open=still_open.count(FindingSource.inspection),
                inspection_found=sum(
                    1 for _, source in found if source == FindingSource.inspection
                ),
            )
        )
    return points


def _findings_by_category_source(
    session: Session, campaign_id: int, path: str, as_of: date
) -> dict[str, dict[str, int]]:
    """Findings in the subtree by category, then by source, labelled and in vocabulary order."""
    counts: dict[tuple[FindingCategory, FindingSource], int] = {
        (category, source): count
        for category, source, count in session.exec(
            select(Finding.category, Finding.source, func.count())
            .join(Unit, col(Unit.id) == Finding.unit_id)
            .where(
                Finding.campaign_id == campaign_id,
                col(Unit.path).startswith(path),
                Finding.found_on <= as_of,
            )
            .group_by(Finding.category, Finding.source)
        )
    }
    table: dict[str, dict[str, int]] = {}
    for category in FindingCategory:
        row = {
            SOURCE_LABELS[source.value]: counts[category, source]
            for source in FindingSource
            if counts.get((category, source))
        }
        if row:
            table[category.label] = row
    return table


def _paths(session: Session, unit_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in chunked(sorted(set(unit_ids))):
        for unit_id, path in session.exec(
            select(Unit.id, Unit.path).where(col(Unit.id).in_(chunk))
        ):
            found[unit_id or 0] = path
    return found


def _branch(children: dict[int, tuple[str, str]], root_path: str, path: str) -> tuple[str, str]:
    """The (code, name) of the root's child whose subtree holds ``path``; blanks for the root."""
    return children.get(_branch_id(root_path, path) or 0, ("", ""))


def _branch_id(root_path: str, path: str) -> int | None:
    """The id after ``root_path`` in a materialised path (``/1/5/17/`` under ``/1/``: 5)."""
    head = path.removeprefix(root_path).split("/", 1)[0] if path.startswith(root_path) else ""
    return int(head) if head.isdigit() else None


def _inspections(session: Session, campaign_id: int, path: str) -> list[InspectionLine]:
    rows = session.exec(
        select(Unit.name, InspectionVisit.score, InspectionVisit.problems)
        .join(Unit, col(Unit.id) == InspectionVisit.unit_id)
        .where(InspectionVisit.campaign_id == campaign_id, col(Unit.path).startswith(path))
        .order_by(Unit.depth, Unit.code)
    ).all()
    return [
        InspectionLine(name=name, score=score, problems=problems or 0)
        for name, score, problems in rows
    ]
