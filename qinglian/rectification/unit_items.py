"""One unit's rectification items (整改事项) as its office sees and works them: what was found
(category and source; never a complaint's text or who complained), the measure, the deadline
with its extensions, the verification results and the evidence files, on a day.

A unit moves its own items on (``in_progress``, ``done``); extensions and verification belong to
the managing unit and are only shown here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from models.account import Upload
from models.cadre import Cadre
from models.enums import FindingSource, RectificationStatus, VerificationOutcome
from models.finding import Finding
from models.rectification import (
    RectificationExtension,
    RectificationItem,
    RectificationItemPublic,
    RectificationVerification,
)
from models.summary import SOURCE_LABELS
from qinglian.campaigns.evidence import evidence_files
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.core.sql import chunked
from qinglian.rectification.progress import ExtensionPublic, update_rectification_status
from qinglian.rectification.rollup import RectificationView, list_rectification_items

EVIDENCE_MAX = 2000  # RectificationItem.evidence
# What a unit may set itself; verified comes only from the managing unit's verification.
UNIT_STATUSES = (RectificationStatus.in_progress, RectificationStatus.done)


def item_subject(item_id: int) -> str:
    """What an evidence file for this item is attached to."""
    return f"rectification:{item_id}"


@dataclass(slots=True)
class VerificationPublic:
    outcome: VerificationOutcome
    verified_by: str
    verified_on: date
    note: str


@dataclass(slots=True)
class UnitItem:
    view: RectificationView
    source_label: str
    # The finding's summary, except for a complaint's: a complaint stays with the discipline
    # office (保密纪律), so the unit sees its category and source only.
    summary: str
    cadre_name: str
    extensions: list[ExtensionPublic] = field(default_factory=list)
    verifications: list[VerificationPublic] = field(default_factory=list)
    files: list[Upload] = field(default_factory=list)


def unit_items(*, session: Session, campaign_id: int, unit_id: int, as_of: date) -> list[UnitItem]:
    """The unit's own items whose finding was known by ``as_of``, with their state that day."""
    views = [
        view
        for view in list_rectification_items(
            session=session, campaign_id=campaign_id, as_of=as_of, unit_id=unit_id
        )
        if view.unit_id == unit_id
    ]
    findings = _findings(session, [view.finding_id for view in views])
    views = [view for view in views if findings[view.finding_id][0].found_on <= as_of]
    ids = [view.id for view in views]
    extensions = _extensions(session, ids)
    verifications = _verifications(session, ids, as_of)
    files = evidence_files(
        session=session,
        campaign_id=campaign_id,
        unit_id=unit_id,
        subjects=[item_subject(item_id) for item_id in ids],
    )
    items = []
    for view in views:
        finding, cadre_name = findings[view.finding_id]
        confidential = finding.source == FindingSource.complaint
        items.append(
            UnitItem(
                view=view,
                source_label=SOURCE_LABELS.get(str(finding.source), str(finding.source)),
                summary="" if confidential else finding.summary,
                cadre_name=cadre_name,
                extensions=extensions.get(view.id, []),
                verifications=verifications.get(view.id, []),
                files=files.get(item_subject(view.id), []),
            )
        )
    return items


def get_unit_item(
    *, session: Session, campaign_id: int, unit_id: int, item_id: int
) -> RectificationItem:
    """The unit's own item with this id, or :class:`NotFoundError` (another unit's too)."""
    item = session.get(RectificationItem, item_id)
    if item is None or item.campaign_id != campaign_id or item.unit_id != unit_id:
        raise NotFoundError("没有找到该整改事项", "no such rectification item")
    return item


def update_unit_item(
    *,
    session: Session,
    campaign_id: int,
    unit_id: int,
    item_id: int,
    status: RectificationStatus,
    changed_on: date,
    evidence: str | None,
    as_of: date,
) -> RectificationItemPublic:
    """The unit moves its own item on (整改中 / 已完成), dated no later than ``as_of``."""
    get_unit_item(session=session, campaign_id=campaign_id, unit_id=unit_id, item_id=item_id)
    if status not in UNIT_STATUSES:
        raise QinglianError(
            "单位只能将整改事项标记为「整改中」或「已完成」；验收由管理单位进行",
            "a unit marks its items in progress or done; the managing unit verifies them",
        )
    if changed_on > as_of:
        raise QinglianError(
            f"日期 {changed_on.isoformat()} 晚于今天（{as_of.isoformat()}），未保存",
            f"the date {changed_on.isoformat()} is after today ({as_of.isoformat()}); "
            "nothing saved",
        )
    if evidence is not None:
        evidence = evidence.strip()
        if len(evidence) > EVIDENCE_MAX:
            raise QinglianError(
                f"整改证据过长（{len(evidence)} 个字符，最多 {EVIDENCE_MAX} 个），未保存",
                f"the evidence is too long ({len(evidence)} characters, at most"
                f" {EVIDENCE_MAX}); nothing saved",
            )
        evidence = evidence or None  # an empty box keeps what was written before
    return update_rectification_status(
        session=session, item_id=item_id, status=status, changed_on=changed_on, evidence=evidence
    )


def _findings(session: Session, finding_ids: list[int]) -> dict[int, tuple[Finding, str]]:
    found: dict[int, tuple[Finding, str]] = {}
    for chunk in chunked(finding_ids):
        for finding, cadre_name in session.exec(
            select(Finding, Cadre.name)
            .join(Cadre, col(Cadre.id) == Finding.cadre_id, isouter=True)
            .where(col(Finding.id).in_(chunk))
        ):
            found[finding.id or 0] = (finding, cadre_name or "")
    return found


def _extensions(session: Session, item_ids: list[int]) -> dict[int, list[ExtensionPublic]]:
    found: dict[int, list[ExtensionPublic]] = {}
    for chunk in chunked(item_ids):
        for row in session.exec(
            select(RectificationExtension)
            .where(col(RectificationExtension.item_id).in_(chunk))
            .order_by(col(RectificationExtension.granted_at), col(RectificationExtension.id))
        ):
            found.setdefault(row.item_id, []).append(
                ExtensionPublic.model_validate(row, from_attributes=True)
            )
    return found


def _verifications(
    session: Session, item_ids: list[int], as_of: date
) -> dict[int, list[VerificationPublic]]:
    found: dict[int, list[VerificationPublic]] = {}
    for chunk in chunked(item_ids):
        for row in session.exec(
            select(RectificationVerification)
            .where(
                col(RectificationVerification.item_id).in_(chunk),
                col(RectificationVerification.verified_on) <= as_of,
            )
            .order_by(col(RectificationVerification.verified_on), col(RectificationVerification.id))
        ):
            found.setdefault(row.item_id, []).append(
                VerificationPublic(
                    outcome=VerificationOutcome(row.outcome),
                    verified_by=row.verified_by,
                    verified_on=row.verified_on,
                    note=row.note,
                )
            )
    return found
