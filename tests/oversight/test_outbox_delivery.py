"""The outbox against real peers: an SMTP server and HTTP receivers on 127.0.0.1.

The WeCom and DingTalk Apprise plugins are pointed at the local receiver by patching only
their endpoint constant, so their real payloads are checked. Time is a parameter: retries and
leases are proven by passing later ``now`` values, never by sleeping.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.wecombot import NotifyWeComBot
from sqlalchemy import Engine
from sqlmodel import Session, select

from models.campaign import Deliverable
from models.enums import OutboxStatus
from models.outbox import OutboxItem, OutboxMessage
from qinglian.notify.apprise_notifier import AppriseNotifier
from qinglian.oversight.delivery import LEASE, deliver, exponential_backoff
from qinglian.oversight.outbox import (
    OutboxView,
    list_outbox,
    outbox_counts,
    plan_sweep,
    retry_outbox,
    sweep,
)
from tests.oversight.peers import HttpReceiver
from tests.oversight.test_escalation import Tree, add_deliverable, add_phase, build_tree

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

SMTP_USER, SMTP_PASSWORD = "campaign", "smtp-Pa55word"
HOOK_TOKEN = "hook-t0ken-s3cret"
WECOM_KEY = "wecom-b0t-key-s3cret"
DING_TOKEN = "d1ngt0kens3cret0123"
DING_SECRET = "SECd1ngs1gnings3cret"
SECRETS = (SMTP_PASSWORD, HOOK_TOKEN, WECOM_KEY, DING_TOKEN, DING_SECRET)
DUE = date(2012, 9, 14)
T0 = datetime(2012, 9, 15, 1, 0, tzinfo=UTC)
# A lease is measured from the claim, which comes a few real milliseconds after ``now``.
AFTER_LEASE = T0 + LEASE + timedelta(minutes=1)


# --- peers ---------------------------------------------------------------------------------


@dataclass
class Mailbox:
    port: int
    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append((list(envelope.rcpt_tos), mail))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        ok = (login, password) == (SMTP_USER, SMTP_PASSWORD)
        return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=_free_port())
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=mailbox.port,
        authenticator=mailbox.authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def tree(session: Session) -> Tree:
    built = build_tree(session)
    session.commit()
    return built


def _targets(http: HttpReceiver, smtp: Mailbox) -> dict[str, str]:
    """Every target the small tree names, on the local peers."""
    mail = (
        f"mailto://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp.port}"
        "?from=campaign@js.example.cn&mode=insecure"
    )
    return {
        "EMAIL": mail,
        "JS_OFFICE": f"json://127.0.0.1:{http.port}/js?token={HOOK_TOKEN}",
        "LYG_WECOM": f"json://127.0.0.1:{http.port}/lyg?token={HOOK_TOKEN}",
        "LYG_HEAD": f"json://127.0.0.1:{http.port}/lyg-head?token={HOOK_TOKEN}",
    }


def _overdue_items(session: Session, tree: Tree, due: date = DUE) -> None:
    """An item of the hospital and one of the city, both due ``due``."""
    phase = add_phase(session, tree.campaign_id, "rectify", date(2012, 9, 1), date(2012, 11, 30))
    add_deliverable(session, tree, phase, tree.fb, "rectification_plan", "制定整改措施", due)
    add_deliverable(session, tree, phase, tree.lyg, "rectify_summary", "整改纠正阶段性总结", due)
    session.commit()


def _factory(engine: Engine) -> Callable[[], Session]:
    return lambda: Session(engine, expire_on_commit=False)


def _assert_no_secrets(session: Session, *texts: str) -> None:
    stored = " ".join(
        f"{m.target} {m.title} {m.body} {m.last_error}"
        for m in session.exec(select(OutboxMessage)).all()
    )
    for secret in SECRETS:
        assert secret not in stored
        for text in texts:
            assert secret not in text


# --- delivery over each channel ------------------------------------------------------------


def test_email_digests_over_real_smtp(
    engine: Engine, session: Session, tree: Tree, http: HttpReceiver, smtp: Mailbox
) -> None:
    _overdue_items(session, tree)
    result = sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 15))
    assert result.digests == 4  # the hospital's mail, the city's hook, mail and head hook
    notifier = AppriseNotifier(_targets(http, smtp))
    delivered = deliver(session_factory=_factory(engine), notifier=notifier, now=T0)
    assert delivered.sent == 4 and delivered.failed == 0

    rows = {m.target: m for m in list_outbox(session=session)}
    assert all(m.status == OutboxStatus.sent and m.sent_at == T0 for m in rows.values())
    by_rcpt = {tuple(rcpts): mail for rcpts, mail in smtp.mails}
    assert set(by_rcpt) == {("office@fb.example.cn",), ("office@lyg.example.cn",)}
    mail = by_rcpt[("office@fb.example.cn",)]
    row = rows["email:office@fb.example.cn"]
    assert mail["Subject"] == row.title and "逾期事项督办" in mail["Subject"]
    assert mail["Message-ID"] == f"<{row.key}@js.example.cn>"
    assert mail["X-Idempotency-Key"] == row.key
    assert mail["To"] == "office@fb.example.cn" and "campaign@js.example.cn" in mail["From"]
    text = mail.get_content()
    assert "连云港市妇幼保健院" in text and "制定整改措施" in text and "已逾期1天" in text
    assert smtp.logins == [(SMTP_USER, SMTP_PASSWORD)] * 2
    _assert_no_secrets(session, mail.as_string())


def test_json_webhook_carries_the_key_in_header_and_payload(
    engine: Engine, session: Session, tree: Tree, http: HttpReceiver, smtp: Mailbox
) -> None:
    _overdue_items(session, tree)
    sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 15))
    deliver(
        session_factory=_factory(engine), notifier=AppriseNotifier(_targets(http, smtp)), now=T0
    )
    head = next(r for r in http.requests if r.path == "/lyg-head")
    row = session.exec(select(OutboxMessage).where(OutboxMessage.target == "lyg_head")).one()
    assert head.headers["Idempotency-Key"] == row.key == row.idempotency_key
    assert head.payload["key"] == row.key
    assert head.payload["title"] == row.title and head.payload["message"] == row.body
    assert "本单位逾期事项（呈单位负责人）" in head.payload["message"]
    assert head.query == {}  # the token is not a GET parameter Apprise passes on
    _assert_no_secrets(session)


def test_wecom_and_dingtalk_plugins_send_their_real_payloads(
    engine: Engine,
    session: Session,
    tree: Tree,
    http: HttpReceiver,
    smtp: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(NotifyWeComBot, "notify_url", http.url("/cgi-bin/webhook/send?key={key}"))
    monkeypatch.setattr(NotifyDingTalk, "notify_url", http.url("/robot/send?access_token={token}"))
    targets = {
        **_targets(http, smtp),
        "LYG_WECOM": f"wecombot://{WECOM_KEY}",
        "LYG_HEAD": f"dingtalk://{DING_SECRET}@{DING_TOKEN}/",
    }
    _overdue_items(session, tree)
    sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 15))
    deliver(session_factory=_factory(engine), notifier=AppriseNotifier(targets), now=T0)

    rows = {m.target: m for m in session.exec(select(OutboxMessage)).all()}
    wecom = next(r for r in http.requests if r.path == "/cgi-bin/webhook/send")
    assert wecom.query == {"key": [WECOM_KEY]}
    assert wecom.payload["msgtype"] == "text"
    content = wecom.payload["text"]["content"]
    assert "连云港市卫生局" in content and rows["lyg_wecom"].key[:16] in content

    ding = next(r for r in http.requests if r.path == "/robot/send")
    assert ding.query["access_token"] == [DING_TOKEN]
    assert {"timestamp", "sign"} <= set(ding.query)  # the signing secret is used, not sent
    assert ding.payload["msgtype"] == "text" and "逾期" in ding.payload["text"]["content"]
    assert all(m.status == OutboxStatus.sent for m in rows.values())
    _assert_no_secrets(session)


# --- retries -------------------------------------------------------------------------------


def test_a_receiver_failing_twice_is_retried_with_backoff(
    engine: Engine, session: Session, tree: Tree, http: HttpReceiver, smtp: Mailbox
) -> None:
    phase = add_phase(session, tree.campaign_id, "rectify", date(2012, 9, 1), date(2012, 11, 30))
    add_deliverable(session, tree, phase, tree.js, "rectify_summary", "阶段性总结", DUE)
    session.commit()
    sweep(session=session, campaign_id=tree.campaign_id, as_of=DUE)  # one digest: js_office
    http.fail_first = 2
    notifier = AppriseNotifier(_targets(http, smtp))
    factory = _factory(engine)

    def run(now: datetime) -> tuple[int, int]:
        result = deliver(session_factory=factory, notifier=notifier, now=now)
        return result.sent, result.failed

    def row() -> OutboxView:
        with factory() as s:
            (view,) = list_outbox(session=s)
            return view

    assert run(T0) == (0, 1)
    first = row()
    assert (first.status, first.attempts) == (OutboxStatus.failed, 1)
    assert first.next_attempt_at == T0 + timedelta(minutes=1)
    assert "js_office" in (first.last_error or "") and "error=500" in (first.last_error or "")
    assert run(T0 + timedelta(seconds=59)) == (0, 0)  # not due yet: nothing sent
    assert run(T0 + timedelta(minutes=1)) == (0, 1)
    assert row().next_attempt_at == T0 + timedelta(minutes=3)  # 1 + 2 minutes
    assert run(T0 + timedelta(minutes=2)) == (0, 0)
    assert run(T0 + timedelta(minutes=3)) == (1, 0)
    final = row()
    assert (final.status, final.attempts, final.last_error) == (OutboxStatus.sent, 3, None)
    assert len(http.requests) == 3
    assert {r.headers["Idempotency-Key"] for r in http.requests} == {final.idempotency_key}
    _assert_no_secrets(session)


def test_given_up_after_max_attempts_and_retried_from_the_cli(
    engine: Engine, session: Session, tree: Tree, http: HttpReceiver, smtp: Mailbox
) -> None:
    phase = add_phase(session, tree.campaign_id, "rectify", date(2012, 9, 1), date(2012, 11, 30))
    add_deliverable(session, tree, phase, tree.js, "rectify_summary", "阶段性总结", DUE)
    session.commit()
    sweep(session=session, campaign_id=tree.campaign_id, as_of=DUE)
    http.always_fail = True
    notifier = AppriseNotifier(_targets(http, smtp))
    now = T0
    for _ in range(3):
        deliver(session_factory=_factory(engine), notifier=notifier, now=now, max_attempts=3)
        now += timedelta(hours=1)
    view = list_outbox(session=session, campaign_id=tree.campaign_id)[0]
    assert (view.status, view.attempts) == (OutboxStatus.given_up, 3)
    assert HOOK_TOKEN not in (view.last_error or "")
    assert deliver(session_factory=_factory(engine), notifier=notifier, now=now).attempted == 0

    http.always_fail = False
    assert retry_outbox(session=session, now=now, campaign_id=tree.campaign_id).requeued == 1
    session.commit()
    assert deliver(session_factory=_factory(engine), notifier=notifier, now=now).sent == 1
    assert outbox_counts(session=session)[OutboxStatus.sent] == 1
    assert len({r.headers["Idempotency-Key"] for r in http.requests}) == 1


def test_exponential_backoff_table() -> None:
    minutes = [exponential_backoff(n) / timedelta(minutes=1) for n in range(1, 12)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]


# --- crashes -------------------------------------------------------------------------------


class Crash(Exception):
    pass


def _crash_at(point: str) -> Callable[[str], None]:
    fired: list[str] = []

    def hook(where: str) -> None:
        if where == point and not fired:
            fired.append(where)
            raise Crash(where)

    return hook


POINTS = [
    "sweep.planned",  # computed, nothing written
    "sweep.written",  # rows written, not committed
    "sweep.committed",  # written; nothing sent
    "deliver.claimed",  # marked sending; nothing sent
    "deliver.sent",  # the receiver accepted; the outbox did not record it
    "deliver.recorded",  # recorded as sent
]


@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_any_step_loses_nothing_and_duplicates_nothing(
    engine: Engine,
    session: Session,
    tree: Tree,
    http: HttpReceiver,
    smtp: Mailbox,
    point: str,
) -> None:
    _overdue_items(session, tree)
    notifier = AppriseNotifier(_targets(http, smtp))
    factory = _factory(engine)
    hook = _crash_at(point)
    as_of = date(2012, 9, 15)

    with pytest.raises(Crash):
        with factory() as s:
            sweep(session=s, campaign_id=tree.campaign_id, as_of=as_of, hook=hook)
        deliver(
            session_factory=factory, notifier=notifier, now=T0, hook=hook, batch_size=1, workers=1
        )
    # The re-run: the same sweep, and delivery once the crashed claim's lease has passed (this
    # process lives on, so its claim is not taken over before; a claim never handed to a sender
    # was given back at once).
    with factory() as s:
        sweep(session=s, campaign_id=tree.campaign_id, as_of=as_of, hook=hook)
    deliver(session_factory=factory, notifier=notifier, now=T0, hook=hook, batch_size=1)
    later = deliver(session_factory=factory, notifier=notifier, now=AFTER_LEASE, hook=hook)

    rows = session.exec(select(OutboxMessage)).all()
    assert len(rows) == 4 and all(row.status == OutboxStatus.sent for row in rows)
    items = session.exec(select(OutboxItem)).all()
    assert len(items) == len({(i.target, i.item_key, i.step) for i in items}) == 8
    received = [r.headers["Idempotency-Key"] for r in http.requests] + [
        mail["X-Idempotency-Key"] for _, mail in smtp.mails
    ]
    assert sorted(set(received)) == sorted(row.key for row in rows)  # nothing lost
    duplicates = [key for key in set(received) if received.count(key) > 1]
    if point == "deliver.sent":
        # The one documented re-send: the same message, the same key, exactly once more.
        assert len(duplicates) == 1 and received.count(duplicates[0]) == 2
        assert later.resent == 1
    else:
        assert duplicates == []
        assert later.resent == 0


def test_two_sweeps_on_later_days_only_add_new_steps(
    engine: Engine, session: Session, tree: Tree, http: HttpReceiver, smtp: Mailbox
) -> None:
    _overdue_items(session, tree)
    first = sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 15))
    # skipped a week: the parent step (7 days) comes for both items at once
    second = sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 22))
    assert first.new_item_steps == 8 and second.already_queued == 8
    # the hospital's item to the city office (hook and mail), the city's to the province
    assert second.new_item_steps == 3 and second.digests == 3
    plan = session.exec(select(Deliverable).where(Deliverable.kind == "rectification_plan")).one()
    plan.submitted_on = date(2012, 9, 23)
    session.commit()
    third = sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 28))
    assert third.new_item_steps == 1  # only the city's item reaches 纪检


def test_a_second_deliverer_never_takes_claimed_rows(
    engine: Engine, session: Session, tree: Tree, http: HttpReceiver, smtp: Mailbox
) -> None:
    _overdue_items(session, tree)
    sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 15))
    notifier = AppriseNotifier(_targets(http, smtp))
    factory = _factory(engine)
    rivals: list[int] = []

    def rival(point: str) -> None:
        # Another worker starts while this one holds its claims: it finds nothing to send.
        if point == "deliver.claimed" and not rivals:
            rivals.append(deliver(session_factory=factory, notifier=notifier, now=T0).attempted)

    result = deliver(session_factory=factory, notifier=notifier, now=T0, hook=rival, batch_size=10)
    assert result.sent == 4 and rivals == [0]
    received = [r.headers["Idempotency-Key"] for r in http.requests] + [
        mail["X-Idempotency-Key"] for _, mail in smtp.mails
    ]
    assert len(received) == len(set(received)) == 4


def test_plan_sweep_is_a_dry_run(session: Session, tree: Tree) -> None:
    _overdue_items(session, tree)
    plan = plan_sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 15))
    assert plan.result.digests == len(plan.digests) == 4
    assert session.exec(select(OutboxMessage)).all() == []
    written = sweep(session=session, campaign_id=tree.campaign_id, as_of=date(2012, 9, 15))
    keys = {m.key for m in session.exec(select(OutboxMessage)).all()}
    assert written.digests == 4 and keys == {d.key for d in plan.digests}
