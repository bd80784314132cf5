"""Flow tests run real Prefect flow runs against a temporary Prefect API and database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import create_engine, text

from qinglian.core import db, migrations
from qinglian.core.settings import Settings, get_settings
from tests.databases import DATABASES, PG_URL


@pytest.fixture(scope="session", autouse=True)
def prefect_api() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(params=DATABASES)
def qinglian_home(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The service's own database for a flow test: the SQLite file, or a fresh PostgreSQL."""
    monkeypatch.setenv("QINGLIAN_HOME", str(tmp_path / "home"))
    if request.param == "postgresql":
        assert PG_URL
        engine = create_engine(PG_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        monkeypatch.setenv("QINGLIAN_DATABASE_URL", PG_URL)
    else:
        monkeypatch.delenv("QINGLIAN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    db.engine_for.cache_clear()
    settings = get_settings()
    migrations.upgrade(settings)
    yield settings
    db.get_engine(settings).dispose()  # close PostgreSQL connections before the next test
    db.engine_for.cache_clear()
    get_settings.cache_clear()
