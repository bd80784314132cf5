"""The facts of current declarations, as the detection rules read them: by unit or by cadre.

One loader, two ways of choosing the forms. Detection reads every form of a set of units (or
of the whole campaign); the complaints' cross-check reads only the forms of the cadres a few
complaints are about, so it never loads a whole country's forms. Either way the head of each
form comes with its four sections, every section sorted by (sheet, row).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.form import (
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
)
from models.unit import Unit
from qinglian.core.sql import chunked
from qinglian.rules.detection import (
    FormFacts,
    PostFact,
    RecusalFact,
    RelativeFact,
    RetirementJobFact,
)


@dataclass(frozen=True, slots=True)
class _Section:
    """A section table of the form: its declaration column, the fact's columns, the fact."""

    declaration_id: Any
    columns: tuple[Any, ...]
    fact: type[Any]


_RELATIVES = _Section(
    DeclaredRelative.declaration_id,
    (
        DeclaredRelative.sheet,
        DeclaredRelative.row,
        DeclaredRelative.name,
        DeclaredRelative.relation,
        DeclaredRelative.employer,
        DeclaredRelative.position,
        DeclaredRelative.business_type,
        DeclaredRelative.within_jurisdiction,
    ),
    RelativeFact,
)
_POSTS = _Section(
    DeclaredPost.declaration_id,
    (
        DeclaredPost.sheet,
        DeclaredPost.row,
        DeclaredPost.organisation,
        DeclaredPost.org_type,
        DeclaredPost.post,
        DeclaredPost.is_leadership,
        DeclaredPost.approved,
        DeclaredPost.paid,
    ),
    PostFact,
)
_RETIREMENT_JOBS = _Section(
    DeclaredRetirementJob.declaration_id,
    (
        DeclaredRetirementJob.sheet,
        DeclaredRetirementJob.row,
        DeclaredRetirementJob.employer,
        DeclaredRetirementJob.employer_type,
        DeclaredRetirementJob.within_former_jurisdiction,
        DeclaredRetirementJob.started_on,
    ),
    RetirementJobFact,
)
_RECUSALS = _Section(
    DeclaredRecusal.declaration_id,
    (
        DeclaredRecusal.sheet,
        DeclaredRecusal.row,
        DeclaredRecusal.situation,
        DeclaredRecusal.matter,
        DeclaredRecusal.occurred_on,
        DeclaredRecusal.recused,
    ),
    RecusalFact,
)
_SECTIONS = (_RELATIVES, _POSTS, _RETIREMENT_JOBS, _RECUSALS)

# Campaign and currency lead, so a caller may check them on the rows instead of in SQL.
_HEAD = (
    Declaration.campaign_id,
    Declaration.is_current,
    Declaration.id,
    Declaration.cadre_id,
    Declaration.unit_id,
    Declaration.version,
    Declaration.left_within_3_years,
    Cadre.scope_category,
    Cadre.retired,
    Cadre.left_on,
    Unit.kind,
)

_Grouped = dict[int, tuple[Any, ...]]


def load_form_facts(
    *, session: Session, campaign_id: int, unit_ids: Sequence[int] | None = None
) -> list[FormFacts]:
    """The facts of every current declaration of a campaign (or of the given units' forms)."""
    if unit_ids is None:
        return _by_units(session, campaign_id, None)
    forms: list[FormFacts] = []
    for chunk in chunked(unit_ids):
        forms.extend(_by_units(session, campaign_id, chunk))
    return forms


def current_forms(
    *, session: Session, campaign_id: int, cadre_ids: Sequence[int]
) -> dict[int, FormFacts]:
    """cadre id → the facts of their current declaration, for the given cadres only."""
    forms: dict[int, FormFacts] = {}
    # Core on the connection, as the cross-check always read them: it flushes before, and plain
    # column rows need none of the ORM's result processing (timed: no slower, often faster).
    connection = session.connection()
    for chunk in chunked(cadre_ids):
        # Only the cadre_id index narrows the rows; campaign and currency are checked here, as
        # SQLite's planner would otherwise walk the is_current index (every current form).
        heads = [
            row
            for row in connection.execute(_head_query().where(col(Declaration.cadre_id).in_(chunk)))
            if row[0] == campaign_id and row[1]
        ]
        if not heads:
            continue
        ids = [row[2] for row in heads]
        sections = [
            _grouped(
                connection.execute(_section_query(section).where(section.declaration_id.in_(ids))),
                section.fact,
            )
            for section in _SECTIONS
        ]
        for row in heads:
            forms[row[3]] = _facts(row, sections)
    return forms


def _by_units(
    session: Session, campaign_id: int, unit_ids: Sequence[int] | None
) -> list[FormFacts]:
    """One set-based read per table: the section rows join their declaration for the filter."""
    if unit_ids is not None and not unit_ids:
        return []
    where = [col(Declaration.campaign_id) == campaign_id, col(Declaration.is_current).is_(True)]
    if unit_ids is not None:
        where.append(col(Declaration.unit_id).in_(unit_ids))
    sections = [_current_section(session, section, where) for section in _SECTIONS]
    heads = session.execute(_head_query().where(*where).order_by(Declaration.id))
    return [_facts(row, sections) for row in heads]


def _current_section(
    session: Session, section: _Section, where: list[ColumnElement[bool]]
) -> _Grouped:
    query = _section_query(section).join(Declaration, col(Declaration.id) == section.declaration_id)
    return _grouped(session.execute(query.where(*where)), section.fact)


def _head_query() -> Select[Any]:
    return (
        select(*_HEAD)
        .join(Cadre, col(Cadre.id) == Declaration.cadre_id)
        .join(Unit, col(Unit.id) == Declaration.unit_id)
    )


def _section_query(section: _Section) -> Select[Any]:
    return select(section.declaration_id, *section.columns)


def _grouped(rows: Iterable[Any], fact: type[Any]) -> _Grouped:
    """declaration id → the facts of one section, sorted by (sheet, row)."""
    grouped: defaultdict[int, list[Any]] = defaultdict(list)
    for declaration_id, *values in rows:
        grouped[declaration_id].append(fact(*values))
    return {
        declaration_id: tuple(sorted(facts, key=lambda item: (item.sheet, item.row)))
        for declaration_id, facts in grouped.items()
    }


def _facts(head: Any, sections: Sequence[_Grouped]) -> FormFacts:
    relatives, posts, jobs, recusals = (grouped.get(head[2], ()) for grouped in sections)
    return FormFacts(
        declaration_id=head[2],
        cadre_id=head[3],
        unit_id=head[4],
        version=head[5],
        left_within_3_years=head[6],
        scope_category=head[7],
        retired=head[8],
        left_on=head[9],
        unit_kind=head[10],
        relatives=relatives,
        posts=posts,
        retirement_jobs=jobs,
        recusals=recusals,
    )
