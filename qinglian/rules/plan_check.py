"""Is an extracted plan one a unit can adopt? Refused with a bilingual message naming the sentence.

Refused: a plan with no usable date at all, a phase the template does not have, a window that
ends before it starts, phases whose dates run against the template's order, a phase outside the
plan's own window, a deadline before its phase starts, and two different dates for one thing.
"""

from __future__ import annotations

import itertools
from datetime import date

from models.plan import ExtractedPhase, ExtractedPlan
from qinglian.core.errors import QinglianError


def check_plan(plan: ExtractedPlan) -> None:
    """Raise ``QinglianError`` for the first thing that makes ``plan`` unusable."""
    _known_phases(plan)
    _has_dates(plan)
    _forward(plan)
    _in_order(plan)
    _inside_window(plan)
    _deadlines(plan)


def _has_dates(plan: ExtractedPlan) -> None:
    dated = (
        (plan.window is not None)
        or any(p.start_on or p.end_on for p in plan.phases)
        or bool(plan.deadlines)
    )
    if dated:
        return
    unplaced = len(plan.unplaced)
    raise QinglianError(
        "方案中没有找到可用的日期（阶段起止时间或上报时限）"
        + (f"；有 {unplaced} 句含日期但无法对应，请检查" if unplaced else ""),
        "no usable date found in the plan (phase windows or deadlines)"
        + (f"; {unplaced} sentence(s) with a date could not be placed" if unplaced else ""),
    )


def _known_phases(plan: ExtractedPlan) -> None:
    if not plan.unknown_phases:
        return
    unknown = plan.unknown_phases[0]
    choices = "、".join(plan.phase_titles.values())
    raise QinglianError(
        f"方案中的阶段「{unknown.title}」在活动模板 {plan.template_key} 中不存在"
        f"（模板的阶段：{choices}）：{unknown.sentence}",
        f"the plan names a phase {unknown.title!r} that template {plan.template_key} does not"
        f" have (its phases: {', '.join(plan.phase_titles)}): {unknown.sentence}",
    )


def _forward(plan: ExtractedPlan) -> None:
    window = plan.window
    if window and window.start_on and window.end_on and window.end_on < window.start_on:
        raise _backwards("方案的起止时间", "the plan's window", window.sentence)
    for phase in plan.phases:
        if phase.start_on and phase.end_on and phase.end_on < phase.start_on:
            title = plan.phase_titles.get(phase.key, phase.title)
            raise _backwards(f"阶段「{title}」", f"phase {phase.key}", phase.sentence)


def _in_order(plan: ExtractedPlan) -> None:
    order = list(plan.phase_titles)
    seen: dict[str, ExtractedPhase] = {}
    for phase in plan.phases:
        if phase.key in seen:
            raise QinglianError(
                f"阶段「{plan.phase_titles.get(phase.key, phase.title)}」给出了两个不同的起止时间："
                f"{seen[phase.key].sentence}；{phase.sentence}",
                f"phase {phase.key} is given two different windows:"
                f" {seen[phase.key].sentence}; {phase.sentence}",
            )
        seen[phase.key] = phase
    ranked = sorted(plan.phases, key=lambda p: order.index(p.key) if p.key in order else 0)
    for earlier, later in itertools.pairwise(ranked):
        if _before(later.start_on, earlier.start_on) or _before(later.end_on, earlier.end_on):
            raise QinglianError(
                f"阶段的先后顺序与日期不符：「{plan.phase_titles.get(later.key, later.title)}」"
                f"早于「{plan.phase_titles.get(earlier.key, earlier.title)}」：{later.sentence}",
                f"the phases' dates run against their order: {later.key} comes before"
                f" {earlier.key}: {later.sentence}",
            )


def _inside_window(plan: ExtractedPlan) -> None:
    window = plan.window
    if window is None:
        return
    for phase in plan.phases:
        if _before(phase.start_on, window.start_on) or _before(window.end_on, phase.end_on):
            title = plan.phase_titles.get(phase.key, phase.title)
            raise QinglianError(
                f"阶段「{title}」超出了方案的起止时间（{window.sentence}）：{phase.sentence}",
                f"phase {phase.key} lies outside the plan's window ({window.sentence}):"
                f" {phase.sentence}",
            )


def _deadlines(plan: ExtractedPlan) -> None:
    starts = {phase.key: phase.start_on for phase in plan.phases}
    due: dict[str, tuple[date, str]] = {}
    for deadline in plan.deadlines:
        if deadline.due_on is None:
            continue
        if _before(deadline.due_on, starts.get(deadline.phase_key)):
            raise _backwards(
                f"任务 {deadline.deliverable_key} 的时限早于其阶段开始",
                f"deliverable {deadline.deliverable_key} is due before its phase starts;",
                deadline.sentence,
            )
        earlier = due.setdefault(deadline.deliverable_key, (deadline.due_on, deadline.sentence))
        if earlier[0] != deadline.due_on:
            raise QinglianError(
                f"任务 {deadline.deliverable_key} 有两个不同的时限：{earlier[1]}；{deadline.sentence}",
                f"deliverable {deadline.deliverable_key} has two different deadlines:"
                f" {earlier[1]}; {deadline.sentence}",
            )


def _before(day: date | None, other: date | None) -> bool:
    return day is not None and other is not None and day < other


def _backwards(zh_what: str, en_what: str, sentence: str) -> QinglianError:
    return QinglianError(
        f"{zh_what}：日期前后颠倒（结束早于开始）：{sentence}",
        f"{en_what}: the dates run backwards (it ends before it starts): {sentence}",
    )
