"""Phase passes in the database: started or resumed, subtrees stored once, results read back.

A subtree's results are written in the transaction that computed them (its forms items and
findings included), so a subtree is either wholly computed or not at all; the unique
(pass, unit) keys make a second write of the same subtree fail rather than count it twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from models.campaign import utcnow
from models.outcome import UnitOutcome, UnitResult
from models.phase_pass import PhasePass, PhaseSubtree, PhaseUnitResult
from qinglian.core.errors import NotFoundError


@dataclass(frozen=True)
class PassState:
    pass_id: int
    generation: int
    resumed: bool
    computed: frozenset[int]  # subtree roots (unit ids) whose results are stored
    published: frozenset[int]  # … and whose runs were made


def open_pass(
    *, session: Session, campaign_id: int, phase_key: str, as_of: date, runs_down_to: str
) -> PassState:
    """The pass of a phase on a day: resumed if a run of it did not finish, else started afresh.

    Starting afresh (a first run, or a re-run of a finished pass) forgets the last
    generation's results: what was imported since must be counted.
    """
    row = session.exec(
        select(PhasePass)
        .where(
            PhasePass.campaign_id == campaign_id,
            PhasePass.phase_key == phase_key,
            PhasePass.as_of == as_of,
        )
        .with_for_update()
    ).first()
    resumed = row is not None and not row.finished
    if row is None:
        row = PhasePass(campaign_id=campaign_id, phase_key=phase_key, as_of=as_of)
    elif row.finished:
        _forget(session, row)
        row.generation += 1
        row.finished = False
        row.finished_at = None
        row.started_at = utcnow()
    row.runs_down_to = runs_down_to  # this run's depth: its subtree runs read it here
    session.add(row)
    session.flush()
    assert row.id is not None
    subtrees = session.exec(
        select(PhaseSubtree.unit_id, PhaseSubtree.published_at).where(
            PhaseSubtree.pass_id == row.id
        )
    ).all()
    return PassState(
        pass_id=row.id,
        generation=row.generation,
        resumed=resumed,
        computed=frozenset(unit_id for unit_id, _ in subtrees),
        published=frozenset(unit_id for unit_id, published in subtrees if published),
    )


def _forget(session: Session, row: PhasePass) -> None:
    session.exec(delete(PhaseUnitResult).where(col(PhaseUnitResult.pass_id) == row.id))  # type: ignore[call-overload]
    session.exec(delete(PhaseSubtree).where(col(PhaseSubtree.pass_id) == row.id))  # type: ignore[call-overload]


def get_pass(*, session: Session, pass_id: int) -> PhasePass:
    row = session.get(PhasePass, pass_id)
    if row is None:
        raise NotFoundError(f"没有编号为 {pass_id} 的阶段计算", f"no phase pass {pass_id}")
    return row


def is_computed(*, session: Session, pass_id: int, unit_id: int) -> bool:
    return (
        session.exec(
            select(PhaseSubtree.id).where(
                PhaseSubtree.pass_id == pass_id, PhaseSubtree.unit_id == unit_id
            )
        ).first()
        is not None
    )


def store_part(
    *, session: Session, pass_id: int, root_id: int, results: Mapping[int, UnitResult]
) -> None:
    """One part's results, in the caller's transaction (the one that computed them)."""
    subtree = PhaseSubtree(pass_id=pass_id, unit_id=root_id, units=len(results))
    session.add(subtree)
    session.flush()
    rows = [
        {
            "pass_id": pass_id,
            "subtree_id": subtree.id,
            "unit_id": unit_id,
            "result": result.model_dump(mode="json"),
        }
        for unit_id, result in results.items()
    ]
    if rows:
        session.connection().execute(insert(PhaseUnitResult.__table__), rows)  # type: ignore[attr-defined]


def load_part(*, session: Session, pass_id: int, root_id: int) -> dict[int, UnitResult]:
    """A stored part's results by unit id."""
    subtree_id = session.exec(
        select(PhaseSubtree.id).where(
            PhaseSubtree.pass_id == pass_id, PhaseSubtree.unit_id == root_id
        )
    ).first()
    if subtree_id is None:
        return {}
    return {
        unit_id: UnitResult.model_validate(result)
        for unit_id, result in session.exec(
            select(PhaseUnitResult.unit_id, PhaseUnitResult.result).where(
                PhaseUnitResult.subtree_id == subtree_id
            )
        ).all()
    }


def root_outcomes(
    *, session: Session, pass_id: int, unit_ids: Iterable[int]
) -> dict[int, UnitOutcome]:
    """The stored subtree roots' outcomes: what the top of the tree rolls up from."""
    wanted = list(unit_ids)
    outcomes: dict[int, UnitOutcome] = {}
    for unit_id, result in session.exec(
        select(PhaseUnitResult.unit_id, PhaseUnitResult.result).where(
            PhaseUnitResult.pass_id == pass_id, col(PhaseUnitResult.unit_id).in_(wanted)
        )
    ).all():
        outcomes[unit_id] = UnitResult.model_validate(result).outcome
    return outcomes


def mark_published(*, session: Session, pass_id: int, unit_id: int) -> None:
    session.exec(
        update(PhaseSubtree)  # type: ignore[call-overload]
        .where(col(PhaseSubtree.pass_id) == pass_id, col(PhaseSubtree.unit_id) == unit_id)
        .values(published_at=utcnow())
    )


def finish_pass(*, session: Session, pass_id: int) -> None:
    row = get_pass(session=session, pass_id=pass_id)
    row.finished = True
    row.finished_at = utcnow()
    session.add(row)
