"""A subtree of a phase pass (by default a province): computed set-based, then published.

The phase run starts one per subtree: in its own process (``QINGLIAN_SUBTREES=local``) or on
the ``qinglian`` work pool's workers with ``run_deployment`` (``workers``; the deployment
``phase-subtree/phase-subtree``). Either way the run is the subtree root's unit run, with its
units down to the run depth nested under it. A subtree computed by an earlier, interrupted
run of the same pass is read back, not computed again; a lock per subtree makes a second
run of the same subtree wait for the first and then find its results stored.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from prefect import flow
from prefect.runtime import flow_run

from flows.units import has_slots, holding, publish, unit_params
from models.flow_inputs import SubtreeRunInput
from models.outcome import UnitOutcome
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.core import locks
from qinglian.core.db import session_scope
from qinglian.core.errors import QinglianError
from qinglian.org.units import get_unit_by_code
from qinglian.reporting.pass_store import get_pass
from tasks.campaign import load_phase
from tasks.phase_pass import compute_subtree, load_pass_context, subtree_published


def _subtree_run_name() -> str:
    """「查找问题 · 江苏省卫生厅 · JS」: a plain read, made before the run exists."""
    params = flow_run.parameters["params"]
    if isinstance(params, dict):
        params = SubtreeRunInput.model_validate(params)
    try:
        with session_scope() as session:
            row = get_pass(session=session, pass_id=params.pass_id)
            campaign = get_campaign(session=session, campaign_id=row.campaign_id)
            phase = get_phase(session=session, campaign=campaign, key=row.phase_key)
            unit = get_unit_by_code(session=session, code=params.unit_code)
            return f"{phase.title} · {unit.name} · {unit.code}"
    except QinglianError:
        return f"subtree · {params.unit_code}"


def subtree_lock(pass_id: int, unit_code: str) -> AbstractContextManager[None]:
    """Held while a subtree is computed and published: a second run waits, then reads."""
    return locks.hold(f"phase-subtree:{pass_id}:{unit_code}", wait=True)


@flow(name="phase-subtree", flow_run_name=_subtree_run_name)
async def run_subtree(params: SubtreeRunInput) -> UnitOutcome:
    """Compute the subtree's figures (or read them), then publish its runs down to the depth."""
    with session_scope() as session:
        row = get_pass(session=session, pass_id=params.pass_id)
        campaign_id, phase_key = row.campaign_id, row.phase_key
    context = load_phase(campaign_id, phase_key)
    pass_context = load_pass_context(params.pass_id, params.unit_code, context)
    with subtree_lock(params.pass_id, params.unit_code):
        results = compute_subtree(pass_context)
        unit = pass_context.unit
        root = unit_params(
            context, params.pass_id, unit, pass_context.as_of, pass_context.run_depth
        )
        # Started by a phase run in this process, this run holds one of the pass's slots.
        local = has_slots(params.pass_id)
        with holding(params.pass_id, results):
            outcome = await publish(root, results, lend=local)
        subtree_published(params.pass_id, unit.unit_id)
    return outcome
