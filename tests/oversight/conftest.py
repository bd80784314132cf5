"""The oversight tests' real peers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oversight.peers import HttpReceiver, http_receiver


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver
