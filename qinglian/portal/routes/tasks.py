"""我的任务: a unit's deliverables with their deadlines and status, its own cadres' report forms,
and what the escalation ladder has already sent about it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from qinglian.oversight.unit_tasks import unit_tasks
from qinglian.portal.deps import (
    CampaignParam,
    CurrentUser,
    DbSession,
    portal_day,
    scoped_unit,
    unit_campaign,
)
from qinglian.portal.pages import render

router = APIRouter()


@router.get("/units/{code}")
def tasks_page(
    request: Request,
    code: str,
    user: CurrentUser,
    session: DbSession,
    campaign_id: CampaignParam = None,
) -> Response:
    unit = scoped_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    day = portal_day(campaign)
    return render(
        request,
        "tasks.html",
        user=user,
        unit=unit,
        campaign=campaign,
        day=day,
        view=unit_tasks(session=session, campaign=campaign, unit=unit, as_of=day),
    )
