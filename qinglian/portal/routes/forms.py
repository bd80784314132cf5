"""报告表: download the unit's pre-filled workbook, upload it filled in (all or nothing), and the
receipts (回执) of past uploads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from qinglian.accounts.sessions import SessionUser
from qinglian.core import db
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.portal.deps import (
    Busy,
    CampaignParam,
    CurrentUser,
    Writer,
    portal_day,
    scoped_unit,
    unit_campaign,
)
from qinglian.portal.form_uploads import (
    FormsRejected,
    ReasonRequired,
    form_receipts,
    submit_forms,
    template_response,
)
from qinglian.portal.pages import href, render

router = APIRouter()

Reason = Annotated[str, Form(max_length=1000)]


@router.get("/units/{code}/forms")
def forms_page(
    request: Request,
    code: str,
    user: CurrentUser,
    campaign_id: CampaignParam = None,
    receipt: str | None = None,
) -> Response:
    return _page(request, user, code, campaign_id, shown_receipt=receipt)


@router.get("/units/{code}/forms/template.xlsx")
def forms_template(code: str, user: CurrentUser, campaign_id: CampaignParam = None) -> Response:
    return template_response(user, code, campaign_id)


@router.post("/units/{code}/forms")
def forms_upload(
    request: Request,
    code: str,
    user: Writer,
    file: Annotated[UploadFile, File()],
    reason: Reason = "",
    campaign_id: CampaignParam = None,
) -> Response:
    try:
        accepted = submit_forms(user, code, campaign_id, file, reason)
    except FormsRejected as exc:
        return _page(request, user, code, campaign_id, status=422, error=exc, errors=exc.errors)
    except ReasonRequired as exc:
        return _page(request, user, code, campaign_id, status=400, error=exc, needs_reason=True)
    except (NotFoundError, Busy):
        raise
    except QinglianError as exc:
        return _page(request, user, code, campaign_id, status=400, error=exc, reason=reason)
    with db.session_scope() as session:
        unit = scoped_unit(session, user, code)
        campaign = unit_campaign(session, unit, campaign_id)
        target = f"/units/{unit.code}/forms?campaign={campaign.id}&receipt={accepted.receipt}"
    return RedirectResponse(href(request, target), status_code=303)


def _page(
    request: Request,
    user: SessionUser,
    code: str,
    campaign_id: int | None,
    *,
    status: int = 200,
    shown_receipt: str | None = None,
    **extra: Any,
) -> Response:
    with db.session_scope() as session:
        unit = scoped_unit(session, user, code)
        campaign = unit_campaign(session, unit, campaign_id)
        assert campaign.id is not None and unit.id is not None
        receipts = form_receipts(session=session, campaign_id=campaign.id, unit_id=unit.id)
        # Only a receipt of this unit is shown: a number in the address proves nothing.
        accepted = next((r for r in receipts if r.number == shown_receipt), None)
        return render(
            request,
            "forms.html",
            user=user,
            unit=unit,
            campaign=campaign,
            day=portal_day(campaign),
            receipts=receipts,
            accepted=accepted,
            status_code=status,
            **extra,
        )
