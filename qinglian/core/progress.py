"""How far a phase run has got, for whoever started it in this process (the CLI's progress bar).

Flows report; they do not know who listens. The CLI (``phase run``, ``campaign run``, ``demo``)
installs a listener around a run and draws a progress bar from it; with no listener, reporting
costs nothing. Counts are units: the phase's total once its tree is known, then units done as
their subtree's figures are published (units below the run depth included).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Listener(Protocol):
    def phase_started(self, title: str, total: int, url: str | None) -> None:
        """A phase pass over ``total`` units began; ``url`` is its run in the Prefect UI."""

    def units_done(self, count: int) -> None:
        """``count`` more units are done."""


_listeners: list[Listener] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: Listener) -> Iterator[Listener]:
    """Report this process's phase progress to ``listener`` while the block runs."""
    with _lock:
        _listeners.append(listener)
    try:
        yield listener
    finally:
        with _lock:
            _listeners.remove(listener)


def phase_started(title: str, total: int, url: str | None = None) -> None:
    for listener in list(_listeners):
        listener.phase_started(title, total, url)


def units_done(count: int) -> None:
    if count:
        for listener in list(_listeners):
            listener.units_done(count)
