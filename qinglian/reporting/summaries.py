"""Phase summaries (阶段性总结): figures computed from the data, rolled up the tree, and the
narrative each unit writes and submits upward against its cascaded deadline.

Figures are computed set-based for a whole subtree — a handful of grouped queries, however large
the tree — and stored per unit by each phase run, so re-running a phase refreshes them and never
touches a narrative. A parent's summary is its own figures plus its children's, and names its
lagging children (工作滞后或问题较多, the thresholds of the campaign template).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from models import Campaign, Deliverable, Finding, Phase, RuleReviewItem, Unit
from models.campaign import utcnow
from models.complaint import VerificationCase
from models.enums import RectificationStatus
from models.outbox import OutboxItem, OutboxMessage
from models.rate import ReportingRate
from models.rectification import RectificationItem
from models.summary import NARRATIVE_MAX_CHARS, PhaseSummary, SummaryFigures, UnitSummary
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.core.errors import QinglianError
from qinglian.declarations.completeness import cadre_forms, forms_rate
from qinglian.org.units import get_unit_by_code
from qinglian.oversight.escalation import find_lagging_units
from qinglian.oversight.tracking import UnitProgress, campaign_progress, raise_outside
from qinglian.rectification.items import rectification_status_on
from qinglian.rules.status import deliverable_status

_Counts = dict[int, Counter[str]]
# Zero-width spaces, joiners and BOMs: a narrative of only these is as empty as a blank one.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def summary_deliverable_kind(phase_key: str) -> str:
    """The deliverable a phase summary fulfils: ``<phase>_summary`` (e.g. ``find_summary``)."""
    return f"{phase_key}_summary"


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
        .where(VerificationCase.campaign_id == campaign_id, VerificationCase.opened_on <= as_of)
        .group_by(VerificationCase.managing_unit_id, VerificationCase.outcome)
    ):
        cases[unit_id][outcome.value if outcome else "open"] += count

    rectification: _Counts = defaultdict(Counter)
    overdue: Counter[int] = Counter()
    for unit_id, status, due_on, done_on, verified_on, _found_on in session.exec(
        select(
            RectificationItem.unit_id,
            RectificationItem.status,
            RectificationItem.due_on,
            RectificationItem.done_on,
            RectificationItem.verified_on,
            Finding.found_on,
        )
        .join(Finding, col(Finding.id) == RectificationItem.finding_id)
        .join(Unit, _in_subtree(RectificationItem.unit_id, path))
        .where(RectificationItem.campaign_id == campaign_id, Finding.found_on <= as_of)
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


def record_phase_summaries(
    *, session: Session, campaign_id: int, phase_key: str, as_of: date
) -> UnitSummary:
    """Store every unit's figures for the phase (narratives untouched); idempotent."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    phase = get_phase(session=session, campaign=campaign, key=phase_key)
    tree = compute_summaries(
        session=session, campaign_id=campaign_id, as_of=as_of, phase_key=phase_key
    )
    # Core statements, not one ORM object per unit: a national tree has 50,000 summaries.
    existing = dict(
        session.exec(
            select(PhaseSummary.unit_id, PhaseSummary.id).where(
                PhaseSummary.campaign_id == campaign_id, PhaseSummary.phase_id == phase.id
            )
        ).all()
    )
    now = utcnow()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for node in walk(tree):
        values = {
            "figures": {
                "own": node.own.model_dump(mode="json"),
                "subtree": node.subtree.model_dump(mode="json"),
            },
            "lagging_children": node.lagging_children,
            "computed_as_of": as_of,
            "updated_at": now,
        }
        row_id = existing.get(node.unit_id)
        if row_id is None:
            new.append(
                values
                | {
                    "campaign_id": campaign_id,
                    "phase_id": phase.id,
                    "unit_id": node.unit_id,
                    "narrative": "",
                    "narrative_by": "",
                    "submitted_on": None,
                }
            )
        else:
            changed.append(values | {"id": row_id})
    if new:
        session.execute(insert(PhaseSummary), new)
    if changed:
        session.execute(update(PhaseSummary), changed)  # bulk UPDATE by primary key
    session.commit()
    return tree


class NarrativeReceipt(BaseModel):
    """What submitting a narrative did: when it counts as submitted, against which deadline."""

    unit_code: str
    unit_name: str
    phase_key: str
    phase_title: str
    submitted_on: date
    due_on: date | None
    status: str  # 按时 / 逾期提交 / 无截止日期
    replaced: bool


def check_narrative(text: str) -> str:
    """The narrative as stored; an empty or oversized one is refused with its size."""
    body = _INVISIBLE.sub("", text.replace("\r\n", "\n")).strip()
    if not body:
        raise QinglianError(
            "阶段性总结内容为空，未保存", "the phase summary narrative is empty; nothing saved"
        )
    if len(body) > NARRATIVE_MAX_CHARS:
        raise QinglianError(
            f"阶段性总结过长（{len(body)} 个字符，最多 {NARRATIVE_MAX_CHARS} 个），未保存；"
            "请精简，附件材料另行报送",
            f"the narrative is too long ({len(body)} characters, at most {NARRATIVE_MAX_CHARS});"
            " nothing saved",
        )
    return body


def submit_narrative(
    *,
    session: Session,
    campaign_id: int,
    phase_key: str,
    unit_code: str,
    text: str,
    submitted_on: date,
    submitted_by: str = "",
    today: date | None = None,
    commit: bool = True,
) -> NarrativeReceipt:
    """A unit's phase-summary narrative, submitted upward: it fulfils ``<phase>_summary``.

    Re-submitting replaces the text; the deliverable keeps its first submission date.
    ``today`` (when given) refuses a submission dated in the future.
    """
    body = check_narrative(text)
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    phase = get_phase(session=session, campaign=campaign, key=phase_key)
    unit = get_unit_by_code(session=session, code=unit_code)
    _check_in_campaign(session, campaign, unit)
    if today is not None and submitted_on > today:
        raise QinglianError(
            f"提交日期 {submitted_on} 晚于今天（{today}）",
            f"submitted on {submitted_on}, after today ({today})",
        )
    if submitted_on < phase.starts_on:
        raise QinglianError(
            f"提交日期 {submitted_on} 早于{phase.title}阶段开始（{phase.starts_on}）",
            f"submitted on {submitted_on}, before phase {phase.key} starts ({phase.starts_on})",
        )
    row = session.exec(
        select(PhaseSummary).where(
            PhaseSummary.campaign_id == campaign_id,
            PhaseSummary.phase_id == phase.id,
            PhaseSummary.unit_id == unit.id,
        )
    ).first()
    replaced = row is not None and bool(row.narrative)
    if row is None:
        row = PhaseSummary(campaign_id=campaign_id, phase_id=phase.id or 0, unit_id=unit.id or 0)
    row.narrative = body
    row.narrative_by = submitted_by[:100]
    row.submitted_on = row.submitted_on or submitted_on
    session.add(row)
    deliverable = session.exec(
        select(Deliverable).where(
            Deliverable.campaign_id == campaign_id,
            Deliverable.unit_id == unit.id,
            Deliverable.kind == summary_deliverable_kind(phase.key),
        )
    ).first()
    if deliverable is not None and deliverable.submitted_on is None:
        deliverable.submitted_on = submitted_on
        session.add(deliverable)
    if commit:
        session.commit()
    first = row.submitted_on
    status = (
        deliverable_status(deliverable.due_on, first, first).label
        if deliverable is not None
        else "无截止日期"
    )
    return NarrativeReceipt(
        unit_code=unit.code,
        unit_name=unit.name,
        phase_key=phase.key,
        phase_title=phase.title,
        submitted_on=first,
        due_on=deliverable.due_on if deliverable else None,
        status=status,
        replaced=replaced,
    )


def _check_in_campaign(session: Session, campaign: Campaign, unit: Unit) -> None:
    root = session.get(Unit, campaign.root_unit_id)
    if root is None or not unit.path.startswith(root.path):
        raise_outside(unit, campaign.id)


class StoredSummary(BaseModel):
    """A unit's stored phase summary, as `summary show` prints it."""

    phase_key: str
    phase_title: str
    computed_as_of: date | None
    own: SummaryFigures
    subtree: SummaryFigures
    lagging_children: list[str]
    narrative: str
    narrative_by: str
    submitted_on: date | None


def stored_summaries(*, session: Session, campaign_id: int, unit_code: str) -> list[StoredSummary]:
    """Every phase's stored summary for one unit, in phase order."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    unit = get_unit_by_code(session=session, code=unit_code)
    _check_in_campaign(session, campaign, unit)
    rows = session.exec(
        select(PhaseSummary, Phase)
        .join(Phase, col(Phase.id) == PhaseSummary.phase_id)
        .where(PhaseSummary.campaign_id == campaign_id, PhaseSummary.unit_id == unit.id)
        .order_by(Phase.seq)
    ).all()
    return [
        StoredSummary(
            phase_key=phase.key,
            phase_title=phase.title,
            computed_as_of=row.computed_as_of,
            own=SummaryFigures.model_validate(row.figures.get("own", {})),
            subtree=SummaryFigures.model_validate(row.figures.get("subtree", {})),
            lagging_children=list(row.lagging_children),
            narrative=row.narrative,
            narrative_by=row.narrative_by,
            submitted_on=row.submitted_on,
        )
        for row, phase in rows
    ]


def narratives_of(
    *, session: Session, campaign_id: int, unit_id: int
) -> list[tuple[Phase, PhaseSummary]]:
    """The unit's submitted narratives with their phases, in phase order."""
    return list(
        session.exec(
            select(Phase, PhaseSummary)
            .join(PhaseSummary, col(PhaseSummary.phase_id) == Phase.id)
            .where(
                PhaseSummary.campaign_id == campaign_id,
                PhaseSummary.unit_id == unit_id,
                PhaseSummary.narrative != "",
            )
            .order_by(Phase.seq)
        ).all()
    )
