"""The databases every database test runs on: SQLite, and PostgreSQL when one is given."""

from __future__ import annotations

import os

import pytest

PG_URL = os.environ.get("QINGLIAN_TEST_PG_URL")
_PG_SKIP = "QINGLIAN_TEST_PG_URL is not set: PostgreSQL variant skipped"

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason=_PG_SKIP),
    ),
]
