"""One matter by two channels: the link rule, and the proposals matching makes for a person.

The same matter often arrives twice, worded differently: a hotline call, then a letter. The
keyed digest links only the same text (``duplicate_of_id``); :func:`propose_links` proposes a
:class:`ComplaintLink` between two complaints of a campaign that :func:`same_matter` says may be
one matter, and a person decides (:mod:`qinglian.complaints.link_review`). Nothing here reads a
complaint's text: the rule compares the accused, the category, the channels and the dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from models.campaign import utcnow
from models.complaint import Complaint, ComplaintLink
from models.enums import AuditAction, ComplaintChannel, FindingCategory, LinkStatus
from qinglian.complaints.audit import SYSTEM, audit_event, write_audit
from qinglian.core.sql import chunked, insert_ignoring_duplicates

# 30 days = the dates received differ by at most 30 days.
WINDOW_DAYS = 30

# ("cadre", id) for a complaint matched to a cadre, ("unit", id) for one about a unit.
Accused = tuple[str, int]
# More complaints than this at once: read the campaign's complaints in one pass.
_WHOLE_CAMPAIGN = 5000


@dataclass(frozen=True, slots=True)
class LinkFacts:
    """What the link rule reads of a complaint: never its text, nor its complainant."""

    id: int
    channel: ComplaintChannel
    received_on: date
    accused: Accused | None
    category: FindingCategory | None
    duplicate_of_id: int | None = None
    # The first complaint of its matter (itself unless a person linked it to another).
    matter_id: int | None = None


def accused_of(cadre_id: int | None, unit_id: int | None, about_unit: bool) -> Accused | None:
    """Whom a complaint is about, once matched: its cadre, or the unit it names alone."""
    if cadre_id is not None:
        return ("cadre", cadre_id)
    if about_unit and unit_id is not None:
        return ("unit", unit_id)
    return None


def same_matter(a: LinkFacts, b: LinkFacts) -> bool:
    """Whether two complaints may be one matter told twice, for a person to decide.

    The same accused (the same matched cadre, or the same unit for complaints naming no
    person), the same alleged category (both unspecified counts as the same), received within
    :data:`WINDOW_DAYS` days of each other, by different channels; neither an exact copy (those
    are linked already, by their text), nor already one matter.
    """
    return (
        a.id != b.id
        and a.accused is not None
        and a.accused == b.accused
        and a.category == b.category
        and a.channel != b.channel
        and abs((a.received_on - b.received_on).days) <= WINDOW_DAYS
        and a.duplicate_of_id is None
        and b.duplicate_of_id is None
        and (a.matter_id or a.id) != (b.matter_id or b.id)
    )


def propose_links(
    *, session: Session, campaign_id: int, complaint_ids: Sequence[int], actor: str = SYSTEM
) -> int:
    """Propose the links of the given complaints (just matched) to others of the campaign.

    Idempotent: a pair is proposed once whatever became of it (the pair is unique), so
    matching again, or a person's assignment after a rejection, proposes nothing twice.
    Returns how many proposals were new.
    """
    if not complaint_ids:
        return 0
    session.flush()
    if len(complaint_ids) > _WHOLE_CAMPAIGN:
        # Most of a campaign at once (an import, the phase's matching): one pass over its
        # complaints costs less than thousands of lookups by id and by accused.
        every = _campaign_facts(session, campaign_id)
        wanted = set(complaint_ids)
        fresh = [facts for facts in every if facts.id in wanted and facts.accused]
    else:
        every = None
        fresh = [facts for facts in _facts(session, campaign_id, complaint_ids) if facts.accused]
    if not fresh:
        return 0
    low = min(facts.received_on for facts in fresh) - timedelta(days=WINDOW_DAYS)
    high = max(facts.received_on for facts in fresh) + timedelta(days=WINDOW_DAYS)
    accused = {facts.accused for facts in fresh}
    candidates = every if every is not None else _partners(session, campaign_id, accused)
    others: defaultdict[Accused, list[LinkFacts]] = defaultdict(list)
    for facts in candidates:
        in_window = low <= facts.received_on <= high
        if facts.accused is not None and facts.accused in accused and in_window:
            others[facts.accused].append(facts)
    pairs: set[tuple[int, int]] = set()
    for facts in fresh:
        assert facts.accused is not None
        for other in others[facts.accused]:
            if same_matter(facts, other):
                pairs.add((min(facts.id, other.id), max(facts.id, other.id)))
    pairs -= _existing_pairs(session, pairs)
    if not pairs:
        return 0
    now = utcnow()
    rows = [
        {
            "campaign_id": campaign_id,
            "complaint_id": first,
            "other_id": second,
            "status": LinkStatus.proposed,
            "proposed_at": now,
            "decided_by": None,
            "decided_at": None,
            "reason": "",
        }
        for first, second in sorted(pairs)
    ]
    for chunk in chunked(rows, 5000):
        session.connection().execute(
            insert_ignoring_duplicates(session, ComplaintLink, ["complaint_id", "other_id"]),
            list(chunk),
        )
    made = _link_ids(session, pairs)
    write_audit(
        session,
        [
            audit_event(
                campaign_id,
                AuditAction.link_proposed,
                actor,
                now,
                complaint_id=second,
                detail={"link_id": link_id, "other_id": first},
            )
            for (first, second), link_id in sorted(made.items())
        ],
    )
    return len(made)


_COLUMNS = (
    Complaint.id,
    Complaint.channel,
    Complaint.received_on,
    Complaint.matched_cadre_id,
    Complaint.accused_unit_id,
    Complaint.accused_name_raw,
    Complaint.alleged_category,
    Complaint.duplicate_of_id,
    Complaint.same_matter_of_id,
)


def _as_facts(row: Any) -> LinkFacts:
    complaint_id, channel, received_on, cadre_id, unit_id, name, category, original, matter = row
    return LinkFacts(
        id=complaint_id,
        channel=ComplaintChannel(channel),
        received_on=received_on,
        accused=accused_of(cadre_id, unit_id, not name),
        category=FindingCategory(category) if category else None,
        duplicate_of_id=original,
        matter_id=matter,
    )


def _facts(session: Session, campaign_id: int, complaint_ids: Sequence[int]) -> list[LinkFacts]:
    found: list[LinkFacts] = []
    # Only the primary key narrows the rows (the campaign is checked here): a condition on
    # another indexed column tempts SQLite's planner into walking that index instead.
    for chunk in chunked(sorted(set(complaint_ids))):
        query = select(Complaint.campaign_id, *_COLUMNS).where(col(Complaint.id).in_(chunk))
        found.extend(
            _as_facts(row[1:])
            for row in session.connection().execute(query)
            if row[0] == campaign_id
        )
    return found


def _campaign_facts(session: Session, campaign_id: int) -> list[LinkFacts]:
    query = select(*_COLUMNS).where(col(Complaint.campaign_id) == campaign_id)
    return [_as_facts(row) for row in session.connection().execute(query)]


def _partners(session: Session, campaign_id: int, accused: set[Accused | None]) -> list[LinkFacts]:
    """The campaign's complaints about the given cadres or units (the window is checked by the
    caller; only the accused's index narrows the rows, as in :func:`_facts`)."""
    cadres = sorted(key for kind, key in filter(None, accused) if kind == "cadre")
    units = sorted(key for kind, key in filter(None, accused) if kind == "unit")
    found: list[LinkFacts] = []
    for column, keys in ((Complaint.matched_cadre_id, cadres), (Complaint.accused_unit_id, units)):
        for chunk in chunked(keys):
            query = select(Complaint.campaign_id, *_COLUMNS).where(col(column).in_(chunk))
            found.extend(
                _as_facts(row[1:])
                for row in session.connection().execute(query)
                if row[0] == campaign_id
            )
    return found


def _existing_pairs(session: Session, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for chunk in chunked(sorted({first for first, _ in pairs})):
        query = select(ComplaintLink.complaint_id, ComplaintLink.other_id).where(
            col(ComplaintLink.complaint_id).in_(chunk)
        )
        found.update((first, second) for first, second in session.connection().execute(query))
    return found & pairs


def _link_ids(session: Session, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The ids of the links of ``pairs`` (none of which existed before this run)."""
    found: dict[tuple[int, int], int] = {}
    for chunk in chunked(sorted({first for first, _ in pairs})):
        query = select(ComplaintLink.id, ComplaintLink.complaint_id, ComplaintLink.other_id).where(
            col(ComplaintLink.complaint_id).in_(chunk)
        )
        for link_id, first, second in session.connection().execute(query):
            if (first, second) in pairs:
                found[(first, second)] = link_id
    return found
