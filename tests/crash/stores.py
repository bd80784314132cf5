"""Where a trial's database lives: a SQLite file under its ``QINGLIAN_HOME`` (the embedded
default), or a PostgreSQL database of its own made from a template.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from qinglian.core import db, migrations
from qinglian.core.settings import Settings


class Store(Protocol):
    kind: str

    def settings(self, name: str) -> Settings: ...

    def url(self, name: str) -> str: ...

    def env(self, name: str) -> dict[str, str]: ...

    def create(self, name: str) -> None: ...

    def copy(self, source: str, name: str) -> None: ...

    def release(self, name: str) -> None: ...

    def drop(self, name: str) -> None: ...

    def drop_all(self) -> None: ...


class SqliteStore:
    """``<root>/<name>/qinglian.db``, found by the command through ``QINGLIAN_HOME`` alone."""

    kind = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root

    def home(self, name: str) -> Path:
        return self.root / name

    def settings(self, name: str) -> Settings:
        return Settings(home=self.home(name), database_url=None)

    def url(self, name: str) -> str:
        return self.settings(name).effective_database_url

    def env(self, name: str) -> dict[str, str]:
        return {"QINGLIAN_HOME": str(self.home(name))}

    def create(self, name: str) -> None:
        db.ensure_schema(self.settings(name))  # the embedded default migrates itself
        self.release(name)

    def copy(self, source: str, name: str) -> None:
        """SQLite's online backup: a consistent copy, whatever the WAL holds."""
        self.home(name).mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(self.settings(source).sqlite_path)
        dst = sqlite3.connect(self.settings(name).sqlite_path)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()

    def release(self, name: str) -> None:
        """Close this process's connections to the database (the harness's own builders')."""
        db.engine_for(self.url(name)).dispose()

    def drop(self, name: str) -> None:
        self.release(name)
        shutil.rmtree(self.home(name), ignore_errors=True)

    def drop_all(self) -> None:
        pass  # the files go with the harness's folder


class PostgresStore:
    """``<database>_crash<pid>_<name>`` on the server of ``url``; copies use it as a TEMPLATE."""

    kind = "postgresql"

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self._url = make_url(url)
        self._prefix = f"{self._url.database}_crash{os.getpid()}"
        self._made: list[str] = []

    def database(self, name: str) -> str:
        return f"{self._prefix}_{re.sub(r'[^a-z0-9]', '_', name.lower())}"

    def settings(self, name: str) -> Settings:
        return Settings(home=self.root / name, database_url=self.url(name))

    def url(self, name: str) -> str:
        return self._url.set(database=self.database(name)).render_as_string(hide_password=False)

    def env(self, name: str) -> dict[str, str]:
        return {"QINGLIAN_HOME": str(self.root / name), "QINGLIAN_DATABASE_URL": self.url(name)}

    def create(self, name: str) -> None:
        self._admin(f'CREATE DATABASE "{self.database(name)}"')
        self._made.append(name)
        migrations.upgrade(self.settings(name))  # a configured database is migrated by hand
        self.release(name)

    def copy(self, source: str, name: str) -> None:
        self.release(source)
        self._admin(f'CREATE DATABASE "{self.database(name)}" TEMPLATE "{self.database(source)}"')
        self._made.append(name)

    def release(self, name: str) -> None:
        db.engine_for(self.url(name)).dispose()

    def drop(self, name: str) -> None:
        self.release(name)
        self._admin(f'DROP DATABASE IF EXISTS "{self.database(name)}" WITH (FORCE)')
        shutil.rmtree(self.root / name, ignore_errors=True)
        if name in self._made:
            self._made.remove(name)

    def drop_all(self) -> None:
        for name in list(self._made):
            self.drop(name)

    def _admin(self, statement: str) -> None:
        engine = create_engine(
            self._url.render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
        )
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()
