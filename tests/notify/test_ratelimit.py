"""Per-bot rate limits on a fake clock: the limiter waits, it never really sleeps."""

from __future__ import annotations

import threading

import pytest

from qinglian.notify.apprise_notifier import AppriseNotifier
from qinglian.notify.bots import RATES
from qinglian.notify.protocol import Message, NotifyError
from qinglian.notify.ratelimit import Rate, RateLimiter
from tests.notify.bot_receiver import BotReceiver, FakeClock

PER_MINUTE = Rate(((20, 60.0),))
FEISHU = RATES["feishu"]


@pytest.mark.parametrize(
    ("rate", "gaps", "waits"),
    [
        # 20 at once go through; the 21st waits for the first to leave the minute
        (PER_MINUTE, [0.0] * 21, [0.0] * 20 + [60.0]),
        # spread over 30 s: the 21st waits until 60 s after the first
        (PER_MINUTE, [0.0] + [1.5] * 20, [0.0] * 20 + [30.0]),
        # a minute later the window is empty again
        (PER_MINUTE, [0.0] * 20 + [60.0], [0.0] * 21),
        # Feishu: 5 a second …
        (FEISHU, [0.0] * 6, [0.0] * 5 + [1.0]),
        # … and 100 a minute, 5 a second at most
        (FEISHU, [0.0] + [0.2] * 100, [0.0] * 100 + [40.0]),
    ],
)
def test_the_limiter_waits_for_a_free_slot(
    rate: Rate, gaps: list[float], waits: list[float]
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock.monotonic, sleep=clock.sleep)
    got = []
    for gap in gaps:
        clock.now += gap
        got.append(round(limiter.acquire("bot", rate), 6))
    assert got == waits


def test_bots_are_limited_apart_and_a_long_wait_is_deferred() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock.monotonic, sleep=clock.sleep, max_wait=10)
    for _ in range(20):
        limiter.acquire("a", PER_MINUTE)
    assert limiter.acquire("b", PER_MINUTE) == 0  # another bot: no wait
    with pytest.raises(NotifyError) as caught:
        limiter.acquire("a", PER_MINUTE, shown="lyg-wecom")
    assert not caught.value.permanent and caught.value.retry_after == pytest.approx(60)
    assert "lyg-wecom" in str(caught.value) and clock.sleeps == []


def test_threads_share_the_limit() -> None:
    """Eight threads at a frozen instant: exactly 20 get a slot, the others are told to wait."""
    clock = FakeClock()
    limiter = RateLimiter(clock=clock.monotonic, sleep=clock.sleep, max_wait=0)
    granted: list[int] = []
    refused: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def send() -> None:
        start.wait()
        for _ in range(10):
            try:
                limiter.acquire("bot", PER_MINUTE)
            except NotifyError as exc:
                with lock:
                    refused.append(exc.retry_after or 0)
            else:
                with lock:
                    granted.append(1)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 20 and len(refused) == 60 and set(refused) == {60.0}


def test_the_21st_message_to_a_bot_within_a_minute_waits(
    bots: BotReceiver, clock: FakeClock
) -> None:
    bots.wecom_keys |= {"b0t-a", "b0t-b"}
    notifier = AppriseNotifier(
        {"a": f"wecombot://b0t-a?api={bots.api}", "b": f"wecombot://b0t-b?api={bots.api}"},
        limiter=RateLimiter(clock=clock.monotonic, sleep=clock.sleep),
    )
    for n in range(20):
        clock.now += 1.0
        notifier.send(Message(target="a", title="督办", body=f"第{n}条"))
    assert clock.sleeps == []
    notifier.send(Message(target="b", title="督办", body="另一个群"))
    assert clock.sleeps == []  # a different bot does not wait
    notifier.send(Message(target="a", title="督办", body="第21条"))
    assert clock.sleeps == [pytest.approx(41.0)]  # sent at +1 s, the first leaves at +61 s
    assert len(bots.calls) == 22
