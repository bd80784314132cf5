"""Which campaigns a sweep with no campaign named covers."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from models.campaign import Campaign
from models.enums import Level, UnitKind
from qinglian.oversight.active_campaigns import active_campaign_ids
from tests.factories import add_unit


def _campaign(session: Session, root: int, start_on: date, completed_on: date | None) -> int:
    campaign = Campaign(
        template_key="coi-2012",
        title="集中开展落实《关于卫生系统领导干部防止利益冲突的若干规定》活动",
        root_unit_id=root,
        start_on=start_on,
        completed_on=completed_on,
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    return campaign.id


def test_only_campaigns_started_and_not_completed_are_swept(session: Session) -> None:
    root = add_unit(
        session,
        None,
        code="JS",
        name="江苏省卫生厅",
        level=Level.province,
        kind=UnitKind.health_admin,
    )
    assert root.id is not None
    running = _campaign(session, root.id, date(2012, 7, 16), None)
    later = _campaign(session, root.id, date(2013, 3, 1), None)
    done = _campaign(session, root.id, date(2012, 1, 9), date(2012, 6, 30))
    also_running = _campaign(session, root.id, date(2012, 9, 1), None)

    assert active_campaign_ids(session=session, as_of=date(2012, 7, 15)) == []
    assert active_campaign_ids(session=session, as_of=date(2012, 7, 16)) == [running]
    assert active_campaign_ids(session=session, as_of=date(2012, 10, 1)) == [
        running,
        also_running,
    ]
    assert active_campaign_ids(session=session, as_of=date(2013, 3, 1)) == [
        running,
        later,
        also_running,
    ]
    assert done not in active_campaign_ids(session=session, as_of=date(2012, 3, 1))
