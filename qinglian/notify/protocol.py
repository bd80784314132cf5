"""The ``Notifier`` protocol, the message it sends, and the recording notifier for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from qinglian.core.errors import QinglianError

# How a message's idempotency key travels in HTTP headers (and, as ``X-…``, in mail).
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True, slots=True)
class Message:
    target: str
    title: str
    body: str
    key: str = field(default="", metadata={"doc": "idempotency key receivers can deduplicate on"})


class NotifyError(QinglianError):
    """A send failed; the message says which target by name and nothing of its URL."""


class Notifier(Protocol):
    def send(self, message: Message) -> None: ...


class RecordingNotifier:
    """Keeps what would have been sent; for tests and dry runs."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)
