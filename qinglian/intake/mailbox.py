"""The intake mailbox over IMAP: new mail read without marking it, flagged once processed.

``QINGLIAN_INTAKE_IMAP`` names it: ``imaps://user@host[:port]/MAILBOX`` (TLS from the first
byte, port 993 by default) or ``imap://user@host[:port]/MAILBOX`` (no TLS, port 143: only for a
server on the same host or a private network, such as the test Dovecot, which listens on
127.0.0.1). A user name holding ``@`` is written ``%40``; the mailbox defaults to ``INBOX``.
The password is never in the URL: ``QINGLIAN_INTAKE_PASSWORD`` or a Prefect Secret block
(``QINGLIAN_INTAKE_PASSWORD_BLOCK``) holds it, and it never appears in an error.

**What is new.** The mail to read is what is ``UNSEEN``, plus (once one mail of this mailbox
has been recorded) every UID above the highest one recorded for the mailbox's UIDVALIDITY: a
person who opens the mailbox in a mail client and reads a new mail does not hide it from the
intake. A new UIDVALIDITY (the mailbox was rebuilt) starts again from ``UNSEEN``; a mail seen
before is known by its Message-ID and only flagged again.

**Reading changes nothing.** Bodies are fetched with ``BODY.PEEK[]``, so no mail is marked
``\\Seen`` before its outcome is committed; then :meth:`Mailbox.flag_seen` marks it, and
:meth:`Mailbox.quarantine` moves a quarantined one to the ``Quarantine`` folder (``MOVE``, or
``COPY`` where the server lacks it). A mail larger than ``max_bytes`` is fetched by its header
only (it is quarantined as oversize, its body never read).
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings
from qinglian.notify.redaction import redact

QUARANTINE_FOLDER = "Quarantine"
_DEFAULT_PORTS = {"imaps": 993, "imap": 143}
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
# One FETCH asks for at most this many mails or (about) this many bytes of bodies.
_BATCH_MAILS = 50
_BATCH_BYTES = 32 * 1024 * 1024


class MailboxError(QinglianError):
    """The intake mailbox could not be reached, logged into or read."""


@dataclass(frozen=True, slots=True)
class MailboxAddress:
    """Where the intake mailbox is: read from ``QINGLIAN_INTAKE_IMAP``."""

    tls: bool
    host: str
    port: int
    user: str
    folder: str

    def __repr__(self) -> str:  # QINGLIAN_INTAKE_IMAP is kept as a secret: never shown
        return "MailboxAddress(***)"


@dataclass(frozen=True, slots=True)
class Fetched:
    """One mail as read: all of it, or (``whole`` false) its header only, being too large."""

    uid: int
    size: int
    raw: bytes
    whole: bool


def parse_mailbox_url(url: str) -> MailboxAddress:
    """``imaps://user@host[:port]/MAILBOX`` → its parts; a password in the URL is refused."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise QinglianError(
            "QINGLIAN_INTAKE_IMAP 应为 imaps://用户名@服务器[:端口]/邮箱文件夹（或 imap://，仅限本机）",
            "QINGLIAN_INTAKE_IMAP must be imaps://user@host[:port]/MAILBOX (or imap://, local only)",
        )
    if parts.password:
        raise QinglianError(
            "QINGLIAN_INTAKE_IMAP 中不能写密码：请用 QINGLIAN_INTAKE_PASSWORD 或 Prefect Secret 块",
            "QINGLIAN_INTAKE_IMAP must not hold the password: use QINGLIAN_INTAKE_PASSWORD or "
            "a Prefect Secret block",
        )
    if not parts.username:
        raise QinglianError(
            "QINGLIAN_INTAKE_IMAP 缺少用户名（imaps://用户名@服务器/邮箱文件夹）",
            "QINGLIAN_INTAKE_IMAP names no user (imaps://user@host/MAILBOX)",
        )
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise QinglianError(
            "QINGLIAN_INTAKE_IMAP 的端口无效", "QINGLIAN_INTAKE_IMAP has an invalid port"
        ) from None
    folder = unquote(parts.path.strip("/")) or "INBOX"
    return MailboxAddress(
        tls=scheme == "imaps",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        folder=folder,
    )


def configured_mailbox(
    settings: Settings, load_secret: Callable[[str], str]
) -> tuple[MailboxAddress, str]:
    """The intake mailbox of the settings and its password: ``intake_password``, else the
    Prefect Secret block ``intake_password_block`` read with ``load_secret`` (the caller's:
    this package never imports Prefect)."""
    if settings.intake_imap is None or not settings.intake_imap.get_secret_value().strip():
        raise QinglianError(
            "未配置回收邮箱：请设置 QINGLIAN_INTAKE_IMAP（imaps://用户名@服务器/邮箱文件夹）",
            "no intake mailbox: set QINGLIAN_INTAKE_IMAP (imaps://user@host/MAILBOX)",
        )
    address = parse_mailbox_url(settings.intake_imap.get_secret_value())
    if settings.intake_password is not None:
        return address, settings.intake_password.get_secret_value()
    if settings.intake_password_block:
        return address, load_secret(settings.intake_password_block)
    raise QinglianError(
        "未配置回收邮箱的密码：请设置 QINGLIAN_INTAKE_PASSWORD 或 QINGLIAN_INTAKE_PASSWORD_BLOCK",
        "no intake mailbox password: set QINGLIAN_INTAKE_PASSWORD or "
        "QINGLIAN_INTAKE_PASSWORD_BLOCK",
    )


@contextmanager
def open_mailbox(
    address: MailboxAddress, password: str, *, timeout: float = 60.0
) -> Iterator[Mailbox]:
    """The mailbox, logged in and its folder selected read-write; logged out afterwards."""
    box = Mailbox(address, password, timeout=timeout)
    try:
        yield box
    finally:
        box.close()


class Mailbox:
    """One IMAP connection to the intake folder. Every failure is a :class:`MailboxError`."""

    def __init__(self, address: MailboxAddress, password: str, *, timeout: float = 60.0) -> None:
        self.address = address
        self._password = password
        self._imap: imaplib.IMAP4 | None = None
        with self._errors("连接或登录", "connecting or logging in"):
            if address.tls:
                context = ssl.create_default_context()
                self._imap = imaplib.IMAP4_SSL(
                    address.host, address.port, ssl_context=context, timeout=timeout
                )
            else:
                self._imap = imaplib.IMAP4(address.host, address.port, timeout=timeout)
            self._imap.login(address.user, password)
            self._check(self._imap.select(_quoted(address.folder)), "SELECT")
            validity = self._imap.response("UIDVALIDITY")[1]
            self.uid_validity = int(validity[0]) if validity and validity[0] else 0
            # What the server offers once logged in (the greeting's list is shorter).
            status, said = self._imap.capability()
            words = said[0].decode("ascii", "replace").split() if status == "OK" and said else []
            self._capabilities = {word.upper() for word in words} | {
                item.upper() for item in self._imap.capabilities
            }
        self._quarantine_ready = False

    # --- reading -------------------------------------------------------------------------

    def new_uids(self, *, above: int | None, limit: int | None) -> list[int]:
        """UIDs of the mail to read, ascending: UNSEEN, and every UID above ``above``."""
        with self._errors("查找新邮件", "searching for new mail"):
            found = set(self._search("UNSEEN"))
            if above is not None:
                # "n:*" always matches the highest UID, even below n: filter here.
                found.update(uid for uid in self._search("UID", f"{above + 1}:*") if uid > above)
        uids = sorted(found)
        return uids if limit is None else uids[:limit]

    def fetch(self, uids: Sequence[int], *, max_bytes: int) -> Iterator[Fetched]:
        """Each mail in ``uids``, in order, without marking it; larger than ``max_bytes``: its
        header only. Bodies come in batches of bounded size."""
        with self._errors("读取邮件大小", "reading mail sizes"):
            sizes = self._sizes(uids)
        batch: list[int] = []
        batch_bytes = 0
        for uid in uids:
            size = sizes.get(uid)
            if size is None:
                continue  # expunged meanwhile
            if size > max_bytes:
                yield from self._flush(batch)
                batch, batch_bytes = [], 0
                yield Fetched(uid=uid, size=size, raw=self._header(uid), whole=False)
                continue
            if batch and (len(batch) >= _BATCH_MAILS or batch_bytes + size > _BATCH_BYTES):
                yield from self._flush(batch)
                batch, batch_bytes = [], 0
            batch.append(uid)
            batch_bytes += size
        yield from self._flush(batch)

    def _flush(self, batch: list[int]) -> Iterator[Fetched]:
        if not batch:
            return
        with self._errors("读取邮件", "fetching mail"):
            bodies = self._bodies(batch, "BODY.PEEK[]")
        for uid in batch:
            if uid in bodies:
                yield Fetched(uid=uid, size=len(bodies[uid]), raw=bodies[uid], whole=True)

    def _header(self, uid: int) -> bytes:
        with self._errors("读取邮件头", "fetching a mail header"):
            return self._bodies([uid], "BODY.PEEK[HEADER]").get(uid, b"")

    # --- marking -------------------------------------------------------------------------

    def flag_seen(self, uid: int) -> None:
        """Mark the mail \\Seen: its outcome is committed, it is not read again."""
        with self._errors("标记邮件为已读", "flagging a mail seen"):
            self._uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Seen)")

    def quarantine(self, uid: int) -> None:
        """Mark it \\Seen and move it to the ``Quarantine`` folder (made on first use)."""
        self.flag_seen(uid)
        with self._errors("移入隔离文件夹", "moving a mail to quarantine"):
            if not self._quarantine_ready:
                assert self._imap is not None
                status, data = self._imap.create(_quoted(QUARANTINE_FOLDER))
                if status != "OK" and not _already_exists(data):
                    self._check((status, data), "CREATE")
                self._quarantine_ready = True
            if "MOVE" in self._capabilities:
                self._uid("MOVE", str(uid), _quoted(QUARANTINE_FOLDER))
            else:
                self._uid("COPY", str(uid), _quoted(QUARANTINE_FOLDER))

    def close(self) -> None:
        if self._imap is None:
            return
        imap, self._imap = self._imap, None
        try:
            if imap.state == "SELECTED":
                imap.close()
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    # --- IMAP ------------------------------------------------------------------------------

    def _search(self, *criteria: str) -> list[int]:
        data = self._uid("SEARCH", *criteria)
        return [int(uid) for line in data if line for uid in line.split()]

    def _sizes(self, uids: Sequence[int]) -> dict[int, int]:
        sizes: dict[int, int] = {}
        for start in range(0, len(uids), 500):
            chunk = ",".join(str(uid) for uid in uids[start : start + 500])
            for line in self._uid("FETCH", chunk, "(RFC822.SIZE)"):
                text = line[0] if isinstance(line, tuple) else line
                if not isinstance(text, bytes):
                    continue
                uid, size = _UID.search(text), _SIZE.search(text)
                if uid and size:
                    sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def _bodies(self, uids: Sequence[int], item: str) -> dict[int, bytes]:
        bodies: dict[int, bytes] = {}
        for line in self._uid("FETCH", ",".join(str(uid) for uid in uids), f"({item})"):
            if isinstance(line, tuple) and len(line) == 2:
                uid = _UID.search(line[0])
                if uid:
                    bodies[int(uid.group(1))] = line[1]
        return bodies

    def _uid(self, command: str, *args: str) -> list[object]:
        assert self._imap is not None
        status, data = self._imap.uid(command, *args)
        self._check((status, data), f"UID {command}")
        return list(data)

    def _check(self, reply: tuple[str, list[object]], command: str) -> None:
        status, data = reply
        if status != "OK":
            said = b" ".join(item for item in data if isinstance(item, bytes)).decode(
                "utf-8", "replace"
            )
            raise imaplib.IMAP4.error(f"{command}: {status} {said}")

    @contextmanager
    def _errors(self, zh: str, en: str) -> Iterator[None]:
        try:
            yield
        except (TimeoutError, imaplib.IMAP4.error, OSError, EOFError) as exc:
            detail = redact(f"{type(exc).__name__}: {exc}", [self._password])[:300]
            # The address stays out: QINGLIAN_INTAKE_IMAP is kept as a secret.
            raise MailboxError(
                f"回收邮箱{zh}失败（{detail}）", f"the intake mailbox: {en} failed ({detail})"
            ) from None


def _quoted(folder: str) -> str:
    escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _already_exists(data: list[object]) -> bool:
    text = b" ".join(item for item in data if isinstance(item, bytes)).upper()
    return b"ALREADYEXISTS" in text or b"ALREADY EXISTS" in text
