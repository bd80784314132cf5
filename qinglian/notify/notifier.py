"""Notifications behind a small interface: code names targets, never URLs.

Targets are configured by name, three ways (a name may have several URLs; each gets the message):

- the environment: ``QINGLIAN_NOTIFY__LYG_OFFICE=wecombot://…`` (names compare case-blind, and
  ``-`` equals ``_``, so the target ``lyg-office`` is ``QINGLIAN_NOTIFY__LYG_OFFICE``);
- an Apprise config file (``QINGLIAN_NOTIFY_CONFIG``), whose tags are the target names;
- a Prefect Secret block: a value ``prefect-secret://<block-name>`` is looked up on first use.

A target ``email:<address>`` is an address reached through the ``email`` target's mailto URL
(``QINGLIAN_NOTIFY__EMAIL=mailtos://user:pass@smtp.example.cn?from=office@example.cn``).

The idempotency key of a message reaches the receiver so it can drop a re-send:

- ``json://``/``form://``/``xml://`` (and their ``s`` forms): an ``Idempotency-Key`` HTTP header
  (Apprise's ``+Idempotency-Key=…`` URL syntax), and for json/form a ``key`` field in the
  payload (``:key=…``);
- ``mailto://``/``mailtos://``: the ``Message-ID`` header. Apprise's email plugin always adds a
  Message-ID of its own after custom headers (two Message-IDs), so mail is sent with
  ``smtplib`` here, from the settings Apprise parsed out of the same URL;
- WeCom, DingTalk, Feishu/Lark and other bots take no custom header: the digest body carries
  the key (消息编号) for people to see.

The URL, which carries tokens, stays in the environment: errors name the target, and the
Apprise and urllib3 loggers are filtered so no URL or token part reaches a log.
"""

from __future__ import annotations

import email.policy
import importlib
import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from os import environ
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import apprise
from apprise.utils.parse import parse_urls

from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings, get_settings

EMAIL_PREFIX = "email:"
EMAIL_TRANSPORT = "email"
PREFECT_SECRET_SCHEME = "prefect-secret://"
CONFIG_ENV = "QINGLIAN_NOTIFY_CONFIG"
SENDER_NAME = "专项活动办公室"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MASK = "***"

_EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
_HEADER_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
_PAYLOAD_SCHEMES = frozenset({"json", "jsons", "form", "forms"})
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
# RFC 5322's hard line limit: a 64-character key header is then never folded.
_MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)
_SMTP_TIMEOUT = 30.0


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


# --- target names --------------------------------------------------------------------------


def normalise_target(name: str) -> str:
    """Target names compare case-blind, with ``-`` and ``_`` the same (env names lack ``-``)."""
    return name.strip().casefold().replace("-", "_")


def email_target(address: str) -> str:
    """The target for one email address, sent through the ``email`` transport."""
    return EMAIL_PREFIX + address.strip()


def is_email_target(target: str) -> bool:
    return target.startswith(EMAIL_PREFIX)


# --- masking -------------------------------------------------------------------------------


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
for _name in ("apprise", "urllib3.connectionpool"):
    if not any(isinstance(f, RedactingFilter) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_FILTER)


# --- URLs ----------------------------------------------------------------------------------


def with_idempotency_key(url: str, key: str) -> str:
    """The URL with Apprise's header (``+Idempotency-Key=``) and payload (``:key=``) additions
    where its scheme supports them; other URLs are returned unchanged."""
    scheme = url.partition("://")[0].lower()
    if not key or scheme not in _HEADER_SCHEMES:
        return url
    additions = [f"+{IDEMPOTENCY_HEADER}={quote(key, safe='')}"]
    if scheme in _PAYLOAD_SCHEMES:
        additions.append(f":key={quote(key, safe='')}")
    return url + ("&" if "?" in url else "?") + "&".join(additions)


def load_prefect_secret(block_name: str) -> str:
    """The value of a Prefect Secret block."""
    # Imported on first use only: most runs name no Secret block, and importing Prefect costs
    # the CLI about 1.5 s.
    blocks = importlib.import_module("prefect.blocks.system")
    value = blocks.Secret.load(block_name).get()
    return value if isinstance(value, str) else str(value)


# --- Apprise -------------------------------------------------------------------------------


class AppriseNotifier:
    """Sends through Apprise (mail through smtplib) to the URLs configured for a target name."""

    def __init__(
        self,
        targets: Mapping[str, str],
        *,
        config_path: Path | None = None,
        secret_loader: Callable[[str], str] = load_prefect_secret,
        email_transport: str = EMAIL_TRANSPORT,
    ) -> None:
        self._targets = {normalise_target(name): value for name, value in targets.items()}
        for value in self._targets.values():
            if not value.strip().startswith(PREFECT_SECRET_SCHEME):
                SECRETS.add_url(value)
        self._config_path = config_path
        self._config: dict[str, list[str]] | None = None
        self._secret_loader = secret_loader
        self._resolved: dict[str, list[str]] = {}
        self._email_transport = email_transport
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        if is_email_target(message.target):
            address = message.target.removeprefix(EMAIL_PREFIX).strip()
            urls = self._urls(self._email_transport, shown=message.target)
            for url in urls:
                if _scheme(url) not in _EMAIL_SCHEMES:
                    raise NotifyError(
                        f"邮件通道「{self._email_transport}」不是 mailto:// 或 mailtos:// 地址",
                        f"the email transport {self._email_transport!r} is not a mailto:// or"
                        " mailtos:// URL",
                    )
                self._send_email(url, message, [address])
            return
        for url in self._urls(message.target, shown=message.target):
            if _scheme(url) in _EMAIL_SCHEMES:
                self._send_email(url, message, None)
            else:
                self._send_apprise(url, message)

    # -- resolving --

    def _urls(self, target: str, *, shown: str) -> list[str]:
        name = normalise_target(target)
        with self._lock:
            if name in self._resolved:
                return self._resolved[name]
        urls: list[str] = []
        value = self._targets.get(name)
        if value is not None:
            urls.extend(self._expand(value, shown))
        urls.extend(self._config_urls().get(name, []))
        if not urls:
            raise NotifyError(
                f"未配置通知目标「{target}」（QINGLIAN_NOTIFY__{name.upper()}，"
                f"或 {CONFIG_ENV} 配置文件中的同名标签）",
                f"notification target {target!r} is not configured "
                f"(QINGLIAN_NOTIFY__{name.upper()}, or that tag in the {CONFIG_ENV} file)",
            )
        with self._lock:
            self._resolved[name] = urls
        return urls

    def _expand(self, value: str, shown: str) -> list[str]:
        value = value.strip()
        if value.startswith(PREFECT_SECRET_SCHEME):
            block = value.removeprefix(PREFECT_SECRET_SCHEME).strip("/")
            try:
                value = self._secret_loader(block)
            except Exception:
                raise NotifyError(
                    f"无法读取通知目标「{shown}」的 Prefect Secret 块「{block}」",
                    f"cannot load the Prefect Secret block {block!r} of target {shown!r}",
                ) from None
            SECRETS.add_url(value)
        urls = parse_urls(value)
        for url in urls:
            SECRETS.add_url(url)
        return urls

    def _config_urls(self) -> dict[str, list[str]]:
        if self._config is not None or self._config_path is None:
            return self._config or {}
        config = apprise.AppriseConfig()
        if not config.add(str(self._config_path)):
            raise NotifyError(
                f"无法读取通知配置文件 {self._config_path.name}",
                f"cannot read the notification config file {self._config_path.name}",
            )
        by_tag: dict[str, list[str]] = {}
        for server in config.servers():
            url = server.url(privacy=False)
            SECRETS.add_url(url)
            for tag in server.tags:
                by_tag.setdefault(normalise_target(str(tag)), []).append(url)
        self._config = by_tag
        return by_tag

    # -- sending --

    def _send_apprise(self, url: str, message: Message) -> None:
        plugin = apprise.Apprise.instantiate(with_idempotency_key(url, message.key))
        if plugin is None:
            raise NotifyError(
                f"通知目标「{message.target}」的地址无效",
                f"the URL of notification target {message.target!r} is not valid",
            )
        with _captured_warnings() as warnings:
            ok = plugin.notify(
                body=message.body, title=message.title, body_format=apprise.NotifyFormat.TEXT
            )
        if not ok:
            detail = redact("; ".join(warnings), SECRETS.values)
            raise NotifyError(
                f"发送到「{message.target}」失败" + (f"（{detail}）" if detail else ""),
                f"sending to {message.target!r} failed" + (f" ({detail})" if detail else ""),
            )

    def _send_email(self, url: str, message: Message, recipients: list[str] | None) -> None:
        plugin: Any = apprise.Apprise.instantiate(url)
        if plugin is None:
            raise NotifyError(
                f"通知目标「{message.target}」的邮件地址无效",
                f"the mail URL of notification target {message.target!r} is not valid",
            )
        to = recipients or [address for _, address in plugin.targets]
        sender_name, sender = plugin.from_addr
        if not sender_name or sender_name == plugin.app_id:
            sender_name = SENDER_NAME
        mail = EmailMessage(policy=_MAIL_POLICY)
        mail["Subject"] = message.title
        mail["From"] = formataddr((sender_name, sender))
        mail["To"] = ", ".join(to)
        mail["Date"] = formatdate(localtime=True)
        domain = sender.rpartition("@")[2] or "qinglian.invalid"
        mail["Message-ID"] = f"<{message.key}@{domain}>" if message.key else make_msgid()
        if message.key:
            mail[f"X-{IDEMPOTENCY_HEADER}"] = message.key
        mail.set_content(message.body)
        everyone = [*to, *sorted(plugin.cc), *sorted(plugin.bcc)]
        try:
            _smtp_send(plugin, mail, sender, everyone)
        except (OSError, smtplib.SMTPException) as exc:
            detail = redact(f"{type(exc).__name__}: {exc}", SECRETS.values)
            raise NotifyError(
                f"邮件发送到「{message.target}」失败（{detail}）",
                f"mail to {message.target!r} failed ({detail})",
            ) from None


def _smtp_send(plugin: Any, mail: EmailMessage, sender: str, recipients: list[str]) -> None:
    context = ssl.create_default_context()
    if not plugin.verify_certificate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    timeout = float(plugin.socket_connect_timeout or _SMTP_TIMEOUT)
    if plugin.secure_mode == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            plugin.smtp_host, plugin.port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(plugin.smtp_host, plugin.port, timeout=timeout)
    with smtp:
        if plugin.secure_mode == "starttls":
            smtp.starttls(context=context)
        if plugin.user and plugin.password:
            smtp.login(plugin.user, plugin.password)
        smtp.send_message(mail, from_addr=sender, to_addrs=recipients)


def _scheme(url: str) -> str:
    return url.partition("://")[0].strip().lower()


class _ThreadWarnings(logging.Handler):
    """Collects the Apprise warnings of one thread (sends may run in parallel)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    handler = _ThreadWarnings()
    logger = logging.getLogger("apprise")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


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
