"""Waiting for a person's decision (a form in the Prefect UI) without holding a process.

A run of a deployment is *suspended*: Prefect records the form, the run's process exits, and
nothing runs while the decision waits, so 500 waiting cases hold no process. When someone
submits the form (the UI's "Resume", or ``prefect.flow_runs.resume_flow_run(id, run_input=…)``)
the run is scheduled again and a worker executes the flow from the top; the suspend call, keyed
by :data:`DECISION_KEY`, then finds its pause already fired and returns the submitted form.
So whatever a flow does before the wait runs twice and must only read; what it does with the
decision runs once.

Prefect cannot suspend a run that has no deployment (started directly from Python or the CLI,
as the tests and the embedded default do): nothing would run it again, and the server refuses.
Nor a subflow. Such a run *pauses* instead — it waits in its own process, as before — and says
so in its log. Refusing would make these flows unusable without a server and a worker; the
pause keeps them working, at the cost of one waiting process per decision.

Either way the run fails once ``timeout_hours`` pass without a decision: the pausing process
stops waiting, and the server's pause-expiration service fails a suspended run.
"""

from __future__ import annotations

from typing import TypeVar

from prefect import get_run_logger
from prefect.context import FlowRunContext
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput

DECISION_KEY = "decision"
# How often a pausing process asks whether the form was submitted.
_PAUSE_POLL_SECONDS = 2

F = TypeVar("F", bound=RunInput)


def can_suspend(*, has_deployment: bool, is_subflow: bool) -> bool:
    """Prefect re-executes a suspended run through its deployment, and never a subflow."""
    return has_deployment and not is_subflow


def wait_for_decision(form: type[F], *, timeout_hours: int) -> F:
    """Suspend (or, outside a deployment, pause) the current run until ``form`` is submitted."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("wait_for_decision is called from a flow run only")
    run = context.flow_run
    timeout = timeout_hours * 3600
    if can_suspend(
        has_deployment=run.deployment_id is not None,
        is_subflow=run.parent_task_run_id is not None,
    ):
        return suspend_flow_run(wait_for_input=form, timeout=timeout, key=DECISION_KEY)
    get_run_logger().info(
        "本次运行不是从部署启动的（直接由 Python 或命令行运行），Prefect 无法挂起，"
        "改为在本进程内暂停等待结论（最长 %s 小时）/ not a deployment run, so it cannot be "
        "suspended: pausing in this process for the decision instead",
        timeout_hours,
    )
    return pause_flow_run(
        wait_for_input=form, timeout=timeout, poll_interval=_PAUSE_POLL_SECONDS, key=DECISION_KEY
    )
