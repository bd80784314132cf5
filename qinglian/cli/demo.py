"""`qinglian demo`: a campaign run end to end from a template (by default the 2012 one)."""

from __future__ import annotations

import typer

from qinglian.campaigns.templates import get_template
from qinglian.cli.common import console, friendly
from qinglian.cli.progress_bar import showing_progress
from qinglian.demo.conduct import run_template_demo
from qinglian.demo.run import run_demo
from qinglian.demo.timeline import TEMPLATE

app = typer.Typer()


@app.command("demo")
@friendly
def demo(
    template: str = typer.Option(
        TEMPLATE, "--template", help="活动模板 / the campaign template (qinglian templates)"
    ),
) -> None:
    """运行专项活动演示（默认 2012 年防止利益冲突专项活动）/ run a campaign demo end to end."""
    key = get_template(template).key  # an unknown template: one bilingual line, exit 1
    with showing_progress():
        if key == TEMPLATE:
            run_demo(console)
        else:
            run_template_demo(console, key)
