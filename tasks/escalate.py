"""Tasks of the escalation sweep (督办): queue what is due, then send the outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import task
from sqlmodel import Session

from qinglian.core.db import get_engine
from qinglian.core.settings import get_settings
from qinglian.notify.notifier import get_notifier
from qinglian.oversight.active_campaigns import active_campaign_ids
from qinglian.oversight.board_outbox import BoardResult, queue_boards
from qinglian.oversight.delivery import DeliveryResult, deliver
from qinglian.oversight.outbox import SweepResult, sweep
from tasks.retries import DB_RETRIES


def _session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


@task(**DB_RETRIES)
def find_active_campaigns(as_of: date) -> list[int]:
    """The ids of the campaigns the sweep covers on ``as_of`` when none is named."""
    with _session() as session:
        return active_campaign_ids(session=session, as_of=as_of)


@task(**DB_RETRIES)
def write_digests(campaign_id: int, as_of: date) -> SweepResult:
    """Queue a digest per recipient, for its channel, of every ladder step now due; idempotent."""
    with _session() as session:
        return sweep(
            session=session,
            campaign_id=campaign_id,
            as_of=as_of,
            channel_of=get_notifier().channel,
        )


@task(**DB_RETRIES)
def queue_board_pictures(campaign_id: int, as_of: date) -> BoardResult:
    """Queue the day's 督办榜 for every target the sweep told; idempotent.

    Links expire a week from now, the real time, whatever day ``as_of`` replays.
    """
    with _session() as session:
        return queue_boards(
            session=session,
            campaign_id=campaign_id,
            as_of=as_of,
            channel_of=get_notifier().channel,
            portal_url=get_settings().portal_url,
            now=datetime.now(UTC),
        )


@task(retries=2, retry_delay_seconds=[5, 30])
def send_outbox(campaign_id: int | None) -> DeliveryResult:
    """Send due digests, and those a killed run left mid-send, over every channel; record each."""
    return deliver(
        session_factory=_session,
        notifier=get_notifier(),
        now=datetime.now(UTC),
        campaign_id=campaign_id,
    )
