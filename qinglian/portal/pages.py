"""Server-rendered pages: Jinja2 templates shipped in the package, escaped by default.

Every link is built with :func:`href`, so the portal works under a reverse proxy's
``--root-path``.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from qinglian.accounts.sessions import SessionUser
from qinglian.core.clock import china_minute
from qinglian.portal.deps import CSRF_FIELD

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.autoescape = True  # every template, whatever its name ends with
TEMPLATES.env.filters["china_minute"] = china_minute  # stored moments as offices read them


_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ASCII_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}")


def attachment(name: str) -> str:
    """A ``Content-Disposition: attachment`` value: an ASCII fallback name and the real one
    (RFC 6266 / RFC 5987 ``filename*=UTF-8''…``)."""
    path = PurePosixPath(name)
    suffix = path.suffix if _ASCII_SUFFIX.fullmatch(path.suffix) else ""
    stem = _ASCII_SAFE.sub("_", path.stem if suffix else name).strip("_.-") or "download"
    fallback = f"{stem}{suffix}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def href(request: Request, path: str) -> str:
    """A path inside the portal, under the proxy's root path."""
    return f"{request.scope.get('root_path', '').rstrip('/')}{path}"


def render(
    request: Request,
    template: str,
    *,
    user: SessionUser | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page: the template with the user, its CSRF token and :func:`href` at hand."""
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf_field": CSRF_FIELD,
            "csrf_token": user.csrf_token if user else context.pop("csrf_token", ""),
            "href": lambda path: href(request, path),
            **context,
        },
        status_code=status_code,
    )
