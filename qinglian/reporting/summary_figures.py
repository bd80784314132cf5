"""Phase summaries' figures (阶段性总结), computed from the data and rolled up the tree.

Figures are computed set-based for a whole subtree — a handful of grouped queries, however large
the tree. A parent's summary is its own figures plus its children's, and names its lagging
children (工作滞后或问题较多, the thresholds of the campaign template).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Campaign, Finding, RuleReviewItem, Unit
from models.complaint import VerificationCase
from models.enums import CaseStatus, RectificationStatus
from models.outbox import OutboxItem, OutboxMessage
from models.rate import ReportingRate
from models.rectification import RectificationItem
from models.summary import SummaryFigures, UnitSummary
from qinglian.campaigns.lookup import get_campaign
from qinglian.declarations.completeness import cadre_forms, forms_rate
from qinglian.oversight.lagging import find_lagging_units
from qinglian.oversight.tracking import UnitProgress, campaign_progress
from qinglian.rectification.rollup import items_found_by
from qinglian.rectification.status import rectification_status_on

_Counts = dict[int, Counter[str]]


def compute_summaries(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    phase_key: str | None = None,
    unit_code: str | None = None,
    lagging: set[int] | None = None,
) -> UnitSummary:
    """The summary tree of a unit's subtree (the campaign root's by default) on ``as_of``.

    ``lagging`` are the campaign's lagging unit ids when the caller has them already.

    Deliverables count the phase's when ``phase_key`` is given (the whole campaign's otherwise);
    findings, cases, rectification, rules and escalations are the campaign's state on ``as_of``.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    progress = campaign_progress(
        session=session,
        campaign_id=campaign_id,
        as_of=as_of,
        unit_code=unit_code,
        phase_key=phase_key,
    )
    root = session.get(Unit, progress.unit_id)
    assert root is not None and campaign.id is not None
    counts = _unit_counts(session, campaign.id, root.path, as_of)
    # campaign_progress carries the forms when the phase collects them (or for the whole
    # campaign); only the other phases' summaries read them separately.
    forms = {} if progress.forms_own is not None else _forms_own(session, campaign, root, as_of)
    if lagging is None:
        lagging = {
            unit.unit_id
            for unit in find_lagging_units(session=session, campaign_id=campaign.id, as_of=as_of)
        }
    return _build(progress, counts, forms, lagging)


def _forms_own(
    session: Session, campaign: Campaign, root: Unit, as_of: date
) -> dict[int, ReportingRate]:
    """Declarations per unit, for every phase summary: the forms are the campaign's backbone."""
    forms = cadre_forms(session=session, campaign=campaign, root=root, as_of=as_of)
    return {unit_id: forms_rate(unit_forms) for unit_id, unit_forms in forms.items()}


class _PerUnit(BaseModel):
    findings_by_category: dict[int, dict[str, int]] = {}
    findings_by_source: dict[int, dict[str, int]] = {}
    cases: dict[int, dict[str, int]] = {}
    rectification: dict[int, dict[str, int]] = {}
    overdue: dict[int, int] = {}
    rules: dict[int, dict[str, int]] = {}
    escalations: dict[int, int] = {}


def _in_subtree(column: object, path: str):
    return col(Unit.path).startswith(path) & (col(Unit.id) == column)


def _unit_counts(session: Session, campaign_id: int, path: str, as_of: date) -> _PerUnit:
    by_category: _Counts = defaultdict(Counter)
    by_source: _Counts = defaultdict(Counter)
    for unit_id, category, source, count in session.exec(
        select(Finding.unit_id, Finding.category, Finding.source, func.count())
        .join(Unit, _in_subtree(Finding.unit_id, path))
        .where(Finding.campaign_id == campaign_id, Finding.found_on <= as_of)
        .group_by(Finding.unit_id, Finding.category, Finding.source)
    ):
        by_category[unit_id][category.value] += count
        by_source[unit_id][source.value] += count

    cases: _Counts = defaultdict(Counter)
    for unit_id, outcome, count in session.exec(
        select(VerificationCase.managing_unit_id, VerificationCase.outcome, func.count())
        .join(Unit, _in_subtree(VerificationCase.managing_unit_id, path))
        .where(
            VerificationCase.campaign_id == campaign_id,
            VerificationCase.opened_on <= as_of,
            # A merged case has no outcome of its own: the case it joined counts the matter.
            VerificationCase.status != CaseStatus.merged,
        )
        .group_by(VerificationCase.managing_unit_id, VerificationCase.outcome)
    ):
        cases[unit_id][outcome.value if outcome else "open"] += count

    rectification: _Counts = defaultdict(Counter)
    overdue: Counter[int] = Counter()
    for unit_id, status, due_on, done_on, verified_on in session.exec(
        items_found_by(campaign_id, as_of).join(Unit, _in_subtree(RectificationItem.unit_id, path))
    ):
        state = rectification_status_on(status, done_on, verified_on, as_of)
        rectification[unit_id][state.value] += 1
        if state in (RectificationStatus.planned, RectificationStatus.in_progress) and (
            due_on < as_of
        ):
            overdue[unit_id] += 1

    rules: _Counts = defaultdict(Counter)
    for unit_id, decision, count in session.exec(
        select(RuleReviewItem.unit_id, RuleReviewItem.decision, func.count())
        .join(Unit, _in_subtree(RuleReviewItem.unit_id, path))
        .where(RuleReviewItem.campaign_id == campaign_id)
        .group_by(RuleReviewItem.unit_id, RuleReviewItem.decision)
    ):
        rules[unit_id][decision.value if decision else "undecided"] += count

    escalations: Counter[int] = Counter()
    for unit_id, count in session.exec(
        select(OutboxItem.unit_id, func.count(func.distinct(OutboxItem.item_key + OutboxItem.step)))
        .join(OutboxMessage, col(OutboxMessage.id) == OutboxItem.message_id)
        .join(Unit, _in_subtree(OutboxItem.unit_id, path))
        .where(OutboxItem.campaign_id == campaign_id, OutboxMessage.sweep_on <= as_of)
        .group_by(OutboxItem.unit_id)
    ):
        escalations[unit_id] = count

    return _PerUnit(
        findings_by_category={k: dict(v) for k, v in by_category.items()},
        findings_by_source={k: dict(v) for k, v in by_source.items()},
        cases={k: dict(v) for k, v in cases.items()},
        rectification={k: dict(v) for k, v in rectification.items()},
        overdue=dict(overdue),
        rules={k: dict(v) for k, v in rules.items()},
        escalations=dict(escalations),
    )


def _build(
    node: UnitProgress,
    counts: _PerUnit,
    forms: dict[int, ReportingRate],
    lagging: set[int],
) -> UnitSummary:
    children = [_build(child, counts, forms, lagging) for child in node.children]
    unit_id = node.unit_id
    own = SummaryFigures(
        deliverables=node.own,
        forms=forms.get(unit_id) or node.forms_own or ReportingRate(),
        findings_by_category=counts.findings_by_category.get(unit_id, {}),
        findings_by_source=counts.findings_by_source.get(unit_id, {}),
        cases_by_outcome=counts.cases.get(unit_id, {}),
        rectification_by_status=counts.rectification.get(unit_id, {}),
        rectification_overdue=counts.overdue.get(unit_id, 0),
        rules_by_decision=counts.rules.get(unit_id, {}),
        escalations=counts.escalations.get(unit_id, 0),
    )
    return UnitSummary(
        unit_id=unit_id,
        code=node.code,
        name=node.name,
        level=node.level,
        own=own,
        subtree=own + SummaryFigures.total(child.subtree for child in children),
        lagging=unit_id in lagging,
        lagging_children=[child.name for child in children if _lags(child)],
        children=children,
    )


def _lags(summary: UnitSummary) -> bool:
    """A child lags when it, or anything below it, is a lagging unit."""
    return summary.lagging or bool(summary.lagging_children)


def walk(summary: UnitSummary) -> Iterable[UnitSummary]:
    """The summary and every one below it, parents first."""
    yield summary
    for child in summary.children:
        yield from walk(child)
