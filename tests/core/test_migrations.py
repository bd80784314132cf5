"""The Alembic migrations build exactly the schema the SQLModel tables describe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from alembic import command
from qinglian.core import db, migrations
from qinglian.core.settings import get_settings
from tests.databases import DATABASES
from tests.factories import Qinglian, qinglian_cli


@pytest.fixture(params=DATABASES)
def cli(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Qinglian]:
    """An empty database: nothing migrated yet, on SQLite or PostgreSQL."""
    with qinglian_cli(request.param, tmp_path, monkeypatch, upgrade=False) as harness:
        yield harness


def _head() -> str:
    config = migrations.alembic_config(get_settings().effective_database_url)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables → columns (name, nullability), indexes and unique constraints, as the DB has them."""
    inspector = inspect(engine)
    return {
        table: {
            "columns": {c["name"]: c["nullable"] for c in inspector.get_columns(table)},
            "indexes": sorted(
                (i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        }
        for table in inspector.get_table_names()
    }


def test_head_creates_exactly_the_models_tables_and_columns(cli: Qinglian) -> None:
    result = cli.ok("db", "upgrade")
    assert _head() in result.stdout
    engine = db.get_engine()
    schema = _schema(engine)

    assert set(schema) == set(SQLModel.metadata.tables) | {"alembic_version"}
    for name, table in SQLModel.metadata.tables.items():
        assert schema[name]["columns"] == {c.name: c.nullable for c in table.columns}, name
        assert schema[name]["foreign_keys"] == sorted(
            ((fk.parent.name,), fk.column.table.name) for fk in table.foreign_keys
        ), name
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        assert context.get_current_revision() == _head()


def test_upgrade_twice_is_a_no_op(cli: Qinglian) -> None:
    first = cli.ok("db", "upgrade")
    schema = _schema(db.get_engine())
    again = cli.ok("db", "upgrade")
    assert again.stdout == first.stdout
    assert _schema(db.get_engine()) == schema
    assert migrations.current_revision(db.get_engine()) == _head()


def test_downgrade_to_base_and_back(cli: Qinglian) -> None:
    cli.ok("db", "upgrade")
    schema = _schema(db.get_engine())
    config = migrations.alembic_config(get_settings().effective_database_url)
    with db.get_engine().begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(db.get_engine()).get_table_names()) <= {"alembic_version"}
    cli.ok("db", "upgrade")
    assert _schema(db.get_engine()) == schema


def test_the_fast_head_read_off_file_names_is_alembics_head() -> None:
    """``db.latest_revision`` spares every command Alembic; it must name Alembic's own head."""
    assert db.latest_revision() == _head()


def test_ensure_schema_migrates_a_new_embedded_database_and_then_only_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGLIAN_HOME", str(tmp_path))
    monkeypatch.delenv("QINGLIAN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    engine = db.get_engine()
    assert db.stored_revision(engine) is None
    db.ensure_schema()
    assert db.stored_revision(engine) == _head()
    calls: list[object] = []
    monkeypatch.setattr(migrations, "upgrade", lambda *args: calls.append(args))
    db.ensure_schema()
    assert calls == []
    get_settings.cache_clear()
