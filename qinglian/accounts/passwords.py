"""Password hashing (argon2id, through argon2-cffi), initial passwords and the password rule."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from qinglian.core.errors import QinglianError

MIN_LENGTH = 10
MAX_LENGTH = 200
# No 0/O, 1/l/I: an initial password is read off a screen or a slip of paper.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_HASHER = PasswordHasher()
# Verified against when the login is unknown, so a wrong login costs what a wrong password does.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown account (``None``) costs the same and fails."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def initial_password() -> str:
    """A one-time password of 14 unambiguous characters (≈ 81 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(14))


def check_new_password(password: str, *, login: str) -> None:
    """Refuse a password that is too short, too long, or the login itself."""
    if len(password) < MIN_LENGTH:
        raise QinglianError(
            f"密码至少 {MIN_LENGTH} 个字符", f"a password needs at least {MIN_LENGTH} characters"
        )
    if len(password) > MAX_LENGTH:
        raise QinglianError(
            f"密码最多 {MAX_LENGTH} 个字符", f"a password has at most {MAX_LENGTH} characters"
        )
    if password.strip().casefold() == login.casefold():
        raise QinglianError("密码不能与登录名相同", "the password must not be the login name")
    if "\x00" in password:
        raise QinglianError("密码含有非法字符", "the password holds a NUL character")
