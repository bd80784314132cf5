"""上报率: the DHIS2-style reporting-rate table of a unit's subtree, each child a link to its own
table (drill-down), and the same table as an XLSX workbook.

Open to the unit's office, head and admin and to those of every unit above it
(:mod:`qinglian.accounts.rates_scope`); the unit's tab bar shows only to a user who may also
open its other pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from models import Campaign, Phase, Unit
from qinglian.accounts.rates_scope import rates_unit
from qinglian.accounts.scope import may_see
from qinglian.accounts.sessions import SessionUser
from qinglian.portal.deps import CampaignParam, CurrentUser, DbSession, portal_day, unit_campaign
from qinglian.portal.pages import attachment, href, render
from qinglian.reporting.artifacts import percent
from qinglian.reporting.rate_table import (
    BANDS_TEXT,
    BANDS_TEXT_EN,
    RateTable,
    rate_class,
    rate_table,
    rate_workbook,
)

router = APIRouter()

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PhaseParam = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/units/{code}/rates")
def rates_page(
    request: Request,
    code: str,
    user: CurrentUser,
    session: DbSession,
    campaign_id: CampaignParam = None,
    phase: PhaseParam = None,
) -> Response:
    unit, campaign, table = _table(session, user, code, campaign_id, phase)
    return render(
        request,
        "rates.html",
        user=user,
        # The tab bar links to the unit's other pages: only for a user who may open them.
        unit=unit if may_see(user, unit) else None,
        rates_unit=unit,
        campaign=campaign,
        day=table.as_of,
        table=table,
        phases=_phases(session, campaign),
        percent=percent,
        rate_class=rate_class,
        rates_url=lambda target, key=phase, suffix="": _rates_url(
            request, target, campaign, key, suffix
        ),
        bands=BANDS_TEXT,
        bands_en=BANDS_TEXT_EN,
    )


@router.get("/units/{code}/rates.xlsx")
def rates_workbook(
    code: str,
    user: CurrentUser,
    session: DbSession,
    campaign_id: CampaignParam = None,
    phase: PhaseParam = None,
) -> Response:
    unit, _, table = _table(session, user, code, campaign_id, phase)
    suffix = f"-{table.phase_key}" if table.phase_key else ""
    name = f"上报率-{unit.code}{suffix}-{table.as_of.isoformat()}.xlsx"
    return Response(
        rate_workbook(table),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": attachment(name)},
    )


def _table(
    session: Session, user: SessionUser, code: str, campaign_id: int | None, phase: str | None
) -> tuple[Unit, Campaign, RateTable]:
    unit = rates_unit(session=session, user=user, code=code)
    campaign = unit_campaign(session, unit, campaign_id)
    assert campaign.id is not None
    table = rate_table(
        session=session,
        campaign_id=campaign.id,
        unit_code=unit.code,
        as_of=portal_day(campaign),
        phase_key=phase,
    )
    return unit, campaign, table


def _phases(session: Session, campaign: Campaign) -> list[Phase]:
    return list(
        session.exec(
            select(Phase).where(Phase.campaign_id == campaign.id).order_by(col(Phase.seq))
        ).all()
    )


def _rates_url(
    request: Request, code: str, campaign: Campaign, phase: str | None, suffix: str = ""
) -> str:
    query: dict[str, str | int] = {"campaign": campaign.id or 0}
    if phase:
        query["phase"] = phase
    return href(request, f"/units/{quote(code, safe='')}/rates{suffix}?{urlencode(query)}")
