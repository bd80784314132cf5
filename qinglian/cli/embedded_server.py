"""Prefect's embedded API server, bound to the command that started it.

Without PREFECT_API_URL, Prefect 3.8 serves its API for the length of one command: the first
client starts ``python -m uvicorn … prefect.server.api.server:create_app`` as a child process
(``SubprocessASGIServer``), and an ``atexit`` handler stops it. Issue 12 found two faults:

- A command killed with SIGKILL runs no ``atexit``: its server lived on under PID 1 holding
  the command's stdout, so ``qinglian … | tee`` never ended.
- Two commands started at once on a fresh PREFECT_HOME both created Prefect's database; the
  loser's server printed a traceback (``duplicate column name``, ``index … already exists``).

So, leaving Prefect's command, settings and health check as they are:

- The server is started through a short trampoline that asks Linux to SIGKILL it when its
  parent dies (``prctl(PR_SET_PDEATHSIG)``), then execs Prefect's own command. Linux sends that
  signal when the *thread* that forked the child ends, and Prefect starts its server from
  whichever thread first needs the API, sometimes a short-lived one; so one daemon thread,
  alive as long as the process, does every fork.
- The server reads nothing from our stdin and writes to ``PREFECT_HOME/embedded-server.log``,
  never to our stdout or stderr.
- ``start`` holds an exclusive ``flock`` on ``PREFECT_HOME/embedded-server.lock`` until the
  server answers, which is after its startup has created or migrated the database: concurrent
  starts on one PREFECT_HOME take turns. The kernel drops the lock of a killed process.

- The server's app is Prefect's own, with its SQLite writes begun IMMEDIATE: queued instead of
  answered 503 "database is locked" (:mod:`qinglian.cli.embedded_app`).
- Prefect waits 20 s for its server to answer, too short on a loaded machine: unless the user
  set PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (environment, ``.env``, ``prefect.toml``
  or Prefect profile), it waits :data:`STARTUP_TIMEOUT`. If the server still does not answer,
  Prefect's ``RuntimeError`` becomes one bilingual line (``qinglian.cli.common.friendly``).

This replaces ``SubprocessASGIServer.start`` and the ``subprocess`` module its
``_run_uvicorn_command`` calls (Prefect's own ``Popen`` of the server, the only one in that
module). The pin ``prefect>=3.8,<3.9`` and tests/cli/test_embedded_server.py guard it; if
Prefect changes their shape, Prefect's own stay in place. Importing this module installs it:
``qinglian.cli`` imports it when Prefect first imports its server module, so commands that run
no flow never load Prefect.
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import prefect.server.api.server as prefect_server
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import get_current_settings

LOG_NAME = "embedded-server.log"
LOCK_NAME = "embedded-server.lock"
# What `python -m uvicorn` runs in the server process: Prefect's app, its SQLite writes begun
# IMMEDIATE (qinglian/cli/embedded_app.py). How a process is known to be the server, too.
PREFECTS_APP = "prefect.server.api.server:create_app"
SERVER_APP = "qinglian.cli.embedded_app:create_app"
STARTUP_TIMEOUT = 180  # seconds the server may take to answer, unless the user says otherwise

_log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Runs in the child before Prefect's command (argv: our pid, then that command). A parent that
# died before the prctl took effect sends no signal, hence the check that it is still ours.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    f"ctypes.CDLL(None, use_errno=True).prctl({_PR_SET_PDEATHSIG}, signal.SIGKILL)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(1)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)
_PREFECTS_START = SubprocessASGIServer.start
_PREFECTS_SUBPROCESS = prefect_server.subprocess


def install() -> bool:
    """Tie Prefect's embedded server to this process, once; returns whether it is tied."""
    if installed():
        return True
    if list(inspect.signature(_PREFECTS_START).parameters) != ["self", "timeout"] or not hasattr(
        SubprocessASGIServer, "_run_uvicorn_command"
    ):
        _log.warning("Prefect's embedded server changed shape; keeping Prefect's own")
        return False
    SubprocessASGIServer.start = _start_in_turn  # type: ignore[method-assign]
    prefect_server.subprocess = _ServerSubprocess(subprocess.__name__)
    return True


def installed() -> bool:
    return SubprocessASGIServer.start is _start_in_turn


def uninstall() -> None:
    """Put Prefect's own start and Popen back."""
    SubprocessASGIServer.start = _PREFECTS_START  # type: ignore[method-assign]
    prefect_server.subprocess = _PREFECTS_SUBPROCESS


def _start_in_turn(self: SubprocessASGIServer, timeout: int | None = None) -> None:
    """Prefect's start, one process at a time per PREFECT_HOME."""
    if self.running:
        return
    with _home_lock():
        _PREFECTS_START(self, timeout or startup_timeout())


def startup_timeout() -> int:
    """The user's PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, else :data:`STARTUP_TIMEOUT`."""
    ephemeral = get_current_settings().server.ephemeral
    if "startup_timeout_seconds" in ephemeral.model_fields_set:
        return ephemeral.startup_timeout_seconds
    return STARTUP_TIMEOUT


@contextmanager
def _home_lock() -> Iterator[None]:
    path = _prefect_home() / LOCK_NAME
    with path.open("a") as lock:  # close-on-exec: the server never holds it
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _start_server(args: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Prefect's ``Popen(args=…, env=…)`` of its server: tied to us, quiet, forked by the
    spawner thread."""
    args = [SERVER_APP if arg == PREFECTS_APP else arg for arg in args]
    if sys.platform == "linux":
        args = [sys.executable, "-I", "-S", "-c", _DIE_WITH_PARENT, str(os.getpid()), *args]
    with (_prefect_home() / LOG_NAME).open("ab") as log:
        return _spawner().run(
            lambda: subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, **kwargs
            )
        )


class _ServerSubprocess(ModuleType):
    """``subprocess`` as Prefect's server module sees it: the same, but for its Popen."""

    Popen = staticmethod(_start_server)

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)


def _prefect_home() -> Path:
    home = Path(get_current_settings().home)
    home.mkdir(parents=True, exist_ok=True)
    return home


class _Spawner:
    """A daemon thread that runs what it is given and lives until the process exits."""

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="qinglian-server-spawner", daemon=True).start()

    def run(self, call: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        done: Future[subprocess.Popen[bytes]] = Future()
        self._work.put((call, done))
        return done.result()

    def _serve(self) -> None:
        while True:
            call, done = self._work.get()
            try:
                done.set_result(call())
            except BaseException as exc:  # handed to the caller, whatever it is
                done.set_exception(exc)


@functools.cache
def _spawner() -> _Spawner:
    return _Spawner()


install()  # on import: see the module's docstring
