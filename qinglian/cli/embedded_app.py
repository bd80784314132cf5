"""The embedded API server's app: Prefect's own, with its SQLite writes begun IMMEDIATE.

Prefect 3.8 begins its SQLite write transactions DEFERRED: a request reads, then writes. When
another writer (a concurrent request, the event persister's flush) holds the lock at that
moment, SQLite cannot wait for it — the two would deadlock — and answers "database is
locked" at once; the API turns that into HTTP 503 and the client backs off 2, 4, 8 … s.
Measured on a province's phase (issue 11): 14 such back-offs, 36 s asleep, in a 23 s run of
32 unit runs; at 1,887 runs the phase took 760 s, mostly asleep.

Begun IMMEDIATE, a write transaction takes the lock first, and SQLite's busy timeout (60 s in
Prefect) makes it wait its turn instead: writes queue, nothing fails. Prefect's own comment in
``AioSqliteConfiguration.setup_sqlite`` names this remedy. Reads outside a transaction are
unchanged. Only the embedded server runs this (``embedded_server`` starts uvicorn with this
module's :func:`create_app`); a Prefect server on PostgreSQL is Prefect's own.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from prefect.server.api.server import create_app as prefects_create_app
from prefect.server.database import configurations

_log = logging.getLogger(__name__)
_PREFECTS_BEGIN = configurations.AioSqliteConfiguration.begin_transaction


@asynccontextmanager
async def _begin_immediate(
    self: configurations.AioSqliteConfiguration, session: Any, with_for_update: bool = False
) -> AsyncGenerator[Any, None]:
    token = configurations.SQLITE_BEGIN_MODE.set("IMMEDIATE")
    try:
        async with session.begin() as transaction:
            yield transaction
    finally:
        configurations.SQLITE_BEGIN_MODE.reset(token)


def install() -> bool:
    """Begin every SQLite transaction of this server IMMEDIATE; False if Prefect changed."""
    parameters = list(inspect.signature(_PREFECTS_BEGIN).parameters)
    if parameters != ["self", "session", "with_for_update"]:
        _log.warning("Prefect's SQLite transactions changed shape; keeping Prefect's own")
        return False
    configurations.AioSqliteConfiguration.begin_transaction = _begin_immediate  # type: ignore[method-assign,assignment]
    return True


def create_app(*args: Any, **kwargs: Any) -> Any:
    """``uvicorn --factory`` entry point: Prefect's app, once its writes begin IMMEDIATE."""
    install()
    return prefects_create_app(*args, **kwargs)
