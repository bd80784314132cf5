"""整改: a unit's rectification items (category and source only: a complaint stays with the
discipline office), their deadlines, extensions and verification results; its office moves
them on and attaches evidence files. Extensions and verification are the managing unit's and
are only shown here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import Campaign, Unit
from models.enums import RectificationStatus
from qinglian.accounts.scope import may_change
from qinglian.accounts.sessions import SessionUser
from qinglian.campaigns.evidence import attach_evidence, unit_receipt
from qinglian.core.errors import QinglianError
from qinglian.portal.deps import (
    CampaignParam,
    CurrentUser,
    DbSession,
    Writer,
    portal_day,
    scoped_unit,
    unit_campaign,
    writable_unit,
)
from qinglian.portal.pages import render
from qinglian.portal.routes.deliverables import (
    DayField,
    FileField,
    Id,
    TextField,
    attempt,
    form_day,
    read_evidence,
    redirect,
    unit_url,
)
from qinglian.rectification.unit_items import (
    UNIT_STATUSES,
    get_unit_item,
    item_subject,
    unit_items,
    update_unit_item,
)

router = APIRouter()

StatusField = Annotated[str, Form(max_length=20)]
NOTICES = {
    "in_progress": "已更新整改进度（整改中）/ marked in progress",
    "done": "已标记为已完成，待管理单位验收 / marked done; the managing unit verifies it",
}


@router.get("/units/{code}/rectification")
def rectification_page(
    request: Request,
    code: str,
    user: CurrentUser,
    session: DbSession,
    campaign_id: CampaignParam = None,
    receipt: str = "",
    done: str = "",
) -> Response:
    unit = scoped_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    return _page(request, session, user, unit, campaign, receipt=receipt, done=done)


@router.post("/units/{code}/rectification/{item_id}/status")
def status_post(
    request: Request,
    code: str,
    item_id: Id,
    user: Writer,
    session: DbSession,
    campaign_id: CampaignParam = None,
    status: StatusField = "",
    on: DayField = "",
    evidence: TextField = "",
) -> Response:
    unit = writable_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    get_unit_item(
        session=session, campaign_id=campaign.id or 0, unit_id=unit.id or 0, item_id=item_id
    )
    day = portal_day(campaign)

    def write() -> RectificationStatus:
        chosen = _status(status)
        update_unit_item(
            session=session,
            campaign_id=campaign.id or 0,
            unit_id=unit.id or 0,
            item_id=item_id,
            status=chosen,
            changed_on=form_day(on, day),
            evidence=evidence,
            as_of=day,
        )
        return chosen

    chosen, error = attempt(session, write)
    if error is not None or chosen is None:
        return _page(request, session, user, unit, campaign, error=error)
    url = unit_url(request, unit, campaign, "rectification", done=chosen.value)
    return redirect(f"{url}#item-{item_id}")


@router.post("/units/{code}/rectification/{item_id}/evidence")
def evidence_post(
    request: Request,
    code: str,
    item_id: Id,
    user: Writer,
    session: DbSession,
    campaign_id: CampaignParam = None,
    file: FileField = None,
) -> Response:
    unit = writable_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    get_unit_item(
        session=session, campaign_id=campaign.id or 0, unit_id=unit.id or 0, item_id=item_id
    )

    def write() -> str:
        return attach_evidence(
            session=session,
            incoming=read_evidence(file),
            campaign_id=campaign.id or 0,
            unit_id=unit.id or 0,
            account_id=user.account_id,
            subject=item_subject(item_id),
            detail={"rectification_item": item_id},
        ).number

    number, error = attempt(session, write)
    if error is not None or number is None:
        return _page(request, session, user, unit, campaign, error=error)
    url = unit_url(request, unit, campaign, "rectification", receipt=number)
    return redirect(f"{url}#item-{item_id}")


def _status(value: str) -> RectificationStatus:
    for status in UNIT_STATUSES:
        if value == status.value:
            return status
    raise QinglianError("请选择整改状态：整改中或已完成", "choose a status: in_progress or done")


def _page(
    request: Request,
    session: Session,
    user: SessionUser,
    unit: Unit,
    campaign: Campaign,
    *,
    error: QinglianError | None = None,
    receipt: str = "",
    done: str = "",
) -> Response:
    day = portal_day(campaign)
    context: dict[str, Any] = {
        "unit": unit,
        "campaign": campaign,
        "day": day,
        "items": unit_items(
            session=session, campaign_id=campaign.id or 0, unit_id=unit.id or 0, as_of=day
        ),
        "statuses": UNIT_STATUSES,
        "may_write": may_change(user, unit),
        "error": error,
        "notice": NOTICES.get(done, ""),
        "receipt": unit_receipt(session=session, unit_id=unit.id or 0, number=receipt)
        if receipt
        else None,
    }
    return render(
        request, "rectification.html", user=user, status_code=400 if error else 200, **context
    )
