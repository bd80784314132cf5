"""A request body may not exceed the upload limit: refused with 413 as soon as it does, before
the rest is read, whatever the Content-Length header claims."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A multipart body carries its boundaries and fields beside the file.
_OVERHEAD = 64 * 1024


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: at most ``max_bytes`` (plus form overhead) of request body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.limit = max_bytes + _OVERHEAD
        self.max_mb = max_bytes // (1024 * 1024)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, send)
            return
        seen = 0
        started = exceeded = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def sending(message: Message) -> None:
            # A framework that catches BodyTooLarge while parsing a form answers 400: the
            # answer is replaced by the 413 the body earned.
            nonlocal started
            if exceeded:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refuse(scope, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        zh = f"文件过大，最大 {self.max_mb} MB，未保存任何数据"
        en = f"the file is too large (at most {self.max_mb} MB); nothing was saved"
        if scope.get("path", "").startswith("/api/"):
            body = json.dumps({"zh": zh, "en": en}, ensure_ascii=False).encode()
            kind = b"application/json; charset=utf-8"
        else:
            body = (
                '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>文件过大</title>'
                f'<p role="alert">{zh}</p><p lang="en">{en}</p>'
                "<p>请返回上一页重新选择文件 / go back and choose another file</p></html>"
            ).encode()
            kind = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
