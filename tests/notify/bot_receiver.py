"""A real HTTP server on 127.0.0.1 that answers like WeCom, DingTalk and Feishu group bots.

Like the real services it answers HTTP 200 with the verdict in the body (``errcode``/``code``),
and it checks what they check: WeCom's key and content sizes, DingTalk's token, HMAC signature,
timestamp and keywords, Feishu's token, signature and keywords. A test scripts the next replies
(:meth:`BotReceiver.then`), e.g. two ``45009`` rate limits, and reads every request received.
Point a bot URL at it with ``?api=`` (:attr:`BotReceiver.api`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WECOM_PATH = "/cgi-bin/webhook/send"
DINGTALK_PATH = "/robot/send"
FEISHU_PATH = "/open-apis/bot/v2/hook/"

# The services' own words (hints and request ids as the real replies carry them).
WECOM_TOO_LONG = {
    "errcode": 40058,
    "errmsg": "markdown.content exceed max length 4096. invalid Request Parameter, hint: "
    "[1704540159128593240839785], from ip: 103.56.76.2, more info at "
    "https://open.work.weixin.qq.com/devtool/query?e=40058",
}
WECOM_RATE = {
    "errcode": 45009,
    "errmsg": "api freq out of limit, hint: [1773643642077182456917975], from ip: 121.15.137.254,"
    " more info at https://open.work.weixin.qq.com/devtool/query?e=45009",
}
DINGTALK_KEYWORDS = {
    "errcode": 310000,
    "errmsg": "keywords not in content, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
}
DINGTALK_RATE = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
FEISHU_RATE = {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"}
FEISHU_KEYWORDS = {"code": 19024, "msg": "Key Words Not Found"}


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    body: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    status: int = 200


@dataclass(frozen=True)
class Call:
    """One request as received."""

    service: str  # wecom, dingtalk, feishu
    path: str
    query: dict[str, list[str]]
    payload: dict[str, Any]
    reply: dict[str, Any]


@dataclass
class BotReceiver:
    port: int = 0
    wecom_keys: set[str] = field(default_factory=set)
    dingtalk: dict[str, str] = field(default_factory=dict)  # token → signing secret ("" none)
    dingtalk_keywords: tuple[str, ...] = ()
    feishu: dict[str, str] = field(default_factory=dict)  # token → signing secret ("" none)
    feishu_keywords: tuple[str, ...] = ()
    calls: list[Call] = field(default_factory=list)
    script: deque[Reply] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def then(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order (then as the service would)."""
        with self.lock:
            self.script.extend(replies)

    def of(self, service: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.service == service]

    # -- answering like the services --

    def answer(self, path: str, query: dict[str, list[str]], payload: dict[str, Any]) -> Reply:
        with self.lock:
            if self.script:
                return self.script.popleft()
        if path == WECOM_PATH:
            return Reply(self._wecom(query, payload))
        if path == DINGTALK_PATH:
            return Reply(self._dingtalk(query, payload))
        if path.startswith(FEISHU_PATH):
            return Reply(self._feishu(path.removeprefix(FEISHU_PATH), payload))
        return Reply({"errcode": 404, "errmsg": "not found"}, status=404)

    def _wecom(self, query: dict[str, list[str]], payload: dict[str, Any]) -> dict[str, Any]:
        if query.get("key", [""])[0] not in self.wecom_keys:
            return {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1755605200]"}
        kind = payload.get("msgtype")
        if kind == "image":
            picture = base64.b64decode(payload["image"]["base64"])
            if hashlib.md5(picture).hexdigest() != payload["image"]["md5"]:
                return {"errcode": 301019, "errmsg": "media md5 not match"}
            return {"errcode": 0, "errmsg": "ok"}
        limits = {"markdown": 4096, "text": 2048}
        if kind not in limits:
            return {"errcode": 40008, "errmsg": "invalid message type"}
        if len(payload[kind]["content"].encode()) > limits[kind]:
            return WECOM_TOO_LONG
        return {"errcode": 0, "errmsg": "ok"}

    def _dingtalk(self, query: dict[str, list[str]], payload: dict[str, Any]) -> dict[str, Any]:
        token = query.get("access_token", [""])[0]
        if token not in self.dingtalk:
            return {"errcode": 300001, "errmsg": "token is not exist"}
        if secret := self.dingtalk[token]:
            stamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            if not stamp.isdigit() or abs(int(stamp) - time.time() * 1000) > 3_600_000:
                return {"errcode": 310000, "errmsg": "invalid timestamp"}
            expected = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), "sha256")
            if sign != base64.b64encode(expected.digest()).decode():
                return {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc]"}
        text = json.dumps(payload, ensure_ascii=False)
        if self.dingtalk_keywords and not any(k in text for k in self.dingtalk_keywords):
            return DINGTALK_KEYWORDS
        return {"errcode": 0, "errmsg": "ok"}

    def _feishu(self, token: str, payload: dict[str, Any]) -> dict[str, Any]:
        if token not in self.feishu:
            return {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
        if secret := self.feishu[token]:
            stamp = str(payload.get("timestamp", ""))
            expected = hmac.new(f"{stamp}\n{secret}".encode(), b"", "sha256").digest()
            fresh = stamp.isdigit() and abs(int(stamp) - time.time()) <= 3600
            if not fresh or payload.get("sign") != base64.b64encode(expected).decode():
                return {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                }
        text = payload.get("content", {}).get("text", "")
        if self.feishu_keywords and not any(k in text for k in self.feishu_keywords):
            return FEISHU_KEYWORDS
        return {"StatusCode": 0, "StatusMessage": "success", "code": 0, "msg": "success"}


def _handler(receiver: BotReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length) or b"{}")
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            reply = receiver.answer(parts.path, query, payload)
            service = (
                "wecom"
                if parts.path == WECOM_PATH
                else "dingtalk"
                if parts.path == DINGTALK_PATH
                else "feishu"
            )
            with receiver.lock:
                receiver.calls.append(Call(service, parts.path, query, payload, reply.body))
            body = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def bot_receiver() -> Iterator[BotReceiver]:
    receiver = BotReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class FakeClock:
    """A monotonic clock that only moves when something sleeps on it: tests never sleep."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def monotonic(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds
