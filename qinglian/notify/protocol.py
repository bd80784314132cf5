"""The ``Notifier`` protocol, the message it sends, and the recording notifier for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from qinglian.core.errors import QinglianError
from qinglian.notify.channels import WEBHOOK, Channel

# How a message's idempotency key travels in HTTP headers (and, as ``X-…``, in mail).
IDEMPOTENCY_HEADER = "Idempotency-Key"

Format = Literal["text", "markdown", "image"]


@dataclass(frozen=True, slots=True)
class Image:
    """A picture to send: the PNG itself, and the portal link for bots that take only a URL."""

    png: bytes = field(repr=False)
    link: str = field(default="", repr=False)  # carries an unguessable token: never logged
    name: str = "board.png"


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one target.

    ``format`` says how ``body`` is written (``image``: the message is ``image``, the body its
    caption). ``mentions`` are mobile numbers to @-mention where the channel can (personal
    data: they go into the request's mention list only, never into a log or an error).
    ``reply_to`` is the address replies go to (mail only).
    """

    target: str
    title: str
    body: str
    key: str = field(default="", metadata={"doc": "idempotency key receivers can deduplicate on"})
    format: Format = "text"
    mentions: tuple[str, ...] = field(default=(), repr=False)
    image: Image | None = None
    reply_to: str = field(default="", repr=False)


class NotifyError(QinglianError):
    """A send failed; the message says which target by name and nothing of its URL.

    ``permanent``: sending the same message again cannot succeed (too long, a blocked keyword,
    a bad token): delivery gives up at once, with the reason. ``retry_after``: seconds the
    receiver asked to wait (a rate limit); delivery waits at least that long before retrying.
    """

    def __init__(
        self, zh: str, en: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(zh, en)
        self.permanent = permanent
        self.retry_after = retry_after


class Notifier(Protocol):
    def send(self, message: Message) -> None: ...

    def channel(self, target: str) -> Channel:
        """What the target's channel takes: format, size limit, pictures, mentions."""
        ...


class RecordingNotifier:
    """Keeps what would have been sent; for tests and dry runs.

    ``channels`` maps target names to the channel they should be composed for (default: a
    plain webhook, text without a limit).
    """

    def __init__(self, channels: dict[str, Channel] | None = None) -> None:
        self.sent: list[Message] = []
        self.channels = dict(channels or {})

    def send(self, message: Message) -> None:
        self.sent.append(message)

    def channel(self, target: str) -> Channel:
        return self.channels.get(target, WEBHOOK)
