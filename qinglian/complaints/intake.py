"""Intake (受理): a complaint stored encrypted, given a receipt and linked to its copies.

:func:`add_complaint` (or the importer, through :func:`store_complaints`) stores a complaint:
text and contact encrypted, a keyed digest of the text for duplicates, a receipt code for an
anonymous complainant (its sha256 only is kept), and links a copy of a complaint already
received (the same text about the same accused, by any channel). :func:`add_complaint` then
matches it at once; matching proposes the links of one matter told differently
(:mod:`qinglian.complaints.linking`).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from models.campaign import Campaign, utcnow
from models.complaint import Complaint
from models.enums import AuditAction, ComplaintChannel, ComplaintStatus, FindingCategory
from qinglian.campaigns.lookup import get_campaign
from qinglian.complaints import crypto
from qinglian.complaints.audit import audit_event, write_audit
from qinglian.complaints.matching import match_complaints, unit_directory
from qinglian.complaints.parsing import (
    MAX_LENGTH,
    IntakeItem,
    content_digest,
    intake_problems,
    parse_category,
    parse_channel,
    receipt_hash,
    ref_key,
)
from qinglian.complaints.store import insert_returning_ids, update_complaints_by_id
from qinglian.core.errors import QinglianError
from qinglian.core.sql import chunked
from qinglian.rules.names import normalise_name
from qinglian.rules.unit_names import UnitDirectory, normalise_unit


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing one item did: its id, the receipt code (shown once) and its original."""

    complaint_id: int
    receipt_code: str | None = field(default=None, repr=False)
    duplicate_of_id: int | None = None


def add_complaint(
    *,
    session: Session,
    campaign_id: int,
    channel: ComplaintChannel | str,
    received_on: date,
    anonymous: bool,
    accused_name: str,
    accused_unit: str,
    alleged_category: FindingCategory | str | None,
    content: str,
    contact: str | None,
    external_ref: str | None = None,
    as_of: date,
    actor: str = "intake",
) -> tuple[Complaint, str | None]:
    """Store one complaint and match it; the receipt code (anonymous only) is returned once.

    An empty ``accused_name`` records a complaint about the unit ``accused_unit`` names, which
    must be one unit of the campaign's tree.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    crypto.ensure_key()
    try:
        parsed_channel = parse_channel(channel)
    except ValueError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise QinglianError(zh, en or zh) from None
    category, category_raw = parse_category(alleged_category)
    ref = (external_ref or "").strip() or None
    item = IntakeItem(
        channel=parsed_channel,
        received_on=received_on,
        anonymous=anonymous,
        accused_name=(accused_name or "").strip(),
        accused_unit=(accused_unit or "").strip(),
        alleged_category=category,
        alleged_category_raw=category_raw,
        content=content or "",
        contact=(contact or "").strip(),
        external_ref=ref,
        intake_key=ref_key(ref) if ref else None,
    )
    units = unit_directory(session=session, campaign=campaign)
    problems = intake_problems(item, as_of, unit=units.resolve(item.accused_unit))
    if problems:
        raise QinglianError(
            "；".join(zh for _, zh, _ in problems), "; ".join(en for _, _, en in problems)
        )
    if item.intake_key and existing_intake_keys(session, campaign_id, [item.intake_key]):
        raise QinglianError(
            f"编号「{ref}」的举报件已登记", f"a complaint numbered {ref!r} is already recorded"
        )
    [stored] = store_complaints(
        session=session, campaign=campaign, items=[item], units=units, actor=actor
    )
    match_complaints(
        session=session, campaign_id=campaign_id, complaint_ids=[stored.complaint_id], units=units
    )
    complaint = session.get(Complaint, stored.complaint_id, populate_existing=True)
    assert complaint is not None
    return complaint, stored.receipt_code


def existing_intake_keys(
    session: Session, campaign_id: int, keys: Sequence[str]
) -> dict[str, tuple[int, str]]:
    """intake key → (complaint id, content digest) of the keys the campaign already holds."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in chunked(list(keys)):
        query = select(Complaint.intake_key, Complaint.id, Complaint.content_digest).where(
            col(Complaint.campaign_id) == campaign_id, col(Complaint.intake_key).in_(chunk)
        )
        for key, complaint_id, digest in session.connection().execute(query):
            found[key] = (complaint_id, digest)
    return found


def _new_receipt() -> tuple[str, str]:
    # 80 random bits: sha256 of it cannot be reversed by trying codes.
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    return code, receipt_hash(code)


def _accused_key(name_norm: str, title_hint: str, unit_id: int | None, unit_norm: str) -> str:
    return f"{name_norm}\x1f{title_hint}\x1f{unit_id if unit_id is not None else unit_norm}"


def store_complaints(
    *,
    session: Session,
    campaign: Campaign,
    items: Sequence[IntakeItem],
    units: UnitDirectory,
    actor: str,
) -> list[Stored]:
    """Encrypt and insert checked items (not yet matched); link duplicates to their original.

    A duplicate is the same text (by keyed digest) about the same accused, received earlier in
    this campaign or earlier in ``items``.
    """
    if not items:
        return []
    session.flush()
    campaign_id = campaign.id
    assert campaign_id is not None
    now = utcnow()
    rows: list[dict[str, Any]] = []
    receipts: list[str | None] = []
    keys: list[tuple[str, str]] = []
    unit_norms: dict[str, str] = {}
    for item in items:
        query = normalise_name(item.accused_name)
        unit_match = units.resolve(item.accused_unit)
        name_norm = query.name or query.surname or query.pinyin
        title_hint = ("副" if query.deputy else "") + query.title
        unit_id = unit_match.unit_ids[0] if len(unit_match.unit_ids) == 1 else None
        unit_norm = unit_norms.get(item.accused_unit)
        if unit_norm is None:
            unit_norm = unit_norms[item.accused_unit] = normalise_unit(item.accused_unit)[
                : MAX_LENGTH["accused_unit"]
            ]
        digest = content_digest(item.content)
        code, code_hash = _new_receipt() if item.anonymous else (None, None)
        receipts.append(code)
        keys.append((digest, _accused_key(name_norm, title_hint, unit_id, unit_norm)))
        rows.append(
            {
                "campaign_id": campaign_id,
                "external_ref": item.external_ref,
                "intake_key": item.intake_key,
                "channel": item.channel,
                "received_on": item.received_on,
                "anonymous": item.anonymous,
                "receipt_code_hash": code_hash,
                # A complaint about a unit keeps no "name" (whitespace, say) for one.
                "accused_name_raw": "" if query.empty else item.accused_name,
                "accused_unit_raw": item.accused_unit,
                "accused_name_norm": name_norm[: MAX_LENGTH["accused_name"]],
                "accused_unit_norm": unit_norm,
                "title_hint": title_hint,
                "accused_unit_id": unit_id,
                "alleged_category": item.alleged_category,
                "alleged_category_raw": item.alleged_category_raw,
                "content_enc": crypto.encrypt(item.content),
                "contact_enc": crypto.encrypt(item.contact) if item.contact else None,
                "content_digest": digest,
                "status": ComplaintStatus.received,
                "duplicate_of_id": None,
                "matched_cadre_id": None,
                "match_score": None,
                "match_reason": unit_match.reason,
                "created_at": now,
            }
        )
    originals = _originals(session, campaign_id, {digest for digest, _ in keys})
    for row, key in zip(rows, keys, strict=True):
        row["duplicate_of_id"] = originals.get(key)
    # Fernet tokens carry a random IV, so every row's ciphertext is unique.
    ids = insert_returning_ids(session, Complaint, rows, key="content_enc")
    later: list[dict[str, Any]] = []
    for complaint_id, row, key in zip(ids, rows, keys, strict=True):
        if row["duplicate_of_id"] is None:
            first = originals.setdefault(key, complaint_id)
            if first != complaint_id:
                row["duplicate_of_id"] = first
                later.append({"id": complaint_id, "duplicate_of_id": first})
    if later:
        update_complaints_by_id(session, later)
    events = []
    for complaint_id, row in zip(ids, rows, strict=True):
        events.append(
            audit_event(
                campaign_id,
                AuditAction.received,
                actor,
                now,
                complaint_id=complaint_id,
                detail={"channel": row["channel"].value, "anonymous": row["anonymous"]},
            )
        )
        if row["duplicate_of_id"] is not None:
            events.append(
                audit_event(
                    campaign_id,
                    AuditAction.linked_duplicate,
                    actor,
                    now,
                    complaint_id=complaint_id,
                    detail={"duplicate_of_id": row["duplicate_of_id"], "by": "content"},
                )
            )
    write_audit(session, events)
    return [
        Stored(complaint_id=complaint_id, receipt_code=code, duplicate_of_id=row["duplicate_of_id"])
        for complaint_id, code, row in zip(ids, receipts, rows, strict=True)
    ]


def _originals(
    session: Session, campaign_id: int, digests: Iterable[str]
) -> dict[tuple[str, str], int]:
    """(digest, accused key) → the earliest non-duplicate complaint with them."""
    found: dict[tuple[str, str], int] = {}
    # Only the digest index narrows the rows: a condition on duplicate_of_id, or an ORDER BY id,
    # tempts SQLite's planner into walking another index (or the table) for every chunk.
    for chunk in chunked(sorted(digests)):
        query = select(
            Complaint.id,
            Complaint.content_digest,
            Complaint.accused_name_norm,
            Complaint.title_hint,
            Complaint.accused_unit_id,
            Complaint.accused_unit_norm,
            Complaint.duplicate_of_id,
        ).where(
            col(Complaint.campaign_id) == campaign_id,
            col(Complaint.content_digest).in_(chunk),
        )
        for (
            complaint_id,
            digest,
            name,
            title,
            unit_id,
            unit_norm,
            original,
        ) in session.connection().execute(query):
            if original is None:
                key = (digest, _accused_key(name, title, unit_id, unit_norm))
                found[key] = min(found.get(key, complaint_id), complaint_id)
    return found
