"""The narrative each unit writes for a phase summary and submits upward, against its cascaded
deadline: it fulfils the phase's ``<phase>_summary`` deliverable.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models import Deliverable, Phase
from models.summary import NARRATIVE_MAX_CHARS, PhaseSummary
from qinglian.campaigns.lookup import get_campaign, get_phase
from qinglian.core.errors import QinglianError
from qinglian.org.units import get_unit_by_code
from qinglian.reporting.scope import check_in_campaign
from qinglian.rules.status import deliverable_status

# Zero-width spaces, joiners and BOMs: a narrative of only these is as empty as a blank one.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def summary_deliverable_kind(phase_key: str) -> str:
    """The deliverable a phase summary fulfils: ``<phase>_summary`` (e.g. ``find_summary``)."""
    return f"{phase_key}_summary"


class NarrativeReceipt(BaseModel):
    """What submitting a narrative did: when it counts as submitted, against which deadline."""

    unit_code: str
    unit_name: str
    phase_key: str
    phase_title: str
    submitted_on: date
    due_on: date | None
    status: str  # 按时 / 逾期提交 / 无截止日期
    replaced: bool


def check_narrative(text: str) -> str:
    """The narrative as stored; an empty or oversized one is refused with its size."""
    body = _INVISIBLE.sub("", text.replace("\r\n", "\n")).strip()
    if not body:
        raise QinglianError(
            "阶段性总结内容为空，未保存", "the phase summary narrative is empty; nothing saved"
        )
    if len(body) > NARRATIVE_MAX_CHARS:
        raise QinglianError(
            f"阶段性总结过长（{len(body)} 个字符，最多 {NARRATIVE_MAX_CHARS} 个），未保存；"
            "请精简，附件材料另行报送",
            f"the narrative is too long ({len(body)} characters, at most {NARRATIVE_MAX_CHARS});"
            " nothing saved",
        )
    return body


def submit_narrative(
    *,
    session: Session,
    campaign_id: int,
    phase_key: str,
    unit_code: str,
    text: str,
    submitted_on: date,
    submitted_by: str = "",
    as_of: date | None = None,
    commit: bool = True,
) -> NarrativeReceipt:
    """A unit's phase-summary narrative, submitted upward: it fulfils ``<phase>_summary``.

    Re-submitting replaces the text; the deliverable keeps its first submission date.
    ``as_of`` (when given) refuses a submission dated in the future.
    """
    body = check_narrative(text)
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    phase = get_phase(session=session, campaign=campaign, key=phase_key)
    unit = get_unit_by_code(session=session, code=unit_code)
    check_in_campaign(session=session, campaign=campaign, unit=unit)
    if as_of is not None and submitted_on > as_of:
        raise QinglianError(
            f"提交日期 {submitted_on} 晚于今天（{as_of}）",
            f"submitted on {submitted_on}, after as_of ({as_of})",
        )
    if submitted_on < phase.starts_on:
        raise QinglianError(
            f"提交日期 {submitted_on} 早于{phase.title}阶段开始（{phase.starts_on}）",
            f"submitted on {submitted_on}, before phase {phase.key} starts ({phase.starts_on})",
        )
    row = session.exec(
        select(PhaseSummary).where(
            PhaseSummary.campaign_id == campaign_id,
            PhaseSummary.phase_id == phase.id,
            PhaseSummary.unit_id == unit.id,
        )
    ).first()
    replaced = row is not None and bool(row.narrative)
    if row is None:
        row = PhaseSummary(campaign_id=campaign_id, phase_id=phase.id or 0, unit_id=unit.id or 0)
    row.narrative = body
    row.narrative_by = submitted_by  # too long: refused at the flush, never cut
    row.submitted_on = row.submitted_on or submitted_on
    session.add(row)
    deliverable = session.exec(
        select(Deliverable).where(
            Deliverable.campaign_id == campaign_id,
            Deliverable.unit_id == unit.id,
            Deliverable.kind == summary_deliverable_kind(phase.key),
        )
    ).first()
    if deliverable is not None and deliverable.submitted_on is None:
        deliverable.submitted_on = submitted_on
        session.add(deliverable)
    if commit:
        session.commit()
    first = row.submitted_on
    status = (
        deliverable_status(deliverable.due_on, first, first).label
        if deliverable is not None
        else "无截止日期"
    )
    return NarrativeReceipt(
        unit_code=unit.code,
        unit_name=unit.name,
        phase_key=phase.key,
        phase_title=phase.title,
        submitted_on=first,
        due_on=deliverable.due_on if deliverable else None,
        status=status,
        replaced=replaced,
    )


def narratives_of(
    *, session: Session, campaign_id: int, unit_id: int
) -> list[tuple[Phase, PhaseSummary]]:
    """The unit's submitted narratives with their phases, in phase order."""
    return list(
        session.exec(
            select(Phase, PhaseSummary)
            .join(PhaseSummary, col(PhaseSummary.phase_id) == Phase.id)
            .where(
                PhaseSummary.campaign_id == campaign_id,
                PhaseSummary.unit_id == unit_id,
                PhaseSummary.narrative != "",
            )
            .order_by(Phase.seq)
        ).all()
    )
