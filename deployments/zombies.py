"""Zombie flow runs on a Prefect server: the automation of Prefect's "Detect zombie flows".

A flow run sends a ``prefect.flow-run.heartbeat`` event every PREFECT_FLOWS_HEARTBEAT_FREQUENCY
seconds while it runs. A worker killed mid-run (a lost machine, a SIGKILL) leaves its runs
Running forever. The automation expects, after each heartbeat of a flow run, another heartbeat
or a terminal state of that run within three heartbeats, and otherwise marks the run Crashed.

Prefect 3.8 sends a heartbeat every 180 s unless told otherwise, longer than the documented
90 s window: every healthy run longer than 90 s would be crashed. So qinglian's flow runs beat
every 30 s wherever they run (prefect.yaml's job variables, ``qinglian serve``, every
``qinglian`` command), and the window is three beats, 90 s, as in the documentation.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.settings import get_current_settings

from qinglian.core.errors import QinglianError

HEARTBEAT_ENV = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
HEARTBEAT_SECONDS = 30
WINDOW_SECONDS = 3 * HEARTBEAT_SECONDS  # three missed beats
MAX_WINDOW_SECONDS = 86400
WINDOW_ENV = "QINGLIAN_ZOMBIE_SECONDS"
AUTOMATION_NAME = "qinglian: crash zombie flow runs"
CRASH_MESSAGE = "Flow run marked as crashed due to missing heartbeats."
# A heartbeat ends the wait it opened; so does any terminal state of the same run, and so does
# a suspension: a suspended run has no process and sends no heartbeat until it is resumed and
# executed again (flows/human_decision.py), so it must not be crashed while a person decides.
_ENDS_THE_WAIT = {
    "prefect.flow-run.heartbeat",
    "prefect.flow-run.Suspended",
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
}


class Outcome(StrEnum):
    created = "created"
    updated = "updated"


def check_window(seconds: int) -> int:
    """A window longer than one heartbeat (else healthy runs are crashed), at most a day."""
    if not HEARTBEAT_SECONDS < seconds <= MAX_WINDOW_SECONDS:
        raise QinglianError(
            f"僵尸运行的判定时间须大于心跳间隔 {HEARTBEAT_SECONDS} 秒、不超过 "
            f"{MAX_WINDOW_SECONDS} 秒（收到 {seconds}）",
            f"the zombie window must be longer than the {HEARTBEAT_SECONDS} s heartbeat and at "
            f"most {MAX_WINDOW_SECONDS} s (got {seconds})",
        )
    return seconds


def zombie_automation(window_seconds: int = WINDOW_SECONDS) -> AutomationCore:
    """The documented automation, with qinglian's name and a window of three heartbeats.

    A shorter window (still longer than one heartbeat) crashes a lost run sooner; tests use one.
    """
    window = check_window(window_seconds)
    return AutomationCore(
        name=AUTOMATION_NAME,
        description=(
            f"流程运行 {window} 秒无心跳即标记为崩溃 / a flow run silent for "
            f"{window} s is marked Crashed (runs beat every {HEARTBEAT_SECONDS} s)"
        ),
        enabled=True,
        tags=["qinglian"],
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect=_ENDS_THE_WAIT,
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=window),
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED, message=CRASH_MESSAGE)],
    )


def api_url() -> str:
    """The Prefect server's API; the embedded API runs no automations between commands."""
    url = get_current_settings().api.url
    if not url:
        raise QinglianError(
            "未设置 PREFECT_API_URL：僵尸运行检测需要常驻的 Prefect 服务"
            "（内置临时服务只在命令运行时存在，不执行自动化）",
            "PREFECT_API_URL is not set: zombie-run detection needs a running Prefect server "
            "(the embedded API lives only while a command runs and runs no automations)",
        )
    return url


def ensure_zombie_automation(window_seconds: int = WINDOW_SECONDS) -> Outcome:
    """Create the automation on the server, or update the one of that name: one, either way."""
    wanted = zombie_automation(window_seconds)
    url = api_url()
    try:
        return _ensure(wanted)
    except httpx.HTTPError as exc:
        raise QinglianError(
            f"无法访问 Prefect 服务 {url}：{exc}",
            f"cannot reach the Prefect server at {url}: {exc}",
        ) from None


def _ensure(wanted: AutomationCore) -> Outcome:
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(AUTOMATION_NAME)
        if not existing:
            client.create_automation(wanted)
            return Outcome.created
        first, *extra = existing
        client.update_automation(first.id, wanted)
        for duplicate in extra:
            client.delete_automation(duplicate.id)
        return Outcome.updated
