"""What a portal user may see: its own unit, or (an admin) its unit's whole subtree.

Anything outside answers as if it did not exist (:class:`OutOfScope` is a
:class:`NotFoundError`), so a probe learns nothing about units it may not see.
"""

from __future__ import annotations

from sqlmodel import Session, select

from models import Unit
from models.enums import AccountRole
from qinglian.accounts.sessions import SessionUser
from qinglian.core.errors import NotFoundError


class OutOfScope(NotFoundError):
    def __init__(self) -> None:
        super().__init__("没有找到该页面或单位", "no such page or unit")


def sees_subtree(user: SessionUser) -> bool:
    return user.role is AccountRole.admin


def may_see(user: SessionUser, unit: Unit) -> bool:
    """Whether ``unit`` is the user's own unit, or below it for an admin. A discipline account
    sees no unit page yet: its pages (the case desk) come with the confidentiality work."""
    if user.role is AccountRole.discipline:
        return False
    if unit.id == user.unit_id:
        return True
    return sees_subtree(user) and unit.path.startswith(user.unit_path)


def unit_in_scope(*, session: Session, user: SessionUser, code: str) -> Unit:
    """The unit with this code if the user may see it; else :class:`OutOfScope`, as if absent."""
    if len(code) > 64 or "\x00" in code:
        raise OutOfScope()
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None or not may_see(user, unit):
        raise OutOfScope()
    return unit


def may_change(user: SessionUser, unit: Unit) -> bool:
    """Office and head change their own unit's records; an admin its subtree."""
    return may_see(user, unit)
