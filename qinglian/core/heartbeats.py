"""Make sync flow runs end at once without giving up their heartbeats.

Prefect 3.8's sync flow engine starts a heartbeat thread per flow run and joins it on exit.
The thread sleeps in ``time.sleep(1)`` steps between checks of its stop flag, so the join
waits up to a second: measured here, that is ~1.0 of the ~1.1 s every sync flow run costs
(DESIGN.md §8; ``benchmarks/unit_flow_overhead.py``: 1.17 s against 0.14 s for an async run).

The phase's runs (phase, subtree, unit, campaign) are async since issue 11: the async engine
does not join the thread, and they need nothing from here. The sync flows still install it:
the escalation sweep, replay and delivery (``qinglian escalate`` and the crash harness run
them hundreds of times), the report, and the two human steps, whose suspend path is sync.
Retiring it means making those async too.

Turning heartbeats off (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``) would remove the cost but also
what heartbeats are for: the server marks a flow run whose heartbeats stop as crashed, so a
worker killed mid-campaign does not leave unit runs "Running" forever. So instead we keep the
heartbeats — same interval, same events, same terminal-state check — and only change how the
thread waits: ``Event.wait(interval)`` wakes the moment the run ends, so the join is instant.

This replaces a private function (``prefect.flow_engine._send_heartbeats``). The pin
``prefect>=3.8,<3.9`` and a test that checks the patch is in place and heartbeats are still
sent guard it; if Prefect changes the function's shape we leave Prefect's own in place.
Nothing is patched on import: each flow module calls :func:`install` at its top.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import threading
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

import prefect.flow_engine as flow_engine

_log = logging.getLogger(__name__)
_EXPECTED_PARAMETERS = ["engine", "join_on_exit"]
_PREFECTS_OWN = flow_engine._send_heartbeats


@contextmanager
def _send_heartbeats_promptly(
    engine: Any, join_on_exit: bool = True
) -> Generator[None, None, None]:
    """Prefect's heartbeat context, with a stop that wakes the thread instead of waiting."""
    interval = engine.heartbeat_seconds
    if interval is None:
        yield
        return
    interval = max(interval, flow_engine.MINIMUM_HEARTBEAT_INTERVAL)
    resource, related = engine._build_heartbeat_event_template()
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            run = engine.flow_run
            if run and run.state and run.state.is_final():
                return
            try:
                engine._emit_flow_run_heartbeat(resource, related)
            except Exception:
                engine.logger.debug("Failed to emit heartbeat", exc_info=True)
            if stop.wait(interval):
                return

    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(beat,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        if join_on_exit:
            thread.join(timeout=2)


def install() -> bool:
    """Swap in the prompt heartbeat context once; returns whether it is active."""
    current = flow_engine._send_heartbeats
    if current is _send_heartbeats_promptly:
        return True
    if list(inspect.signature(current).parameters) != _EXPECTED_PARAMETERS:
        _log.warning("Prefect's heartbeat context changed shape; keeping Prefect's own")
        return False
    flow_engine._send_heartbeats = _send_heartbeats_promptly
    return True


def installed() -> bool:
    return flow_engine._send_heartbeats is _send_heartbeats_promptly


def uninstall() -> None:
    """Put Prefect's own heartbeat context back (the benchmark measures both)."""
    flow_engine._send_heartbeats = _PREFECTS_OWN
