"""The notify tests' peers: the bots' local receiver, and a fake clock for the rate limiter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notify.bot_receiver import BotReceiver, FakeClock, bot_receiver


@pytest.fixture
def bots() -> Iterator[BotReceiver]:
    with bot_receiver() as receiver:
        yield receiver


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
