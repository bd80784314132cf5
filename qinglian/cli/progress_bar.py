"""How far a run has got, on the terminal: a Rich progress bar per phase pass.

``phase run``, ``campaign run`` and ``demo`` run inside :func:`showing_progress`. The flows
report through :mod:`qinglian.core.progress`; here each phase pass becomes one bar on stderr
(phase title, units done / total, elapsed, ETA), and a pass run on a Prefect server prints its
run's address in the UI first.

When stderr is not an interactive terminal (a pipe, a log file, CI, the test runner) nothing
is drawn: each pass that ended prints one plain line instead, when the next pass starts or the
run ends well, and never a time, so the output is the same on every run. A run that fails
prints no line for the pass it failed in: the error's one line stays the only one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from qinglian.cli.common import console as stdout_console
from qinglian.core import progress


def url_line(url: str) -> str:
    """The line that says where a phase's run is in the Prefect UI."""
    return f"Prefect 运行：{url} / run in the Prefect UI"


def done_line(title: str, done: int, total: int) -> str:
    """The plain line of a pass that ended, when no bar is drawn."""
    return f"{title}：{done}/{total} 个单位完成 / units done"


@dataclass
class _Pass:
    title: str
    total: int
    done: int = 0
    task: TaskID | None = None


class ProgressBar:
    """A :class:`qinglian.core.progress.Listener` drawing on ``console`` (stderr)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._drawn = console.is_interactive
        self._lock = threading.Lock()  # units are reported from the flows' threads
        self._bars: Progress | None = None
        self._current: _Pass | None = None
        self._urls: set[str] = set()

    def phase_started(self, title: str, total: int, url: str | None) -> None:
        with self._lock:
            self._end_current()
            if url and url not in self._urls:
                self._urls.add(url)
                self._print(url_line(url))
            self._current = _Pass(title, total)
            if self._drawn:
                self._current.task = self._started_bars().add_task(title, total=total)

    def units_done(self, count: int) -> None:
        with self._lock:
            current = self._current
            if current is None:
                return
            current.done += count
            if self._bars is not None and current.task is not None:
                self._bars.advance(current.task, count)

    def close(self, *, failed: bool) -> None:
        """The run is over: the last pass's line unless it failed, and the bars stopped."""
        with self._lock:
            if not failed:
                self._end_current()
            self._current = None
            if self._bars is not None:
                self._bars.stop()

    def _end_current(self) -> None:
        current = self._current
        if current is None:
            return
        if self._bars is not None and current.task is not None:
            self._bars.stop_task(current.task)  # its elapsed time stops there
        else:
            self._print(done_line(current.title, current.done, current.total))
        self._current = None

    def _print(self, line: str) -> None:
        # Above the bars while they are drawn; never wrapped, never read as markup.
        self._console.print(line, soft_wrap=True, markup=False, highlight=False)

    def _started_bars(self) -> Progress:
        if self._bars is None:
            self._bars = Progress(
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("个单位 units · 用时"),
                TimeElapsedColumn(),
                TextColumn("· 剩余 ETA"),
                TimeRemainingColumn(),
                console=self._console,
                # What the command prints meanwhile (the demo) goes above the bars, unless
                # stdout is a file, which must get it as it is.
                redirect_stdout=stdout_console.is_terminal,
                redirect_stderr=True,
            )
            self._bars.start()
        return self._bars


@contextmanager
def showing_progress(console: Console | None = None) -> Iterator[ProgressBar]:
    """Show the progress of the phase runs this block starts; ``console`` defaults to stderr."""
    bar = ProgressBar(console or Console(stderr=True, markup=False, highlight=False))
    failed = True
    try:
        with progress.listening(bar):
            yield bar
        failed = False
    finally:
        bar.close(failed=failed)
