"""Choosing the notifier by settings: Apprise in service, the recording one in tests.

Code names targets, never URLs (:mod:`qinglian.notify.targets`); the Apprise notifier
(:mod:`qinglian.notify.apprise_notifier`) resolves them from the environment, a config file or
Prefect Secret blocks.
"""

from __future__ import annotations

from os import environ
from pathlib import Path

from qinglian.core.settings import Settings, get_settings
from qinglian.notify.apprise_notifier import CONFIG_ENV, AppriseNotifier
from qinglian.notify.protocol import Notifier, RecordingNotifier


def get_notifier(settings: Settings | None = None) -> Notifier:
    """The notifier the settings choose (``QINGLIAN_NOTIFIER=apprise|recording``)."""
    settings = settings or get_settings()
    if settings.notifier == "recording":
        return RecordingNotifier()
    # Read from the environment until Settings has a notify_config field of its own.
    config = getattr(settings, "notify_config", None) or environ.get(CONFIG_ENV)
    return AppriseNotifier(
        {name: url.get_secret_value() for name, url in settings.notify.items()},
        config_path=Path(config) if config else None,
    )
