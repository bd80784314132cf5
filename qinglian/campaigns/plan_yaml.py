"""A unit's plan written as YAML: a template's phases and deliverables, only the ones it changes.

The schema is the template's (``qinglian.campaigns.templates``): a phase has ``key``, ``starts``
and ``ends``, a deliverable ``key`` and ``due`` (or ``after`` another deliverable, N days). A
plan may leave out any phase, deliverable or date, and may repeat the template's other fields
(``title``, ``levels``, ``description``…), which it cannot change and which are ignored. It
becomes an ``ExtractedPlan``, as a plan document does, and is checked the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.plan import (
    DateWindow,
    ExtractedDeadline,
    ExtractedPhase,
    ExtractedPlan,
    RelativeRule,
)
from qinglian.campaigns.templates import KEY_PATTERN, CampaignTemplate, RelativeDue
from qinglian.core.errors import QinglianError


class PlanDeliverable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    title: str | None = None
    due: date | None = None
    after: RelativeDue | None = None
    levels: Any = None
    description: Any = None


class PlanPhase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    title: str | None = None
    starts: date | None = None
    ends: date | None = None
    deliverables: list[PlanDeliverable] = Field(default_factory=list)
    activities: Any = None
    report_deliverable: Any = None


class PlanFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(default=None, description="the template's key, when given")
    title: str | None = None
    basis: Any = None
    source: Any = None
    start: date | None = None
    end: date | None = None
    cascade_working_days: Any = None
    ladder: Any = None
    lagging: Any = None
    phases: list[PlanPhase] = Field(default_factory=list)


def plan_from_yaml(name: str, text: str, *, template: CampaignTemplate, year: int) -> ExtractedPlan:
    """The plan a YAML file states, matched to ``template``; a bad file is one bilingual error."""
    try:
        data = yaml.safe_load(text)
        plan_file = PlanFile.model_validate(data if data is not None else {})
    except yaml.YAMLError as exc:
        raise QinglianError(
            f"{name}: 不是有效的 YAML 方案：{exc}", f"{name}: not a valid YAML plan: {exc}"
        ) from exc
    except ValidationError as exc:
        problem = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise QinglianError(
            f"{name}: YAML 方案的格式不对（{problem}）",
            f"{name}: the YAML plan is malformed ({problem})",
        ) from exc
    if plan_file.key is not None and plan_file.key != template.key:
        raise QinglianError(
            f"{name}: 方案写的是活动模板 {plan_file.key}，而本专项活动用的是 {template.key}",
            f"{name}: the plan is for template {plan_file.key}, the campaign uses {template.key}",
        )
    plan = ExtractedPlan(
        template_key=template.key,
        year=year,
        phase_titles={phase.key: phase.title for phase in template.phases},
    )
    if plan_file.start or plan_file.end:
        plan.window = DateWindow(
            start_on=plan_file.start,
            end_on=plan_file.end,
            sentence=f"{name}: start {plan_file.start or '—'} – end {plan_file.end or '—'}",
        )
    owners = {item.key: phase.key for phase in template.phases for item in phase.deliverables}
    seen: set[str] = set()
    for phase in plan_file.phases:
        if phase.key not in plan.phase_titles:
            raise QinglianError(
                f"{name}: 阶段「{phase.key}」在活动模板 {template.key} 中不存在"
                f"（模板的阶段：{'、'.join(plan.phase_titles)}）",
                f"{name}: phase {phase.key!r} does not exist in template {template.key}"
                f" (its phases: {', '.join(plan.phase_titles)})",
            )
        if phase.key in seen:
            raise QinglianError(
                f"{name}: 阶段「{phase.key}」写了两次",
                f"{name}: phase {phase.key!r} is given twice",
            )
        seen.add(phase.key)
        if phase.starts or phase.ends:
            plan.phases.append(
                ExtractedPhase(
                    key=phase.key,
                    title=phase.title or plan.phase_titles[phase.key],
                    start_on=phase.starts,
                    end_on=phase.ends,
                    sentence=f"{name}: phases.{phase.key}: {phase.starts or '—'} – {phase.ends or '—'}",
                )
            )
        for item in phase.deliverables:
            plan.deadlines.extend(_deadline(name, template, owners, phase.key, item))
    return plan


def _deadline(
    name: str,
    template: CampaignTemplate,
    owners: dict[str, str],
    phase_key: str,
    item: PlanDeliverable,
) -> list[ExtractedDeadline]:
    where = f"{name}: phases.{phase_key}.deliverables.{item.key}"
    owner = owners.get(item.key)
    if owner is None:
        raise QinglianError(
            f"{where}: 活动模板 {template.key} 没有事项「{item.key}」",
            f"{where}: template {template.key} has no deliverable {item.key!r}",
        )
    if owner != phase_key:
        raise QinglianError(
            f"{where}: 事项「{item.key}」属于阶段「{owner}」，不属于「{phase_key}」",
            f"{where}: deliverable {item.key!r} belongs to phase {owner!r}, not {phase_key!r}",
        )
    if item.due is None and item.after is None:
        return []  # repeated from the template without a date of its own
    relative = (
        RelativeRule(anchor="deliverable", anchor_key=item.after.deliverable, days=item.after.days)
        if item.after is not None
        else None
    )
    sentence = f"{where}: due {item.due or '—'}" + (
        f", {item.after.days} days after {item.after.deliverable}" if item.after else ""
    )
    return [
        ExtractedDeadline(
            deliverable_key=item.key,
            phase_key=owner,
            due_on=item.due,
            relative=relative,
            sentence=sentence,
        )
    ]
