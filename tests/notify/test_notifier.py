"""The notifier interface against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from qinglian.core.settings import Settings
from qinglian.notify.apprise_notifier import AppriseNotifier, with_idempotency_key
from qinglian.notify.notifier import get_notifier
from qinglian.notify.protocol import Message, NotifyError, RecordingNotifier
from qinglian.notify.redaction import mask_url, redact, url_secrets
from qinglian.notify.targets import email_target, is_email_target, normalise_target
from tests.oversight.test_outbox_delivery import Mailbox
from tests.oversight.test_outbox_delivery import smtp as smtp


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []
    headers_seen: ClassVar[list[dict[str, str]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        _Receiver.received.append(json.loads(self.rfile.read(length)))
        _Receiver.headers_seen.append(dict(self.headers))
        self.send_response(_Receiver.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    _Receiver.headers_seen = []
    _Receiver.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
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


# --- idempotency keys, masking, and where target URLs come from ------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("json://h/p", "json://h/p?+Idempotency-Key=k1&:key=k1"),
        ("jsons://h/p?token=t", "jsons://h/p?token=t&+Idempotency-Key=k1&:key=k1"),
        ("form://h/p", "form://h/p?+Idempotency-Key=k1&:key=k1"),
        ("xml://h/p", "xml://h/p?+Idempotency-Key=k1"),
        ("wecombot://botkey", "wecombot://botkey"),  # no custom headers: the body carries it
        ("dingtalk://token/", "dingtalk://token/"),
        ("mailto://u:p@h", "mailto://u:p@h"),  # mail gets the Message-ID instead
    ],
)
def test_idempotency_key_url_syntax(url: str, expected: str) -> None:
    assert with_idempotency_key(url, "k1") == expected
    assert with_idempotency_key(url, "") == url


def test_the_key_reaches_a_json_receiver(receiver: str) -> None:
    AppriseNotifier({"hook": receiver}).send(Message(target="hook", title="t", body="b", key="abc"))
    assert _Receiver.received[0]["key"] == "abc"
    assert _Receiver.headers_seen[0]["Idempotency-Key"] == "abc"


@pytest.mark.parametrize(
    ("url", "hidden", "shown"),
    [
        ("wecombot://b0tkey1234", ["b0tkey1234"], []),
        ("dingtalk://SECs1gn@t0ken99/", ["SECs1gn", "t0ken99"], []),
        (  # a bot's private API host is hidden whole and by its parts
            "wecombot://b0tkey1234?api=https://qyapi.gov.example.cn:8443/wx",
            ["b0tkey1234", "qyapi.gov.example.cn:8443", "qyapi.gov.example.cn"],
            [],
        ),
        ("feishu://s1gnsecret@h00k-t0ken?secret=s2gnsecret", ["s1gnsecret", "s2gnsecret"], []),
        (
            "mailtos://user:pa55w0rd@smtp.example.cn?from=a@b.cn",
            ["pa55w0rd", "smtp.example.cn"],
            ["a@b.cn"],
        ),
        (
            "json://127.0.0.1:8080/hook/s3cretpath?-token=abcd1234&format=text",
            ["s3cretpath", "abcd1234", "127.0.0.1"],
            ["text"],
        ),
    ],
)
def test_url_secrets_and_redact(url: str, hidden: list[str], shown: list[str]) -> None:
    text = f"failed to reach {url} ({' '.join(hidden + shown)})"
    cleaned = redact(text, url_secrets(url))
    assert all(part not in cleaned for part in hidden), cleaned
    assert all(part in cleaned for part in shown), cleaned
    assert mask_url(url) == url.split("://")[0] + "://***"


def test_logs_never_show_urls_or_tokens(receiver: str, caplog: pytest.LogCaptureFixture) -> None:
    url = receiver.replace("/hook?", "/hook-pathtok3n?")
    caplog.set_level(logging.DEBUG)
    _Receiver.status = 500
    with pytest.raises(NotifyError) as caught:
        AppriseNotifier({"hook": url}).send(Message(target="hook", title="t", body="b", key="k"))
    assert "pathtok3n" not in caplog.text and "s3cret" not in caplog.text
    assert "JSON POST URL" in caplog.text  # Apprise did log it, masked
    assert "pathtok3n" not in str(caught.value) and "error=500" in str(caught.value)


def test_target_names_compare_case_blind_with_dash_as_underscore(receiver: str) -> None:
    notifier = AppriseNotifier({"LYG_OFFICE": receiver})
    notifier.send(Message(target="lyg-office", title="t", body="b"))
    assert len(_Receiver.received) == 1
    assert normalise_target("LYG-Office") == "lyg_office"


def test_apprise_config_file_tags_are_target_names(
    receiver: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "apprise.txt"
    config.write_text(f"lyg-office, js-office = {receiver}\n", encoding="utf-8")
    monkeypatch.setenv("QINGLIAN_NOTIFY_CONFIG", str(config))
    notifier = get_notifier(Settings())
    notifier.send(Message(target="JS_OFFICE", title="催办", body="逾期"))
    notifier.send(Message(target="lyg-office", title="催办", body="逾期"))
    assert [r["title"] for r in _Receiver.received] == ["催办", "催办"]
    with pytest.raises(NotifyError, match="QINGLIAN_NOTIFY_CONFIG"):
        notifier.send(Message(target="nobody", title="t", body="b"))


def test_prefect_secret_blocks_are_resolved_lazily_once(receiver: str) -> None:
    loaded: list[str] = []

    def loader(block: str) -> str:
        loaded.append(block)
        return receiver

    notifier = AppriseNotifier(
        {"lyg_office": "prefect-secret://lyg-office-url", "broken": "prefect-secret://missing"},
        secret_loader=loader,
    )
    assert loaded == []  # nothing is read until a message goes there
    notifier.send(Message(target="lyg_office", title="t", body="b"))
    notifier.send(Message(target="lyg_office", title="t", body="b"))
    assert loaded == ["lyg-office-url"] and len(_Receiver.received) == 2

    def failing(block: str) -> str:
        raise RuntimeError(f"cannot reach the API at {receiver}")

    broken = AppriseNotifier({"x": "prefect-secret://missing"}, secret_loader=failing)
    with pytest.raises(NotifyError) as caught:
        broken.send(Message(target="x", title="t", body="b"))
    assert "missing" in str(caught.value) and "s3cret" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_email_targets_need_a_mail_transport(receiver: str) -> None:
    with pytest.raises(NotifyError, match="email"):
        AppriseNotifier({}).send(Message(target="email:a@b.cn", title="t", body="b"))
    with pytest.raises(NotifyError, match="mailto"):
        AppriseNotifier({"email": receiver}).send(
            Message(target="email:a@b.cn", title="t", body="b")
        )
    assert is_email_target(email_target(" a@b.cn ")) and email_target(" a@b.cn ") == "email:a@b.cn"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_a_refused_smtp_login_names_the_target_only(smtp: Mailbox) -> None:
    url = f"mailto://campaign:wr0ngpassw0rd@127.0.0.1:{smtp.port}?from=c@js.example.cn"
    with pytest.raises(NotifyError) as caught:
        AppriseNotifier({"email": url}).send(
            Message(target="email:office@fb.example.cn", title="t", body="b", key="k")
        )
    text = str(caught.value)
    assert "email:office@fb.example.cn" in text and "SMTPAuthenticationError" in text
    assert "wr0ngpassw0rd" not in text and smtp.mails == []
