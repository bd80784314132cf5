"""动员部署等事项: a unit's deliverables per phase; its office records the leading group, a
deliverable done, and attaches evidence files (the plan, the minutes) with a receipt (回执).

The write helpers here (:func:`form_day`, :func:`attempt`, :func:`read_evidence`) are shared
with the summaries and rectification pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from models import Campaign, Unit
from qinglian.accounts.scope import may_change
from qinglian.accounts.sessions import SessionUser
from qinglian.campaigns.evidence import attach_evidence, unit_receipt
from qinglian.campaigns.unit_deliverables import (
    deliverable_subject,
    get_unit_deliverable,
    record_unit_delivery,
    record_unit_leading_group,
    unit_deliverables,
)
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.core.settings import get_settings
from qinglian.exchange.cells import parse_date
from qinglian.portal.deps import (
    Busy,
    CampaignParam,
    CurrentUser,
    DbSession,
    Writer,
    inputs_write,
    portal_day,
    scoped_unit,
    unit_campaign,
    writable_unit,
)
from qinglian.portal.pages import href, render
from qinglian.uploads import EVIDENCE_TYPES, Incoming, read_upload

router = APIRouter()
T = TypeVar("T")

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
DayField = Annotated[str, Form(max_length=40)]
TextField = Annotated[str, Form()]
FileField = Annotated[UploadFile | None, File()]

NOTICES = {
    "leading_group": "已登记领导小组和专项活动办公室 / leading group recorded",
    "record": "已登记完成情况 / recorded as done",
}


def form_day(text: str, day: date) -> date:
    """A form's date (2012-08-09, 2012/8/9, 2012年8月9日), the portal day when left blank."""
    try:
        parsed = parse_date(text)
    except ValueError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise QinglianError(zh, en or zh) from None
    return parsed or day


def attempt(session: Session, write: Callable[[], T]) -> tuple[T | None, QinglianError | None]:
    """Run ``write`` holding the inputs lock and commit it there; a refusal rolls back and is
    returned for the page to show. Not-found (another unit's record) and busy still raise."""
    try:
        with inputs_write():
            result = write()
            session.commit()
    except (NotFoundError, Busy):
        session.rollback()
        raise
    except QinglianError as exc:
        session.rollback()
        return None, exc
    return result, None


def read_evidence(file: UploadFile | None, *, allowed: frozenset[str] = EVIDENCE_TYPES) -> Incoming:
    """The uploaded file read within the portal's limit and typed from its content."""
    if file is None or not file.filename:
        raise QinglianError("请选择要上传的文件", "choose a file to upload")
    limit = get_settings().portal_max_upload_mb * 1024 * 1024
    return read_upload(file, allowed=allowed, max_bytes=limit)


def unit_url(request: Request, unit: Unit, campaign: Campaign, page: str, **query: str) -> str:
    """A unit page's address with the campaign and a notice (``receipt=…``, ``done=…``)."""
    params = urlencode({"campaign": campaign.id, **query})
    return href(request, f"/units/{quote(unit.code)}/{page}?{params}")


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


@router.get("/units/{code}/deliverables")
def deliverables_page(
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


@router.post("/units/{code}/deliverables/leading-group")
def leading_group_post(
    request: Request,
    code: str,
    user: Writer,
    session: DbSession,
    campaign_id: CampaignParam = None,
    on: DayField = "",
    office: TextField = "",
    leaders: TextField = "",
    deputies: TextField = "",
    members: TextField = "",
) -> Response:
    unit = writable_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    day = portal_day(campaign)

    def write() -> object:
        return record_unit_leading_group(
            session=session,
            campaign_id=campaign.id or 0,
            unit=unit,
            submitted_on=form_day(on, day),
            office=office,
            leaders=leaders,
            deputies=deputies,
            members=members,
            as_of=day,
        )

    _, error = attempt(session, write)
    if error is not None:
        return _page(request, session, user, unit, campaign, error=error)
    return redirect(unit_url(request, unit, campaign, "deliverables", done="leading_group"))


@router.post("/units/{code}/deliverables/{deliverable_id}/record")
def record_post(
    request: Request,
    code: str,
    deliverable_id: Id,
    user: Writer,
    session: DbSession,
    campaign_id: CampaignParam = None,
    on: DayField = "",
    note: TextField = "",
) -> Response:
    unit = writable_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    day = portal_day(campaign)

    def write() -> object:
        return record_unit_delivery(
            session=session,
            campaign_id=campaign.id or 0,
            unit=unit,
            deliverable_id=deliverable_id,
            submitted_on=form_day(on, day),
            note=note,
            as_of=day,
        )

    _, error = attempt(session, write)
    if error is not None:
        return _page(request, session, user, unit, campaign, error=error)
    return redirect(unit_url(request, unit, campaign, "deliverables", done="record"))


@router.post("/units/{code}/deliverables/{deliverable_id}/evidence")
def evidence_post(
    request: Request,
    code: str,
    deliverable_id: Id,
    user: Writer,
    session: DbSession,
    campaign_id: CampaignParam = None,
    file: FileField = None,
) -> Response:
    unit = writable_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    deliverable, _ = get_unit_deliverable(
        session=session,
        campaign_id=campaign.id or 0,
        unit_id=unit.id or 0,
        deliverable_id=deliverable_id,
    )

    def write() -> str:
        return attach_evidence(
            session=session,
            incoming=read_evidence(file),
            campaign_id=campaign.id or 0,
            unit_id=unit.id or 0,
            account_id=user.account_id,
            subject=deliverable_subject(deliverable_id),
            detail={"deliverable": deliverable.kind, "title": deliverable.title},
        ).number

    number, error = attempt(session, write)
    if error is not None or number is None:
        return _page(request, session, user, unit, campaign, error=error)
    return redirect(unit_url(request, unit, campaign, "deliverables", receipt=number))


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
        "view": unit_deliverables(
            session=session, campaign_id=campaign.id or 0, unit_id=unit.id or 0, as_of=day
        ),
        "may_write": may_change(user, unit),
        "error": error,
        "notice": NOTICES.get(done, ""),
        "receipt": unit_receipt(session=session, unit_id=unit.id or 0, number=receipt)
        if receipt
        else None,
    }
    return render(
        request, "deliverables.html", user=user, status_code=400 if error else 200, **context
    )
