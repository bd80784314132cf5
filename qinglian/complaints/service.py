"""Complaints (信访举报): intake, matching to cadres, the cross-check, verification. No Prefect.

The order of work is:

1. :func:`add_complaint` (or the importer) stores a complaint: text and contact encrypted, a
   keyed digest of the text for duplicates, a receipt code for an anonymous complainant (its
   sha256 only is kept), and links a complaint already received by another channel.
2. :func:`match_complaints` ranks cadres for every received complaint and assigns it, or puts
   it in the human queue (``ambiguous``), or marks it ``unmatched``; :func:`assign_complaint`
   is the human decision.
3. :func:`cross_check` compares each matched complaint's allegation with the cadre's current
   declaration, records a suspected-concealment finding where it was not declared, and opens a
   :class:`VerificationCase` at the cadre's managing unit (干部管理权限).
4. :func:`record_verification` closes a case with its outcome and moves the finding on.

Confidentiality: nothing here logs, and nothing returned outside :func:`read_case` (the
verifying discipline office only) carries the complaint text or the complainant's contact.
Every step writes an :class:`AuditEvent` without plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, Field, SecretStr
from sqlalchemy import Select, bindparam, delete, func, insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import Campaign, utcnow
from models.complaint import AuditEvent, Complaint, ComplaintCandidate, VerificationCase
from models.enums import (
    CATEGORY_LABELS,
    AuditAction,
    CaseOutcome,
    CaseStatus,
    ComplaintChannel,
    ComplaintStatus,
    CrossCheckResult,
    FindingCategory,
    FindingSource,
    FindingStatus,
)
from models.finding import Finding
from models.form import (
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
)
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.complaints import crypto
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.declarations.findings import finding_fingerprint, record_findings
from qinglian.rules.detection import (
    FormFacts,
    PostFact,
    RecusalFact,
    RelativeFact,
    RetirementJobFact,
)
from qinglian.rules.matching import (
    Assessment,
    CadreIndex,
    CadreRow,
    Decision,
    MatchResult,
    assess_allegation,
)
from qinglian.rules.normalise import (
    UnitDirectory,
    UnitEntry,
    UnitMatch,
    normalise_content,
    normalise_name,
    normalise_text,
    normalise_unit,
    parse_alleged_category,
)

T = TypeVar("T")

# Keeps every IN (...) under SQLite's historical limit of 999 bound parameters.
_CHUNK = 900
# More distinct subtrees than this in one batch: load the whole campaign's cadres at once.
_PREFIXES_MAX = 50
_COLUMNS = Complaint.__table__.columns  # type: ignore[attr-defined]
MAX_LENGTH = {
    "accused_name": _COLUMNS["accused_name_raw"].type.length,
    "accused_unit": _COLUMNS["accused_unit_raw"].type.length,
    "external_ref": _COLUMNS["external_ref"].type.length,
    "category": _COLUMNS["alleged_category_raw"].type.length,
}
_REASON_MAX = _COLUMNS["match_reason"].type.length
_OUTCOME_REASON_MAX = VerificationCase.__table__.columns["outcome_reason"].type.length  # type: ignore[attr-defined]
SYSTEM = "system"

CHANNEL_WORDS: dict[ComplaintChannel, tuple[str, ...]] = {
    ComplaintChannel.hotline: ("举报电话", "热线", "电话", "来电", "hotline", "phone", "telephone"),
    ComplaintChannel.letter: ("来信", "信件", "信函", "书信", "letter", "mail", "post"),
    ComplaintChannel.visit: ("来访", "走访", "上访", "面谈", "visit", "in person"),
    ComplaintChannel.email: ("电子邮件", "邮件", "邮箱", "email", "e-mail"),
    ComplaintChannel.leader_mailbox: (
        "领导信箱",
        "书记信箱",
        "局长信箱",
        "院长信箱",
        "leader mailbox",
    ),
    ComplaintChannel.online: (
        "网络举报",
        "网络",
        "网上",
        "网站",
        "民声通道",
        "online",
        "web",
        "internet",
    ),
}


class AccessDenied(QinglianError):
    """A reader who is not the verifying discipline office asked for a complaint's content."""

    def __init__(self) -> None:
        super().__init__(
            "无权查阅该核实案件（仅限负责核实的纪检监察部门）",
            "not permitted to read this verification case (the verifying discipline office only)",
        )


# --- views ---------------------------------------------------------------------------------


class MatchCounts(BaseModel):
    """What one matching run did; ``comparisons`` is how many cadre scores were computed."""

    complaints: int = 0
    matched: int = 0
    ambiguous: int = 0
    unmatched: int = 0
    unknown_units: int = 0
    widened: int = 0
    linked_duplicates: int = 0
    comparisons: int = 0


class CrossCheckCounts(BaseModel):
    """What one cross-check run did (a re-run finds nothing left to do)."""

    complaints: int = 0
    concealment_suspected: int = 0
    no_form: int = 0
    declared: int = 0
    unspecified: int = 0
    findings_created: int = 0
    findings_linked: int = 0
    cases_opened: int = 0


class CaseView(BaseModel):
    """A verification case without anything of the complaint's text or its complainant."""

    id: int
    campaign_id: int
    complaint_id: int
    finding_id: int | None
    cadre_id: int
    managing_unit_id: int
    alleged_category: FindingCategory | None
    check_result: CrossCheckResult
    status: CaseStatus
    outcome: CaseOutcome | None
    outcome_reason: str
    decided_by: str | None
    decided_at: datetime | None
    opened_on: date


class ComplaintCopy(BaseModel):
    """One received copy of a complaint, decrypted for the discipline office."""

    complaint_id: int
    channel: ComplaintChannel
    received_on: date
    anonymous: bool
    content: SecretStr
    contact: SecretStr | None


class CaseDetail(CaseView):
    """The case as the verifying discipline office reads it; secrets stay masked in reprs."""

    accused_name: str = Field(repr=False)
    accused_unit: str = Field(repr=False)
    complaint: ComplaintCopy
    duplicates: list[ComplaintCopy] = []


class CandidateView(BaseModel):
    cadre_id: int
    score: float
    reason: str
    rank: int


class ReviewItem(BaseModel):
    """A complaint waiting for a person to say who it is about (no text, no complainant)."""

    complaint_id: int
    status: ComplaintStatus
    channel: ComplaintChannel
    received_on: date
    accused_name: str = Field(repr=False)
    accused_unit: str = Field(repr=False)
    match_reason: str
    candidates: list[CandidateView]


class ComplaintCounts(BaseModel):
    """Counts only; duplicates are counted once (in ``duplicates``, not in ``total``).

    For a unit's view (``unit_id`` given) the channels are left out: in a small unit a count by
    channel could point at the complainant.
    """

    total: int = 0
    duplicates: int = 0
    by_status: dict[ComplaintStatus, int] = {}
    by_channel: dict[ComplaintChannel, int] = {}
    by_category: dict[str, int] = {}
    cases_open: int = 0
    cases_closed: int = 0
    outcomes: dict[CaseOutcome, int] = {}


@dataclass(frozen=True, slots=True)
class IntakeItem:
    """One complaint to store, already parsed; its text and contact never print."""

    channel: ComplaintChannel
    received_on: date
    anonymous: bool
    accused_name: str = field(repr=False)
    accused_unit: str = field(repr=False)
    alleged_category: FindingCategory | None
    alleged_category_raw: str = field(repr=False)
    content: str = field(repr=False)
    contact: str = field(repr=False)
    external_ref: str | None = None
    intake_key: str | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing one item did: its id, the receipt code (shown once) and its original."""

    complaint_id: int
    receipt_code: str | None = field(default=None, repr=False)
    duplicate_of_id: int | None = None


# --- parsing and checks --------------------------------------------------------------------


def parse_channel(value: Any) -> ComplaintChannel:
    """渠道: 举报电话/热线, 来信, 来访, 电子邮件, 领导信箱, 网络举报/民声通道, or the value."""
    if isinstance(value, ComplaintChannel):
        return value
    text = re.sub(r"\s+", "", normalise_text(str(value or ""))).casefold()
    if not text:
        raise ValueError("渠道不能为空 / the channel is empty")
    for channel in ComplaintChannel:
        if text in (channel.value, channel.label.casefold()):
            return channel
    for channel, words in CHANNEL_WORDS.items():
        if any(text == re.sub(r"\s+", "", word).casefold() for word in words):
            return channel
    for channel, words in CHANNEL_WORDS.items():
        if any(len(word) > 1 and word in text for word in words if not word.isascii()):
            return channel
    labels = "、".join(channel.label for channel in ComplaintChannel)
    raise ValueError(
        f"无法识别的渠道「{value}」，应为：{labels}"
        f" / unrecognised channel {str(value)!r}; expected one of "
        f"{', '.join(channel.value for channel in ComplaintChannel)}"
    )


def parse_category(value: Any) -> tuple[FindingCategory | None, str]:
    """问题类别 → (category or None when it names none, the text as written)."""
    if isinstance(value, FindingCategory):
        return value, value.value
    raw = normalise_text(str(value or ""))
    return parse_alleged_category(raw), raw


def intake_problems(item: IntakeItem, today: date) -> list[tuple[str, str, str]]:
    """(field, zh, en) for everything wrong with an item; the messages never quote its text."""
    problems: list[tuple[str, str, str]] = []
    if normalise_name(item.accused_name).empty:
        problems.append(("accused_name", "被反映人不能为空", "the accused person's name is empty"))
    if item.received_on > today:
        problems.append(
            (
                "received_on",
                f"收到日期 {item.received_on.isoformat()} 晚于今天（{today.isoformat()}）",
                f"the date received {item.received_on.isoformat()} is after today "
                f"({today.isoformat()})",
            )
        )
    if not item.content.strip():
        problems.append(("content", "举报内容不能为空", "the complaint text is empty"))
    for key, text in (
        ("accused_name", item.accused_name),
        ("accused_unit", item.accused_unit),
        ("external_ref", item.external_ref or ""),
        ("category", item.alleged_category_raw),
    ):
        if len(text) > MAX_LENGTH[key]:
            problems.append(
                (
                    key,
                    f"内容过长（{len(text)} 个字符，最多 {MAX_LENGTH[key]} 个）",
                    f"too long ({len(text)} characters, at most {MAX_LENGTH[key]})",
                )
            )
    return problems


def content_digest(content: str) -> str:
    """The keyed digest duplicates are found by (the text itself is never compared)."""
    return crypto.digest(normalise_content(content))


def receipt_hash(code: str) -> str:
    """sha256 of a receipt code as the complainant may type it (case, dashes, spaces folded)."""
    canonical = re.sub(r"[\s\-]+", "", normalise_text(code)).upper()
    return hashlib.sha256(canonical.encode("ascii", "ignore")).hexdigest()


def _new_receipt() -> tuple[str, str]:
    # 80 random bits: sha256 of it cannot be reversed by trying codes.
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    return code, receipt_hash(code)


# --- intake --------------------------------------------------------------------------------


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
    today: date,
    actor: str = "intake",
) -> tuple[Complaint, str | None]:
    """Store one complaint and match it; the receipt code (anonymous only) is returned once."""
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
    problems = intake_problems(item, today)
    if problems:
        raise QinglianError(
            "；".join(zh for _, zh, _ in problems), "; ".join(en for _, _, en in problems)
        )
    if item.intake_key and existing_intake_keys(session, campaign_id, [item.intake_key]):
        raise QinglianError(
            f"编号「{ref}」的举报件已登记", f"a complaint numbered {ref!r} is already recorded"
        )
    units = unit_directory(session=session, campaign=campaign)
    [stored] = store_complaints(
        session=session, campaign=campaign, items=[item], units=units, actor=actor
    )
    match_complaints(
        session=session, campaign_id=campaign_id, complaint_ids=[stored.complaint_id], units=units
    )
    complaint = session.get(Complaint, stored.complaint_id, populate_existing=True)
    assert complaint is not None
    return complaint, stored.receipt_code


def ref_key(external_ref: str) -> str:
    """The intake key of a complaint with a 编号: the number decides what is the same row."""
    return hashlib.sha256(f"ref\x1f{external_ref}".encode()).hexdigest()


def row_key(item: IntakeItem, digest: str) -> str:
    """The intake key of a row without 编号: everything it says (keyed, as it covers the text)."""
    contact = crypto.digest(normalise_content(item.contact)) if item.contact else ""
    return crypto.digest(
        "\x1f".join(
            (
                "row",
                item.channel.value,
                item.received_on.isoformat(),
                normalise_unit(item.accused_name),
                normalise_unit(item.accused_unit),
                item.alleged_category_raw,
                digest,
                contact,
            )
        )
    )


def existing_intake_keys(
    session: Session, campaign_id: int, keys: Sequence[str]
) -> dict[str, tuple[int, str]]:
    """intake key → (complaint id, content digest) of the keys the campaign already holds."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(list(keys)):
        query = select(Complaint.intake_key, Complaint.id, Complaint.content_digest).where(
            col(Complaint.campaign_id) == campaign_id, col(Complaint.intake_key).in_(chunk)
        )
        for key, complaint_id, digest in session.connection().execute(query):
            found[key] = (complaint_id, digest)
    return found


def unit_directory(*, session: Session, campaign: Campaign) -> UnitDirectory:
    """The units of the campaign's tree, for resolving the units complaints name."""
    root = _unit_path(session, campaign.root_unit_id)
    query = select(Unit.id, Unit.name, Unit.path, Unit.aliases).where(
        col(Unit.path).startswith(root)
    )
    return UnitDirectory(
        UnitEntry(id=unit_id, name=name, path=path, aliases=tuple(aliases or ()))
        for unit_id, name, path, aliases in session.connection().execute(query)
    )


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
                "accused_name_raw": item.accused_name,
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
    ids = _insert_returning_ids(session, Complaint, rows, key="content_enc")
    later: list[dict[str, Any]] = []
    for complaint_id, row, key in zip(ids, rows, keys, strict=True):
        if row["duplicate_of_id"] is None:
            first = originals.setdefault(key, complaint_id)
            if first != complaint_id:
                row["duplicate_of_id"] = first
                later.append({"id": complaint_id, "duplicate_of_id": first})
    if later:
        _update_by_id(session, later)
    events = []
    for complaint_id, row in zip(ids, rows, strict=True):
        events.append(
            _event(
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
                _event(
                    campaign_id,
                    AuditAction.linked_duplicate,
                    actor,
                    now,
                    complaint_id=complaint_id,
                    detail={"duplicate_of_id": row["duplicate_of_id"], "by": "content"},
                )
            )
    _audit(session, events)
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
    for chunk in _chunks(sorted(digests)):
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


# --- matching ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    complaint_id: int
    digest: str
    duplicate_of_id: int | None
    unit: UnitMatch
    prefixes: list[str] | None
    result: MatchResult | None = None
    widened: bool = False


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
    root = _unit_path(session, campaign.root_unit_id)
    plans: list[_Plan] = []
    queries = []
    statuses = [ComplaintStatus.received]
    if retry:
        statuses += [ComplaintStatus.ambiguous, ComplaintStatus.unmatched]
    for complaint_id, name_raw, unit_raw, digest, duplicate_of_id in _to_match(
        session, campaign_id, complaint_ids, statuses
    ):
        unit = units.resolve(unit_raw)
        prefixes = [units.paths[unit_id] for unit_id in unit.unit_ids] or None
        plans.append(_Plan(complaint_id, digest, duplicate_of_id, unit, prefixes))
        queries.append(normalise_name(name_raw))
    counts = MatchCounts(complaints=len(plans))
    if not plans:
        return counts
    scoped = sorted({prefix for plan in plans for prefix in plan.prefixes or ()})
    whole: CadreIndex | None = None
    if any(plan.prefixes is None for plan in plans) or len(scoped) > _PREFIXES_MAX:
        whole = index = load_cadre_index(session=session, prefixes=[root], paths=units.paths)
    else:
        index = load_cadre_index(session=session, prefixes=scoped)
    for plan, query in zip(plans, queries, strict=True):
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
        for chunk in _chunks([plan.complaint_id for plan in plans]):
            session.execute(
                delete(ComplaintCandidate).where(col(ComplaintCandidate.complaint_id).in_(chunk))
            )
    _save_matches(session, campaign_id, plans, actor, counts)
    counts.linked_duplicates = _link_by_cadre(session, campaign_id, plans, actor)
    return counts


def _to_match(
    session: Session,
    campaign_id: int,
    complaint_ids: Sequence[int] | None,
    statuses: Sequence[ComplaintStatus],
) -> Iterator[tuple[int, str, str, str, int | None]]:
    base = select(
        Complaint.id,
        Complaint.accused_name_raw,
        Complaint.accused_unit_raw,
        Complaint.content_digest,
        Complaint.duplicate_of_id,
    ).where(
        col(Complaint.campaign_id) == campaign_id,
        col(Complaint.status).in_(statuses),
    )
    if complaint_ids is None:
        yield from session.connection().execute(base.order_by(col(Complaint.id)))  # type: ignore[misc]
        return
    for chunk in _chunks(sorted(set(complaint_ids))):
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
            _event(
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
    for chunk in _chunks(changes, 5000):
        _update_by_id(session, chunk)
    for chunk in _chunks(candidates, 5000):
        session.connection().execute(insert(ComplaintCandidate.__table__), list(chunk))  # type: ignore[attr-defined]
    _audit(session, events)


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
    for chunk in _chunks(sorted({digest for digest, _ in fresh.values()})):
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
    _update_by_id(session, links)
    now = utcnow()
    _audit(
        session,
        [
            _event(
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


def assign_complaint(
    *,
    session: Session,
    complaint_id: int,
    cadre_id: int,
    decided_by: str,
    decided_at: datetime,
) -> None:
    """A person's decision on who an ambiguous (or unmatched) complaint is about."""
    complaint = session.get(Complaint, complaint_id, populate_existing=True)
    if complaint is None:
        raise NotFoundError(f"没有编号为 {complaint_id} 的举报件", f"no complaint {complaint_id}")
    if complaint.status in (ComplaintStatus.cross_checked, ComplaintStatus.closed):
        raise QinglianError(
            "该举报件已进入核实，不能再改变对应的干部",
            "the complaint is already being verified; its cadre can no longer change",
        )
    cadre_path = session.exec(
        select(Unit.path).join(Cadre, col(Cadre.unit_id) == Unit.id).where(Cadre.id == cadre_id)
    ).first()
    campaign = get_campaign(session=session, campaign_id=complaint.campaign_id)
    root = _unit_path(session, campaign.root_unit_id)
    if cadre_path is None or not cadre_path.startswith(root):
        raise NotFoundError(
            f"本专项活动范围内没有编号为 {cadre_id} 的干部", f"no cadre {cadre_id} in this campaign"
        )
    _require_aware(decided_at)
    previous = complaint.status
    complaint.status = ComplaintStatus.matched
    complaint.matched_cadre_id = cadre_id
    complaint.match_score = None
    complaint.match_reason = "人工认定"
    session.add(complaint)
    _audit(
        session,
        [
            _event(
                complaint.campaign_id,
                AuditAction.assigned,
                decided_by,
                decided_at,
                complaint_id=complaint_id,
                detail={"cadre_id": cadre_id, "from": previous.value},
            )
        ],
    )
    session.flush()


def list_review_queue(*, session: Session, campaign_id: int) -> list[ReviewItem]:
    """The complaints waiting for a person (ambiguous, unmatched), with their candidates."""
    query = (
        select(Complaint)
        .where(
            col(Complaint.campaign_id) == campaign_id,
            col(Complaint.status).in_([ComplaintStatus.ambiguous, ComplaintStatus.unmatched]),
            col(Complaint.duplicate_of_id).is_(None),
        )
        .order_by(col(Complaint.id))
    )
    complaints = list(session.exec(query))
    candidates: defaultdict[int, list[CandidateView]] = defaultdict(list)
    for chunk in _chunks([complaint.id for complaint in complaints]):
        rows = session.exec(
            select(ComplaintCandidate)
            .where(col(ComplaintCandidate.complaint_id).in_(chunk))
            .order_by(col(ComplaintCandidate.complaint_id), col(ComplaintCandidate.rank))
        )
        for row in rows:
            candidates[row.complaint_id].append(
                CandidateView(
                    cadre_id=row.cadre_id, score=row.score, reason=row.reason, rank=row.rank
                )
            )
    return [
        ReviewItem(
            complaint_id=complaint.id,
            status=complaint.status,
            channel=complaint.channel,
            received_on=complaint.received_on,
            accused_name=complaint.accused_name_raw,
            accused_unit=complaint.accused_unit_raw,
            match_reason=complaint.match_reason,
            candidates=candidates.get(complaint.id, []),
        )
        for complaint in complaints
        if complaint.id is not None
    ]


# --- the cross-check -----------------------------------------------------------------------


def cross_check(*, session: Session, campaign_id: int, as_of: date) -> CrossCheckCounts:
    """Compare each matched complaint's allegation with the cadre's current declaration.

    Alleged but not declared (or no form at all): a complaint-sourced ``concealment`` finding
    (one per cadre and alleged category; its summary names the category, nothing of the text).
    Alleged and declared: the self-declared finding of that category, if the rules found one,
    is linked; no new finding. Either way one verification case per complaint is opened at the
    cadre's managing unit. Duplicates are skipped; a re-run changes nothing.
    """
    get_campaign(session=session, campaign_id=campaign_id)
    counts = CrossCheckCounts()
    session.flush()
    pending = [
        (complaint_id, cadre_id, alleged)
        for complaint_id, cadre_id, alleged, original in session.connection().execute(
            select(
                Complaint.id,
                Complaint.matched_cadre_id,
                Complaint.alleged_category,
                Complaint.duplicate_of_id,
            )
            .where(
                col(Complaint.campaign_id) == campaign_id,
                col(Complaint.status) == ComplaintStatus.matched,
            )
            .order_by(col(Complaint.id))
        )
        if original is None and cadre_id is not None
    ]
    if not pending:
        return counts
    with_case = _complaints_with_cases(session, [row[0] for row in pending])
    pending = [row for row in pending if row[0] not in with_case]
    cadre_ids = sorted({cadre_id for _, cadre_id, _ in pending})
    cadres = _cadre_units(session, cadre_ids)
    forms = current_forms(session=session, campaign_id=campaign_id, cadre_ids=cadre_ids)

    assessments: list[tuple[int, int, FindingCategory | None, Assessment]] = []
    for complaint_id, cadre_id, alleged in pending:
        assessment = assess_allegation(alleged, forms.get(cadre_id), as_of)
        assessments.append((complaint_id, cadre_id, alleged, assessment))
        setattr(counts, assessment.result.value, getattr(counts, assessment.result.value) + 1)
    counts.complaints = len(assessments)

    concealment = _concealment_findings(session, campaign_id, assessments, cadres, forms, as_of)
    counts.findings_created = concealment.created
    declared = _declared_findings(session, campaign_id, assessments, forms, as_of)

    now = utcnow()
    case_rows: list[dict[str, Any]] = []
    for complaint_id, cadre_id, alleged, assessment in assessments:
        if assessment.suspects_concealment:
            finding_id = concealment.ids[(cadre_id, _concealment_key(alleged))]
        else:
            finding_id = declared.get((cadre_id, alleged)) if alleged else None
            counts.findings_linked += finding_id is not None
        case_rows.append(
            {
                "campaign_id": campaign_id,
                "complaint_id": complaint_id,
                "finding_id": finding_id,
                "cadre_id": cadre_id,
                "managing_unit_id": cadres[cadre_id][1],
                "alleged_category": alleged,
                "check_result": assessment.result,
                "status": CaseStatus.open,
                "outcome": None,
                "outcome_reason": "",
                "decided_by": None,
                "decided_at": None,
                "opened_on": as_of,
                "created_at": now,
            }
        )
    case_ids = _insert_returning_ids(session, VerificationCase, case_rows, key="complaint_id")
    counts.cases_opened = len(case_ids)
    for chunk in _chunks([row["complaint_id"] for row in case_rows]):
        session.execute(
            update(Complaint)
            .where(col(Complaint.id).in_(chunk))
            .values(status=ComplaintStatus.cross_checked)
        )
    # One event per complaint for the step: the check, its result and the case it opened.
    events = [
        _event(
            campaign_id,
            AuditAction.cross_checked,
            SYSTEM,
            now,
            complaint_id=row["complaint_id"],
            case_id=case_id,
            detail={
                "result": row["check_result"].value,
                "finding_id": row["finding_id"],
                "alleged_category": row["alleged_category"].value
                if row["alleged_category"]
                else None,
                "case_opened_at": row["managing_unit_id"],
                "cadre_id": row["cadre_id"],
                "as_of": as_of.isoformat(),
            },
        )
        for case_id, row in zip(case_ids, case_rows, strict=True)
    ]
    _audit(session, events)
    session.flush()
    return counts


def _complaints_with_cases(session: Session, complaint_ids: Sequence[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(complaint_ids):
        found.update(
            session.connection()
            .execute(
                select(VerificationCase.complaint_id).where(
                    col(VerificationCase.complaint_id).in_(chunk)
                )
            )
            .scalars()
        )
    return found


def _cadre_units(session: Session, cadre_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """cadre id → (unit id, managing unit id)."""
    found: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(cadre_ids):
        query = select(Cadre.id, Cadre.unit_id, Cadre.managing_unit_id).where(
            col(Cadre.id).in_(chunk)
        )
        for cadre_id, unit_id, managing_unit_id in session.connection().execute(query):
            found[cadre_id] = (unit_id, managing_unit_id)
    return found


def _concealment_key(alleged: FindingCategory | None) -> str:
    if alleged is None:
        return "complaint-alleged:unspecified"
    return f"complaint-alleged:{alleged.value}"


def _concealment_summary(alleged: FindingCategory | None, assessment: Assessment) -> str:
    if assessment.result is CrossCheckResult.no_form:
        what = f"“{CATEGORY_LABELS[alleged]}”" if alleged else "有关问题"
        return f"信访举报反映{what}，本人未填报报告表，涉嫌隐瞒不报"
    if alleged is FindingCategory.concealment:
        return "信访举报反映涉嫌弄虚作假、隐瞒不报"
    assert alleged is not None
    return f"信访举报反映的“{CATEGORY_LABELS[alleged]}”未在报告表中申报，涉嫌隐瞒不报"


@dataclass(slots=True)
class _Concealment:
    ids: dict[tuple[int, str], int]
    created: int


def _concealment_findings(
    session: Session,
    campaign_id: int,
    assessments: Sequence[tuple[int, int, FindingCategory | None, Assessment]],
    cadres: dict[int, tuple[int, int]],
    forms: dict[int, FormFacts],
    as_of: date,
) -> _Concealment:
    """Insert the suspected-concealment findings not held yet; their ids by (cadre, key)."""
    now = utcnow()
    wanted: dict[str, dict[str, Any]] = {}
    by_key: dict[tuple[int, str], str] = {}
    for _, cadre_id, alleged, assessment in assessments:
        if not assessment.suspects_concealment:
            continue
        key = _concealment_key(alleged)
        fingerprint = finding_fingerprint(
            campaign_id, cadre_id, FindingSource.complaint, FindingCategory.concealment, key
        )
        by_key[(cadre_id, key)] = fingerprint
        form = forms.get(cadre_id)
        wanted.setdefault(
            fingerprint,
            {
                "campaign_id": campaign_id,
                "cadre_id": cadre_id,
                "unit_id": cadres[cadre_id][0],
                "source": FindingSource.complaint,
                "category": FindingCategory.concealment,
                "status": FindingStatus.verifying,
                "summary": _concealment_summary(alleged, assessment),
                "evidence": {
                    "alleged_category": alleged.value if alleged else None,
                    "missing_form": form is None,
                    "declaration_id": form.declaration_id if form else None,
                    "declaration_version": form.version if form else None,
                },
                "fingerprint": fingerprint,
                "found_on": as_of,
                "created_at": now,
            },
        )
    existing = _findings_by_fingerprint(session, campaign_id, list(wanted))
    new = [row for fingerprint, row in wanted.items() if fingerprint not in existing]
    for chunk in _chunks(new, 5000):
        session.connection().execute(_insert_ignoring_duplicates(session), list(chunk))
    # A finding recorded earlier and still open is now being verified.
    reopened = [
        finding_id for finding_id, status in existing.values() if status is FindingStatus.open
    ]
    for chunk in _chunks(reopened):
        session.execute(
            update(Finding).where(col(Finding.id).in_(chunk)).values(status=FindingStatus.verifying)
        )
    ids = {fingerprint: finding_id for fingerprint, (finding_id, _) in existing.items()}
    if new:
        ids.update(
            {
                fingerprint: finding_id
                for fingerprint, (finding_id, _) in _findings_by_fingerprint(
                    session, campaign_id, [row["fingerprint"] for row in new]
                ).items()
            }
        )
    return _Concealment(ids={key: ids[fp] for key, fp in by_key.items()}, created=len(new))


def _declared_findings(
    session: Session,
    campaign_id: int,
    assessments: Sequence[tuple[int, int, FindingCategory | None, Assessment]],
    forms: dict[int, FormFacts],
    as_of: date,
) -> dict[tuple[int, FindingCategory], int]:
    """(cadre, category) → the self-declared finding a declared allegation links to.

    The detection rules' findings are recorded here if detection has not run yet (the same
    fingerprints detection uses, so nothing is ever recorded twice).
    """
    hits_by_cadre: dict[int, dict[str, Any]] = {}
    for _, cadre_id, alleged, assessment in assessments:
        if assessment.result is not CrossCheckResult.declared or not assessment.hits:
            continue
        assert alleged is not None
        entry = hits_by_cadre.setdefault(cadre_id, {"form": forms[cadre_id], "hits": {}})
        for hit in assessment.hits:
            entry["hits"][(hit.category, hit.key)] = hit
    if not hits_by_cadre:
        return {}
    record_findings(
        session=session,
        campaign_id=campaign_id,
        hits_by_form=[
            (entry["form"], list(entry["hits"].values())) for entry in hits_by_cadre.values()
        ],
        found_on=as_of,
    )
    fingerprints: dict[str, tuple[int, FindingCategory]] = {}
    for cadre_id, entry in hits_by_cadre.items():
        for category, key in entry["hits"]:
            fingerprint = finding_fingerprint(
                campaign_id, cadre_id, FindingSource.self_declared, category, key
            )
            fingerprints[fingerprint] = (cadre_id, category)
    linked: dict[tuple[int, FindingCategory], int] = {}
    found = _findings_by_fingerprint(session, campaign_id, list(fingerprints))
    for fingerprint, (finding_id, _) in sorted(found.items(), key=lambda item: item[1][0]):
        linked.setdefault(fingerprints[fingerprint], finding_id)
    return linked


def _findings_by_fingerprint(
    session: Session, campaign_id: int, fingerprints: Sequence[str]
) -> dict[str, tuple[int, FindingStatus]]:
    found: dict[str, tuple[int, FindingStatus]] = {}
    for chunk in _chunks(fingerprints):
        query = select(Finding.fingerprint, Finding.id, Finding.status).where(
            col(Finding.campaign_id) == campaign_id, col(Finding.fingerprint).in_(chunk)
        )
        for fingerprint, finding_id, status in session.connection().execute(query):
            found[fingerprint] = (finding_id, FindingStatus(status))
    return found


def _insert_ignoring_duplicates(session: Session) -> Any:
    """A Core insert that skips a fingerprint a concurrent run recorded in the meantime."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(Finding.__table__).on_conflict_do_nothing(
            index_elements=["campaign_id", "fingerprint"]
        )
    if dialect == "sqlite":
        return sqlite.insert(Finding.__table__).on_conflict_do_nothing(
            index_elements=["campaign_id", "fingerprint"]
        )
    return insert(Finding.__table__)


def current_forms(
    *, session: Session, campaign_id: int, cadre_ids: Sequence[int]
) -> dict[int, FormFacts]:
    """cadre id → the facts of their current declaration, for the given cadres only.

    The same facts :func:`qinglian.findings.load_form_facts` gives, selected by cadre rather
    than by unit, so a cross-check of a few complaints never loads a whole country's forms.
    """
    forms: dict[int, FormFacts] = {}
    for chunk in _chunks(cadre_ids):
        # Only the cadre_id index narrows the rows; campaign and currency are checked here, as
        # SQLite's planner would otherwise walk the is_current index (every current form).
        heads = [
            row[2:]
            for row in session.connection().execute(
                select(
                    Declaration.campaign_id,
                    Declaration.is_current,
                    Declaration.id,
                    Declaration.cadre_id,
                    Declaration.unit_id,
                    Declaration.version,
                    Declaration.left_within_3_years,
                    Cadre.scope_category,
                    Cadre.retired,
                    Cadre.left_on,
                    Unit.kind,
                )
                .join(Cadre, col(Cadre.id) == Declaration.cadre_id)
                .join(Unit, col(Unit.id) == Declaration.unit_id)
                .where(col(Declaration.cadre_id).in_(chunk))
            )
            if row[0] == campaign_id and row[1]
        ]
        if not heads:
            continue
        ids = [row[0] for row in heads]
        relatives = _section(
            session,
            select(
                DeclaredRelative.declaration_id,
                DeclaredRelative.sheet,
                DeclaredRelative.row,
                DeclaredRelative.name,
                DeclaredRelative.relation,
                DeclaredRelative.employer,
                DeclaredRelative.position,
                DeclaredRelative.business_type,
                DeclaredRelative.within_jurisdiction,
            ).where(col(DeclaredRelative.declaration_id).in_(ids)),
            RelativeFact,
        )
        posts = _section(
            session,
            select(
                DeclaredPost.declaration_id,
                DeclaredPost.sheet,
                DeclaredPost.row,
                DeclaredPost.organisation,
                DeclaredPost.org_type,
                DeclaredPost.post,
                DeclaredPost.is_leadership,
                DeclaredPost.approved,
                DeclaredPost.paid,
            ).where(col(DeclaredPost.declaration_id).in_(ids)),
            PostFact,
        )
        jobs = _section(
            session,
            select(
                DeclaredRetirementJob.declaration_id,
                DeclaredRetirementJob.sheet,
                DeclaredRetirementJob.row,
                DeclaredRetirementJob.employer,
                DeclaredRetirementJob.employer_type,
                DeclaredRetirementJob.within_former_jurisdiction,
                DeclaredRetirementJob.started_on,
            ).where(col(DeclaredRetirementJob.declaration_id).in_(ids)),
            RetirementJobFact,
        )
        recusals = _section(
            session,
            select(
                DeclaredRecusal.declaration_id,
                DeclaredRecusal.sheet,
                DeclaredRecusal.row,
                DeclaredRecusal.situation,
                DeclaredRecusal.matter,
                DeclaredRecusal.occurred_on,
                DeclaredRecusal.recused,
            ).where(col(DeclaredRecusal.declaration_id).in_(ids)),
            RecusalFact,
        )
        for row in heads:
            declaration_id = row[0]
            forms[row[1]] = FormFacts(
                declaration_id=declaration_id,
                cadre_id=row[1],
                unit_id=row[2],
                version=row[3],
                left_within_3_years=row[4],
                scope_category=row[5],
                retired=row[6],
                left_on=row[7],
                unit_kind=row[8],
                relatives=relatives.get(declaration_id, ()),
                posts=posts.get(declaration_id, ()),
                retirement_jobs=jobs.get(declaration_id, ()),
                recusals=recusals.get(declaration_id, ()),
            )
    return forms


def _section(session: Session, query: Select[Any], fact: type[T]) -> dict[int, tuple[T, ...]]:
    grouped: defaultdict[int, list[T]] = defaultdict(list)
    for declaration_id, *values in session.connection().execute(query):
        grouped[declaration_id].append(fact(*values))
    return {
        key: tuple(sorted(facts, key=lambda item: (item.sheet, item.row)))  # type: ignore[attr-defined]
        for key, facts in grouped.items()
    }


# --- verification --------------------------------------------------------------------------


def record_verification(
    *,
    session: Session,
    case_id: int,
    outcome: CaseOutcome | str,
    reason: str,
    decided_by: str,
    decided_at: datetime,
) -> CaseView:
    """Close a case with its outcome (属实 / 部分属实 / 不属实) and move its finding on.

    A suspected-concealment finding becomes ``confirmed`` when any of its cases is
    substantiated or partly so (the reason kept in its evidence), ``dismissed`` when all of
    them are closed unsubstantiated. A linked self-declared finding is confirmed by a
    substantiated case and left as it is otherwise: the declaration stands on its own.
    Recording the same decision again changes nothing; a different one is refused.
    """
    case = session.get(VerificationCase, case_id, populate_existing=True)
    if case is None:
        raise NotFoundError(f"没有编号为 {case_id} 的核实案件", f"no verification case {case_id}")
    outcome = _parse_outcome(outcome)
    reason = (reason or "").strip()
    if not reason:
        raise QinglianError("请填写核实结论的理由", "give the reason for the outcome")
    if len(reason) > _OUTCOME_REASON_MAX:
        raise QinglianError(
            f"理由过长（{len(reason)} 个字符，最多 {_OUTCOME_REASON_MAX} 个）",
            f"the reason is too long ({len(reason)} characters, at most {_OUTCOME_REASON_MAX})",
        )
    if not decided_by.strip():
        raise QinglianError("请填写核实人", "say who decided")
    _require_aware(decided_at)
    if case.status is CaseStatus.closed:
        if case.outcome is outcome and case.outcome_reason == reason:
            return _case_view(case)
        raise QinglianError(
            f"核实案件 {case_id} 已办结（{case.outcome.label if case.outcome else ''}），不能更改结论",
            f"verification case {case_id} is already closed; its outcome cannot change",
        )
    case.status = CaseStatus.closed
    case.outcome = outcome
    case.outcome_reason = reason
    case.decided_by = decided_by.strip()
    case.decided_at = decided_at
    session.add(case)
    session.flush()
    finding_change = _settle_finding(session, case) if case.finding_id is not None else None
    complaint_ids = [case.complaint_id, *_duplicates_of(session, case.complaint_id)]
    session.execute(
        update(Complaint)
        .where(col(Complaint.id).in_(complaint_ids))
        .values(status=ComplaintStatus.closed)
    )
    _audit(
        session,
        [
            _event(
                case.campaign_id,
                AuditAction.verified,
                case.decided_by,
                decided_at,
                complaint_id=case.complaint_id,
                case_id=case.id,
                detail={
                    "outcome": outcome.value,
                    "finding_id": case.finding_id,
                    "finding_status": finding_change,
                    "complaints_closed": len(complaint_ids),
                },
            )
        ],
    )
    session.flush()
    return _case_view(case)


def _parse_outcome(value: CaseOutcome | str) -> CaseOutcome:
    if isinstance(value, CaseOutcome):
        return value
    text = re.sub(r"\s+", "", normalise_text(str(value))).casefold()
    for outcome in CaseOutcome:
        if text in (outcome.value, outcome.label):
            return outcome
    raise QinglianError(
        f"无法识别的核实结论「{value}」，应为：属实、部分属实、不属实",
        f"unrecognised outcome {str(value)!r}; expected substantiated, partly or unsubstantiated",
    )


def _settle_finding(session: Session, case: VerificationCase) -> str | None:
    finding = session.get(Finding, case.finding_id, populate_existing=True)
    if finding is None:
        return None
    cases = list(
        session.exec(select(VerificationCase).where(VerificationCase.finding_id == finding.id))
    )
    closed = [c for c in cases if c.status is CaseStatus.closed]
    upheld = [c for c in closed if c.outcome in (CaseOutcome.substantiated, CaseOutcome.partly)]
    evidence = dict(finding.evidence)
    evidence["verification"] = [
        {
            "case_id": c.id,
            "outcome": c.outcome.value if c.outcome else None,
            "reason": c.outcome_reason,
            "decided_on": c.decided_at.date().isoformat() if c.decided_at else None,
        }
        for c in sorted(closed, key=lambda c: c.id or 0)
    ]
    finding.evidence = evidence
    deciding = finding.status in (
        FindingStatus.open,
        FindingStatus.verifying,
        FindingStatus.dismissed,
    )
    if upheld and deciding:
        finding.status = FindingStatus.confirmed
        if finding.source is FindingSource.complaint:
            finding.category = FindingCategory.concealment
    elif finding.source is FindingSource.complaint and deciding and len(closed) == len(cases):
        finding.status = FindingStatus.dismissed
    elif finding.source is FindingSource.complaint and deciding:
        finding.status = FindingStatus.verifying
    session.add(finding)
    return finding.status.value


def _duplicates_of(session: Session, complaint_id: int) -> list[int]:
    return list(
        session.execute(
            select(Complaint.id).where(col(Complaint.duplicate_of_id) == complaint_id)
        ).scalars()
    )


def _case_view(case: VerificationCase) -> CaseView:
    return CaseView.model_validate(case, from_attributes=True)


def list_cases(
    *, session: Session, campaign_id: int, office_unit_id: int, status: CaseStatus | None = None
) -> list[CaseView]:
    """The cases a discipline office verifies (those at its unit); no text, no complainant."""
    query = select(VerificationCase).where(
        col(VerificationCase.campaign_id) == campaign_id,
        col(VerificationCase.managing_unit_id) == office_unit_id,
    )
    if status is not None:
        query = query.where(col(VerificationCase.status) == status)
    return [_case_view(case) for case in session.exec(query.order_by(col(VerificationCase.id)))]


def read_case(
    *, session: Session, case_id: int, office_unit_id: int, reader: str = "discipline office"
) -> CaseDetail:
    """The case with the complaint decrypted, for the discipline office at its managing unit.

    Anyone else gets :class:`AccessDenied`, which says nothing about the case (not even
    whether it exists). Every reading is audited.
    """
    case = session.get(VerificationCase, case_id, populate_existing=True)
    if case is None or case.managing_unit_id != office_unit_id:
        if case is not None:
            _audit(
                session,
                [
                    _event(
                        case.campaign_id,
                        AuditAction.case_read_denied,
                        reader,
                        utcnow(),
                        complaint_id=case.complaint_id,
                        case_id=case.id,
                        detail={"office_unit_id": office_unit_id},
                    )
                ],
            )
            session.flush()
        raise AccessDenied()
    complaint = session.get(Complaint, case.complaint_id, populate_existing=True)
    assert complaint is not None
    duplicates = list(
        session.exec(
            select(Complaint)
            .where(col(Complaint.duplicate_of_id) == complaint.id)
            .order_by(col(Complaint.id))
        )
    )
    detail = CaseDetail(
        **_case_view(case).model_dump(),
        accused_name=complaint.accused_name_raw,
        accused_unit=complaint.accused_unit_raw,
        complaint=_copy(complaint),
        duplicates=[_copy(duplicate) for duplicate in duplicates],
    )
    _audit(
        session,
        [
            _event(
                case.campaign_id,
                AuditAction.case_read,
                reader,
                utcnow(),
                complaint_id=case.complaint_id,
                case_id=case.id,
                detail={"office_unit_id": office_unit_id, "copies": 1 + len(duplicates)},
            )
        ],
    )
    session.flush()
    return detail


def _copy(complaint: Complaint) -> ComplaintCopy:
    assert complaint.id is not None
    return ComplaintCopy(
        complaint_id=complaint.id,
        channel=complaint.channel,
        received_on=complaint.received_on,
        anonymous=complaint.anonymous,
        content=SecretStr(crypto.decrypt(complaint.content_enc)),
        contact=SecretStr(crypto.decrypt(complaint.contact_enc)) if complaint.contact_enc else None,
    )


# --- what others may see -------------------------------------------------------------------

_PUBLIC_STATUS = {
    ComplaintStatus.received: "已受理 / received",
    ComplaintStatus.matched: "办理中 / being handled",
    ComplaintStatus.ambiguous: "办理中 / being handled",
    ComplaintStatus.unmatched: "办理中 / being handled",
    ComplaintStatus.cross_checked: "办理中 / being handled",
    ComplaintStatus.closed: "已办结 / concluded",
}


def complaint_status_by_receipt(*, session: Session, receipt_code: str) -> str:
    """The status of a complaint by its receipt code, and nothing else (bilingual).

    The stages of the investigation collapse into "being handled": a complainant learns that
    the complaint is alive, not whom it was matched to or what the check found.
    """
    code_hash = receipt_hash(receipt_code or "")
    row = session.execute(
        select(
            Complaint.id, Complaint.campaign_id, Complaint.status, Complaint.duplicate_of_id
        ).where(col(Complaint.receipt_code_hash) == code_hash)
    ).first()
    if row is None:
        raise NotFoundError("回执码无效", "unknown receipt code")
    complaint_id, campaign_id, status, original = row
    if original is not None:
        # A copy shares the fate of the complaint it copies.
        status = session.execute(
            select(Complaint.status).where(col(Complaint.id) == original)
        ).scalar_one()
    _audit(
        session,
        [
            _event(
                campaign_id,
                AuditAction.receipt_lookup,
                "complainant",
                utcnow(),
                complaint_id=complaint_id,
                detail={},
            )
        ],
    )
    session.flush()
    return _PUBLIC_STATUS[ComplaintStatus(status)]


def complaint_counts(
    *, session: Session, campaign_id: int, unit_id: int | None = None
) -> ComplaintCounts:
    """How many complaints and cases, for the campaign or for a unit's subtree: counts only.

    A unit's view counts the complaints matched to cadres of its subtree.
    """
    base = select(
        Complaint.status,
        Complaint.channel,
        Complaint.alleged_category,
        Complaint.duplicate_of_id,
    ).where(col(Complaint.campaign_id) == campaign_id)
    if unit_id is not None:
        path = _unit_path(session, unit_id)
        base = (
            base.join(Cadre, col(Cadre.id) == Complaint.matched_cadre_id)
            .join(Unit, col(Unit.id) == Cadre.unit_id)
            .where(col(Unit.path).startswith(path))
        )
    counts = ComplaintCounts()
    by_status: Counter[ComplaintStatus] = Counter()
    by_channel: Counter[ComplaintChannel] = Counter()
    by_category: Counter[str] = Counter()
    for status, channel, category, duplicate_of_id in session.execute(base):
        if duplicate_of_id is not None:
            counts.duplicates += 1
            continue
        counts.total += 1
        by_status[ComplaintStatus(status)] += 1
        by_channel[ComplaintChannel(channel)] += 1
        by_category[FindingCategory(category).value if category else "unspecified"] += 1
    counts.by_status = dict(by_status)
    counts.by_category = dict(by_category)
    if unit_id is None:
        counts.by_channel = dict(by_channel)
    cases = select(VerificationCase.status, VerificationCase.outcome, func.count()).where(
        col(VerificationCase.campaign_id) == campaign_id
    )
    if unit_id is not None:
        cases = (
            cases.join(Cadre, col(Cadre.id) == VerificationCase.cadre_id)
            .join(Unit, col(Unit.id) == Cadre.unit_id)
            .where(col(Unit.path).startswith(_unit_path(session, unit_id)))
        )
    outcomes: Counter[CaseOutcome] = Counter()
    for status, outcome, number in session.execute(
        cases.group_by(col(VerificationCase.status), col(VerificationCase.outcome))
    ):
        if CaseStatus(status) is CaseStatus.open:
            counts.cases_open += number
        else:
            counts.cases_closed += number
        if outcome is not None:
            outcomes[CaseOutcome(outcome)] += number
    counts.outcomes = dict(outcomes)
    return counts


# --- helpers -------------------------------------------------------------------------------


def _unit_path(session: Session, unit_id: int) -> str:
    path = session.execute(select(Unit.path).where(col(Unit.id) == unit_id)).scalar()
    if path is None:
        raise NotFoundError(f"没有编号为 {unit_id} 的单位", f"no unit {unit_id}")
    return path


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise QinglianError(
            "时间须带时区（例如 2012-09-10T10:00+08:00）",
            "the time must carry a time zone (for example 2012-09-10T10:00+08:00)",
        )


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _insert_returning_ids(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]], *, key: str
) -> list[int]:
    """Insert rows by Core executemany; their new ids, in the order of ``rows``.

    ``key`` names a column unique among ``rows``: the returned ids are mapped back through it,
    because an ordered RETURNING (``sort_by_parameter_order``) makes SQLite insert row by row.
    Core on the table, not the ORM bulk path, which runs row by row with RETURNING too.
    """
    table = model.__table__
    statement = insert(table).returning(table.c.id, table.c[key])
    ids: list[int] = []
    for chunk in _chunks(rows, 5000):
        returned = dict(
            (value, row_id)
            for row_id, value in session.connection().execute(statement, list(chunk))
        )
        ids.extend(returned[row[key]] for row in chunk)
    return ids


def _update_by_id(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Complaint rows changed by id, many at once; every row names the same columns."""
    if not rows:
        return
    table = Complaint.__table__  # type: ignore[attr-defined]
    columns = [key for key in rows[0] if key != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam(f"new_{column}") for column in columns})
    )
    for chunk in _chunks(rows, 5000):
        session.connection().execute(
            statement,
            [
                {"row_id": row["id"], **{f"new_{column}": row[column] for column in columns}}
                for row in chunk
            ],
        )


def _event(
    campaign_id: int,
    action: AuditAction,
    actor: str,
    at: datetime,
    *,
    complaint_id: int | None = None,
    case_id: int | None = None,
    detail: dict[str, Any],
) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "at": at,
        "actor": actor[:100],
        "action": action,
        "complaint_id": complaint_id,
        "case_id": case_id,
        "detail": detail,
    }


def _audit(session: Session, events: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(events, 5000):
        session.connection().execute(insert(AuditEvent.__table__), list(chunk))  # type: ignore[attr-defined]
