"""What the commands that use the database share: the schema ensured before they run, and the
one shape of every file import (a file, ``--skip-invalid``, one printed report)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from qinglian.cli.common import console, err, friendly
from qinglian.core import db
from qinglian.exchange.report import ImportReport

R = TypeVar("R", bound=ImportReport)

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


def _schema_first(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    @friendly
    def run(*args: Any, **kwargs: Any) -> Any:
        db.ensure_schema()
        return callback(*args, **kwargs)

    return run


def import_file(importer: Callable[..., R], **arguments: Any) -> R:
    """Run one importer in its own session and print its report; the caller prints the rest."""
    with db.session_scope() as session:
        report = importer(session=session, **arguments)
    print_report(report)
    return report


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
