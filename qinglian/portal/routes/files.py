"""A stored upload served back (佐证材料, 报告表, 阶段性总结): only to a user who may see the unit
it was given for, always as an attachment, typed from a fixed allow-list (never HTML, never
anything a browser would run), and under a name that cannot smuggle another type in."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, Response

from models.account import Upload
from qinglian.accounts.scope import OutOfScope
from qinglian.core.settings import get_settings
from qinglian.portal.deps import CurrentUser, DbSession, scoped_unit
from qinglian.portal.pages import attachment
from qinglian.uploads import DOCX, JPEG, PDF, PNG, TEXT, XLS, XLSX, upload_path
from qinglian.uploads.store import sanitise_filename

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
OCTET_STREAM = "application/octet-stream"
# Stored media type → (the Content-Type served, the suffixes a name of that type may end with).
SERVED: dict[str, tuple[str, tuple[str, ...]]] = {
    PDF: (PDF, (".pdf",)),
    DOCX: (DOCX, (".docx",)),
    XLSX: (XLSX, (".xlsx",)),
    XLS: (XLS, (".xls", ".et")),
    PNG: (PNG, (".png",)),
    JPEG: (JPEG, (".jpg", ".jpeg")),
    TEXT: ("text/plain; charset=utf-8", (".txt",)),
}
_UNKNOWN = (OCTET_STREAM, (".bin",))
# A download cannot run script or be framed even if a browser were to render it.
_FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def served_type(media_type: str) -> tuple[str, tuple[str, ...]]:
    """The Content-Type to serve a stored media type as, and the suffixes it allows:
    the allow-list's, or ``application/octet-stream`` for anything else."""
    essence = media_type.split(";", 1)[0].strip().lower()
    return SERVED.get(essence, _UNKNOWN)


def download_name(filename: str, suffixes: tuple[str, ...]) -> str:
    """The sanitised name, with the type's suffix added when it ends with another one
    (``页面.html`` served as text is offered as ``页面.html.txt``)."""
    name = sanitise_filename(filename)
    if PurePosixPath(name).suffix.lower() not in suffixes:
        name = f"{name}{suffixes[0]}"
    return name


@router.get("/units/{code}/files/{upload_id}")
def stored_file(code: str, upload_id: Id, user: CurrentUser, session: DbSession) -> Response:
    unit = scoped_unit(session, user, code)
    upload = session.get(Upload, upload_id)
    if upload is None or upload.unit_id != unit.id:
        raise OutOfScope()
    try:
        path = upload_path(get_settings(), upload.sha256)
    except ValueError:
        raise OutOfScope() from None
    if not path.is_file():
        raise OutOfScope()
    content_type, suffixes = served_type(upload.media_type)
    return FileResponse(
        path,
        media_type=content_type,
        headers={
            "Content-Disposition": attachment(download_name(upload.filename, suffixes)),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": _FILE_CSP,
            "Cache-Control": "private, no-store",
        },
    )
