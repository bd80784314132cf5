"""`qinglian db`: the database's migrations."""

from __future__ import annotations

import typer

from qinglian.cli.common import console, friendly
from qinglian.core import migrations

app = typer.Typer(name="db", help="数据库 / database", no_args_is_help=True)


@app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """应用数据库迁移 / apply the Alembic migrations."""
    head = migrations.upgrade()
    console.print(f"数据库已是最新版本 / database at revision {head}")
