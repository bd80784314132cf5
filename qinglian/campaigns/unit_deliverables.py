"""One unit's deliverables (动员部署 and the others) as its office sees and records them: per
phase, with deadline, status on a day, what was recorded, the leading group and the evidence
files attached. The writes wrap :func:`record_delivery` and :func:`record_leading_group` with
the checks a web form needs (the record is the unit's own, text within its column's bounds)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models import Deliverable, GroupRole, LeadingGroupMember, Phase, Unit
from models.account import Upload
from models.enums import DeliverableStatus
from qinglian.campaigns.evidence import evidence_files
from qinglian.campaigns.launch import LEADING_GROUP, record_delivery, record_leading_group
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.rules.status import deliverable_status

NOTE_MAX = 2000  # Deliverable.note
NAME_MAX = 100  # LeadingGroupMember.name
OFFICE_MAX = 200
GROUP_MAX = 200  # names in one role: a leading group, not a staff list
_NAME_SEPARATORS = re.compile(r"[\n\r、,，;；]+")


def deliverable_subject(deliverable_id: int) -> str:
    """What an evidence file for this deliverable is attached to."""
    return f"deliverable:{deliverable_id}"


def is_summary_kind(kind: str, phase_key: str) -> bool:
    """The phase summary's deliverable, fulfilled by submitting the narrative, not here."""
    return kind == f"{phase_key}_summary"


@dataclass(slots=True)
class DeliverableRow:
    id: int
    kind: str
    title: str
    due_on: date
    submitted_on: date | None
    note: str
    detail: dict[str, Any]
    status: DeliverableStatus
    is_leading_group: bool
    is_summary: bool
    files: list[Upload] = field(default_factory=list)


@dataclass(slots=True)
class PhaseDeliverables:
    key: str
    title: str
    starts_on: date
    ends_on: date
    items: list[DeliverableRow]


@dataclass(slots=True)
class UnitDeliverables:
    phases: list[PhaseDeliverables]
    leading_group: dict[GroupRole, list[str]]
    office: str  # where the campaign office sits, as the leading group's record says


def unit_deliverables(
    *, session: Session, campaign_id: int, unit_id: int, as_of: date
) -> UnitDeliverables:
    """The unit's deliverables per phase, as they stand on ``as_of``."""
    rows = session.exec(
        select(Deliverable, Phase)
        .join(Phase, col(Phase.id) == Deliverable.phase_id)
        .where(Deliverable.campaign_id == campaign_id, Deliverable.unit_id == unit_id)
        .order_by(col(Phase.seq), col(Deliverable.due_on), col(Deliverable.id))
    ).all()
    files = evidence_files(
        session=session,
        campaign_id=campaign_id,
        unit_id=unit_id,
        subjects=[deliverable_subject(d.id or 0) for d, _ in rows],
    )
    phases = {
        phase.id or 0: PhaseDeliverables(phase.key, phase.title, phase.starts_on, phase.ends_on, [])
        for phase in session.exec(
            select(Phase).where(Phase.campaign_id == campaign_id).order_by(col(Phase.seq))
        )
    }
    for deliverable, phase in rows:
        entry = phases[phase.id or 0]
        # A submission recorded with a later date has not happened yet on as_of (a replay).
        shown = deliverable.submitted_on
        if shown is not None and shown > as_of:
            shown = None
        entry.items.append(
            DeliverableRow(
                id=deliverable.id or 0,
                kind=deliverable.kind,
                title=deliverable.title,
                due_on=deliverable.due_on,
                submitted_on=shown,
                note=deliverable.note if shown else "",
                detail=deliverable.detail if shown else {},
                status=deliverable_status(deliverable.due_on, deliverable.submitted_on, as_of),
                is_leading_group=deliverable.kind == LEADING_GROUP,
                is_summary=is_summary_kind(deliverable.kind, phase.key),
                files=files.get(deliverable_subject(deliverable.id or 0), []),
            )
        )
    office = next(
        (
            str(item.detail.get("office", ""))
            for entry in phases.values()
            for item in entry.items
            if item.is_leading_group
        ),
        "",
    )
    return UnitDeliverables(
        phases=list(phases.values()),
        office=office,
        leading_group=leading_group_of(session=session, campaign_id=campaign_id, unit_id=unit_id),
    )


def leading_group_of(
    *, session: Session, campaign_id: int, unit_id: int
) -> dict[GroupRole, list[str]]:
    members = session.exec(
        select(LeadingGroupMember)
        .where(LeadingGroupMember.campaign_id == campaign_id, LeadingGroupMember.unit_id == unit_id)
        .order_by(col(LeadingGroupMember.id))
    ).all()
    group: dict[GroupRole, list[str]] = {role: [] for role in GroupRole}
    for member in members:
        group[GroupRole(member.role)].append(member.name)
    return group


def get_unit_deliverable(
    *, session: Session, campaign_id: int, unit_id: int, deliverable_id: int
) -> tuple[Deliverable, Phase]:
    """The unit's own deliverable with this id, or :class:`NotFoundError` (another unit's too)."""
    found = session.exec(
        select(Deliverable, Phase)
        .join(Phase, col(Phase.id) == Deliverable.phase_id)
        .where(
            Deliverable.id == deliverable_id,
            Deliverable.campaign_id == campaign_id,
            Deliverable.unit_id == unit_id,
        )
    ).first()
    if found is None:
        raise NotFoundError("没有找到该事项", "no such deliverable")
    return found


def record_unit_delivery(
    *,
    session: Session,
    campaign_id: int,
    unit: Unit,
    deliverable_id: int,
    submitted_on: date,
    note: str,
    as_of: date,
) -> Deliverable:
    """Record the unit's deliverable done on ``submitted_on`` (not after ``as_of``)."""
    deliverable, phase = get_unit_deliverable(
        session=session,
        campaign_id=campaign_id,
        unit_id=unit.id or 0,
        deliverable_id=deliverable_id,
    )
    if is_summary_kind(deliverable.kind, phase.key):
        raise QinglianError(
            "阶段性总结请在「阶段性总结」页填写正文后提交",
            "a phase summary is submitted with its text on the summaries page",
        )
    note = note.strip()
    check_length(note, NOTE_MAX, "说明", "the note")
    return record_delivery(
        session=session,
        campaign_id=campaign_id,
        unit_code=unit.code,
        kind=deliverable.kind,
        submitted_on=submitted_on,
        note=note,
        as_of=as_of,
    )


def record_unit_leading_group(
    *,
    session: Session,
    campaign_id: int,
    unit: Unit,
    submitted_on: date,
    office: str,
    leaders: str,
    deputies: str,
    members: str,
    as_of: date,
) -> Deliverable:
    """Record the leading group from names typed one a line (or separated by 、)."""
    check_length(office.strip(), OFFICE_MAX, "办公室", "the office")
    by_role = {
        "组长": split_names(leaders),
        "副组长": split_names(deputies),
        "成员": split_names(members),
    }
    for label, names in by_role.items():
        if len(names) > GROUP_MAX:
            raise QinglianError(
                f"{label}人数过多（{len(names)} 人，最多 {GROUP_MAX} 人），未保存",
                f"too many names ({len(names)}, at most {GROUP_MAX}); nothing saved",
            )
        for name in names:
            check_length(name, NAME_MAX, f"{label}姓名「{name[:20]}…」", "a name")
    return record_leading_group(
        session=session,
        campaign_id=campaign_id,
        unit_code=unit.code,
        submitted_on=submitted_on,
        office=office,
        leaders=by_role["组长"],
        deputies=by_role["副组长"],
        members=by_role["成员"],
        as_of=as_of,
    )


def split_names(text: str) -> list[str]:
    """Names one a line, as a textarea gives them (、 and commas also separate)."""
    return [name.strip() for name in _NAME_SEPARATORS.split(text) if name.strip()]


def check_length(text: str, limit: int, zh: str, en: str) -> None:
    """Refuse ``text`` longer than its column allows, saying how long it is."""
    if len(text) > limit:
        raise QinglianError(
            f"{zh}过长（{len(text)} 个字符，最多 {limit} 个），未保存",
            f"{en} is too long ({len(text)} characters, at most {limit}); nothing saved",
        )
