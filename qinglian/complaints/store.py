"""Row plumbing the complaint modules share: bulk inserts and updates by id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session

from models.complaint import Complaint
from qinglian.core.sql import chunked


def insert_returning_ids(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]], *, key: str
) -> list[int]:
    """Insert rows by Core executemany; their new ids, in the order of ``rows``.

    ``key`` names a column unique among ``rows``: the returned ids are mapped back through it,
    because an ordered RETURNING (``sort_by_parameter_order``) makes SQLite insert row by row.
    Core on the table, not the ORM bulk path, which runs row by row with RETURNING too.
    """
    table = model.__table__
    statement = insert(table).returning(table.c.id, table.c[key])
    ids: list[int] = []
    for chunk in chunked(rows, 5000):
        returned = dict(
            (value, row_id)
            for row_id, value in session.connection().execute(statement, list(chunk))
        )
        ids.extend(returned[row[key]] for row in chunk)
    return ids


def update_complaints_by_id(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Complaint rows changed by id, many at once; every row names the same columns."""
    if not rows:
        return
    table = Complaint.__table__  # type: ignore[attr-defined]
    columns = [key for key in rows[0] if key != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )
    for chunk in chunked(rows, 5000):
        session.connection().execute(
            statement,
            [
                {"row_id": row["id"], **{f"new_{column}": row[column] for column in columns}}
                for row in chunk
            ],
        )
