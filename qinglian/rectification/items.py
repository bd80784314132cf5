"""Rectification (整改纠正): an item per confirmed finding, its status, extensions, verification.

The pure rules come first (:func:`check_transition`, :func:`verification_result`,
:func:`rectification_state`); the persistence functions after them are keyword-only, take the
session first, flush but never commit, and never import Prefect.

Status: ``planned → in_progress → done → verified``. ``planned → done`` is allowed (a measure
carried out at once). ``verified`` is reached only through :func:`verify_rectification` by the
managing unit; a rejected verification sends a ``done`` item back to ``in_progress``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import utcnow
from models.enums import FindingCategory, FindingStatus, RectificationStatus, VerificationOutcome
from models.finding import Finding
from models.outcome import UnitRectification
from models.rectification import (
    RectificationExtension,
    RectificationItem,
    RectificationItemPublic,
    RectificationItemUpdate,
    RectificationVerification,
)
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.errors import NotFoundError, QinglianError

S = RectificationStatus

# Which status may follow which, outside verification. The same status again is a no-op.
ALLOWED_TRANSITIONS: dict[RectificationStatus, frozenset[RectificationStatus]] = {
    S.planned: frozenset({S.in_progress, S.done}),
    S.in_progress: frozenset({S.done}),
    S.done: frozenset({S.in_progress}),  # reopened by the unit itself
    S.verified: frozenset(),
}
# Findings that get an item: confirmed ones, and any already marked rectifying without one.
_NEEDS_ITEM = (FindingStatus.confirmed, FindingStatus.rectifying)
_CHUNK = 900


class TransitionError(QinglianError):
    """A status change the rules do not allow."""


class RectificationState(StrEnum):
    """An item as seen on ``as_of``: the deadline view the ladder works on."""

    open = "open"
    overdue = "overdue"
    done = "done"
    verified = "verified"

    @property
    def label(self) -> str:
        return {"open": "整改中", "overdue": "逾期", "done": "已完成", "verified": "已验收"}[
            self.value
        ]


class RectificationView(RectificationItemPublic):
    """One item as listed, with its unit and its state on ``as_of``; never the finding's text."""

    unit_code: str
    unit_name: str
    category: FindingCategory
    state: RectificationState
    days_overdue: int = 0
    extensions: int = 0


class ExtensionPublic(BaseModel):
    old_due_on: date
    new_due_on: date
    reason: str
    granted_by: str
    granted_at: datetime


# --- pure rules ----------------------------------------------------------------------------


def check_transition(current: RectificationStatus, new: RectificationStatus) -> None:
    """Raise a bilingual :class:`TransitionError` unless ``current → new`` is allowed."""
    current, new = S(current), S(new)
    if new is current:
        return
    if new is S.verified:
        raise TransitionError(
            "整改事项须由管理单位验收（qinglian rectification verify），不能直接改为「已验收」",
            "only the managing unit's verification (qinglian rectification verify) makes an"
            " item verified",
        )
    if new not in ALLOWED_TRANSITIONS[current]:
        raise TransitionError(
            f"整改事项状态不能从「{current.label}」改为「{new.label}」",
            f"a rectification item cannot go from {current.value} to {new.value}",
        )


def verification_result(
    status: RectificationStatus, outcome: VerificationOutcome
) -> RectificationStatus:
    """The status after the managing unit's verdict; only a ``done`` item can be verified."""
    status, outcome = S(status), VerificationOutcome(outcome)
    if status is not S.done:
        raise TransitionError(
            f"只有「{S.done.label}」的整改事项才能验收（当前为「{status.label}」）",
            f"only a done item can be verified (this one is {status.value})",
        )
    return S.verified if outcome is VerificationOutcome.passed else S.in_progress


def rectification_state(
    status: RectificationStatus, due_on: date, done_on: date | None, as_of: date
) -> RectificationState:
    """Done once finished by ``as_of`` (a later completion has not happened yet in a replay)."""
    if done_on is not None and done_on <= as_of:
        return RectificationState.verified if status == S.verified else RectificationState.done
    return RectificationState.overdue if as_of > due_on else RectificationState.open


def rectification_status_on(
    status: RectificationStatus, done_on: date | None, verified_on: date | None, as_of: date
) -> RectificationStatus:
    """An item's status as it stood on ``as_of`` (a campaign replayed at an earlier day)."""
    if verified_on is not None and verified_on <= as_of and status is RectificationStatus.verified:
        return RectificationStatus.verified
    if done_on is not None and done_on <= as_of:
        return RectificationStatus.done
    if status is RectificationStatus.planned:
        return RectificationStatus.planned
    return RectificationStatus.in_progress


# --- persistence ---------------------------------------------------------------------------


def unit_rectification(
    *, session: Session, campaign_id: int, unit_id: int, as_of: date
) -> UnitRectification:
    """A unit's own items on ``as_of``: how many in each status, and how many overdue."""
    counts: dict[str, int] = {}
    overdue = 0
    for status, due_on, done_on, verified_on in session.exec(
        select(
            RectificationItem.status,
            RectificationItem.due_on,
            RectificationItem.done_on,
            RectificationItem.verified_on,
        )
        .join(Finding, col(Finding.id) == RectificationItem.finding_id)
        .where(
            RectificationItem.campaign_id == campaign_id,
            RectificationItem.unit_id == unit_id,
            Finding.found_on <= as_of,
        )
    ):
        state = rectification_status_on(status, done_on, verified_on, as_of)
        counts[state.value] = counts.get(state.value, 0) + 1
        if state in (S.planned, S.in_progress) and due_on < as_of:
            overdue += 1
    return UnitRectification(by_status=counts, overdue=overdue)


def ensure_rectification_items(*, session: Session, campaign_id: int, default_due: date) -> int:
    """Give every confirmed finding of the campaign its item (due ``default_due``); idempotent.

    The finding moves on to ``rectifying``. Returns how many items were created.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    _not_before_start(default_due, campaign.start_on, "整改时限", "the deadline")
    finding_ids = session.exec(
        select(Finding.id)
        .outerjoin(RectificationItem, col(RectificationItem.finding_id) == Finding.id)
        .where(
            col(Finding.campaign_id) == campaign_id,
            col(Finding.status).in_(_NEEDS_ITEM),
            col(RectificationItem.id).is_(None),
        )
        .order_by(col(Finding.id))
    ).all()
    return create_rectification_items(
        session=session,
        campaign_id=campaign_id,
        items={finding_id: {"due_on": default_due} for finding_id in finding_ids if finding_id},
    )


def create_rectification_items(
    *, session: Session, campaign_id: int, items: Mapping[int, Mapping[str, Any]]
) -> int:
    """Insert items for findings (by id) with the given fields (``due_on`` at least).

    The managing unit (who verifies) is the cadre's managing unit, or for a finding without a
    cadre the parent of the finding's unit. The findings move on to ``rectifying``.
    """
    if not items:
        return 0
    finding_ids = sorted(items)
    owners = managing_units(session=session, finding_ids=finding_ids)
    now = utcnow()
    rows = []
    for finding_id in finding_ids:
        unit_id, managing_unit_id = owners[finding_id]
        fields = items[finding_id]
        rows.append(
            {
                "campaign_id": campaign_id,
                "finding_id": finding_id,
                "unit_id": unit_id,
                "managing_unit_id": managing_unit_id,
                "measure": fields.get("measure", ""),
                "responsible": fields.get("responsible", ""),
                "evidence": fields.get("evidence", ""),
                "status": fields.get("status", S.planned),
                "done_on": fields.get("done_on"),
                "due_on": fields["due_on"],
                "original_due_on": fields["due_on"],
                "created_at": now,
                "updated_at": now,
            }
        )
    session.execute(insert(RectificationItem), rows)
    for start in range(0, len(finding_ids), _CHUNK):
        session.execute(
            update(Finding)
            .where(
                col(Finding.id).in_(finding_ids[start : start + _CHUNK]),
                col(Finding.status) == FindingStatus.confirmed,
            )
            .values(status=FindingStatus.rectifying)
        )
    session.flush()
    return len(rows)


def managing_units(*, session: Session, finding_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per finding: (its unit, the unit that verifies its rectification)."""
    owners: dict[int, tuple[int, int]] = {}
    for start in range(0, len(finding_ids), _CHUNK):
        for finding_id, unit_id, managing, parent in session.exec(
            select(Finding.id, Finding.unit_id, Cadre.managing_unit_id, Unit.parent_id)
            .join(Unit, col(Unit.id) == Finding.unit_id)
            .outerjoin(Cadre, col(Cadre.id) == Finding.cadre_id)
            .where(col(Finding.id).in_(finding_ids[start : start + _CHUNK]))
        ):
            assert finding_id is not None
            owners[finding_id] = (unit_id, managing or parent or unit_id)
    return owners


def get_rectification(*, session: Session, item_id: int) -> RectificationItemPublic:
    return public(_get(session, item_id))


def rectification_for_finding(
    *, session: Session, campaign_id: int, finding_id: int
) -> RectificationItemPublic:
    item = session.exec(
        select(RectificationItem).where(
            RectificationItem.campaign_id == campaign_id,
            RectificationItem.finding_id == finding_id,
        )
    ).first()
    if item is None:
        raise NotFoundError(
            f"问题 {finding_id} 在专项活动 {campaign_id} 中没有整改事项",
            f"finding {finding_id} has no rectification item in campaign {campaign_id}",
        )
    return public(item)


def update_rectification(
    *, session: Session, item_id: int, item_in: RectificationItemUpdate
) -> RectificationItemPublic:
    """Change the measure, the responsible person or the evidence (not the deadline: extend)."""
    item = _get(session, item_id)
    _not_verified(item)
    changes = item_in.model_dump(exclude_unset=True, exclude_none=True)
    for key, value in changes.items():
        setattr(item, key, value.strip())
    if changes:
        item.updated_at = utcnow()
        session.add(item)
        session.flush()
    return public(item)


def update_rectification_status(
    *,
    session: Session,
    item_id: int,
    status: RectificationStatus,
    on: date,
    evidence: str | None = None,
) -> RectificationItemPublic:
    """Move an item on (``done`` is dated ``on``); reopening a done item clears its date."""
    item = _get(session, item_id)
    status = S(status)
    check_transition(item.status, status)
    campaign = get_campaign(session=session, campaign_id=item.campaign_id)
    if status is S.done and item.status != S.done:
        _not_before_start(on, campaign.start_on, "完成日期", "the completion date")
        item.done_on = on
    elif status is not S.done:
        item.done_on = None
    item.status = status
    if evidence is not None:
        item.evidence = evidence.strip()
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    return public(item)


def extend_rectification(
    *,
    session: Session,
    item_id: int,
    new_due_on: date,
    reason: str,
    granted_by: str,
    granted_at: datetime,
) -> RectificationItemPublic:
    """Grant an extension (延期): a later deadline with a reason, kept in the history."""
    item = _get(session, item_id)
    if item.status in (S.done, S.verified):
        raise QinglianError(
            f"整改事项已{item.status.label}，无需延期",
            f"the item is already {item.status.value}; there is nothing to extend",
        )
    if not reason.strip():
        raise QinglianError("延期须说明理由", "an extension needs a reason")
    if not granted_by.strip():
        raise QinglianError("须写明批准延期的单位或人员", "say who granted the extension")
    if granted_at.tzinfo is None:
        raise ValueError("granted_at must be timezone-aware")
    if new_due_on <= item.due_on:
        raise QinglianError(
            f"新的整改时限 {new_due_on.isoformat()} 须晚于现有时限 {item.due_on.isoformat()}",
            f"the new deadline {new_due_on.isoformat()} must be after the current one"
            f" ({item.due_on.isoformat()})",
        )
    session.add(
        RectificationExtension(
            item_id=item_id,
            old_due_on=item.due_on,
            new_due_on=new_due_on,
            reason=reason.strip(),
            granted_by=granted_by.strip(),
            granted_at=granted_at,
        )
    )
    item.due_on = new_due_on
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    return public(item)


def verify_rectification(
    *,
    session: Session,
    item_id: int,
    by: str,
    outcome: VerificationOutcome,
    note: str = "",
    on: date,
) -> RectificationItemPublic:
    """The managing unit's verification; passing marks the finding ``rectified``."""
    item = _get(session, item_id)
    status = verification_result(item.status, outcome)
    if not by.strip():
        raise QinglianError("须写明验收人", "say who verified the item")
    if item.done_on is not None and on < item.done_on:
        raise QinglianError(
            f"验收日期 {on.isoformat()} 早于完成日期 {item.done_on.isoformat()}",
            f"the verification date {on.isoformat()} is before the item was done"
            f" ({item.done_on.isoformat()})",
        )
    session.add(
        RectificationVerification(
            item_id=item_id, outcome=outcome, verified_by=by.strip(), verified_on=on, note=note
        )
    )
    item.status = status
    if outcome is VerificationOutcome.passed:
        item.verified_on = on
        item.verified_by = by.strip()
        finding = session.get(Finding, item.finding_id)
        if finding is not None and finding.status == FindingStatus.rectifying:
            finding.status = FindingStatus.rectified
            session.add(finding)
    else:
        item.done_on = None
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    return public(item)


def list_rectification_items(
    *,
    session: Session,
    campaign_id: int,
    as_of: date,
    unit_id: int | None = None,
    state: RectificationState | None = None,
) -> list[RectificationView]:
    """The campaign's items (or a unit subtree's) with their state on ``as_of``."""
    get_campaign(session=session, campaign_id=campaign_id)
    query = (
        select(RectificationItem, Unit.code, Unit.name, Finding.category)
        .join(Unit, col(Unit.id) == RectificationItem.unit_id)
        .join(Finding, col(Finding.id) == RectificationItem.finding_id)
        .where(col(RectificationItem.campaign_id) == campaign_id)
    )
    if unit_id is not None:
        path = session.exec(select(Unit.path).where(col(Unit.id) == unit_id)).first()
        if path is None:
            raise NotFoundError(f"没有编号为 {unit_id} 的单位", f"no unit {unit_id}")
        query = query.where(col(Unit.path).startswith(path))
    rows = session.exec(query.order_by(col(Unit.path), col(RectificationItem.id))).all()
    counts = _extension_counts(session, [item.id for item, *_ in rows if item.id is not None])
    views = []
    for item, code, name, category in rows:
        item_state = rectification_state(item.status, item.due_on, item.done_on, as_of)
        if state is not None and item_state is not state:
            continue
        views.append(
            RectificationView(
                **public(item).model_dump(),
                unit_code=code,
                unit_name=name,
                category=category,
                state=item_state,
                days_overdue=(as_of - item.due_on).days
                if item_state is RectificationState.overdue
                else 0,
                extensions=counts.get(item.id or 0, 0),
            )
        )
    return views


def list_extensions(*, session: Session, item_id: int) -> list[ExtensionPublic]:
    _get(session, item_id)
    rows = session.exec(
        select(RectificationExtension)
        .where(RectificationExtension.item_id == item_id)
        .order_by(col(RectificationExtension.granted_at), col(RectificationExtension.id))
    ).all()
    return [ExtensionPublic.model_validate(row, from_attributes=True) for row in rows]


def public(item: RectificationItem) -> RectificationItemPublic:
    return RectificationItemPublic.model_validate(item, from_attributes=True)


def _get(session: Session, item_id: int) -> RectificationItem:
    item = session.get(RectificationItem, item_id)
    if item is None:
        raise NotFoundError(f"没有编号为 {item_id} 的整改事项", f"no rectification item {item_id}")
    return item


def _not_verified(item: RectificationItem) -> None:
    if item.status == S.verified:
        raise TransitionError(
            "整改事项已验收，不能再修改", "the item is verified and can no longer be changed"
        )


def _not_before_start(day: date, start_on: date, zh: str, en: str) -> None:
    if day < start_on:
        raise QinglianError(
            f"{zh} {day.isoformat()} 早于专项活动开始日期 {start_on.isoformat()}",
            f"{en} {day.isoformat()} is before the campaign started ({start_on.isoformat()})",
        )


def _extension_counts(session: Session, item_ids: Sequence[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for start in range(0, len(item_ids), _CHUNK):
        for item_id in session.exec(
            select(RectificationExtension.item_id).where(
                col(RectificationExtension.item_id).in_(item_ids[start : start + _CHUNK])
            )
        ):
            counts[item_id] = counts.get(item_id, 0) + 1
    return counts
