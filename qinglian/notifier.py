"""Notifications behind a small interface: code names targets, never URLs.

Targets are configured by name (``QINGLIAN_NOTIFY__LYG_OFFICE=wecombot://…``); the Apprise URL,
which carries tokens, stays in the environment and never reaches logs, errors or the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import apprise

from qinglian.errors import QinglianError
from qinglian.settings import Settings, get_settings


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


class AppriseNotifier:
    """Sends through Apprise to the URL configured for the message's target name."""

    def __init__(self, targets: dict[str, str]) -> None:
        self._targets = {name.lower(): url for name, url in targets.items()}

    def send(self, message: Message) -> None:
        url = self._targets.get(message.target.lower())
        if url is None:
            raise NotifyError(
                f"未配置通知目标「{message.target}」（QINGLIAN_NOTIFY__{message.target.upper()}）",
                f"notification target {message.target!r} is not configured "
                f"(QINGLIAN_NOTIFY__{message.target.upper()})",
            )
        client = apprise.Apprise()
        if not client.add(url):
            raise NotifyError(
                f"通知目标「{message.target}」的地址无效",
                f"the URL of notification target {message.target!r} is not valid",
            )
        if not client.notify(title=message.title, body=message.body):
            raise NotifyError(
                f"发送到「{message.target}」失败", f"sending to {message.target!r} failed"
            )


def get_notifier(settings: Settings | None = None) -> Notifier:
    """The notifier the settings choose (``QINGLIAN_NOTIFIER=apprise|recording``)."""
    settings = settings or get_settings()
    if settings.notifier == "recording":
        return RecordingNotifier()
    return AppriseNotifier({name: url.get_secret_value() for name, url in settings.notify.items()})
