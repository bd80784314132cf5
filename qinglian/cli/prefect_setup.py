"""`qinglian prefect setup`: what a Prefect server needs from qinglian (production mode).

Today that is the zombie-run automation (:mod:`deployments.zombies`); the setup is idempotent,
so it is run again after each upgrade.
"""

from __future__ import annotations

import typer

from deployments.zombies import (
    AUTOMATION_NAME,
    HEARTBEAT_ENV,
    HEARTBEAT_SECONDS,
    WINDOW_SECONDS,
    Outcome,
    api_url,
    ensure_zombie_automation,
)
from qinglian.cli.common import console, friendly

app = typer.Typer(
    name="prefect", help="Prefect 服务设置 / Prefect server setup", no_args_is_help=True
)

_DONE = {Outcome.created: ("已创建", "created"), Outcome.updated: ("已更新", "updated")}


@app.command("setup")
@friendly
def setup() -> None:
    """在 Prefect 服务上建立僵尸运行检测（可重复运行）/ set up zombie-run detection on the server."""
    url = api_url()
    outcome = ensure_zombie_automation()
    zh, en = _DONE[outcome]
    console.print(
        f"{zh}自动化「{AUTOMATION_NAME}」：流程运行 {WINDOW_SECONDS} 秒无心跳即标记为崩溃 / "
        f"{en} the automation {AUTOMATION_NAME!r}: a flow run silent for {WINDOW_SECONDS} s "
        f"is marked Crashed ({url})"
    )
    console.print(
        f"工作进程须以 {HEARTBEAT_ENV}={HEARTBEAT_SECONDS} 运行流程（prefect.yaml 的部署和 "
        f"qinglian serve 已设置）/ workers must run flows with {HEARTBEAT_ENV}="
        f"{HEARTBEAT_SECONDS} (prefect.yaml's deployments and qinglian serve set it)"
    )
