"""Adopting a unit's own plan (实施方案) for its subtree (结合实际，分别确定时限), and its history.

A plan (YAML, or the document itself: .docx/.txt) is read into an ``ExtractedPlan``, checked,
resolved against the calendar the unit inherits, and compared with the parent's deadlines: a
deliverable the plan wants later than the parent does is refused unless the office says why
(``allow_late``), and reports then flag the plan (计划时限晚于上级要求). Adopting rewrites
``Deliverable.due_on`` for the unit's subtree (``plan_cascade``) and records where each date
comes from (``due_plan_unit_id``); everything else reads ``due_on`` as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlmodel import Session, col, func, select

from models import Campaign, Deliverable, Phase, Unit
from models.adopted_plan import AdoptedPlan, LateItem
from models.campaign import utcnow
from models.plan import ExtractedPlan, UnplacedSentence
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.campaigns.plan_calendar import (
    PlanDates,
    Window,
    effective_windows,
    late_items,
    resolve_plan,
)
from qinglian.campaigns.plan_cascade import (
    apply_changes,
    nearest_first,
    plan_dates,
    recompute_subtree,
)
from qinglian.campaigns.plan_document import read_plan_text
from qinglian.campaigns.plan_yaml import plan_from_yaml
from qinglian.campaigns.templates import CampaignTemplate, get_template
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.org.units import get_unit_by_code
from qinglian.rules.plan_check import check_plan
from qinglian.rules.plan_text import extract_plan

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class PlanRow:
    """One of the unit's deliverables: the parent's due, the current one, the plan's, the new."""

    kind: str
    title: str
    phase_title: str
    parent_due: date | None
    current_due: date
    plan_due: date | None
    new_due: date
    late: bool


@dataclass(frozen=True)
class PlanChange:
    unit_code: str
    unit_name: str
    title: str
    old_due: date
    new_due: date


@dataclass(frozen=True)
class PlanPhaseRow:
    title: str
    parent: Window
    plan_start: date | None
    plan_end: date | None


@dataclass(frozen=True)
class PlanOutcome:
    """What adopting the plan does (or did): ``version`` is None for a dry run or no change."""

    unit_code: str
    unit_name: str
    parent_name: str | None
    source_name: str
    unchanged: bool
    version: int | None
    phases: list[PlanPhaseRow]
    rows: list[PlanRow]
    late: list[LateItem]
    changes: list[PlanChange]
    unplaced: list[UnplacedSentence]


def read_plan(path: Path, *, template: CampaignTemplate, year: int) -> tuple[ExtractedPlan, str]:
    """The plan a file states (YAML, .docx or .txt) for ``template``, and the file's sha256."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QinglianError(
            f"{path.name}: 无法读取方案文件（{exc.strerror}）",
            f"{path.name}: cannot read the plan file ({exc.strerror})",
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() in YAML_SUFFIXES:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise QinglianError(
                f"{path.name}: YAML 方案须为 UTF-8 编码", f"{path.name}: a YAML plan must be UTF-8"
            ) from exc
        return plan_from_yaml(path.name, text, template=template, year=year), digest
    return extract_plan(read_plan_text(path), template=template, year=year), digest


def adopt_plan(
    *,
    session: Session,
    campaign_id: int,
    unit_code: str,
    plan: ExtractedPlan,
    source_name: str,
    source_sha256: str,
    adopted_by: str,
    allow_late: bool = False,
    late_reason: str = "",
    dry_run: bool = False,
) -> PlanOutcome:
    """Adopt ``plan`` for the unit's subtree (or, ``dry_run``, only say what it would do)."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    template = get_template(campaign.template_key)
    unit = get_unit_by_code(session=session, code=unit_code)
    root = _check_in_campaign(session, campaign, unit)
    if plan.template_key != template.key:
        raise QinglianError(
            f"{source_name}: 方案对应的活动模板是 {plan.template_key}，本专项活动是 {template.key}",
            f"{source_name}: the plan is for template {plan.template_key}, the campaign's is"
            f" {template.key}",
        )
    check_plan(plan)
    assert campaign.id is not None and unit.id is not None
    plans = current_plans(session=session, campaign_id=campaign.id)
    dates = plan_dates(plans)
    parent_chain = [plan for plan in nearest_first(unit, dates) if plan.unit_id != unit.id]
    phases = _phases(session, campaign.id)
    inherited = effective_windows({key: _window(p) for key, p in phases.items()}, parent_chain)
    own = _own_deliverables(session, campaign.id, unit.id)
    anchors = {kind: row.submitted_on or row.due_on for kind, row in own.items()}
    resolved = resolve_plan(plan, inherited=inherited, anchors=anchors)
    for kind in resolved.dues:
        _check_kind(template, kind, source_name)
    parent = session.get(Unit, unit.parent_id) if unit.id != root.id and unit.parent_id else None
    parent_dues = _parent_dues(session, campaign.id, parent)
    late = [
        LateItem(
            kind=kind,
            title=_title(template, kind),
            due_on=resolved.dues[kind],
            parent_due_on=parent_dues[kind],
        )
        for kind in late_items(resolved.dues, parent_dues)
    ]
    current = plans.get(unit.id)
    dues_json = {kind: day.isoformat() for kind, day in resolved.dues.items()}
    phases_json = {
        key: [_iso(window.start_on), _iso(window.end_on)]
        for key, window in resolved.windows.items()
    }
    unchanged = (
        current is not None
        and current.source_sha256 == source_sha256
        and current.dues == dues_json
        and current.phases == phases_json
    )
    if late and not allow_late and not unchanged and not dry_run:
        raise _late_error(late[0], parent, len(late))
    if allow_late and late and not late_reason.strip() and not dry_run:
        raise QinglianError(
            "方案时限晚于上级要求时须说明理由（--reason）",
            "a plan later than the parent's deadlines needs a reason (--reason)",
        )
    dates[unit.id] = PlanDates(
        unit_id=unit.id, depth=unit.depth, dues=resolved.dues, windows=resolved.windows
    )
    changes = [] if unchanged else recompute_subtree(session, campaign, template, unit, root, dates)
    new_dues = {change.kind: change.new_due for change in changes if change.unit.id == unit.id}
    outcome = PlanOutcome(
        unit_code=unit.code,
        unit_name=unit.name,
        parent_name=parent.name if parent else None,
        source_name=source_name,
        unchanged=unchanged,
        version=None,
        phases=[
            PlanPhaseRow(
                title=phases[key].title,
                parent=window,
                plan_start=resolved.windows[key].start_on if key in resolved.windows else None,
                plan_end=resolved.windows[key].end_on if key in resolved.windows else None,
            )
            for key, window in inherited.items()
        ],
        rows=[
            PlanRow(
                kind=kind,
                title=row.title,
                phase_title=_phase_title(phases, row.phase_id),
                parent_due=parent_dues.get(kind),
                current_due=row.due_on,
                plan_due=resolved.dues.get(kind),
                new_due=new_dues.get(kind, row.due_on),
                late=any(item.kind == kind for item in late),
            )
            for kind, row in own.items()
        ],
        late=late,
        changes=[
            PlanChange(
                unit_code=c.unit.code,
                unit_name=c.unit.name,
                title=c.title,
                old_due=c.old_due,
                new_due=c.new_due,
            )
            for c in changes
        ],
        unplaced=list(plan.unplaced),
    )
    if unchanged or dry_run:
        return outcome
    version = _record(
        session, campaign.id, unit.id, current, plan, source_name, source_sha256,
        dues_json, phases_json, allow_late, late_reason.strip(), late, adopted_by,
    )  # fmt: skip
    apply_changes(session, changes)
    return replace(outcome, version=version)


def current_plans(*, session: Session, campaign_id: int) -> dict[int, AdoptedPlan]:
    """Every unit's current plan in the campaign, by unit id."""
    rows = session.exec(
        select(AdoptedPlan).where(
            AdoptedPlan.campaign_id == campaign_id, col(AdoptedPlan.replaced_at).is_(None)
        )
    ).all()
    return {row.unit_id: row for row in rows}


def plan_history(*, session: Session, campaign_id: int, unit_id: int) -> Sequence[AdoptedPlan]:
    return session.exec(
        select(AdoptedPlan)
        .where(AdoptedPlan.campaign_id == campaign_id, AdoptedPlan.unit_id == unit_id)
        .order_by(col(AdoptedPlan.version))
    ).all()


def late_plans(*, session: Session, campaign_id: int, path: str) -> list[tuple[Unit, AdoptedPlan]]:
    """Current plans in the subtree at ``path`` adopted later than the parent required."""
    rows = session.exec(
        select(Unit, AdoptedPlan)
        .join(AdoptedPlan, col(AdoptedPlan.unit_id) == Unit.id)
        .where(
            AdoptedPlan.campaign_id == campaign_id,
            col(AdoptedPlan.replaced_at).is_(None),
            col(Unit.path).startswith(path),
        )
        .order_by(col(Unit.depth), col(Unit.code))
    ).all()
    return [(unit, plan) for unit, plan in rows if plan.late_items]


def _check_in_campaign(session: Session, campaign: Campaign, unit: Unit) -> Unit:
    root = campaign_root(session=session, campaign=campaign)
    if not unit.path.startswith(root.path):
        raise NotFoundError(
            f"单位 {unit.code}（{unit.name}）不在专项活动 {campaign.id} 的范围内，不能为其采用方案",
            f"unit {unit.code} is not part of campaign {campaign.id}: it cannot adopt a plan there",
        )
    return root


def _check_kind(template: CampaignTemplate, kind: str, source_name: str) -> None:
    if not any(item.key == kind for phase in template.phases for item in phase.deliverables):
        raise QinglianError(
            f"{source_name}: 活动模板 {template.key} 没有事项「{kind}」",
            f"{source_name}: template {template.key} has no deliverable {kind!r}",
        )


def _title(template: CampaignTemplate, kind: str) -> str:
    items = (item for phase in template.phases for item in phase.deliverables)
    return next((item.title for item in items if item.key == kind), kind)


def _late_error(item: LateItem, parent: Unit | None, count: int) -> QinglianError:
    parent_name = parent.name if parent else "上级"
    more_zh = f"（共 {count} 项晚于上级）" if count > 1 else ""
    more_en = f" ({count} items are later than the parent's)" if count > 1 else ""
    return QinglianError(
        f"方案中「{item.title}」的时限 {item.due_on} 晚于上级 {parent_name} 的时限"
        f" {item.parent_due_on}{more_zh}；如确需晚于上级，请加 --allow-late 并用 --reason 说明理由",
        f"the plan's deadline for {item.kind} ({item.due_on}) is later than the parent's"
        f" ({parent.code if parent else 'parent'}: {item.parent_due_on}){more_en}; if it must"
        " be, add --allow-late with a --reason",
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _window(phase: Phase) -> Window:
    return Window(phase.starts_on, phase.ends_on)


def _phases(session: Session, campaign_id: int) -> dict[str, Phase]:
    rows = session.exec(
        select(Phase).where(Phase.campaign_id == campaign_id).order_by(col(Phase.seq))
    ).all()
    return {phase.key: phase for phase in rows}


def _phase_title(phases: dict[str, Phase], phase_id: int) -> str:
    return next((phase.title for phase in phases.values() if phase.id == phase_id), "")


def _own_deliverables(session: Session, campaign_id: int, unit_id: int) -> dict[str, Deliverable]:
    rows = session.exec(
        select(Deliverable)
        .where(Deliverable.campaign_id == campaign_id, Deliverable.unit_id == unit_id)
        .order_by(col(Deliverable.phase_id), col(Deliverable.id))
    ).all()
    return {row.kind: row for row in rows}


def _parent_dues(session: Session, campaign_id: int, parent: Unit | None) -> dict[str, date]:
    if parent is None or parent.id is None:
        return {}
    return {
        kind: row.due_on for kind, row in _own_deliverables(session, campaign_id, parent.id).items()
    }


def _record(
    session: Session,
    campaign_id: int,
    unit_id: int,
    current: AdoptedPlan | None,
    plan: ExtractedPlan,
    source_name: str,
    source_sha256: str,
    dues: dict[str, str],
    phases: dict[str, list[str | None]],
    allow_late: bool,
    late_reason: str,
    late: list[LateItem],
    adopted_by: str,
) -> int:
    now = utcnow()
    if current is not None:
        current.replaced_at = now
        session.add(current)
    version = (
        session.exec(
            select(func.coalesce(func.max(AdoptedPlan.version), 0)).where(
                AdoptedPlan.campaign_id == campaign_id, AdoptedPlan.unit_id == unit_id
            )
        ).one()
        + 1
    )
    session.add(
        AdoptedPlan(
            campaign_id=campaign_id,
            unit_id=unit_id,
            version=version,
            source_name=source_name[:255],
            source_sha256=source_sha256,
            plan=plan.model_dump(mode="json"),
            dues=dues,
            phases=phases,
            allow_late=allow_late,
            late_reason=late_reason if late else "",
            late_items=[item.model_dump(mode="json") for item in late] if allow_late else [],
            adopted_by=adopted_by[:100],
            adopted_at=now,
        )
    )
    session.flush()
    return version
