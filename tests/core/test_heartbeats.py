"""The prompt heartbeat context keeps heartbeats and lets a flow run end without waiting."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import prefect.flow_engine as flow_engine

import flows.phase  # noqa: F401  (a flow module installs the patch at its top)
from qinglian.core import heartbeats as prefect_heartbeats


@dataclass
class _Engine:
    """Just what the heartbeat context touches on Prefect's flow engine."""

    heartbeat_seconds: int | None = 30
    flow_run: Any = None
    beats: list[float] = field(default_factory=list)
    first_beat: threading.Event = field(default_factory=threading.Event)
    logger: Any = None

    def _build_heartbeat_event_template(self) -> tuple[dict[str, str], list[Any]]:
        return {"prefect.resource.id": "prefect.flow-run.test"}, []

    def _emit_flow_run_heartbeat(self, resource: Any, related: Any) -> None:
        self.beats.append(time.monotonic())
        self.first_beat.set()


def test_the_patch_is_installed_by_the_flow_modules() -> None:
    assert prefect_heartbeats.installed()
    assert flow_engine._send_heartbeats is prefect_heartbeats._send_heartbeats_promptly


def test_heartbeats_are_still_sent_and_exit_is_immediate() -> None:
    engine = _Engine()
    with flow_engine._send_heartbeats(engine):
        assert engine.first_beat.wait(timeout=5), "no heartbeat was emitted"
    # Prefect's own context waits out a 1 s sleep here; ours wakes the thread at once.
    started = time.monotonic()
    with flow_engine._send_heartbeats(_Engine()):
        pass
    assert time.monotonic() - started < 0.5
    assert len(engine.beats) == 1  # one beat per interval (30 s minimum), none after the exit


def test_heartbeats_off_in_settings_stay_off() -> None:
    engine = _Engine(heartbeat_seconds=None)
    with flow_engine._send_heartbeats(engine):
        pass
    assert engine.beats == []


def test_install_is_idempotent() -> None:
    assert prefect_heartbeats.install()
    assert prefect_heartbeats.install()
    assert prefect_heartbeats.installed()
