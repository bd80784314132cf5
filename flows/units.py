"""Unit runs: the org tree in the Prefect UI, down to the run depth, publishing a pass's figures.

A unit run computes nothing: its unit's figures were computed set-based with its subtree's
(:mod:`qinglian.reporting.phase_pass`) and are held in this process while the subtree's runs
are made. Each run publishes its table (child runs, then every unit below the run depth as a
row) and, in the find phase, its forms note; then it starts its child runs. Runs are async
(≈0.14 s each, no heartbeat-thread join) and bounded by :class:`RunSlots`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from typing import TypeVar

from prefect import flow
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.context import TagsContext
from prefect.settings import PREFECT_API_URL

from models.enums import Level
from models.outcome import PhaseContext, UnitOutcome, UnitRef, UnitResult, UnitRunInput
from qinglian.core import progress
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from qinglian.reporting.artifacts import artifact_key, run_table_rows, unit_forms_markdown

T = TypeVar("T")

# pass id → unit id → result: the figures of the subtrees this process is publishing.
_held: dict[int, dict[int, UnitResult]] = {}
_slots: dict[int, RunSlots] = {}
# pass id → unit id → outcome: subtree roots whose runs another run makes (rows, not runs).
_elsewhere: dict[int, dict[int, UnitOutcome]] = {}


class RunSlots:
    """At most ``size`` unit runs doing their own work at once, however deep the tree.

    A run holds a slot while it starts and publishes, and lends it back while it waits for
    its children: a parent never blocks its own children, and the API sees at most ``size``
    runs being created or finished at a time (the embedded SQLite API fails beyond ~12).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = asyncio.Semaphore(size)

    async def run(self, work: Awaitable[T]) -> T:
        await self._free.acquire()
        try:
            return await work
        finally:
            self._free.release()

    @asynccontextmanager
    async def lent(self):  # type: ignore[no-untyped-def]
        self._free.release()
        try:
            yield
        finally:
            await self._free.acquire()


def default_concurrency() -> int:
    """The setting, else 4 on the embedded API (SQLite: 503s beyond ~12), 8 on a server."""
    configured = get_settings().unit_concurrency
    if configured:
        return configured
    return 8 if PREFECT_API_URL.value() else 4


def has_slots(pass_id: int) -> bool:
    """Whether a run of this pass in this process made its run slots (a local phase run)."""
    return pass_id in _slots


@contextmanager
def holding(
    pass_id: int,
    results: dict[int, UnitResult],
    elsewhere: dict[int, UnitOutcome] | None = None,
) -> Iterator[RunSlots]:
    """Hold a part's results (and the pass's run slots) in this process while it is published.

    ``elsewhere``: the outcomes of subtrees split off, which the part's units list as rows.
    """
    held = _held.setdefault(pass_id, {})
    held.update(results)
    _elsewhere.setdefault(pass_id, {}).update(elsewhere or {})
    owner = pass_id not in _slots
    slots = _slots.setdefault(pass_id, RunSlots(default_concurrency()))
    try:
        yield slots
    finally:
        for unit_id in results:
            held.pop(unit_id, None)
        if owner:
            _held.pop(pass_id, None)
            _slots.pop(pass_id, None)
            _elsewhere.pop(pass_id, None)


def unit_params(
    context: PhaseContext, pass_id: int, unit: UnitRef, as_of: date, depth: Level
) -> UnitRunInput:
    """A unit run's parameters in a pass: ids and names only (its figures stay in the pass)."""
    return UnitRunInput(
        pass_id=pass_id,
        campaign_id=context.campaign_id,
        phase_id=context.phase_id,
        phase_key=context.phase_key,
        phase_title=context.phase_title,
        activities=context.activities,
        unit=unit,
        as_of=as_of,
        run_depth=depth,
    )


def unit_labels(campaign_id: int, phase_key: str, level: Level, province: str | None) -> set[str]:
    """A unit run's tags: its campaign, phase, level and province (its own, not its parents')."""
    labels = {f"campaign:{campaign_id}", f"phase:{phase_key}", f"level:{level.value}"}
    if province:
        labels.add(f"province:{province}")
    return labels


# The unit code closes the run name: the UI's run graph draws names with a Latin-only font, so
# the code is what stays readable there (「查找问题 · 连云港市妇幼保健院 · JS-LYG-FB」).
@flow(name="unit", flow_run_name="{params.phase_title} · {params.unit.name} · {params.unit.code}")
async def unit_flow(params: UnitRunInput) -> UnitOutcome:
    """One unit: its table (and forms note) from the pass, then its child units' runs."""
    results = _held.get(params.pass_id, {})
    if params.unit.unit_id not in results:
        raise QinglianError(
            f"本进程没有单位 {params.unit.code} 的阶段计算结果（计算 {params.pass_id}）",
            f"this process holds no figures of unit {params.unit.code} (pass {params.pass_id})",
        )
    return await publish(params, results, lend=True)


async def publish(
    params: UnitRunInput,
    results: dict[int, UnitResult],
    *,
    lend: bool,
) -> UnitOutcome:
    """Publish a unit's figures, then run its child units within the run depth.

    Children whose runs another run makes (subtrees split off) are rows of this unit's
    table, not started here. ``lend``: this call holds one of the pass's run slots.
    """
    result = results[params.unit.unit_id]
    elsewhere = {
        child: _elsewhere[params.pass_id][child]
        for child in result.children
        if child not in results and child in _elsewhere.get(params.pass_id, {})
    }
    runs = [
        child
        for child in result.children
        if child in results and results[child].unit.level.rank <= params.run_depth.rank
    ]
    rows = list(_below(result, results, params.run_depth))
    await _publish_artifacts(params, result, runs, rows, results, elsewhere)
    progress.units_done(1 + len(rows))
    if runs:
        slots = _slots[params.pass_id]
        children = [_child_run(slots, params, results[child]) for child in runs]
        if lend:
            async with slots.lent():
                await asyncio.gather(*children)
        else:
            await asyncio.gather(*children)
    return result.outcome


async def _child_run(slots: RunSlots, params: UnitRunInput, child: UnitResult) -> UnitOutcome:
    # The child's tags are set, not added: `tags()` unions with the parent's, and a department
    # would otherwise carry level:province, level:city … from every unit above it.
    labels = unit_labels(params.campaign_id, params.phase_key, child.unit.level, child.province)
    with TagsContext(current_tags=labels):
        return await slots.run(unit_flow(params.model_copy(update={"unit": child.unit})))


def _below(
    result: UnitResult, results: dict[int, UnitResult], depth: Level
) -> Iterator[UnitResult]:
    """Every unit under ``result`` below the run depth, depth first, by code."""
    for child in result.children:
        below = results.get(child)
        if below is not None and below.unit.level.rank > depth.rank:
            yield below
            yield from _below(below, results, depth)


async def _publish_artifacts(
    params: UnitRunInput,
    result: UnitResult,
    runs: list[int],
    rows: list[UnitResult],
    results: dict[int, UnitResult],
    elsewhere: dict[int, UnitOutcome],
) -> None:
    unit = params.unit
    child_outcomes = sorted(
        [results[child].outcome for child in runs] + list(elsewhere.values()),
        key=lambda outcome: outcome.unit.code,
    )
    parents = {
        below.unit.unit_id: results[below.parent_id].unit.name
        for below in rows
        if below.parent_id in results
    }
    what = "下级单位完成情况" if child_outcomes or rows else "本级事项"
    await acreate_table_artifact(
        key=artifact_key(params.campaign_id, params.phase_key, unit.code),
        table=run_table_rows(result, child_outcomes, rows, parents),
        description=f"{params.phase_title} · {unit.name}：{what}",
    )
    forms = [result.forms, *(below.forms for below in rows)]
    if any(item is not None and (item.rate.expected or item.findings) for item in forms):
        # The unit's own office sees who has not filed (its departments' too); levels above
        # see only counts. A unit with no cadres to file and nothing found has no note.
        assert result.forms is not None
        await acreate_markdown_artifact(
            key=artifact_key(params.campaign_id, params.phase_key, f"{unit.code}-forms"),
            markdown=unit_forms_markdown(
                unit.name,
                result.forms,
                params.as_of,
                [(below.unit.name, below.forms) for below in rows if below.forms is not None],
            ),
            description=f"{params.phase_title} · {unit.name}：报告表收集情况（本单位）",
        )
