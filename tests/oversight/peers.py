"""A real HTTP receiver on 127.0.0.1 that records what it is sent (the ``http`` fixture)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    payload: dict[str, Any]


@dataclass
class HttpReceiver:
    port: int
    requests: list[Request] = field(default_factory=list)
    fail_first: int = 0
    always_fail: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def keys(self) -> list[str]:
        """The idempotency key of every request received, in order, repeats included."""
        with self.lock:
            return [request.headers["Idempotency-Key"] for request in self.requests]


def _handler(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            with receiver.lock:
                receiver.requests.append(
                    Request(parts.path, parse_qs(parts.query), dict(self.headers), json.loads(body))
                )
                failing = receiver.always_fail or len(receiver.requests) <= receiver.fail_first
            self.send_response(500 if failing else 200)
            reply = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
