"""`qinglian serve`: the deployments, served on this machine for the Prefect UI."""

from __future__ import annotations

import typer

from deployments.serve import serve_deployments
from qinglian.cli.common import friendly
from qinglian.cli.database import DatabaseGroup

app = typer.Typer(cls=DatabaseGroup)


@app.command("serve")
@friendly
def serve() -> None:
    """在本机提供各部署，供 Prefect 界面触发 / serve the deployments for the Prefect UI."""
    serve_deployments()
