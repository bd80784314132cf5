"""Tasks of a phase pass: open or resume it, compute a part set-based, mark what is done."""

from __future__ import annotations

from datetime import date

from prefect import task
from pydantic import BaseModel

from models.enums import Level
from models.outcome import PhaseContext, UnitOutcome, UnitRef, UnitResult
from qinglian.core.db import session_scope
from qinglian.org.units import get_unit_by_code
from qinglian.reporting.pass_store import (
    finish_pass,
    get_pass,
    is_computed,
    load_part,
    mark_published,
    open_pass,
    root_outcomes,
    store_part,
)
from qinglian.reporting.phase_pass import PassPart, compute_part, split_tree
from tasks.retries import DB_RETRIES


class SubtreePlan(BaseModel):
    root: UnitRef
    units: int
    computed: bool
    published: bool


class PassPlan(BaseModel):
    """A pass as a run starts it: which subtrees are left, and the top above them."""

    pass_id: int
    generation: int
    resumed: bool
    run_depth: Level
    split: Level
    top_levels: list[Level]
    top_units: int
    top_computed: bool
    subtrees: list[SubtreePlan]

    @property
    def total(self) -> int:
        return self.top_units + sum(subtree.units for subtree in self.subtrees)


class PassContext(BaseModel):
    """What a subtree run needs, read from its pass (a run on a worker has nothing else)."""

    pass_id: int
    as_of: date
    run_depth: Level
    phase: PhaseContext
    unit: UnitRef


@task(**DB_RETRIES)
def open_phase_pass(context: PhaseContext, as_of: date, run_depth: Level, split: Level) -> PassPlan:
    """Start the phase's pass on ``as_of``, or resume the one a failed run left."""
    with session_scope() as session:
        state = open_pass(
            session=session,
            campaign_id=context.campaign_id,
            phase_key=context.phase_key,
            as_of=as_of,
            runs_down_to=run_depth.value,
        )
        plan = split_tree(session=session, root_id=context.root.unit_id, level=split)
    root_id = context.root.unit_id
    return PassPlan(
        pass_id=state.pass_id,
        generation=state.generation,
        resumed=state.resumed,
        run_depth=run_depth,
        split=split,
        top_levels=list(plan.top_levels),
        top_units=plan.top_units,
        top_computed=plan.top_units > 0 and root_id in state.computed,
        subtrees=[
            SubtreePlan(
                root=ref,
                units=units,
                computed=ref.unit_id in state.computed,
                published=ref.unit_id in state.published,
            )
            for ref, units in plan.subtrees
        ],
    )


@task(**DB_RETRIES)
def load_pass_context(pass_id: int, unit_code: str, context: PhaseContext) -> PassContext:
    """The pass's day and depth, and the subtree's root, for a subtree run."""
    with session_scope() as session:
        row = get_pass(session=session, pass_id=pass_id)
        unit = get_unit_by_code(session=session, code=unit_code)
        assert unit.id is not None
        return PassContext(
            pass_id=pass_id,
            as_of=row.as_of,
            run_depth=Level(row.runs_down_to),
            phase=context,
            unit=UnitRef(unit_id=unit.id, code=unit.code, name=unit.name, level=unit.level),
        )


@task(**DB_RETRIES)
def compute_subtree(pass_context: PassContext) -> dict[int, UnitResult]:
    """The subtree's results: computed and stored in one transaction, or read if stored."""
    phase = pass_context.phase
    with session_scope() as session:
        root_id = pass_context.unit.unit_id
        if is_computed(session=session, pass_id=pass_context.pass_id, unit_id=root_id):
            return load_part(session=session, pass_id=pass_context.pass_id, root_id=root_id)
        results = compute_part(
            session=session,
            part=PassPart(
                campaign_id=phase.campaign_id,
                phase_id=phase.phase_id,
                activities=phase.activities,
                as_of=pass_context.as_of,
                root_id=root_id,
            ),
        )
        store_part(session=session, pass_id=pass_context.pass_id, root_id=root_id, results=results)
        return results


@task(**DB_RETRIES)
def compute_top(context: PhaseContext, plan: PassPlan, as_of: date) -> dict[int, UnitResult]:
    """The units above the split, rolled up from the stored subtree roots' outcomes."""
    root_id = context.root.unit_id
    with session_scope() as session:
        if is_computed(session=session, pass_id=plan.pass_id, unit_id=root_id):
            return load_part(session=session, pass_id=plan.pass_id, root_id=root_id)
        given = root_outcomes(
            session=session,
            pass_id=plan.pass_id,
            unit_ids=[subtree.root.unit_id for subtree in plan.subtrees],
        )
        results = compute_part(
            session=session,
            part=PassPart(
                campaign_id=context.campaign_id,
                phase_id=context.phase_id,
                activities=context.activities,
                as_of=as_of,
                root_id=root_id,
                levels=plan.top_levels,
                given=given,
            ),
        )
        store_part(session=session, pass_id=plan.pass_id, root_id=root_id, results=results)
        return results


@task(**DB_RETRIES)
def subtree_outcomes(pass_id: int, unit_ids: list[int]) -> dict[int, UnitOutcome]:
    """The stored outcomes of subtrees' roots (whoever computed them)."""
    with session_scope() as session:
        return root_outcomes(session=session, pass_id=pass_id, unit_ids=unit_ids)


@task(**DB_RETRIES)
def load_results(pass_id: int, root_id: int) -> dict[int, UnitResult]:
    """A stored part's results (a unit run whose process did not compute them)."""
    with session_scope() as session:
        return load_part(session=session, pass_id=pass_id, root_id=root_id)


@task(**DB_RETRIES)
def subtree_published(pass_id: int, unit_id: int) -> None:
    with session_scope() as session:
        mark_published(session=session, pass_id=pass_id, unit_id=unit_id)


@task(**DB_RETRIES)
def finish_phase_pass(pass_id: int) -> None:
    with session_scope() as session:
        finish_pass(session=session, pass_id=pass_id)
