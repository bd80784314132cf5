"""Encryption of complaint text and contact (Fernet) and a keyed digest for finding duplicates.

The key is a Fernet key (urlsafe base64 of 32 bytes), read from ``QINGLIAN_COMPLAINT_KEY`` or,
when that is unset and ``QINGLIAN_COMPLAINT_KEY_BLOCK`` names one, from a Prefect ``Secret``
block. There is deliberately no fallback: a key generated on the fly would end up beside the
data it protects (in the database or the repository), or be lost with the process and make
every stored complaint unreadable. Errors never quote plaintext or key material.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from qinglian.core.errors import QinglianError

KEY_ENV = "QINGLIAN_COMPLAINT_KEY"
KEY_BLOCK_ENV = "QINGLIAN_COMPLAINT_KEY_BLOCK"
_DIGEST_INFO = b"qinglian/complaint-digest/v1"


class ComplaintKeyError(QinglianError):
    """The complaint key is missing, unreadable or does not match the stored data."""


class _Keys:
    """The cipher and the derived digest key; repr shows nothing."""

    __slots__ = ("digest_key", "fernet")

    def __init__(self, raw_key: str) -> None:
        try:
            key = raw_key.strip().encode("ascii")
            self.fernet = Fernet(key)
            material = base64.urlsafe_b64decode(key)
        except (ValueError, UnicodeEncodeError):
            raise ComplaintKeyError(
                "举报加密密钥格式无效：应为 32 字节的 urlsafe base64 编码（Fernet 密钥）",
                "the complaint key is malformed: it must be 32 bytes, urlsafe base64 (a Fernet key)",
            ) from None
        # The digest key is derived, so one secret serves both and neither reveals the other.
        self.digest_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_DIGEST_INFO
        ).derive(material)

    def __repr__(self) -> str:
        return "<complaint keys>"


def _missing_key() -> ComplaintKeyError:
    return ComplaintKeyError(
        f"未配置举报加密密钥：请设置环境变量 {KEY_ENV}（可用 "
        'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" '
        f"生成并妥善保管），或设置 {KEY_BLOCK_ENV} 为保存密钥的 Prefect Secret 块名称",
        f"no complaint encryption key: set {KEY_ENV} (generate one with "
        'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" '
        f"and keep it safe), or set {KEY_BLOCK_ENV} to the name of a Prefect Secret block holding it",
    )


def _load_raw_key() -> str:
    raw = os.environ.get(KEY_ENV, "").strip()
    if raw:
        return raw
    block = os.environ.get(KEY_BLOCK_ENV, "").strip()
    if not block:
        raise _missing_key()
    # Imported here, not at the top: this module is used by plain persistence code and tests,
    # which must not pay for (or depend on) Prefect unless a Secret block is actually configured.
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(block).get()
    except Exception:
        raise ComplaintKeyError(
            f"无法读取 Prefect Secret 块「{block}」中的举报加密密钥",
            f"cannot read the complaint key from the Prefect Secret block {block!r}",
        ) from None
    if not isinstance(value, str) or not value.strip():
        raise ComplaintKeyError(
            f"Prefect Secret 块「{block}」中没有举报加密密钥（应为字符串）",
            f"the Prefect Secret block {block!r} holds no complaint key (a string is expected)",
        )
    return value.strip()


@lru_cache(maxsize=1)
def _keys() -> _Keys:
    return _Keys(_load_raw_key())


def reset_keys() -> None:
    """Forget the cached key (after the environment changed, or in tests)."""
    _keys.cache_clear()


def ensure_key() -> None:
    """Fail early, with the bilingual message, when no usable key is configured."""
    _keys()


def encrypt(text: str) -> bytes:
    """Fernet ciphertext of ``text`` (authenticated, with a random IV: equal texts differ)."""
    return _keys().fernet.encrypt(text.encode("utf-8"))


def decrypt(blob: bytes) -> str:
    """The plaintext of a blob made by :func:`encrypt` with the same key."""
    try:
        return _keys().fernet.decrypt(bytes(blob)).decode("utf-8")
    except (InvalidToken, UnicodeDecodeError, TypeError):
        raise ComplaintKeyError(
            "无法解密举报内容：密钥与加密时所用的不一致，或数据已损坏",
            "cannot decrypt the complaint: the key differs from the one it was encrypted with, "
            "or the data is damaged",
        ) from None


def digest(text: str) -> str:
    """HMAC-SHA256 (hex) of ``text`` under a key derived from the complaint key."""
    return hmac.new(_keys().digest_key, text.encode("utf-8"), hashlib.sha256).hexdigest()
