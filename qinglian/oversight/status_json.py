"""Where a unit stands, as ``qinglian status`` shows it: gathered once, for the terminal's
tables and for the stable JSON document (schema ``qinglian.status/1``) that the CLI's
``--json`` and the portal's API both give, byte for byte."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models import Campaign
from models.outcome import DeliverableView
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.declarations.completeness import CadreForm, cadre_forms, missing_cadres
from qinglian.org.units import get_unit_by_code
from qinglian.oversight.tracking import UnitProgress, campaign_progress, unit_deliverables

SCHEMA = "qinglian.status/1"


@dataclass(frozen=True, slots=True)
class UnitStatus:
    """A campaign's progress under one unit (or its root) on ``as_of``."""

    campaign: Campaign
    as_of: date
    unit_code: str | None
    phase: str | None
    progress: UnitProgress
    own: list[DeliverableView]
    # Cadres whose form is overdue: only with a unit, only its own cadres (its office's list).
    overdue: list[CadreForm]


def unit_status(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    unit_code: str | None = None,
    phase: str | None = None,
) -> UnitStatus:
    """Gather what ``qinglian status`` shows."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    progress = campaign_progress(
        session=session, campaign_id=campaign_id, as_of=as_of, unit_code=unit_code, phase_key=phase
    )
    own = unit_deliverables(
        session=session,
        campaign_id=campaign_id,
        unit_id=progress.unit_id,
        phase_id=get_phase(session=session, campaign=campaign, key=phase).id if phase else None,
        as_of=as_of,
    )
    overdue = (
        missing_cadres(
            cadre_forms(
                session=session,
                campaign=campaign,
                root=get_unit_by_code(session=session, code=unit_code),
                as_of=as_of,
                own_only=True,
            ).get(progress.unit_id, [])
        )
        if unit_code and progress.forms is not None
        else []
    )
    return UnitStatus(
        campaign=campaign,
        as_of=as_of,
        unit_code=unit_code,
        phase=phase,
        progress=progress,
        own=own,
        overdue=overdue,
    )


def status_document(status: UnitStatus) -> dict[str, object]:
    """The ``qinglian.status/1`` document of a gathered status."""
    campaign = status.campaign
    document: dict[str, object] = {
        "schema": SCHEMA,
        "campaign": {"id": campaign.id, "template": campaign.template_key, "title": campaign.title},
        "phase": status.phase,
        "as_of": status.as_of.isoformat(),
        "unit": status.progress.as_json(),
    }
    if status.unit_code and status.progress.forms is not None:
        document["missing_forms"] = [
            {"staff_no": form.staff_no, "name": form.name, "due_on": form.due_on.isoformat()}
            for form in status.overdue
        ]
    return document


def status_text(document: dict[str, object]) -> str:
    """The document as the CLI prints it (without the final newline the terminal adds)."""
    return json.dumps(document, ensure_ascii=False, indent=2)


def status_json(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    unit_code: str | None = None,
    phase: str | None = None,
) -> str:
    """``qinglian status --json``'s output for these arguments."""
    status = unit_status(
        session=session, campaign_id=campaign_id, as_of=as_of, unit_code=unit_code, phase=phase
    )
    return status_text(status_document(status))
