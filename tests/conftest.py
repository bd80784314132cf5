"""Shared fixtures: a database session per test (SQLite in memory, and PostgreSQL when set), and
the complaints' encryption key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

import models  # noqa: F401  (registers the tables)
from qinglian.complaints import crypto
from tests.databases import DATABASES, PG_URL
from tests.factories import Qinglian, qinglian_cli


def _engine(kind: str) -> Engine:
    if kind == "sqlite":
        return create_engine(
            "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
    assert PG_URL
    return create_engine(PG_URL)


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    engine = _engine(request.param)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    yield engine
    SQLModel.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def complaint_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh complaint key in the environment and no key block; the key cache reset around."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(crypto.KEY_ENV, key)
    monkeypatch.delenv(crypto.KEY_BLOCK_ENV, raising=False)
    crypto.reset_keys()
    yield key
    crypto.reset_keys()


@pytest.fixture(params=DATABASES)
def cli(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Qinglian]:
    """The `qinglian` command on a fresh, migrated database (a module may override it)."""
    with qinglian_cli(request.param, tmp_path, monkeypatch) as harness:
        yield harness
