"""One intake run: each new mail read, decided, imported or quarantined, and answered, once.

**Once by Message-ID.** A mail is known by sha256 of its Message-ID (of its bytes when it has
none). Its ``IntakeMail`` row is inserted ``received`` and committed first (the claim); then
its imports, its outcome and its reply are written in ONE transaction; then it is flagged on
the server (``\\Seen``; a quarantined one moved to ``Quarantine``). A run that finds the row:

- ``received`` (a run died on it): processes it again from the start. Nothing it did was
  committed: the imports and the outcome commit together. (The importers are idempotent as
  well: a form already filed, a delivery already recorded, are counted unchanged.)
- ``imported``/``rejected``/``quarantined``: only flags it again (the run died before that).

Crash points, for tests (:func:`qinglian.oversight.hooks.call_hook`): ``intake.claimed``,
``intake.read``, ``intake.imported``, ``intake.replied`` (the reply queued, not committed),
``intake.committed`` and ``intake.flagged``. The reply is an outbox message the flow delivers
afterwards, crash-safe like every other.

**The decision**, in order:

1. a mail sent by a machine (an auto-reply, a bounce) is ``rejected`` unanswered;
2. the unit is known by its reply token, else by its sender (:mod:`qinglian.intake.senders`):
   an unknown or forged sender is ``quarantined``, unanswered (it may be forged); a token that
   contradicts the sender is ``rejected``, answered to the listed sender;
3. a mail larger than the limit, or with any attachment that is not a plain workbook
   (:mod:`qinglian.intake.screening`), is ``quarantined`` unopened, and the unit is told why;
4. a mail without a workbook, or for a unit in no active campaign, is ``rejected``;
5. the workbooks are recognised by their sheets (:mod:`qinglian.intake.workbooks`), must all be
   the unit's own, and are imported (:mod:`qinglian.intake.importing`) under the inputs lock
   (so a phase run never sees half of them): ``imported`` with a receipt, or ``rejected`` with
   the row errors, nothing imported.

A quarantined mail's raw bytes are kept as ``QINGLIAN_HOME/intake/quarantine/<key>.eml``
(0600); a mail too large to fetch is kept by its header, its body left on the server. When a
phase run holds the inputs longer than ``inputs_wait`` seconds the run stops (``busy``): the
mail and those after it wait for the next run. A mail every run has died on is quarantined on
its fourth claim (:data:`qinglian.intake.records.MAX_ATTEMPTS`), so it holds up nothing.
Replies go to the ``From`` address (never a Reply-To the mail names: a forged From then only
tells the real owner); a sender is answered at most 20 refusals a day (a loop of answering
machines that do not say so stops there).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlmodel import Session

from models.campaign import Campaign
from models.enums import IntakeStatus
from models.intake import IntakeMail
from models.unit import Unit
from qinglian.core import locks
from qinglian.core.clock import today_in_china
from qinglian.core.errors import ImportRejected, QinglianError
from qinglian.core.settings import Settings
from qinglian.intake import outcomes
from qinglian.intake.campaigns import any_campaign, choose_campaign
from qinglian.intake.importing import NotOwnWorkbook, check_units, import_workbook, units_named
from qinglian.intake.mailbox import Fetched
from qinglian.intake.messages import (
    ReturnedMail,
    amendment_reason,
    message_key,
    read_header,
    read_mail,
)
from qinglian.intake.outcomes import IntakeResult, Outcome
from qinglian.intake.records import (
    MAX_ATTEMPTS,
    REFUSALS_PER_DAY,
    claim_mail,
    count_attempt,
    find_mail,
    highest_uid,
    keep_quarantined,
    reason_text,
    refusals_answered,
)
from qinglian.intake.replies import queue_reply, refusal_reply
from qinglian.intake.screening import MIB, Problem, Screened, TableKind, screen
from qinglian.intake.senders import ContactBook, identify, mail_tokens, token_units
from qinglian.intake.workbooks import recognise
from qinglian.oversight.hooks import Hook, call_hook
from qinglian.uploads.receipts import receipt_number

__all__ = ["IntakeBusy", "IntakeConfig", "IntakeResult", "MailSource", "run_intake"]


@dataclass(frozen=True, slots=True)
class IntakeConfig:
    home: Path
    max_mb: int
    intake_address: str | None = None
    inputs_wait: float = 60.0

    @property
    def max_bytes(self) -> int:
        return self.max_mb * MIB

    @property
    def fetch_bytes(self) -> int:
        """The largest mail read whole: an attachment at the limit in base64, and the rest."""
        return self.max_bytes * 4 // 3 + 2 * MIB

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakeConfig:
        return cls(
            home=settings.home,
            max_mb=settings.intake_max_mb,
            intake_address=settings.intake_address,
        )


class MailSource(Protocol):
    """The mailbox as a run uses it (:class:`qinglian.intake.mailbox.Mailbox`)."""

    uid_validity: int

    def new_uids(self, *, above: int | None, limit: int | None) -> list[int]: ...

    def fetch(self, uids: Sequence[int], *, max_bytes: int) -> Iterator[Fetched]: ...

    def flag_seen(self, uid: int) -> None: ...

    def quarantine(self, uid: int) -> None: ...


class IntakeBusy(QinglianError):
    def __init__(self) -> None:
        super().__init__(
            "阶段运行正在读取数据，邮件导入暂停，下次运行继续",
            "a phase run is reading the inputs; the intake stops and goes on next run",
        )


@dataclass
class _Run:
    session_factory: Callable[[], Session]
    mailbox: MailSource
    config: IntakeConfig
    contacts: ContactBook
    as_of: date | None
    now: datetime
    hook: Hook | None
    result: IntakeResult

    @property
    def today(self) -> date:
        return self.as_of or today_in_china()


def run_intake(
    *,
    session_factory: Callable[[], Session],
    mailbox: MailSource,
    config: IntakeConfig,
    as_of: date | None = None,
    now: datetime | None = None,
    limit: int | None = None,
    hook: Hook | None = None,
) -> IntakeResult:
    """Process the mailbox's new mail, at most ``limit`` mails (see the module's docs).

    ``as_of`` is the import day (default: the campaign's simulated day, else today in China);
    ``now`` the time recorded and printed on receipts.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with session_factory() as session:
        contacts = ContactBook.load(session)
        above = highest_uid(session, mailbox.uid_validity)
    run = _Run(session_factory, mailbox, config, contacts, as_of, now, hook, IntakeResult())
    uids = mailbox.new_uids(above=above, limit=limit)
    for fetched in mailbox.fetch(uids, max_bytes=config.fetch_bytes):
        run.result.read += 1
        try:
            _process(run, fetched)
        except IntakeBusy:
            run.result.busy = True
            break
    return run.result


def _process(run: _Run, fetched: Fetched) -> None:
    header = read_header(fetched.raw)
    key = message_key(header.message_id, fetched.raw)
    with run.session_factory() as session:
        row = find_mail(session, key)
        if row is not None and row.status is not IntakeStatus.received:
            run.result.already += 1
            _flag(run, fetched.uid, row.status)
            return
        if row is None:
            row = claim_mail(
                session,
                key=key,
                header=header,
                uid=fetched.uid,
                uid_validity=run.mailbox.uid_validity,
                now=run.now,
            )
        else:
            run.result.resumed += 1
        attempts = count_attempt(row)
        session.commit()
        row_id = row.id
    assert row_id is not None
    call_hook(run.hook, "intake.claimed")
    try:
        status = _settle(run, fetched, row_id, key, attempts)
    except IntakeBusy:
        with run.session_factory() as session:  # waiting for a phase run is not an attempt
            row = session.get(IntakeMail, row_id)
            assert row is not None
            count_attempt(row, -1)
            session.commit()
        raise
    call_hook(run.hook, "intake.committed")
    _flag(run, fetched.uid, status)
    call_hook(run.hook, "intake.flagged")
    run.result.count(status)


def _settle(run: _Run, fetched: Fetched, row_id: int, key: str, attempts: int) -> IntakeStatus:
    """Decide, import, queue the reply and record the outcome: one transaction (the inputs
    lock, when an import takes it, is held until that transaction has committed)."""
    with ExitStack() as held, run.session_factory() as session:
        outcome = _decide(run, session, held, fetched, attempts)
        call_hook(run.hook, "intake.imported")
        row = session.get(IntakeMail, row_id)  # read after any rollback of a refused import
        assert row is not None
        _answer(run, session, row, key, outcome)
        call_hook(run.hook, "intake.replied")
        _record(run, row, outcome)
        if outcome.status is IntakeStatus.quarantined:
            row.quarantine_file = str(keep_quarantined(run.config.home, key, fetched.raw))
        session.add(row)
        session.commit()
        return outcome.status


def _decide(
    run: _Run, session: Session, held: ExitStack, fetched: Fetched, attempts: int
) -> Outcome:
    if attempts > MAX_ATTEMPTS:
        return Outcome(IntakeStatus.quarantined, outcomes.STUCK)
    mail = read_mail(fetched.raw)
    call_hook(run.hook, "intake.read")
    if mail.automatic:
        return Outcome(IntakeStatus.rejected, outcomes.MACHINE)
    known = _sender(run, session, mail)
    if known.unit is None:
        return known
    if not fetched.whole:
        return known.quarantine(Problem.oversize, run.config.max_mb)
    screened = [screen(item, max_bytes=run.config.max_bytes) for item in mail.attachments]
    problem = next((item.problem for item in screened if item.problem is not None), None)
    if problem is not None:
        return known.quarantine(problem, run.config.max_mb)
    if not screened:
        return known.refuse(outcomes.NO_ATTACHMENT)
    campaign = choose_campaign(
        session, unit=known.unit, references=mail.references, as_of=run.today
    )
    if campaign is None or campaign.id is None:
        return known.refuse(outcomes.NO_CAMPAIGN)
    known.campaign_id = campaign.id
    known.day = run.as_of or campaign.simulated_as_of or today_in_china()
    return _import(run, session, held, known, campaign, mail, screened)


def _sender(run: _Run, session: Session, mail: ReturnedMail) -> Outcome:
    """The known unit's outcome to fill in; or, the sender not being known, its end."""
    tokens = mail_tokens(mail.recipients, mail.header.subject, run.config.intake_address)
    sender = identify(
        sender=mail.header.sender,
        token_unit_ids=list(token_units(session, tokens).values()),
        contacts=run.contacts,
        forged=mail.failed_authentication,
    )
    if sender.unit_id is not None:
        unit = session.get(Unit, sender.unit_id)
        assert unit is not None
        return Outcome.known(unit, sender.by)
    if sender.refusal is not None and sender.answer_unit_id is not None:
        answer = session.get(Unit, sender.answer_unit_id)
        assert answer is not None
        reply = refusal_reply(answer, sender.refusal)
        return Outcome(IntakeStatus.rejected, sender.refusal, reply=reply, answer_unit=answer)
    return Outcome(IntakeStatus.quarantined, outcomes.FORGED if sender.forged else outcomes.UNKNOWN)


def _import(
    run: _Run,
    session: Session,
    held: ExitStack,
    known: Outcome,
    campaign: Campaign,
    mail: ReturnedMail,
    screened: list[Screened],
) -> Outcome:
    unit, day = known.unit, known.day
    assert unit is not None and day is not None
    with tempfile.TemporaryDirectory(prefix="qinglian-intake-") as directory:
        try:
            paths = _saved(Path(directory), screened)
            workbooks = [recognise(session, path) for path in paths]
            check_units(unit, workbooks, units_named(session, workbooks))
        except NotOwnWorkbook as exc:
            return known.refuse((exc.zh, exc.en))
        except QinglianError as exc:
            return known.refuse((exc.zh, exc.en), kept=outcomes.NOT_READ)
        held.enter_context(
            locks.hold(locks.INPUTS, timeout=run.config.inputs_wait, busy=IntakeBusy())
        )
        reason = amendment_reason(mail.body)
        try:
            accepted = [
                import_workbook(
                    session,
                    workbook=workbook,
                    campaign=campaign,
                    unit=unit,
                    as_of=day,
                    reason=reason,
                )
                for workbook in workbooks
            ]
        except ImportRejected as exc:
            session.rollback()
            return known.refuse(outcomes.row_errors(len(exc.errors)), exc.errors)
        except QinglianError as exc:
            session.rollback()
            return known.refuse((exc.zh, exc.en), kept=outcomes.NOT_IMPORTED)
    return known.accept(receipt_number(run.now), accepted)


def _saved(directory: Path, screened: list[Screened]) -> list[Path]:
    """Each attachment in a folder of its own, under its (sanitised) name."""
    paths = []
    for number, item in enumerate(screened):
        name = item.attachment.filename
        if item.kind is TableKind.xlsx and not name.lower().endswith(".xlsx"):
            name = f"{Path(name).stem or 'workbook'}.xlsx"
        folder = directory / str(number)
        folder.mkdir()
        path = folder / name
        path.write_bytes(item.attachment.data)
        paths.append(path)
    return paths


def _answer(run: _Run, session: Session, row: IntakeMail, key: str, outcome: Outcome) -> None:
    """Queue the reply, unless there is none, the sender had its fill of refusals today, or
    there is no campaign to file it under."""
    if outcome.reply is None or outcome.answer_unit is None or not row.sender:
        return
    if outcome.status is not IntakeStatus.imported and (
        refusals_answered(session, row.sender, run.now - timedelta(days=1)) >= REFUSALS_PER_DAY
    ):
        return
    campaign_id = outcome.campaign_id
    if campaign_id is None:
        unit = outcome.answer_unit
        campaign = choose_campaign(
            session, unit=unit, references=(), as_of=run.today
        ) or any_campaign(session, unit)
        if campaign is None or campaign.id is None:
            return
        campaign_id = campaign.id
    message = queue_reply(
        session,
        message_key=key,
        campaign_id=campaign_id,
        unit_id=outcome.answer_unit.id,
        sender=row.sender,
        reply=outcome.reply,
        day=outcome.day or run.today,
    )
    row.reply_message_id = message.id
    run.result.replies += 1


def _record(run: _Run, row: IntakeMail, outcome: Outcome) -> None:
    row.status = outcome.status
    row.reason = reason_text(*outcome.reason) if outcome.reason else ""
    row.unit_id = outcome.unit.id if outcome.unit is not None else None
    row.identified_by = outcome.by.value
    row.receipt_code = outcome.receipt
    row.processed_at = run.now
    row.summary = {
        "attempts": row.summary.get("attempts", 1),
        "workbooks": [
            {"kind": item.kind.value, "counts": item.counts} for item in outcome.accepted
        ],
    }


def _flag(run: _Run, uid: int, status: IntakeStatus) -> None:
    if status is IntakeStatus.quarantined:
        run.mailbox.quarantine(uid)
    else:
        run.mailbox.flag_seen(uid)
