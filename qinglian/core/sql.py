"""SQL plumbing shared by every part: chunked ``IN`` lists and inserts that skip duplicates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

T = TypeVar("T")

# SQLite's default limit of bound parameters is 999; stay under it for every ``IN (…)`` list.
CHUNK = 900


def chunked(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``, for ``IN`` lists and batches."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def insert_ignoring_duplicates(
    session: Session, model: type[SQLModel] | Table, index_elements: Sequence[str]
) -> Any:
    """A Core insert that skips a row a concurrent run recorded in the meantime.

    The conflict target is the unique index on ``index_elements``; on a database without
    ``ON CONFLICT`` it is a plain insert.
    """
    table = model if isinstance(model, Table) else model.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
    return insert(table)
