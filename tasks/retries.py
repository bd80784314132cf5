"""The retry policy shared by every task that touches the database."""

from __future__ import annotations

from typing import Any

from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import InterfaceError, OperationalError


def _passing_database_trouble(task: Any, task_run: Any, state: Any) -> bool:
    """Only what passes by itself is retried: a locked SQLite file, a dropped connection.

    A domain error (a refusal, a bad row) or a bug fails the same way every time; retrying it
    would only delay the one line that says what is wrong.
    """
    return isinstance(state.data, OperationalError | InterfaceError)


# A locked SQLite file or a dropped connection passes within seconds. No caching: a task's
# result depends on what the database holds, not only on its arguments.
DB_RETRIES: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": [1, 5],
    "retry_condition_fn": _passing_database_trouble,
    "cache_policy": NO_CACHE,
}
