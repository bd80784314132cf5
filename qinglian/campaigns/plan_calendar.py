"""The effective calendar of a unit: the template's, cascaded down, unless a plan says otherwise.

Plain functions, values in and out. A unit's deadline for a deliverable comes from the nearest
unit on its chain up to the campaign's root (itself first) whose adopted plan dates that
deliverable: that plan's date on the unit that adopted it, then ``cascade_working_days``
working days earlier per level below it (never before the plan's phase start, when the plan
gives one). With no such plan it is the template's cascade from the root, as at launch.

A plan is resolved once, when adopted, against the calendar it inherits: a phase given only
its end starts the day after the phase before ends; 一周内 or 三个工作日内 after a phase or a
deliverable becomes a date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from models.adopted_plan import PlanWindow
from models.plan import ExtractedDeadline, ExtractedPlan
from qinglian.core.errors import QinglianError
from qinglian.rules.deadlines import cascade_deadline
from qinglian.rules.plan_dates import add_working_days


@dataclass(frozen=True)
class PlanDates:
    """A unit's current plan as the calendar reads it."""

    unit_id: int
    depth: int
    dues: Mapping[str, date]
    windows: Mapping[str, PlanWindow]


@dataclass(frozen=True)
class Window:
    start_on: date
    end_on: date


@dataclass(frozen=True)
class ResolvedPlan:
    dues: dict[str, date]
    windows: dict[str, PlanWindow]


def effective_windows(
    campaign_windows: Mapping[str, Window], chain: Sequence[PlanDates]
) -> dict[str, Window]:
    """Each phase's window for a unit whose chain of plans (nearest first) is ``chain``."""
    result: dict[str, Window] = {}
    for key, window in campaign_windows.items():
        start, end = window.start_on, window.end_on
        for plan in reversed(chain):  # the root's plan first, the nearest last: nearest wins
            own = plan.windows.get(key)
            if own is not None:
                start = own.start_on or start
                end = own.end_on or end
        result[key] = Window(start, end)
    return result


def resolve_plan(
    plan: ExtractedPlan,
    *,
    inherited: Mapping[str, Window],
    anchors: Mapping[str, date],
) -> ResolvedPlan:
    """The dates ``plan`` sets for the unit adopting it.

    ``inherited``: the phases' windows the unit has without this plan, in the template's order.
    ``anchors``: the unit's date for each deliverable today (its submission when recorded, else
    its due), which 动员会后5个工作日内 counts from when the plan does not date the anchor itself.
    """
    windows: dict[str, PlanWindow] = {}
    own = {phase.key: phase for phase in plan.phases}
    previous_end: date | None = None
    for key, window in inherited.items():
        phase = own.get(key)
        if phase is not None and (phase.start_on or phase.end_on):
            start = phase.start_on
            if start is None and previous_end is not None:
                start = previous_end + timedelta(days=1)
            windows[key] = PlanWindow(start_on=start, end_on=phase.end_on)
        chosen = windows.get(key)
        previous_end = (chosen.end_on if chosen else None) or window.end_on
    ends = {
        key: (windows[key].end_on if key in windows else None) or window.end_on
        for key, window in inherited.items()
    }
    dues: dict[str, date] = {}
    for deadline in plan.deadlines:
        if deadline.due_on is not None:
            dues[deadline.deliverable_key] = deadline.due_on
    for deadline in plan.deadlines:
        if deadline.due_on is None and deadline.deliverable_key not in dues:
            dues[deadline.deliverable_key] = _relative_due(deadline, ends, {**anchors, **dues})
    return ResolvedPlan(dues=dues, windows=windows)


def _relative_due(
    deadline: ExtractedDeadline, ends: Mapping[str, date], anchors: Mapping[str, date]
) -> date:
    rule = deadline.relative
    assert rule is not None
    start = (
        ends.get(rule.anchor_key) if rule.anchor == "phase_end" else anchors.get(rule.anchor_key)
    )
    if start is None:
        raise QinglianError(
            f"无法确定任务 {deadline.deliverable_key} 的时限：起算的「{rule.anchor_key}」"
            f"在本专项活动中不存在：{deadline.sentence}",
            f"cannot date deliverable {deadline.deliverable_key}: {rule.anchor_key!r}, which it"
            f" counts from, does not exist in this campaign: {deadline.sentence}",
        )
    if rule.working_days:
        return add_working_days(start, rule.days)
    return start + timedelta(days=rule.days)


def planned_due(
    kind: str,
    *,
    depth: int,
    chain: Sequence[PlanDates],
    phase_key: str,
    phase_start: date,
    days_per_level: int,
) -> tuple[date, int] | None:
    """The due of ``kind`` for a unit at ``depth`` from the nearest plan dating it, and that
    plan's unit; None when no plan on the chain (nearest first) dates it."""
    for plan in chain:
        due = plan.dues.get(kind)
        if due is None:
            continue
        window = plan.windows.get(phase_key)
        not_before = window.start_on if window and window.start_on else phase_start
        levels = depth - plan.depth
        return cascade_deadline(due, levels, days_per_level, not_before=not_before), plan.unit_id
    return None


def template_due(
    root_due: date, *, depth: int, root_depth: int, phase_start: date, days_per_level: int
) -> date:
    """The template's cascade from the campaign root, exactly as at launch."""
    return cascade_deadline(root_due, depth - root_depth, days_per_level, not_before=phase_start)


def late_items(dues: Mapping[str, date], parent_dues: Mapping[str, date]) -> list[str]:
    """The kinds ``dues`` sets later than the parent's due for the same kind, in plan order."""
    return [kind for kind, due in dues.items() if kind in parent_dues and due > parent_dues[kind]]
