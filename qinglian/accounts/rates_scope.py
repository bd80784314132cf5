"""Who may open a unit's reporting-rate page (上报率): the unit's own office, head or admin, and
the office, head or admin of any unit above it, since an upper level's office monitors its
subtree (一级抓一级). The discipline office has no such page.

Wider than :func:`qinglian.accounts.scope.may_see` (own unit, or an admin's subtree), which
still governs every page that shows a unit's records; the rates page shows only counts.
"""

from __future__ import annotations

from sqlmodel import Session, select

from models import Unit
from models.enums import AccountRole
from qinglian.accounts.scope import OutOfScope
from qinglian.accounts.sessions import SessionUser

RATE_ROLES = frozenset({AccountRole.office, AccountRole.head, AccountRole.admin})


def may_see_rates(user: SessionUser, unit: Unit) -> bool:
    """Whether ``unit`` is the user's unit or below it, for an office, head or admin."""
    return user.role in RATE_ROLES and (
        unit.id == user.unit_id or unit.path.startswith(user.unit_path)
    )


def rates_unit(*, session: Session, user: SessionUser, code: str) -> Unit:
    """The unit ``code`` if the user may see its rates; else :class:`OutOfScope`, as if absent."""
    if len(code) > 64:
        raise OutOfScope()
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None or not may_see_rates(user, unit):
        raise OutOfScope()
    return unit
