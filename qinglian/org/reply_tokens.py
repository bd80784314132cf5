"""A unit's reply token (回复码): how a returned mail says which unit it comes from.

Mail sent to a unit carries its token twice: in the Reply-To, as the intake address with a
``+<token>`` sub-address (``intake+k7q2m9xv4t@example.cn``), and in the subject
(``〔回复码 k7q2m9xv4t〕``), which a reply keeps even where a mail system drops sub-addresses.
Tokens are random, made on first use, and name nothing: a forged sender without the token is
known only by the addresses listed in the unit's contacts.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from sqlmodel import Session, col, select

from models.unit import Unit

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or retyped safely
TOKEN_LENGTH = 10
_TOKEN = f"[{_ALPHABET}]{{{TOKEN_LENGTH}}}"
_SUBJECT_TAG = re.compile(rf"〔回复码\s*({_TOKEN})〕|\[reply\s*({_TOKEN})\]", re.IGNORECASE)
_SUBADDRESS = re.compile(rf"^[^@+]+\+({_TOKEN})@", re.IGNORECASE)


def new_token() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(TOKEN_LENGTH))


def ensure_reply_tokens(session: Session, unit_ids: Iterable[int]) -> dict[int, str]:
    """The reply token of each unit, made now for those without one (flushed, not committed)."""
    wanted = set(unit_ids)
    if not wanted:
        return {}
    units = session.exec(select(Unit).where(col(Unit.id).in_(wanted))).all()
    tokens: dict[int, str] = {}
    for unit in units:
        if unit.reply_token is None:
            unit.reply_token = new_token()
            session.add(unit)
        assert unit.id is not None
        tokens[unit.id] = unit.reply_token
    session.flush()
    return tokens


def reply_address(intake_address: str, token: str) -> str:
    """``intake@example.cn`` with the token as sub-address: ``intake+<token>@example.cn``."""
    local, at, domain = intake_address.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError("intake address must be local@domain")
    local = local.split("+", 1)[0]
    return f"{local}+{token}@{domain}"


def subject_tag(token: str) -> str:
    return f"〔回复码 {token}〕"


def token_from_address(address: str) -> str | None:
    match = _SUBADDRESS.match(address.strip())
    return match.group(1).lower() if match else None


def token_from_subject(subject: str) -> str | None:
    match = _SUBJECT_TAG.search(subject or "")
    if not match:
        return None
    return (match.group(1) or match.group(2)).lower()
