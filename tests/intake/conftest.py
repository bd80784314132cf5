"""The intake's peers: a real Dovecot (one per session, a mailbox per test), a real SMTP server
for the replies, and the seed tree with coi-2012 launched, its units' reply tokens made."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlmodel import Session, select

from models.enums import ContactRole
from models.outbox import NotifyContact
from models.unit import Unit
from qinglian.core import db
from qinglian.core.settings import get_settings
from qinglian.intake.mailbox import open_mailbox
from qinglian.intake.processing import IntakeConfig, IntakeResult, run_intake
from qinglian.notify.apprise_notifier import AppriseNotifier
from qinglian.org.reply_tokens import ensure_reply_tokens
from qinglian.oversight.delivery import DeliveryResult, deliver
from qinglian.oversight.hooks import Hook
from tests.factories import FB, LYG, launch_seed_campaign
from tests.intake.dovecot import PASSWORD, Dovecot, DovecotUnavailable, dovecot_server

AS_OF = date(2012, 8, 9)
NOW = datetime(2012, 8, 9, 2, 30, tzinfo=UTC)
INTAKE = "intake@lyg.example.cn"
FB_OFFICE = "office@fb.example.cn"
FB_CLERK = "clerk@fb.example.cn"  # an email: contact of 连妇保
LYG_OFFICE = "office@lyg.example.cn"  # listed in the seed units
STRANGER = "someone@elsewhere.example.com"
SENDER = "replies@lyg.example.cn"  # what the outbox's mail comes from
# For what no database changes (the mail, its attachments, the IMAP server): SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture(scope="session")
def dovecot_server_() -> Iterator[Dovecot]:
    try:
        with dovecot_server() as server:
            yield server
    except DovecotUnavailable as exc:
        pytest.skip(f"no Dovecot: {exc}")


@pytest.fixture
def dovecot(dovecot_server_: Dovecot) -> Dovecot:
    return dovecot_server_


@pytest.fixture
def user(dovecot: Dovecot) -> str:
    """This test's own intake mailbox on the shared server."""
    return dovecot.add_user()


@dataclass
class SmtpServer:
    port: int
    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append((list(envelope.rcpt_tos), mail))
        return "250 OK"

    def notifier(self) -> AppriseNotifier:
        return AppriseNotifier({"EMAIL": self.url})

    @property
    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from={SENDER}&mode=insecure"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(port=_free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """QINGLIAN_HOME for the run (quarantined mail, lock files)."""
    folder = tmp_path / "home"
    monkeypatch.setenv("QINGLIAN_HOME", str(folder))
    monkeypatch.delenv("QINGLIAN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    db.engine_for.cache_clear()
    yield folder
    get_settings.cache_clear()
    db.engine_for.cache_clear()


@dataclass(frozen=True)
class World:
    """The seed campaign, its units' tokens, and how to run the intake against it."""

    engine: Engine
    campaign_id: int
    units: dict[str, int]
    tokens: dict[str, str]
    home: Path

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def config(self, **overrides: Any) -> IntakeConfig:
        values: dict[str, Any] = {"home": self.home, "max_mb": 20, "intake_address": INTAKE}
        return IntakeConfig(**{**values, **overrides})

    def reply_address(self, code: str = FB) -> str:
        return f"intake+{self.tokens[code]}@lyg.example.cn"

    def run(
        self,
        dovecot: Dovecot,
        user: str,
        *,
        hook: Hook | None = None,
        limit: int | None = None,
        **config: Any,
    ) -> IntakeResult:
        with open_mailbox(dovecot.address(user), PASSWORD) as mailbox:
            return run_intake(
                session_factory=self.session,
                mailbox=mailbox,
                config=self.config(**config),
                as_of=AS_OF,
                now=NOW,
                limit=limit,
                hook=hook,
            )

    def deliver(self, smtp: SmtpServer) -> DeliveryResult:
        return deliver(session_factory=self.session, notifier=smtp.notifier(), now=NOW)


@pytest.fixture
def world(engine: Engine, session: Session, tmp_path: Path, home: Path) -> World:
    campaign_id = launch_seed_campaign(session, tmp_path)
    units = {unit.code: unit.id or 0 for unit in session.exec(select(Unit))}
    fb = session.get(Unit, units[FB])
    assert fb is not None
    fb.office_email = FB_OFFICE
    session.add(fb)
    session.add(
        NotifyContact(unit_id=units[FB], role=ContactRole.office, target=f"email:{FB_CLERK}")
    )
    tokens = ensure_reply_tokens(session, [units[FB], units[LYG]])
    session.commit()
    codes = {unit_id: code for code, unit_id in units.items()}
    return World(
        engine=engine,
        campaign_id=campaign_id,
        units=units,
        tokens={codes[unit_id]: token for unit_id, token in tokens.items()},
        home=home,
    )
