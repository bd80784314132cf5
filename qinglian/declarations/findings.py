"""Findings (问题线索) from the declared forms: detect, record, review; list and count.

Persistence only, no Prefect. The facts come from :mod:`qinglian.declarations.facts` (set-based,
one query per section table per chunk of units), and recording inserts only findings whose
fingerprint the campaign does not hold yet, so detection can be re-run at any time, after any
amendment, without duplicates.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.campaign import utcnow
from models.enums import FindingCategory, FindingSource, FindingStatus
from models.finding import Finding
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.core.sql import chunked, insert_ignoring_duplicates
from qinglian.declarations.facts import load_form_facts
from qinglian.org.units import unit_path
from qinglian.rules.detection import FormFacts, Hit, detect_all

_SUMMARY_MAX = Finding.__table__.columns["summary"].type.length  # type: ignore[attr-defined]


class FindingCounts(BaseModel):
    """What one detection run did."""

    forms: int = 0
    forms_with_hits: int = 0
    hits: int = 0
    created: int = 0
    existing: int = 0
    created_by_category: dict[FindingCategory, int] = {}


class FindingView(BaseModel):
    """A finding as listed: no ORM row leaves this module."""

    id: int
    campaign_id: int
    cadre_id: int | None
    unit_id: int
    unit_code: str
    source: FindingSource
    category: FindingCategory
    status: FindingStatus
    summary: str
    found_on: date
    evidence: dict[str, Any]

    @property
    def category_label(self) -> str:
        return self.category.label


def finding_fingerprint(
    campaign_id: int,
    cadre_id: int | None,
    source: FindingSource,
    category: FindingCategory,
    key: str,
) -> str:
    """sha256 of what makes a finding the same finding: campaign, cadre, source, category, fact."""
    text = f"{campaign_id}\x1f{cadre_id or ''}\x1f{source}\x1f{category}\x1f{key}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:64]


# --- recording -----------------------------------------------------------------------------


def detect_findings(
    *, session: Session, campaign_id: int, as_of: date, unit_ids: Sequence[int] | None = None
) -> FindingCounts:
    """Load the current forms, run every rule, and record the new findings (idempotent)."""
    get_campaign(session=session, campaign_id=campaign_id)
    forms = load_form_facts(session=session, campaign_id=campaign_id, unit_ids=unit_ids)
    counts = record_findings(
        session=session,
        campaign_id=campaign_id,
        hits_by_form=detect_all(forms, as_of),
        found_on=as_of,
    )
    counts.forms = len(forms)
    return counts


def record_findings(
    *,
    session: Session,
    campaign_id: int,
    hits_by_form: Iterable[tuple[FormFacts, Sequence[Hit]]],
    found_on: date,
) -> FindingCounts:
    """Insert one self-declared finding per hit whose fingerprint the campaign does not hold."""
    source = FindingSource.self_declared
    candidates: dict[str, dict[str, Any]] = {}
    forms = 0
    for form, hits in hits_by_form:
        forms += 1
        for hit in hits:
            fingerprint = finding_fingerprint(
                campaign_id, form.cadre_id, source, hit.category, hit.key
            )
            # Two forms of one cadre in a campaign cannot both be current; first one wins.
            candidates.setdefault(fingerprint, _finding_row(campaign_id, form, hit, fingerprint))
    existing = _existing_fingerprints(session, campaign_id, list(candidates))
    now = utcnow()
    new = []
    for fingerprint, row in candidates.items():
        if fingerprint not in existing:
            row["found_on"] = found_on
            row["created_at"] = now
            new.append(row)
    if new:
        session.execute(
            insert_ignoring_duplicates(session, Finding, ["campaign_id", "fingerprint"]), new
        )
        session.flush()
    return FindingCounts(
        forms_with_hits=forms,
        hits=len(candidates),
        created=len(new),
        existing=len(candidates) - len(new),
        created_by_category=dict(Counter(row["category"] for row in new)),
    )


def _finding_row(campaign_id: int, form: FormFacts, hit: Hit, fingerprint: str) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "cadre_id": form.cadre_id,
        "unit_id": form.unit_id,
        "source": FindingSource.self_declared,
        "category": hit.category,
        "status": FindingStatus.open,
        "summary": hit.summary[:_SUMMARY_MAX],
        "evidence": {
            "declaration_id": form.declaration_id,
            "version": form.version,
            "rows": [[sheet, row] for sheet, row in hit.rows],
        },
        "fingerprint": fingerprint,
    }


def _existing_fingerprints(session: Session, campaign_id: int, fingerprints: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunked(fingerprints):
        found.update(
            session.execute(
                select(Finding.fingerprint).where(
                    col(Finding.campaign_id) == campaign_id, col(Finding.fingerprint).in_(chunk)
                )
            ).scalars()
        )
    return found


# --- review --------------------------------------------------------------------------------

_REVIEWABLE = (FindingStatus.open, FindingStatus.verifying)


def review_findings(
    *,
    session: Session,
    campaign_id: int,
    finding_ids: Sequence[int],
    confirm: bool,
) -> int:
    """The managing unit's review of findings: confirm (→ 限期整改) or dismiss; all or nothing.

    Only open findings can be reviewed; a finding under complaint verification is decided by
    its case. Re-confirming a confirmed finding changes nothing. Returns how many changed.
    """
    wanted = sorted(set(finding_ids))
    rows = {
        finding.id: finding
        for finding in session.exec(
            select(Finding).where(
                col(Finding.campaign_id) == campaign_id, col(Finding.id).in_(wanted)
            )
        )
    }
    missing = [str(finding_id) for finding_id in wanted if finding_id not in rows]
    if missing:
        raise NotFoundError(
            f"专项活动 {campaign_id} 没有编号为 {'、'.join(missing)} 的问题线索，未作任何更改",
            f"campaign {campaign_id} has no finding(s) {', '.join(missing)}; nothing changed",
        )
    target = FindingStatus.confirmed if confirm else FindingStatus.dismissed
    blocked = [
        f"{finding.id}（{finding.status.value}）"
        for finding in rows.values()
        if finding.status is not target and finding.status is not FindingStatus.open
    ]
    if blocked:
        raise QinglianError(
            f"以下问题线索已处理或正在核实，不能再{'确认' if confirm else '排除'}："
            f"{'、'.join(blocked)}；未作任何更改",
            f"these findings are already decided or under verification: {', '.join(blocked)};"
            " nothing changed",
        )
    changed = 0
    for finding in rows.values():
        if finding.status is not target:
            finding.status = target
            session.add(finding)
            changed += 1
    session.flush()
    return changed


# --- reading -------------------------------------------------------------------------------


def list_findings(
    *,
    session: Session,
    campaign_id: int,
    unit_id: int | None = None,
    subtree: bool = False,
    category: FindingCategory | None = None,
    status: FindingStatus | None = None,
    source: FindingSource | None = None,
    cadre_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[FindingView]:
    """Findings of a campaign, of one unit or (``subtree=True``) of the unit and those below."""
    query = select(Finding, Unit.code).join(Unit, col(Unit.id) == Finding.unit_id)
    query = _scoped(session, query, campaign_id, unit_id, subtree)
    if category is not None:
        query = query.where(col(Finding.category) == category)
    if status is not None:
        query = query.where(col(Finding.status) == status)
    if source is not None:
        query = query.where(col(Finding.source) == source)
    if cadre_id is not None:
        query = query.where(col(Finding.cadre_id) == cadre_id)
    query = query.order_by(col(Finding.id)).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [
        FindingView(
            id=finding.id,
            campaign_id=finding.campaign_id,
            cadre_id=finding.cadre_id,
            unit_id=finding.unit_id,
            unit_code=unit_code,
            source=finding.source,
            category=finding.category,
            status=finding.status,
            summary=finding.summary,
            found_on=finding.found_on,
            evidence=finding.evidence,
        )
        for finding, unit_code in session.exec(query)
    ]


def findings_by_category(
    *,
    session: Session,
    campaign_id: int,
    unit_id: int | None = None,
    source: FindingSource | None = None,
    status: FindingStatus | None = None,
) -> dict[FindingCategory, int]:
    """How many findings of each category a unit's subtree has (the whole campaign by default)."""
    query = select(Finding.category, func.count()).join(Unit, col(Unit.id) == Finding.unit_id)
    query = _scoped(session, query, campaign_id, unit_id, subtree=True)
    if source is not None:
        query = query.where(col(Finding.source) == source)
    if status is not None:
        query = query.where(col(Finding.status) == status)
    query = query.group_by(col(Finding.category))
    counts = dict(session.exec(query).all())
    return {category: counts.get(category, 0) for category in FindingCategory}


def _scoped(
    session: Session, query: Any, campaign_id: int, unit_id: int | None, subtree: bool
) -> Any:
    query = query.where(col(Finding.campaign_id) == campaign_id)
    if unit_id is None:
        return query
    if not subtree:
        return query.where(col(Finding.unit_id) == unit_id)
    return query.where(col(Unit.path).startswith(unit_path(session=session, unit_id=unit_id)))
