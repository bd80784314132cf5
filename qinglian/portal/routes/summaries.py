"""阶段性总结: one section per phase, the unit's narrative written in the page or handed in as a
Word or text file, submitted upward against its deadline with a receipt (回执)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import Campaign, Unit
from models.enums import DeliverableStatus, UploadPurpose
from qinglian.accounts.scope import may_change
from qinglian.accounts.sessions import SessionUser
from qinglian.campaigns.evidence import unit_receipt
from qinglian.campaigns.lookup import get_phase
from qinglian.campaigns.narrative_file import NARRATIVE_TYPES, narrative_text
from qinglian.campaigns.unit_deliverables import unit_deliverables
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
    TextField,
    attempt,
    form_day,
    read_evidence,
    redirect,
    unit_url,
)
from qinglian.reporting.narratives import narratives_of, submit_narrative
from qinglian.uploads import issue_receipt, store_upload

router = APIRouter()

PhaseKey = Annotated[str, Path(min_length=1, max_length=64)]


@dataclass(slots=True)
class PhaseSection:
    key: str
    title: str
    starts_on: date
    ends_on: date
    due_on: date | None
    status: DeliverableStatus | None
    narrative: str
    narrative_by: str
    submitted_on: date | None


@router.get("/units/{code}/summaries")
def summaries_page(
    request: Request,
    code: str,
    user: CurrentUser,
    session: DbSession,
    campaign_id: CampaignParam = None,
    receipt: str = "",
) -> Response:
    unit = scoped_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    return _page(request, session, user, unit, campaign, receipt=receipt)


@router.post("/units/{code}/summaries/{phase_key}")
def summary_post(
    request: Request,
    code: str,
    phase_key: PhaseKey,
    user: Writer,
    session: DbSession,
    campaign_id: CampaignParam = None,
    on: DayField = "",
    text: TextField = "",
    file: FileField = None,
) -> Response:
    unit = writable_unit(session, user, code)
    campaign = unit_campaign(session, unit, campaign_id)
    get_phase(session=session, campaign=campaign, key=phase_key)  # an unknown phase is a 404
    day = portal_day(campaign)

    def write() -> str:
        upload_id = None
        body = text
        if file is not None and file.filename:
            incoming = read_evidence(file, allowed=NARRATIVE_TYPES)
            body = narrative_text(incoming)
            upload_id = store_upload(
                session=session,
                incoming=incoming,
                purpose=UploadPurpose.summary,
                campaign_id=campaign.id or 0,
                unit_id=unit.id or 0,
                account_id=user.account_id,
                subject=f"summary:{phase_key}",
            ).id
        done = submit_narrative(
            session=session,
            campaign_id=campaign.id or 0,
            phase_key=phase_key,
            unit_code=unit.code,
            text=body,
            submitted_on=form_day(on, day),
            submitted_by=user.login,
            as_of=day,
            commit=False,
        )
        return issue_receipt(
            session=session,
            campaign_id=campaign.id or 0,
            unit_id=unit.id or 0,
            account_id=user.account_id,
            kind=UploadPurpose.summary,
            upload_id=upload_id,
            detail={
                "phase": done.phase_key,
                "phase_title": done.phase_title,
                "submitted_on": done.submitted_on.isoformat(),
                "due_on": done.due_on.isoformat() if done.due_on else None,
                "status": done.status,
                "replaced": done.replaced,
            },
        ).number

    number, error = attempt(session, write)
    if error is not None or number is None:
        return _page(request, session, user, unit, campaign, error=error, failed=phase_key)
    return redirect(
        unit_url(request, unit, campaign, "summaries", receipt=number) + f"#phase-{phase_key}"
    )


def _page(
    request: Request,
    session: Session,
    user: SessionUser,
    unit: Unit,
    campaign: Campaign,
    *,
    error: QinglianError | None = None,
    receipt: str = "",
    failed: str = "",
) -> Response:
    day = portal_day(campaign)
    context: dict[str, Any] = {
        "unit": unit,
        "campaign": campaign,
        "day": day,
        "sections": _sections(session, campaign, unit, day),
        "may_write": may_change(user, unit),
        "error": error,
        "failed": failed,
        "receipt": unit_receipt(session=session, unit_id=unit.id or 0, number=receipt)
        if receipt
        else None,
    }
    return render(
        request, "summaries.html", user=user, status_code=400 if error else 200, **context
    )


def _sections(session: Session, campaign: Campaign, unit: Unit, day: date) -> list[PhaseSection]:
    view = unit_deliverables(
        session=session, campaign_id=campaign.id or 0, unit_id=unit.id or 0, as_of=day
    )
    written = {
        phase.key: summary
        for phase, summary in narratives_of(
            session=session, campaign_id=campaign.id or 0, unit_id=unit.id or 0
        )
    }
    sections = []
    for phase in view.phases:
        item = next((item for item in phase.items if item.is_summary), None)
        summary = written.get(phase.key)
        shown = summary is not None and (summary.submitted_on or day) <= day
        sections.append(
            PhaseSection(
                key=phase.key,
                title=phase.title,
                starts_on=phase.starts_on,
                ends_on=phase.ends_on,
                due_on=item.due_on if item else None,
                status=item.status if item else None,
                narrative=summary.narrative if shown and summary else "",
                narrative_by=summary.narrative_by if shown and summary else "",
                submitted_on=summary.submitted_on if shown and summary else None,
            )
        )
    return sections
