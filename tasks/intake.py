"""Tasks of the mail intake: read the intake mailbox, import what units returned, queue receipts."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.blocks.system import Secret
from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session

from qinglian.core.db import get_engine
from qinglian.core.settings import get_settings
from qinglian.intake.mailbox import MailboxError, configured_mailbox, open_mailbox
from qinglian.intake.processing import IntakeConfig, IntakeResult, run_intake


def _session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


def load_secret(name: str) -> str:
    """The value of a Prefect Secret block (the intake mailbox's password)."""
    value = Secret.load(name).get()
    return value if isinstance(value, str) else str(value)


def _passing_trouble(task: Any, task_run: Any, state: Any) -> bool:
    """The mailbox unreachable, or a locked SQLite file: worth one more try. A setting that is
    wrong (no mailbox, no password) fails the same way every time."""
    return isinstance(state.data, MailboxError | OperationalError | InterfaceError)


# The network (IMAP) is touched: one retry. A retry after a partial run is safe: each mail is
# settled once, by its Message-ID.
@task(
    retries=1,
    retry_delay_seconds=[30],
    retry_condition_fn=_passing_trouble,
    cache_policy=NO_CACHE,
)
def read_intake_mailbox(as_of: date | None, limit: int | None) -> IntakeResult:
    """Import, refuse or quarantine each new mail of the intake mailbox; queue its reply."""
    settings = get_settings()
    address, password = configured_mailbox(settings, load_secret)
    with open_mailbox(address, password) as mailbox:
        return run_intake(
            session_factory=_session,
            mailbox=mailbox,
            config=IntakeConfig.from_settings(settings),
            as_of=as_of,
            limit=limit,
        )
