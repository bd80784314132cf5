"""Per-bot rate limits: never send a group bot more than its service accepts.

A WeCom or DingTalk group bot takes 20 messages a minute; DingTalk blocks a bot that sends more
for 10 minutes, WeCom answers ``45009``. A Feishu/Lark custom bot takes 100 a minute and 5 a
second (11232 "frequency limited" beyond). The limiter keeps, per bot, the times of its recent
sends (a sliding window: at most ``count`` in any ``seconds``), and :meth:`RateLimiter.acquire`
waits for a free slot before each request.

Bots are named by a hash of their service and key, never the key itself. One limiter serves the
whole process (:data:`BOT_LIMITER`): delivery sends from several threads at once, so every
step holds a lock, and a thread waits without holding it. The clock and the sleep are
injectable: tests pass a fake clock and never really sleep. A wait longer than ``max_wait``
is not waited out: ``acquire`` raises a retryable :class:`NotifyError` with ``retry_after``,
and the message goes out on a later delivery run.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from qinglian.notify.protocol import NotifyError

# Long enough to wait out one full window of the 20-a-minute bots.
MAX_WAIT = 65.0


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``count`` requests in any ``seconds``, for each (count, seconds) window."""

    windows: tuple[tuple[int, float], ...]

    @property
    def span(self) -> float:
        """The longest window: older sends no longer count."""
        return max(seconds for _, seconds in self.windows)

    @property
    def most(self) -> int:
        """The largest count: no window needs more sends remembered."""
        return max(count for count, _ in self.windows)


class RateLimiter:
    """A sliding-window limiter per bot; thread-safe."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self._lock = threading.Lock()
        self._sent: dict[str, deque[float]] = {}

    def acquire(self, bot: str, rate: Rate, *, shown: str = "") -> float:
        """Take a slot for one request to ``bot``, waiting for one if needed; the seconds
        waited. ``shown`` names the target in the error raised when the wait is too long."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait(bot, rate, now)
                if wait <= 0:
                    self._sent[bot].append(now)
                    return waited
            if waited + wait > self._max_wait:
                raise NotifyError(
                    f"发往「{shown}」的消息过多，已达机器人的频率上限，{wait:.0f} 秒后再发",
                    f"too many messages to {shown!r}: the bot's rate limit is reached, "
                    f"sending again in {wait:.0f} s",
                    retry_after=wait,
                )
            self._sleep(wait)
            waited += wait

    def _wait(self, bot: str, rate: Rate, now: float) -> float:
        """Seconds until every window of ``rate`` has room for one more request."""
        sent = self._sent.setdefault(bot, deque(maxlen=rate.most))
        while sent and sent[0] <= now - rate.span:
            sent.popleft()
        wait = 0.0
        for limit, window in rate.windows:
            recent = [t for t in sent if t > now - window]
            if len(recent) >= limit:
                wait = max(wait, recent[-limit] + window - now)
        return wait


BOT_LIMITER = RateLimiter()
