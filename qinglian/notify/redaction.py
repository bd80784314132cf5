"""Keeping URLs and tokens out of sight: masking, redaction and the log filter.

Every secret a notifier in this process has resolved is kept in :data:`SECRETS`; the Apprise,
urllib3 and bot-sender loggers are filtered so no URL or token part reaches a log. A query value
that is itself a URL (a bot's ``api=https://host:port``) is hidden whole and by its parts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit

MASK = "***"
# Apprise's own URL arguments: their values are settings, not secrets.
_PLAIN_ARGS = frozenset(
    {
        "format",
        "overflow",
        "mode",
        "method",
        "verify",
        "rto",
        "cto",
        "retry",
        "wait",
        "optional",
        "emojis",
        "tz",
        "from",
        "to",
        "cc",
        "bcc",
        "name",
        "smtp",
        "user",
    }
)
_MIN_SECRET = 4


def mask_url(url: str) -> str:
    """Only the scheme of a URL survives: ``wecombot://***``."""
    scheme, separator, _ = url.partition("://")
    return f"{scheme}://{MASK}" if separator else MASK


def url_secrets(url: str) -> set[str]:
    """The parts of an Apprise URL that must never be shown: the URL itself, credentials,
    host, path segments and query values (except Apprise's plain settings such as format)."""
    secrets = {url.strip()}
    _, separator, rest = url.strip().partition("://")
    if not separator:
        return {s for s in secrets if s}
    try:
        parts = urlsplit("x://" + rest)
    except ValueError:
        return secrets | {rest}
    userinfo, _, hostport = parts.netloc.rpartition("@")
    secrets.add(parts.netloc)
    user, _, password = userinfo.partition(":")
    secrets.update({user, password, unquote(user), unquote(password)})
    host = hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport
    secrets.update({hostport, host})
    for segment in parts.path.split("/"):
        secrets.update({segment, unquote(segment)})
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lstrip("+-:").lower() not in _PLAIN_ARGS:
            secrets.update({value, quote(value, safe="")})
            if "://" in value:
                secrets |= url_secrets(value)
    return {s for s in secrets if len(s) >= _MIN_SECRET}


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (longest first, so parts of parts go too)."""
    ordered = secrets if isinstance(secrets, tuple) else _longest_first(secrets)
    for secret in ordered:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _longest_first(secrets: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({s for s in secrets if s}, key=len, reverse=True))


class _Secrets:
    """Every secret any notifier in this process has resolved: what the log filter hides."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._ordered: tuple[str, ...] | None = ()

    def add_url(self, url: str) -> None:
        found = url_secrets(url)
        with self._lock:
            if not found <= self._values:
                self._values |= found
                self._ordered = None

    @property
    def values(self) -> tuple[str, ...]:
        """Longest first, as :func:`redact` wants them."""
        with self._lock:
            if self._ordered is None:
                self._ordered = _longest_first(self._values)
            return self._ordered


SECRETS = _Secrets()


class RedactingFilter(logging.Filter):
    """Rewrites a log record so no known URL or token part is in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = SECRETS.values
        if not secrets:
            return True
        text = record.getMessage()
        cleaned = redact(text, secrets)
        if cleaned != text:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()
# urllib3 logs request lines (WeCom's key is in the query) at DEBUG.
for _name in ("apprise", "urllib3.connectionpool", "qinglian.notify.bots"):
    if not any(isinstance(f, RedactingFilter) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_FILTER)
