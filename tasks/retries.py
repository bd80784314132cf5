"""The retry policy shared by every task that touches the database."""

from __future__ import annotations

from typing import Any

from prefect.cache_policies import NO_CACHE

# A locked SQLite file or a dropped connection passes within seconds. No caching: a task's
# result depends on what the database holds, not only on its arguments.
DB_RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": [1, 5], "cache_policy": NO_CACHE}
