"""Migration 0007: campaigns launched before it run down to the institutions, and it undoes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from alembic import command
from models import Campaign, Level
from qinglian.core import db, migrations
from qinglian.core.settings import get_settings
from tests.databases import DATABASES
from tests.factories import Qinglian, qinglian_cli

BEFORE, REVISION = "0006", "0007"


@pytest.fixture(params=DATABASES)
def cli(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Qinglian]:
    """An empty database: nothing migrated yet, on SQLite or PostgreSQL."""
    with qinglian_cli(request.param, tmp_path, monkeypatch, upgrade=False) as harness:
        yield harness


def _migrate(to: str, *, down: bool = False) -> None:
    config = migrations.alembic_config(get_settings().effective_database_url)
    with db.get_engine().begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, to)


def _columns() -> set[str]:
    return {column["name"] for column in inspect(db.get_engine()).get_columns("campaign")}


def _campaigns_as_of_0006() -> None:
    """A root unit and two campaigns on it, written as the schema stood at 0006."""
    with db.get_engine().begin() as connection:
        connection.execute(
            text(
                "INSERT INTO unit (id, code, name, aliases, level, kind, path, depth) "
                "VALUES (1, 'MOH', '卫生部', '[]', 'ministry', 'health_admin', '/1/', 0)"
            )
        )
        for campaign_id, start in ((1, date(2012, 7, 16)), (2, date(2013, 3, 1))):
            connection.execute(
                text(
                    "INSERT INTO campaign (id, template_key, title, root_unit_id, start_on, "
                    "created_at) VALUES (:id, 'coi-2012', '专项', 1, :start, :at)"
                ),
                {"id": campaign_id, "start": start, "at": datetime(2012, 7, 1, tzinfo=UTC)},
            )


def test_upgrade_from_0006_gives_existing_campaigns_the_institutions(cli: Qinglian) -> None:
    _migrate(BEFORE)
    _campaigns_as_of_0006()
    assert "run_depth" not in _columns()

    _migrate(REVISION)
    with db.get_engine().connect() as connection:
        stored = connection.execute(text("SELECT id, run_depth FROM campaign ORDER BY id")).all()
    assert [tuple(row) for row in stored] == [(1, "institution"), (2, "institution")]
    with db.get_engine().begin() as connection:  # the model has later columns: SQL at 0007
        connection.execute(text("UPDATE campaign SET run_depth = 'county' WHERE id = 1"))

    _migrate("head")  # and on through the later revisions, the depth kept
    with cli.session() as session:
        campaign = session.get(Campaign, 1)
        assert campaign is not None and campaign.run_depth is Level.county
    assert cli.ok("campaign", "run-depth", "1", "city").stdout.startswith("专项活动 1")
    with db.get_engine().connect() as connection:
        depths = connection.execute(text("SELECT run_depth FROM campaign ORDER BY id")).scalars()
        assert list(depths) == ["city", "institution"]


def test_downgrade_to_0006_drops_the_column_and_keeps_the_campaigns(cli: Qinglian) -> None:
    _migrate(BEFORE)
    _campaigns_as_of_0006()
    _migrate(REVISION)
    _migrate(BEFORE, down=True)
    assert "run_depth" not in _columns()
    with db.get_engine().connect() as connection:
        ids = connection.execute(text("SELECT id FROM campaign ORDER BY id")).scalars()
        assert list(ids) == [1, 2]
    _migrate(REVISION)
    assert "run_depth" in _columns()
