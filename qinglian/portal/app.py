"""The portal's application: routers, errors as pages (or JSON under ``/api``), security headers,
the upload limit and the static files that ship in the package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from qinglian.core.errors import ImportRejected, NotFoundError, QinglianError
from qinglian.core.settings import get_settings
from qinglian.portal.deps import (
    SESSION_COOKIE,
    Busy,
    CsrfRefused,
    LoginRequired,
    PasswordChangeRequired,
)
from qinglian.portal.limits import BodyLimit
from qinglian.portal.pages import href, render
from qinglian.portal.routes import (
    api,
    auth,
    board,
    deliverables,
    files,
    forms,
    home,
    rates,
    rectification,
    summaries,
    tasks,
)

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


# Requests a worker serves at once (FastAPI runs sync routes in threads). Each holds at most
# a pooled connection and, while it writes, a lock connection: within the database engine's
# pool (5 + 20) and PostgreSQL's 100 connections with a few workers.
PORTAL_THREADS = 16


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = PORTAL_THREADS
    yield


def create_app() -> FastAPI:
    """The portal application (a factory, so each uvicorn worker builds its own)."""
    settings = get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="清廉 网络直报 / qinglian portal",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    for module in (auth, home, tasks, forms, deliverables, summaries, rectification, rates, files):
        app.include_router(module.router)
    app.include_router(api.router, prefix="/api")
    app.include_router(board.router)
    app.mount(
        "/static",
        StaticFiles(directory=Path(__file__).parent / "static", follow_symlink=False),
        name="static",
    )
    _errors(app)

    # Added first, so it runs inside the headers' middleware: its 413 carries them too.
    app.add_middleware(BodyLimit, max_bytes=settings.portal_max_upload_mb * 1024 * 1024)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, zh: str, en: str) -> Response:
    if _is_api(request):
        return JSONResponse({"zh": zh, "en": en}, status_code=status)
    return render(request, "error.html", status_code=status, zh=zh, en=en)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse(
                {
                    "zh": "请先登录，或登录已过期",
                    "en": "log in first; the session may have expired",
                },
                status_code=401,
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        # A cookie that no longer opens a session: it expired, or it was logged out elsewhere.
        expired = "&expired=1" if request.cookies.get(SESSION_COOKIE) else ""
        return RedirectResponse(
            href(request, f"/login?next={quote(target)}{expired}"), status_code=303
        )

    @app.exception_handler(PasswordChangeRequired)
    async def password_first(request: Request, _exc: PasswordChangeRequired) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"zh": "请先修改初始密码", "en": "change the one-time password first"},
                status_code=403,
            )
        return RedirectResponse(href(request, "/password"), status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, exc: CsrfRefused) -> Response:
        return _error(request, 403, exc.zh, exc.en)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> Response:
        response = _error(request, 503, exc.zh, exc.en)
        response.headers["Retry-After"] = "30"
        return response

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        # One answer for "absent" and "not yours" (accounts.scope): nothing is revealed.
        return _error(request, 404, "没有找到该页面或单位", "no such page or unit")

    @app.exception_handler(ImportRejected)
    async def rejected(request: Request, exc: ImportRejected) -> Response:
        if _is_api(request):
            return JSONResponse(
                {
                    "zh": exc.zh,
                    "en": exc.en,
                    "errors": [
                        {
                            "file": e.file,
                            "sheet": e.sheet,
                            "row": e.row,
                            "column": e.column,
                            "zh": e.zh,
                            "en": e.en,
                        }
                        for e in exc.errors
                    ],
                },
                status_code=422,
            )
        return render(
            request, "error.html", status_code=422, zh=exc.zh, en=exc.en, errors=exc.errors
        )

    @app.exception_handler(QinglianError)
    async def refused(request: Request, exc: QinglianError) -> Response:
        return _error(request, 400, exc.zh, exc.en)

    @app.exception_handler(DataError)
    async def unstorable(request: Request, _exc: DataError) -> Response:
        # PostgreSQL refuses a NUL byte in text (psycopg DataError); the session rolled back.
        return _error(
            request,
            400,
            "提交的内容含有无法保存的字符（如 NUL），未写入任何数据",
            "the request holds characters that cannot be stored (such as NUL); nothing written",
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = "、".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        return _error(request, 422, f"请求参数无效：{fields}", f"invalid request fields: {fields}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _error(request, 404, "没有找到该页面或单位", "no such page or unit")
        if exc.status_code == 405:
            return _error(request, 405, "不支持该请求方式", "method not allowed")
        return _error(request, exc.status_code, "请求无法处理", str(exc.detail))
