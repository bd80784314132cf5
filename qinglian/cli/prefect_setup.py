"""`qinglian prefect setup`: what a Prefect server needs from qinglian (production mode).

- the ``qinglian`` process work pool (:mod:`deployments.pool`), which ``prefect deploy --all``
  needs before it deploys anything;
- the zombie-run automation (:mod:`deployments.zombies`).

The setup is idempotent, so it is run again after each upgrade.
"""

from __future__ import annotations

from typing import Annotated

import typer

from deployments.pool import POOL_NAME, POOL_TYPE, ensure_work_pool
from deployments.zombies import (
    AUTOMATION_NAME,
    HEARTBEAT_ENV,
    HEARTBEAT_SECONDS,
    WINDOW_ENV,
    WINDOW_SECONDS,
    Outcome,
    api_url,
    check_window,
    ensure_zombie_automation,
)
from qinglian.cli.common import console, friendly

app = typer.Typer(
    name="prefect", help="Prefect 服务设置 / Prefect server setup", no_args_is_help=True
)

_DONE = {Outcome.created: ("已创建", "created"), Outcome.updated: ("已更新", "updated")}


@app.command("setup")
@friendly
def setup(
    zombie_seconds: Annotated[
        int,
        typer.Option(
            "--zombie-seconds",
            envvar=WINDOW_ENV,
            help=f"流程运行多少秒无心跳即标记为崩溃（大于心跳间隔 {HEARTBEAT_SECONDS} 秒）"
            " / seconds without a heartbeat before a flow run is marked Crashed",
        ),
    ] = WINDOW_SECONDS,
) -> None:
    """建立工作池 qinglian 与僵尸运行检测（可重复运行）/ create the work pool and zombie detection."""
    url = api_url()
    window = check_window(zombie_seconds)
    outcome = ensure_zombie_automation(window)
    zh, en = _DONE[outcome]
    console.print(
        f"{zh}自动化「{AUTOMATION_NAME}」：流程运行 {window} 秒无心跳即标记为崩溃 / "
        f"{en} the automation {AUTOMATION_NAME!r}: a flow run silent for {window} s "
        f"is marked Crashed ({url})"
    )
    zh, en = _DONE[ensure_work_pool()]
    console.print(
        f"{zh}工作池「{POOL_NAME}」（{POOL_TYPE}），其流程运行以 {HEARTBEAT_ENV}="
        f"{HEARTBEAT_SECONDS} 运行；接着运行 prefect deploy --all / {en} the {POOL_TYPE} work "
        f"pool {POOL_NAME!r}; next: prefect deploy --all"
    )
    console.print(
        f"工作进程须以 {HEARTBEAT_ENV}={HEARTBEAT_SECONDS} 运行流程（prefect.yaml 的部署和 "
        f"qinglian serve 已设置）/ workers must run flows with {HEARTBEAT_ENV}="
        f"{HEARTBEAT_SECONDS} (prefect.yaml's deployments and qinglian serve set it)"
    )
