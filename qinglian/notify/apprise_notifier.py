"""The Apprise notifier: sends to the URLs configured for a target name, never naming them.

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
  ``smtplib`` (:mod:`qinglian.notify.mail`), from the settings Apprise parsed out of the URL;
- WeCom, DingTalk, Feishu/Lark and other bots take no custom header: the digest body carries
  the key (消息编号) for people to see.

WeCom, DingTalk and Feishu/Lark URLs (``wecombot://``, ``dingtalk://``, ``feishu://``,
``lark://``) are not sent by Apprise's plugins, which look only at the HTTP status while these
bots answer 200 to a refused message: :mod:`qinglian.notify.bots` sends them, reads the reply's
error code, and respects each bot's rate limit. Their URL syntax is Apprise's, plus an optional
``?api=`` host.

The URL, which carries tokens, stays in the environment: errors name the target, and the
Apprise and urllib3 loggers are filtered so no URL or token part reaches a log.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import apprise
from apprise.utils.parse import parse_urls

from qinglian.notify.bots import Bot, bot_scheme, parse_bot, send_bot
from qinglian.notify.channels import EMAIL, Channel, channel_for_scheme, strictest
from qinglian.notify.mail import send_mail
from qinglian.notify.protocol import IDEMPOTENCY_HEADER, Message, NotifyError
from qinglian.notify.ratelimit import BOT_LIMITER, RateLimiter
from qinglian.notify.redaction import SECRETS, redact
from qinglian.notify.targets import EMAIL_PREFIX, EMAIL_TRANSPORT, is_email_target, normalise_target

PREFECT_SECRET_SCHEME = "prefect-secret://"
CONFIG_ENV = "QINGLIAN_NOTIFY_CONFIG"

_EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
_HEADER_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
_PAYLOAD_SCHEMES = frozenset({"json", "jsons", "form", "forms"})


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
    """Sends through Apprise (mail through smtplib, group bots through the checked sender) to the
    URLs configured for a target name. ``limiter``: the bots' rate limiter (tests pass one on a
    fake clock)."""

    def __init__(
        self,
        targets: Mapping[str, str],
        *,
        config_path: Path | None = None,
        secret_loader: Callable[[str], str] = load_prefect_secret,
        email_transport: str = EMAIL_TRANSPORT,
        limiter: RateLimiter = BOT_LIMITER,
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
        self._limiter = limiter
        self._bots: dict[str, Bot | None] = {}
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
                send_mail(url, message, [address])
            return
        for url in self._urls(message.target, shown=message.target):
            if _scheme(url) in _EMAIL_SCHEMES:
                send_mail(url, message, None)
            elif bot_scheme(url):
                send_bot(self._bot(url, message.target), message, limiter=self._limiter)
            else:
                self._send_apprise(url, message)

    def channel(self, target: str) -> Channel:
        """The channel the target's URLs reach (the strictest, when they are of several kinds)."""
        if is_email_target(target):
            return EMAIL
        return strictest(
            channel_for_scheme(bot_scheme(url) or _scheme(url))
            for url in self._urls(target, shown=target)
        )

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

    def _bot(self, url: str, target: str) -> Bot:
        with self._lock:
            if url in self._bots:
                bot = self._bots[url]
            else:
                bot = self._bots[url] = parse_bot(url)
        if bot is None:
            raise NotifyError(
                f"通知目标「{target}」的机器人地址无效",
                f"the bot URL of notification target {target!r} is not valid",
                permanent=True,
            )
        return bot

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
