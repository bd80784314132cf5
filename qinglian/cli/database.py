"""What the commands that use the database share: the group that ensures the schema before they
run, one service called in its own session, the campaign checked before a command works on it,
and the one shape of every file import (a file, ``--skip-invalid``, one printed report).

Every import holds the inputs lock exclusively (:mod:`qinglian.core.locks`): a phase run holds
it shared for its whole run, so an import lands wholly before or wholly after a run, never in
the middle of one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from qinglian.campaigns.lookup import get_campaign
from qinglian.cli.common import as_of_or_today, campaign_id_option, console, err, friendly
from qinglian.core import db, locks
from qinglian.exchange.report import ImportReport

R = TypeVar("R", bound=ImportReport)
T = TypeVar("T")

SkipInvalid = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="导入有效行，无效行写入 *.rejected.csv / import the valid rows, quarantine the rest",
    ),
]


class DatabaseGroup(TyperGroup):
    """A group whose every command uses the database: the schema is ensured once, here.

    It runs after the command line is parsed and just before the command, so ``--help`` and
    usage errors never create or migrate a database. A Typer callback cannot do this: Click
    runs a group's callback before it parses the subcommand's options, ``--help`` included.
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in self.commands.values():
            if command.callback is not None:
                command.callback = _schema_first(command.callback)


def database_app(name: str, help: str) -> typer.Typer:
    """A command group of this name whose every command uses the database."""
    return typer.Typer(name=name, cls=DatabaseGroup, help=help, no_args_is_help=True)


def _schema_first(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    @friendly
    def run(*args: Any, **kwargs: Any) -> Any:
        db.ensure_schema()
        return callback(*args, **kwargs)

    return run


def in_session(service: Callable[..., T], **arguments: Any) -> T:
    """Call one service function in its own session: committed if it returns, else rolled back."""
    with db.session_scope() as session:
        return service(session=session, **arguments)


def campaign_as_of(campaign: str, as_of: str | None) -> tuple[int, date]:
    """The id of a campaign that exists, and the ``--as-of`` day (parsed in that order, then
    the campaign looked up, so a command's first error is the same whichever it is)."""
    campaign_id = campaign_id_option(campaign)
    day = as_of_or_today(as_of)
    in_session(get_campaign, campaign_id=campaign_id)
    return campaign_id, day


def import_file(importer: Callable[..., R], **arguments: Any) -> R:
    """Run one importer in its own session and print its report; the caller prints the rest.

    The inputs are locked from before the session opens until it commits: a phase running
    elsewhere is waited for, and one started meanwhile waits for the import.
    """
    with inputs_locked():
        report = in_session(importer, **arguments)
    print_report(report)
    return report


def inputs_locked() -> AbstractContextManager[None]:
    """What changes a phase's inputs holds: it waits for the phase runs reading them, saying so."""
    return locks.hold(locks.INPUTS, on_wait=_say_waiting)


def record_input(service: Callable[..., R], /, **kwargs: Any) -> R:
    """:func:`in_session` for a command that changes what a phase reads (a delivery, a result,
    a status, a complaint): it waits for running phases, as an import does."""
    with inputs_locked():
        return in_session(service, **kwargs)


def _say_waiting() -> None:
    err.print(
        "正在等待运行中的阶段结束… / waiting for the running phase to finish…", highlight=False
    )


def import_campaign_file(
    importer: Callable[..., R], file: Path, campaign: str, as_of: str | None, skip_invalid: bool
) -> R:
    """:func:`import_file` for a campaign's file, its options parsed as every such command
    parses them: the campaign id first, then the ``--as-of`` day (today when not given)."""
    return import_file(
        importer,
        campaign_id=campaign_id_option(campaign),
        path=file,
        skip_invalid=skip_invalid,
        as_of=as_of_or_today(as_of),
    )


def print_report(report: ImportReport) -> None:
    console.print(
        f"{report.file} [{report.sheet}]: 新增 {report.created}，更新 {report.updated}，"
        f"未变 {report.unchanged}，拒绝 {len(report.rejected)} / created {report.created}, "
        f"updated {report.updated}, unchanged {report.unchanged}, rejected {len(report.rejected)}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if report.rejected_file:
        for row in report.rejected[:20]:
            err.print(f"  {row}", highlight=False, markup=False, soft_wrap=True)
        console.print(
            f"被拒绝的行已写入 / rejected rows written to {report.rejected_file}", highlight=False
        )
