"""Reading an upload within its limit, and storing it under ``QINGLIAN_HOME/uploads`` by
sha256. The stored file is only ever read back as bytes: never executed, never given a name
or a type the user chose."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO, Protocol

from sqlmodel import Session

from models.account import Upload
from models.enums import UploadPurpose
from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings, get_settings
from qinglian.uploads.sniff import LABELS, detect_type

_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME = 120


class UploadedFile(Protocol):
    """What a web framework's upload offers (FastAPI's ``UploadFile`` does)."""

    filename: str | None
    file: BinaryIO


@dataclass(frozen=True, slots=True)
class Incoming:
    """An upload read and checked, not yet stored."""

    filename: str
    media_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def suffix(self) -> str:
        return Path(self.filename).suffix


def sanitise_filename(name: str | None, fallback: str = "file") -> str:
    """A name safe to show and to offer back: no folders, no control characters, no NUL,
    NFC-normalised, at most :data:`MAX_NAME` characters, never empty or dot-only."""
    raw = unicodedata.normalize("NFC", name or "")
    base = PureWindowsPath(PurePosixPath(raw.replace("\x00", "")).name).name
    clean = _UNSAFE.sub("_", base).strip(" ._")
    if not clean:
        return fallback
    stem, dot, suffix = clean.rpartition(".")
    if dot and len(suffix) <= 10 and stem:
        return f"{stem[: MAX_NAME - len(suffix) - 1]}.{suffix}"
    return clean[:MAX_NAME]


def read_upload(upload: UploadedFile, *, allowed: frozenset[str], max_bytes: int) -> Incoming:
    """Read at most ``max_bytes``; refuse an empty file, a larger one, or one whose content is
    not of an ``allowed`` type (whatever its extension says)."""
    name = sanitise_filename(upload.filename)
    chunks: list[bytes] = []
    size = 0
    while chunk := upload.file.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise QinglianError(
                f"{name}：文件过大（超过 {max_bytes // (1024 * 1024)} MB），未保存",
                f"{name}: the file is larger than {max_bytes // (1024 * 1024)} MB; nothing saved",
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise QinglianError(
            f"{name}：文件是空的，未保存", f"{name}: the file is empty; nothing saved"
        )
    media_type = detect_type(name, data)
    if media_type not in allowed:
        kinds = "、".join(LABELS[kind] for kind in sorted(allowed))
        raise QinglianError(
            f"{name}：文件内容不是可接受的类型（应为 {kinds}），未保存",
            f"{name}: the content is not an accepted type ({', '.join(sorted(allowed))}); "
            "nothing saved",
        )
    return Incoming(filename=name, media_type=media_type, data=data)


def upload_path(settings: Settings, sha256: str) -> Path:
    """Where the file with this hash is kept."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a sha256 digest")
    return settings.home / "uploads" / sha256[:2] / sha256


def stored_bytes(upload: Upload, settings: Settings | None = None) -> bytes:
    return upload_path(settings or get_settings(), upload.sha256).read_bytes()


def store_upload(
    *,
    session: Session,
    incoming: Incoming,
    purpose: UploadPurpose,
    campaign_id: int,
    unit_id: int,
    account_id: int,
    subject: str,
) -> Upload:
    """Write the bytes once (by hash, atomically, read-only) and record who gave them for what."""
    path = upload_path(get_settings(), incoming.sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(incoming.data)
            os.chmod(temporary, 0o440)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    row = Upload(
        sha256=incoming.sha256,
        size=len(incoming.data),
        media_type=incoming.media_type,
        filename=incoming.filename,
        purpose=purpose,
        campaign_id=campaign_id,
        unit_id=unit_id,
        account_id=account_id,
        subject=subject,
    )
    session.add(row)
    session.flush()
    return row
