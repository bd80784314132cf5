"""Every row of every table, normalised so that two runs that reached the same state compare equal.

What differs between two correct runs, and how it is normalised:

- **Timestamps** (every ``DateTime`` column: ``created_at``, ``sent_at``, ``next_attempt_at``,
  ``recorded_at`` …) are the wall clock: only whether one is set is kept.
- **Delivery bookkeeping**: ``attempts`` counts the sends a kill interrupted, and a claim's
  owner (any column whose name says owner, claim, lease, pid, host or lock) names the process:
  only whether a row was attempted / claimed is kept.
- **Surrogate ids.** PostgreSQL spends a sequence value on a row a killed transaction never
  committed, so a re-run's rows may have other ids than the reference's. Every single-column
  integer primary key becomes its rank in the table (1, 2, 3 … in id order), and every foreign
  key becomes the rank of the row it points to. Rows are then compared as sorted lists.

The columns are the database's own (reflected), so a column a migration adds that a model does
not know yet is compared too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, create_engine, select
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables)

VOLATILE_NAME = re.compile(r"owner|claim|lease|(^|_)pid($|_)|host|lock")
COUNTERS = frozenset({"attempts", "generation"})

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Dump:
    """Normalised rows per table, each list sorted."""

    tables: Mapping[str, Sequence[Row]]
    columns: Mapping[str, Sequence[str]]

    def rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def differences(self, reference: Dump, shown: int = 2) -> list[str]:
        """One line per table that differs from ``reference``: how, with a few rows of each."""
        lines = []
        for name in sorted(set(self.tables) | set(reference.tables)):
            mine, theirs = list(self.tables.get(name, ())), list(reference.tables.get(name, ()))
            if mine == theirs:
                continue
            extra, missing = _minus(mine, theirs), _minus(theirs, mine)
            columns = ",".join(self.columns.get(name) or reference.columns.get(name) or ())
            lines.append(
                f"{name} ({columns}): {len(mine)} rows vs {len(theirs)} in the reference; "
                f"only here {extra[:shown]}{'…' if len(extra) > shown else ''}; "
                f"only in the reference {missing[:shown]}{'…' if len(missing) > shown else ''}"
            )
        return lines


def table_names() -> list[str]:
    return sorted(SQLModel.metadata.tables)


class Dumper:
    """Dumps one database again and again: its tables are reflected once."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, poolclass=NullPool)
        metadata = MetaData()
        with self.engine.connect() as connection:
            self.tables = {
                name: Table(name, metadata, autoload_with=connection) for name in table_names()
            }

    def __call__(self) -> Dump:
        with self.engine.connect() as connection:
            raw = {
                name: [tuple(row) for row in connection.execute(select(table))]
                for name, table in self.tables.items()
            }
        ranks = {name: _ranks(table, raw[name]) for name, table in self.tables.items()}
        normalised: dict[str, list[Row]] = {}
        for name, table in self.tables.items():
            shapers = [_shaper(column, ranks) for column in table.columns]
            rows = [
                tuple(shape(value) for shape, value in zip(shapers, row, strict=True))
                for row in raw[name]
            ]
            normalised[name] = sorted(rows, key=_sort_key)
        columns = {name: [c.name for c in table.columns] for name, table in self.tables.items()}
        return Dump(tables=normalised, columns=columns)

    def close(self) -> None:
        self.engine.dispose()


def dump_database(url: str) -> Dump:
    """Every table of ``SQLModel.metadata`` in the database at ``url``, normalised."""
    dumper = Dumper(url)
    try:
        return dumper()
    finally:
        dumper.close()


def volatile_columns() -> list[str]:
    """The columns of the models whose values are normalised (for the harness's report)."""
    found = []
    for name, table in sorted(SQLModel.metadata.tables.items()):
        for column in table.columns:
            if _is_time(column) or _is_bookkeeping(column.name):
                found.append(f"{name}.{column.name}")
    return found


def _ranks(table: Table, rows: list[Row]) -> dict[Any, int] | None:
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer):
        return None
    index = list(table.columns).index(keys[0])
    ids = sorted(row[index] for row in rows)
    return {value: rank for rank, value in enumerate(ids, start=1)}


def _shaper(column: Column[Any], ranks: Mapping[str, dict[Any, int] | None]) -> Any:
    if _is_time(column) or _is_bookkeeping(column.name):
        return lambda value: value is not None and value != 0
    if column.primary_key and ranks.get(column.table.name) is not None:
        mapping = ranks[column.table.name]
        return lambda value: ("#", mapping.get(value)) if mapping else value
    for key in column.foreign_keys:
        mapping = ranks.get(key.column.table.name)
        if mapping is not None:
            return lambda value, mapping=mapping: (
                None if value is None else ("#", mapping.get(value, f"dangling {value}"))
            )
    return _plain


def _is_time(column: Column[Any]) -> bool:
    return isinstance(column.type, DateTime)


def _is_bookkeeping(name: str) -> bool:
    return name in COUNTERS or bool(VOLATILE_NAME.search(name))


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in "[{":
        try:  # SQLite hands JSON columns back as text
            return json.dumps(json.loads(value), sort_keys=True, ensure_ascii=False)
        except ValueError:
            return value
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _sort_key(row: Row) -> tuple[str, ...]:
    return tuple(repr(value) for value in row)


def _minus(rows: list[Row], others: list[Row]) -> list[Row]:
    remaining = list(others)
    only = []
    for row in rows:
        if row in remaining:
            remaining.remove(row)
        else:
            only.append(row)
    return only
