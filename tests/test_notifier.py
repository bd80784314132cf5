"""The notifier interface against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from qinglian.notifier import (
    AppriseNotifier,
    Message,
    NotifyError,
    RecordingNotifier,
    get_notifier,
)
from qinglian.settings import Settings


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        _Receiver.received.append(json.loads(self.rfile.read(length)))
        self.send_response(_Receiver.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    _Receiver.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_port}/hook?token=s3cret"
    server.shutdown()


def test_apprise_delivers_chinese_text_to_a_named_target(receiver: str) -> None:
    notifier = AppriseNotifier({"LYG_OFFICE": receiver})
    notifier.send(Message(target="lyg_office", title="催办通知", body="动员部署书面报告逾期"))
    assert _Receiver.received[0]["title"] == "催办通知"
    assert _Receiver.received[0]["message"] == "动员部署书面报告逾期"


@pytest.mark.parametrize("target", ["unknown", "LYG_OFFICE"])
def test_failures_name_the_target_never_its_url(receiver: str, target: str) -> None:
    _Receiver.status = 500
    notifier = AppriseNotifier({"LYG_OFFICE": receiver})
    with pytest.raises(NotifyError) as caught:
        notifier.send(Message(target=target, title="t", body="b"))
    assert "s3cret" not in str(caught.value) and "127.0.0.1" not in str(caught.value)


def test_settings_choose_the_notifier_and_hide_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGLIAN_NOTIFY__LYG_OFFICE", "wecombot://s3cretkey")
    settings = Settings()
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    assert isinstance(get_notifier(settings), AppriseNotifier)
    recording = get_notifier(Settings(notifier="recording"))
    assert isinstance(recording, RecordingNotifier)
    recording.send(Message(target="x", title="t", body="b"))
    assert recording.sent[0].title == "t"
