"""Mail intake speed: 1,000 returned workbooks delivered to a local Dovecot, then one intake run.

    .venv/bin/python benchmarks/mail_intake.py [--mails 1000]

1. Builds a tree in a temporary QINGLIAN_HOME (SQLite): a province, 10 cities and ``--mails``
   hospitals with two in-scope cadres each, written with Core inserts; launches coi-2012 on
   the province and gives every hospital its reply token.
2. Starts the tests' throwaway Dovecot (tests/intake/dovecot.py) and an SMTP server
   (aiosmtpd) on 127.0.0.1, and APPENDs one mail per hospital: its office replying to the
   reminder (the token in the address), a small filled-in 报告表 attached.
3. In a fresh process (so its peak RSS is the intake's own), runs one intake over the mailbox
   (:func:`qinglian.intake.processing.run_intake`, what the flow's task does) and delivers the
   outbox to the SMTP server (what the flow does next), and prints the figures.
4. Checks that every mail was imported and answered with a receipt that arrived by SMTP.

Target: at least 10 mails/s end to end (intake and delivery), every mail receipted.
``--tls-context-once`` delivers as qinglian/notify/mail.py would with the change proposed
for it (one TLS context per process instead of one per mail: today each mail loads the CA
bundle again, about 80 ms of CPU, and delivery, not the intake, sets the pace).
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import make_msgid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiosmtpd.controller import Controller
from openpyxl import Workbook
from sqlalchemy import insert, select
from sqlmodel import Session

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent.parent))

# Settings are read on first use, after main() has pointed QINGLIAN_HOME at a temp directory.
from models import Cadre, Level, Unit, UnitKind  # noqa: E402
from models.enums import IntakeStatus  # noqa: E402
from models.intake import IntakeMail  # noqa: E402
from qinglian.campaigns.launch import launch_campaign  # noqa: E402
from qinglian.core import db  # noqa: E402
from qinglian.declarations.columns import BASICS  # noqa: E402
from qinglian.intake.mailbox import MailboxAddress, open_mailbox  # noqa: E402
from qinglian.intake.processing import IntakeConfig, run_intake  # noqa: E402
from qinglian.notify import mail as mail_sending  # noqa: E402
from qinglian.notify.apprise_notifier import AppriseNotifier  # noqa: E402
from qinglian.org.reply_tokens import ensure_reply_tokens  # noqa: E402
from qinglian.oversight.delivery import deliver  # noqa: E402
from tests.intake.dovecot import PASSWORD, dovecot_server  # noqa: E402

AS_OF = date(2012, 8, 9)
CITIES = 10
INTAKE = "intake@js.example.cn"
SENDER = "office@js.example.cn"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mails", type=int, default=1000, help="returned mails (hospitals)")
    parser.add_argument(
        "--tls-context-once",
        action="store_true",
        help="deliver with one TLS context per process (the change proposed for "
        "qinglian/notify/mail.py, applied here in-process)",
    )
    parser.add_argument("--child", nargs=3, metavar=("IMAP_PORT", "USER", "SMTP_PORT"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.child:
        _intake(
            int(args.child[0]), args.child[1], int(args.child[2]), tls_once=args.tls_context_once
        )
        return

    home = Path(tempfile.mkdtemp(prefix="qinglian-intake-bench-"))
    os.environ["QINGLIAN_HOME"] = str(home)
    os.environ.pop("QINGLIAN_DATABASE_URL", None)
    started = time.perf_counter()
    hospitals = _build(args.mails)
    print(f"tree + {len(hospitals):,} hospitals + coi-2012 launched in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    started = time.perf_counter()
    mails = [_mail(hospital) for hospital in hospitals]
    size = sum(len(mail) for mail in mails) / 1e6
    print(f"{len(mails):,} mails written in {time.perf_counter() - started:.1f} s "
          f"({size:.1f} MB, {size * 1e3 / len(mails):.1f} kB each)")  # fmt: skip

    received: Counter[str] = Counter()
    smtp = Controller(_Counting(received), hostname="127.0.0.1", port=_free_port())
    smtp.start()
    try:
        with dovecot_server() as dovecot:
            user = dovecot.add_user()
            started = time.perf_counter()
            dovecot.append(user, *mails)
            print(f"APPENDed to Dovecot in {time.perf_counter() - started:.1f} s\n")
            print(f"== one intake run over {len(mails):,} mails, then delivery ==")
            subprocess.run(
                [
                    sys.executable,
                    str(HERE),
                    "--child",
                    str(dovecot.port),
                    user,
                    str(smtp.port),
                    *(["--tls-context-once"] if args.tls_context_once else []),
                ],
                check=True,
            )
            unseen = len(dovecot.uids(user, "UNSEEN"))
    finally:
        smtp.stop()
    with Session(db.get_engine()) as session:
        statuses = Counter(status for (status,) in session.execute(select(IntakeMail.status)))
    print(f"\nmails settled        {dict((s.value, n) for s, n in statuses.items())}")
    print(f"left unread          {unseen:>12,}")
    print(f"SMTP received        {sum(received.values()):>12,}  ({dict(received)})")
    every = statuses[IntakeStatus.imported] == len(mails) == received["回执"]
    print(f"every mail receipted {'yes' if every else 'NO':>12}")
    print("\ntarget: >= 10 mails/s end to end, every mail answered with a receipt")
    print(f"(database and quarantine under {home})")


# --- the tree, with Core inserts -----------------------------------------------------------


def _build(count: int) -> list[dict[str, Any]]:
    db.ensure_schema()
    units: list[dict[str, Any]] = []

    def unit(code: str, name: str, level: Level, kind: UnitKind, parent: dict | None) -> dict:
        row = {
            "id": len(units) + 1,
            "code": code,
            "name": name,
            "aliases": [],
            "level": level,
            "kind": kind,
            "parent_id": parent["id"] if parent else None,
            "depth": parent["depth"] + 1 if parent else 0,
        }
        row["path"] = f"{parent['path'] if parent else '/'}{row['id']}/"
        units.append(row)
        return row

    province = unit("P32", "基准省卫生厅", Level.province, UnitKind.health_admin, None)
    cities = [
        unit(f"P32C{c:02d}", f"第{c + 1}市卫生局", Level.city, UnitKind.health_admin, province)
        for c in range(CITIES)
    ]
    hospitals = [
        unit(f"{cities[i % CITIES]['code']}H{i:04d}", f"第{i + 1}医院", Level.institution,
             UnitKind.public_medical, cities[i % CITIES])
        for i in range(count)
    ]  # fmt: skip
    for hospital in hospitals:
        hospital["office_email"] = f"office@h{hospital['id']}.example.cn"
    cadres = [
        {
            "staff_no": f"{hospital['code']}-{n}",
            "name": f"院领导{n}",
            "post": "院长" if n == 1 else "副院长",
            "rank": "",
            "scope_category": 3,
            "retired": False,
            "left_on": None,
            "unit_id": hospital["id"],
            "managing_unit_id": hospital["parent_id"],
        }
        for hospital in hospitals
        for n in (1, 2)
    ]
    with db.session_scope() as session:
        session.execute(insert(Unit), [{"office_email": None, **row} for row in units])
        session.execute(insert(Cadre), cadres)
        launch_campaign(session=session, template_key="coi-2012", root_code="P32")
        tokens = ensure_reply_tokens(session, [hospital["id"] for hospital in hospitals])
    for hospital in hospitals:
        hospital["token"] = tokens[hospital["id"]]
        hospital["cadres"] = [c for c in cadres if c["unit_id"] == hospital["id"]]
    return hospitals


def _mail(hospital: dict[str, Any]) -> bytes:
    """The hospital's office replying to its reminder with its 报告表 filled in."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(BASICS.sheet)
    sheet.append([spec.header for spec in BASICS.columns])
    headers = [spec.key for spec in BASICS.columns]
    for cadre in hospital["cadres"]:
        values = {
            "staff_no": cadre["staff_no"],
            "name": cadre["name"],
            "unit_code": hospital["code"],
            "post": cadre["post"],
            "scope_category": 3,
            "nothing_to_declare": "是",
            "submitted_on": "2012-07-19",
            "signed_on": "2012-07-19",
        }
        sheet.append([values.get(key) for key in headers])
    data = io.BytesIO()
    workbook.save(data)
    mail = EmailMessage()
    mail["From"] = f"{hospital['name']}办公室 <{hospital['office_email']}>"
    mail["To"] = f"intake+{hospital['token']}@js.example.cn"
    mail["Subject"] = f"回复：请报送《报告表》 〔回复码 {hospital['token']}〕"
    mail["Message-ID"] = make_msgid(domain=f"h{hospital['id']}.example.cn")
    mail.set_content("附件是本单位填好的报告表，请查收。")
    mail.add_attachment(
        data.getvalue(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="报告表.xlsx",
    )
    return mail.as_bytes(policy=SMTP)


# --- the intake, in its own process --------------------------------------------------------


def _intake(imap_port: int, user: str, smtp_port: int, *, tls_once: bool) -> None:
    if tls_once:
        _one_tls_context()
    home = Path(os.environ["QINGLIAN_HOME"])

    def session() -> Session:
        return Session(db.get_engine(), expire_on_commit=False)

    address = MailboxAddress(tls=False, host="127.0.0.1", port=imap_port, user=user, folder="INBOX")
    config = IntakeConfig(home=home, max_mb=20, intake_address=INTAKE)
    started = time.perf_counter()
    with open_mailbox(address, PASSWORD) as mailbox:
        result = run_intake(session_factory=session, mailbox=mailbox, config=config, as_of=AS_OF)
    intake = time.perf_counter() - started
    notifier = AppriseNotifier(
        {"EMAIL": f"mailto://127.0.0.1:{smtp_port}?from={SENDER}&mode=insecure"}
    )
    started = time.perf_counter()
    delivered = deliver(session_factory=session, notifier=notifier, now=datetime.now(UTC))
    delivery = time.perf_counter() - started
    total = intake + delivery
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mails read           {result.read:>12,}")
    print(f"imported / rejected / quarantined  {result.imported:,} / {result.rejected:,} / "
          f"{result.quarantined:,}; replies queued {result.replies:,}")  # fmt: skip
    print(f"intake run           {intake:>12.2f} s   {result.read / intake:>8.1f} mails/s")
    print(f"delivery (SMTP)      {delivery:>12.2f} s   {delivered.sent:,} sent, "
          f"{delivered.failed:,} failed")  # fmt: skip
    print(f"end to end           {total:>12.2f} s   {result.read / total:>8.1f} mails/s")
    print(f"peak RSS             {peak_mb:>12,.0f} MB  (ru_maxrss of the intake's process)")


def _one_tls_context() -> None:
    """What the proposed change to qinglian/notify/mail.py does: the default TLS context (its
    CA bundle loaded from disk, about 80 ms) made once per process, not once per mail."""
    context = functools.lru_cache(maxsize=1)(ssl.create_default_context)
    mail_sending.ssl = SimpleNamespace(  # type: ignore[attr-defined]
        create_default_context=context, CERT_NONE=ssl.CERT_NONE
    )


class _Counting:
    """An SMTP server that counts what it receives by the subject's first word."""

    def __init__(self, counter: Counter[str]) -> None:
        self.counter = counter

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        subject = str(message_from_bytes(envelope.content, policy=default)["Subject"] or "")
        self.counter[subject.split("：", 1)[0]] += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
