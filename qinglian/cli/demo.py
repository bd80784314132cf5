"""`qinglian demo`: the 2012 conflict-of-interest campaign, end to end."""

from __future__ import annotations

import typer

from qinglian.cli.common import console, friendly
from qinglian.cli.progress_bar import showing_progress
from qinglian.demo.run import run_demo

app = typer.Typer()


@app.command("demo")
@friendly
def demo() -> None:
    """运行 2012 年防止利益冲突专项活动演示 / run the 2012 campaign demo end to end."""
    with showing_progress():
        run_demo(console)
