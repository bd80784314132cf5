"""A throwaway Dovecot IMAP server on 127.0.0.1, for the intake's tests and its benchmark.

Debian's ``dovecot-imapd`` is installed with apt-get when ``dovecot`` is missing (as root;
otherwise the caller skips with the reason). The server runs from a temporary folder with a
configuration of its own: it listens on 127.0.0.1 on a free high port, plain IMAP (``ssl =
no``: the client is on the same host), keeps mail as Maildir under the folder, knows its users
from a passwd-file there (plain passwords), and keeps its sockets, state and log there too. It
never reads /etc/dovecot nor any system user's password.

Dovecot refuses to serve mail as root, so under root it runs entirely as ``nobody`` (started
through ``setpriv``, the folder handed to ``nobody``); otherwise as the current user. Each test
gets a user (a mailbox) of its own on the one server.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from qinglian.intake.mailbox import MailboxAddress

PASSWORD = "intake-Pa55word"
# Users written once at the start: Dovecot may not notice a passwd-file rewritten within the
# second it last read it.
USERS = 1000
_PATHS = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
_INSTALL_TIMEOUT = 600


class DovecotUnavailable(Exception):
    """Dovecot is not installed and could not be: the tests that need it are skipped."""


def find_dovecot() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return next(
        (f"{folder}/dovecot" for folder in _PATHS if os.access(f"{folder}/dovecot", os.X_OK)),
        None,
    )


def ensure_dovecot() -> str:
    """The path of ``dovecot``, installing Debian's dovecot-imapd first if need be."""
    found = find_dovecot()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise DovecotUnavailable("dovecot is not installed, and apt-get cannot install it here")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "dovecot-imapd"],
    ):
        done = subprocess.run(
            command, env=environment, capture_output=True, timeout=_INSTALL_TIMEOUT, check=False
        )
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise DovecotUnavailable(f"apt-get could not install dovecot-imapd: {tail}")
    found = find_dovecot()
    if not found:
        raise DovecotUnavailable("dovecot-imapd installed, but no dovecot binary was found")
    return found


@dataclass
class Dovecot:
    """A running server: ``add_user`` gives a fresh mailbox, ``append`` delivers to it."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    _numbers: Iterator[int] = field(default_factory=lambda: count(1))

    def add_user(self) -> str:
        """A user not handed out before, with an empty INBOX; its password is :data:`PASSWORD`."""
        number = next(self._numbers)
        if number > USERS:
            raise RuntimeError(f"the test Dovecot has {USERS} users")
        return f"intake{number}"

    def address(self, user: str, folder: str = "INBOX") -> MailboxAddress:
        return MailboxAddress(tls=False, host="127.0.0.1", port=self.port, user=user, folder=folder)

    def url(self, user: str) -> str:
        return f"imap://{user}@127.0.0.1:{self.port}/INBOX"

    @contextmanager
    def client(self, user: str) -> Iterator[imaplib.IMAP4]:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        try:
            imap.login(user, PASSWORD)
            yield imap
        finally:
            with suppress(imaplib.IMAP4.error, OSError):
                imap.logout()

    def append(self, user: str, *mails: bytes, folder: str = "INBOX") -> None:
        """Deliver mails, unread, as a mail server would (IMAP APPEND)."""
        with self.client(user) as imap:
            for raw in mails:
                status, data = imap.append(folder, "", None, raw)
                assert status == "OK", data

    def uids(self, user: str, criteria: str = "ALL", folder: str = "INBOX") -> list[int]:
        with self.client(user) as imap:
            status, _ = imap.select(f'"{folder}"')
            if status != "OK":
                return []
            _, data = imap.uid("SEARCH", None, criteria)
            return [int(uid) for uid in (data[0] or b"").split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    """A Dovecot started in a temporary folder, stopped and removed afterwards."""
    binary = ensure_dovecot()
    folder = Path(tempfile.mkdtemp(prefix="qinglian-dovecot-"))
    try:
        server = _start(binary, folder)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _start(binary: str, folder: Path) -> Dovecot:
    as_root = os.geteuid() == 0
    account = pwd.getpwnam("nobody") if as_root else pwd.getpwuid(os.getuid())
    group = grp.getgrgid(account.pw_gid).gr_name
    for name in ("run", "state", "mail", "home"):
        (folder / name).mkdir()
    port = _free_port()
    (folder / "passwd").write_text(
        "".join(f"intake{n}:{{PLAIN}}{PASSWORD}::::::\n" for n in range(1, USERS + 1)),
        encoding="ascii",
    )
    (folder / "dovecot.conf").write_text(
        _CONFIG.format(
            folder=folder,
            port=port,
            user=account.pw_name,
            group=group,
            uid=account.pw_uid,
            gid=account.pw_gid,
        ),
        encoding="utf-8",
    )
    command = [binary, "-F", "-c", str(folder / "dovecot.conf")]
    if as_root:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
        os.chmod(folder, 0o755)
        command = [
            "setpriv",
            f"--reuid={account.pw_uid}",
            f"--regid={account.pw_gid}",
            "--clear-groups",
            *command,
        ]
    output = (folder / "console.log").open("wb")
    process = subprocess.Popen(
        command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    output.close()
    server = Dovecot(folder=folder, port=port, process=process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    said = (folder / "console.log").read_text(errors="replace")[-2000:]
    raise DovecotUnavailable(f"dovecot did not start: {said}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_CONFIG = """\
# A throwaway test server: nothing here reads /etc/dovecot or a system user's password.
base_dir = {folder}/run
state_dir = {folder}/state
instance_name = qinglian-test-{port}
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{folder}/mail/%u
first_valid_uid = 1
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
mail_max_userip_connections = 100
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
