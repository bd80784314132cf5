"""Matching complaints to cadres, within the unit a complaint names or the whole campaign.

:func:`match_complaints` ranks cadres for every received complaint and assigns it, or puts it
in the human queue (``ambiguous``, see :mod:`qinglian.complaints.review`), or marks it
``unmatched``. The same text about the same cadre is linked as a duplicate. A complaint naming
no person is about the unit it names (checked at intake): it is matched to that unit, not to a
cadre. Every complaint matched proposes its links to the same matter received by another
channel (:func:`qinglian.complaints.linking.propose_links`), for a person to decide.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, or_
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import Campaign, utcnow
from models.complaint import Complaint, ComplaintCandidate
from models.enums import AuditAction, ComplaintStatus
from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.complaints.audit import SYSTEM, audit_event, write_audit
from qinglian.complaints.linking import propose_links
from qinglian.complaints.parsing import names_nobody
from qinglian.complaints.store import update_complaints_by_id
from qinglian.complaints.views import MatchCounts
from qinglian.core.sql import chunked
from qinglian.rules.matching import CadreIndex, CadreRow, Decision, MatchResult
from qinglian.rules.names import normalise_name
from qinglian.rules.unit_names import UnitDirectory, UnitEntry, UnitMatch

# More distinct subtrees than this in one batch: load the whole campaign's cadres at once.
_PREFIXES_MAX = 50
_REASON_MAX = Complaint.__table__.columns["match_reason"].type.length  # type: ignore[attr-defined]


def unit_directory(*, session: Session, campaign: Campaign) -> UnitDirectory:
    """The units of the campaign's tree, for resolving the units complaints name."""
    root = campaign_root(session=session, campaign=campaign).path
    query = select(Unit.id, Unit.name, Unit.path, Unit.aliases).where(
        col(Unit.path).startswith(root)
    )
    return UnitDirectory(
        UnitEntry(id=unit_id, name=name, path=path, aliases=tuple(aliases or ()))
        for unit_id, name, path, aliases in session.connection().execute(query)
    )


@dataclass(slots=True)
class _Plan:
    complaint_id: int
    digest: str
    duplicate_of_id: int | None
    unit: UnitMatch
    prefixes: list[str] | None
    result: MatchResult | None = None
    widened: bool = False
    # A complaint naming no person: the unit it is about (None when that is not known).
    about_unit: bool = False
    unit_id: int | None = None


def match_complaints(
    *,
    session: Session,
    campaign_id: int,
    complaint_ids: Sequence[int] | None = None,
    units: UnitDirectory | None = None,
    retry: bool = False,
    actor: str = SYSTEM,
) -> MatchCounts:
    """Match every received complaint of a campaign (or the given ones) to cadres; idempotent.

    Each complaint is matched within the subtree of the unit it names; when the unit is not
    found, within the whole campaign (the reason says so). When the named unit has nobody
    fitting, the whole campaign is searched too, but such a match always goes to a person.
    ``retry`` matches the ``ambiguous`` and ``unmatched`` ones again too (after cadres or
    units were imported); a person's decision (:func:`assign_complaint`) is never undone.
    """
    session.flush()
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    units = units or unit_directory(session=session, campaign=campaign)
    root = campaign_root(session=session, campaign=campaign).path
    plans: list[_Plan] = []
    queries = []
    statuses = [ComplaintStatus.received]
    if retry:
        statuses += [ComplaintStatus.ambiguous, ComplaintStatus.unmatched]
    for complaint_id, name_raw, unit_raw, stored_unit, digest, duplicate_of_id in _to_match(
        session, campaign_id, complaint_ids, statuses
    ):
        unit = units.resolve(unit_raw)
        prefixes = [units.paths[unit_id] for unit_id in unit.unit_ids] or None
        plan = _Plan(complaint_id, digest, duplicate_of_id, unit, prefixes)
        if names_nobody(name_raw):
            plan.about_unit, plan.unit_id = True, stored_unit
        plans.append(plan)
        queries.append(normalise_name(name_raw))
    counts = MatchCounts(complaints=len(plans))
    if not plans:
        return counts
    people = [plan for plan in plans if not plan.about_unit]
    scoped = sorted({prefix for plan in people for prefix in plan.prefixes or ()})
    whole: CadreIndex | None = None
    if not people:
        index = CadreIndex(())
    elif any(plan.prefixes is None for plan in people) or len(scoped) > _PREFIXES_MAX:
        whole = index = load_cadre_index(session=session, prefixes=[root], paths=units.paths)
    else:
        index = load_cadre_index(session=session, prefixes=scoped)
    for plan, query in zip(plans, queries, strict=True):
        if plan.about_unit:
            counts.about_units += plan.unit_id is not None
            continue
        result = index.match(query, plan.prefixes)
        counts.comparisons += result.scored
        if plan.prefixes is not None and result.decision is Decision.unmatched and not query.empty:
            if whole is None:
                whole = load_cadre_index(session=session, prefixes=[root], paths=units.paths)
            widened = whole.match(query, None, auto=False)
            counts.comparisons += widened.scored
            if widened.candidates:
                result, plan.widened = widened, True
                counts.widened += 1
        plan.result = result
        counts.unknown_units += not plan.unit.known
    if retry:
        for chunk in chunked([plan.complaint_id for plan in plans]):
            session.execute(
                delete(ComplaintCandidate).where(col(ComplaintCandidate.complaint_id).in_(chunk))
            )
    _save_matches(session, campaign_id, plans, actor, counts)
    counts.linked_duplicates = _link_by_cadre(session, campaign_id, plans, actor)
    counts.links_proposed = propose_links(
        session=session,
        campaign_id=campaign_id,
        complaint_ids=[plan.complaint_id for plan in plans if _matched(plan)],
        actor=actor,
    )
    return counts


def _matched(plan: _Plan) -> bool:
    if plan.about_unit:
        return plan.unit_id is not None
    return plan.result is not None and plan.result.cadre_id is not None


def _to_match(
    session: Session,
    campaign_id: int,
    complaint_ids: Sequence[int] | None,
    statuses: Sequence[ComplaintStatus],
) -> Iterator[tuple[int, str, str, int | None, str, int | None]]:
    base = select(
        Complaint.id,
        Complaint.accused_name_raw,
        Complaint.accused_unit_raw,
        Complaint.accused_unit_id,
        Complaint.content_digest,
        Complaint.duplicate_of_id,
    ).where(
        col(Complaint.campaign_id) == campaign_id,
        col(Complaint.status).in_(statuses),
    )
    if complaint_ids is None:
        yield from session.connection().execute(base.order_by(col(Complaint.id)))  # type: ignore[misc]
        return
    for chunk in chunked(sorted(set(complaint_ids))):
        query = base.where(col(Complaint.id).in_(chunk)).order_by(col(Complaint.id))
        yield from session.connection().execute(query)  # type: ignore[misc]


def load_cadre_index(
    *, session: Session, prefixes: Sequence[str], paths: Mapping[int, str] | None = None
) -> CadreIndex:
    """The cadres whose unit lies in the subtree of any of ``prefixes`` (unit paths).

    With ``paths`` (unit id → path of every unit of the campaign, as a :class:`UnitDirectory`
    holds them) and the campaign root as the one prefix, the cadre table is read without a
    join and filtered here: a million rows stream several times faster that way.
    """
    connection = session.connection()
    if (
        paths is not None
        and len(prefixes) == 1
        and all(path.startswith(prefixes[0]) for path in paths.values())
    ):
        rows = connection.execute(select(Cadre.id, Cadre.name, Cadre.post, Cadre.unit_id))
        return CadreIndex(
            CadreRow(id=cadre_id, name=name, post=post or "", unit_path=paths[unit_id])
            for cadre_id, name, post, unit_id in rows
            if unit_id in paths
        )
    query = select(Cadre.id, Cadre.name, Cadre.post, Unit.path).join(
        Unit, col(Unit.id) == Cadre.unit_id
    )
    query = query.where(or_(*(col(Unit.path).startswith(prefix) for prefix in prefixes)))
    return CadreIndex(
        CadreRow(id=cadre_id, name=name, post=post or "", unit_path=path)
        for cadre_id, name, post, path in connection.execute(query)
    )


def _save_matches(
    session: Session, campaign_id: int, plans: Sequence[_Plan], actor: str, counts: MatchCounts
) -> None:
    now = utcnow()
    changes: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for plan in plans:
        if plan.about_unit:
            _save_unit_match(plan, campaign_id, actor, now, counts, changes, events)
            continue
        result = plan.result
        assert result is not None
        status = ComplaintStatus(result.decision.value)
        if status is ComplaintStatus.matched:
            counts.matched += 1
        elif status is ComplaintStatus.ambiguous:
            counts.ambiguous += 1
        else:
            counts.unmatched += 1
        reasons = [plan.unit.reason]
        if plan.widened:
            reasons.append("所写单位内无人相符，已在全活动范围内查找，需人工甄别")
        if result.reason:
            reasons.append(result.reason)
        if result.candidates:
            reasons.append(result.candidates[0].reason)
        elif status is ComplaintStatus.unmatched:
            reasons.append("没有相符的干部")
        changes.append(
            {
                "id": plan.complaint_id,
                "status": status,
                "matched_cadre_id": result.cadre_id,
                "match_score": result.score,
                "match_reason": "；".join(reasons)[:_REASON_MAX],
            }
        )
        for rank, candidate in enumerate(result.candidates, start=1):
            candidates.append(
                {
                    "complaint_id": plan.complaint_id,
                    "cadre_id": candidate.cadre_id,
                    "score": candidate.score,
                    "reason": candidate.reason[:200],
                    "rank": rank,
                }
            )
        events.append(
            audit_event(
                campaign_id,
                AuditAction.matched,
                actor,
                now,
                complaint_id=plan.complaint_id,
                detail={
                    "status": status.value,
                    "cadre_id": result.cadre_id,
                    "score": result.score,
                    "candidates": len(result.candidates),
                    "unit": plan.unit.how,
                    "widened": plan.widened,
                },
            )
        )
    for chunk in chunked(changes, 5000):
        update_complaints_by_id(session, chunk)
    for chunk in chunked(candidates, 5000):
        session.connection().execute(insert(ComplaintCandidate.__table__), list(chunk))  # type: ignore[attr-defined]
    write_audit(session, events)


def _save_unit_match(
    plan: _Plan,
    campaign_id: int,
    actor: str,
    now: Any,
    counts: MatchCounts,
    changes: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> None:
    """A complaint naming no person is matched to the unit it names, which intake checked."""
    if plan.unit_id is not None:
        status, reason = ComplaintStatus.matched, f"反映单位（未写被反映人）；{plan.unit.reason}"
        counts.matched += 1
    else:  # its unit was removed from the campaign's tree since: a person must look
        status, reason = (
            ComplaintStatus.unmatched,
            "反映单位（未写被反映人），该单位不在本活动范围内",
        )
        counts.unmatched += 1
    changes.append(
        {
            "id": plan.complaint_id,
            "status": status,
            "matched_cadre_id": None,
            "match_score": None,
            "match_reason": reason[:_REASON_MAX],
        }
    )
    events.append(
        audit_event(
            campaign_id,
            AuditAction.matched,
            actor,
            now,
            complaint_id=plan.complaint_id,
            detail={
                "status": status.value,
                "cadre_id": None,
                "about_unit": True,
                "unit_id": plan.unit_id,
                "unit": plan.unit.how,
            },
        )
    )


def _link_by_cadre(session: Session, campaign_id: int, plans: Sequence[_Plan], actor: str) -> int:
    """Same text about the same cadre, even when the two copies named them differently."""
    fresh = {
        plan.complaint_id: (plan.digest, plan.result.cadre_id)
        for plan in plans
        if plan.result is not None
        and plan.result.cadre_id is not None
        and plan.duplicate_of_id is None
    }
    if not fresh:
        return 0
    first: dict[tuple[str, int], int] = {}
    for chunk in chunked(sorted({digest for digest, _ in fresh.values()})):
        query = select(
            Complaint.id,
            Complaint.content_digest,
            Complaint.matched_cadre_id,
            Complaint.duplicate_of_id,
        ).where(
            col(Complaint.campaign_id) == campaign_id,
            col(Complaint.content_digest).in_(chunk),
        )
        # No ORDER BY and no condition on other columns: see _originals.
        for complaint_id, digest, cadre_id, original in session.connection().execute(query):
            if original is None and cadre_id is not None:
                key = (digest, cadre_id)
                first[key] = min(first.get(key, complaint_id), complaint_id)
    links = [
        {"id": complaint_id, "duplicate_of_id": first[key]}
        for complaint_id, key in fresh.items()
        if first.get(key, complaint_id) != complaint_id
    ]
    if not links:
        return 0
    update_complaints_by_id(session, links)
    now = utcnow()
    write_audit(
        session,
        [
            audit_event(
                campaign_id,
                AuditAction.linked_duplicate,
                actor,
                now,
                complaint_id=link["id"],
                detail={"duplicate_of_id": link["duplicate_of_id"], "by": "cadre"},
            )
            for link in links
        ],
    )
    return len(links)
