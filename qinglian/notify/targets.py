"""Target names: how code names who is told (never a URL), and e-mail address targets."""

from __future__ import annotations

EMAIL_PREFIX = "email:"
# The target whose mailto URL carries every ``email:<address>`` target's mail.
EMAIL_TRANSPORT = "email"


def normalise_target(name: str) -> str:
    """Target names compare case-blind, with ``-`` and ``_`` the same (env names lack ``-``)."""
    return name.strip().casefold().replace("-", "_")


def email_target(address: str) -> str:
    """The target for one email address, sent through the ``email`` transport."""
    return EMAIL_PREFIX + address.strip()


def is_email_target(target: str) -> bool:
    return target.startswith(EMAIL_PREFIX)
