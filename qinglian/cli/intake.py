"""`qinglian intake`: the mailbox units return their workbooks to (邮件回收).

``run`` reads it once, as the ``mail-intake`` deployment does every 10 minutes (the same flow,
under the same lock); ``list`` shows each mail read and what became of it, with no personal
data but the sender's address.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from flows.mail_intake import IntakeInput, start_intake
from models.enums import IntakeStatus
from qinglian.cli.common import AsOf, coded, console, count_parser, date_option, friendly
from qinglian.cli.database import database_app, in_session
from qinglian.core.clock import china_minute
from qinglian.intake.records import list_mails, status_counts

app = database_app("intake", "邮件回收：各单位回复的工作簿 / workbooks returned by e-mail")

_LIMIT = count_parser("邮件数", "the mail count", 100_000)


@app.command("run")
@friendly
def intake_run(
    as_of: AsOf = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", parser=_LIMIT, metavar="N", help="最多处理的邮件数 at most N mails"
        ),
    ] = None,
    send: Annotated[bool, typer.Option("--send/--no-send", help="处理后发送回执")] = True,
) -> None:
    """读取回收邮箱一次：导入各单位回复的工作簿并回执 / read the intake mailbox once."""
    day = date_option(as_of, "日期", "as-of")
    run = start_intake(IntakeInput(as_of=day, limit=limit or None, deliver=send))
    result, sent = run.intake, run.delivery
    console.print(
        f"读取 {result.read} 封：导入 {result.imported}，退回 {result.rejected}，"
        f"隔离 {result.quarantined}；续办 {result.resumed}，补标已读 {result.already} / "
        f"read {result.read}: imported {result.imported}, rejected {result.rejected}, "
        f"quarantined {result.quarantined}; resumed {result.resumed}, re-flagged {result.already}"
    )
    if result.busy:
        console.print(
            "阶段运行正在读取数据，余下邮件留待下次运行 / a phase run holds the inputs; the "
            "rest waits for the next run"
        )
    if send:
        console.print(
            f"回复 replies {result.replies}；发送 / delivery: 成功 sent {sent.sent}，"
            f"失败待重试 failed {sent.failed}，放弃 given up {sent.given_up}"
        )


@app.command("list")
@friendly
def intake_list(
    status: Annotated[
        IntakeStatus | None,
        typer.Option(**coded(IntakeStatus, "处理结果", "--status"), help="处理结果 status"),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            parser=count_parser("条数", "the row count", 100_000),
            metavar="N",
            help="最多显示的条数（0：全部）/ at most N rows (0: all)",
        ),
    ] = 50,
) -> None:
    """回收的邮件及处理结果 / mails read from the intake mailbox and their outcome."""
    rows = in_session(list_mails, status=status, limit=limit)
    counts = in_session(status_counts)
    table = Table(
        "#",
        "收到 received",
        "结果 status",
        "发件人 sender",
        "单位 unit",
        "识别 by",
        "回执 receipt",
        "原因 reason",
        title="回收邮件 / intake mail",
    )
    for row in rows:
        table.add_row(
            str(row.id),
            china_minute(row.received_at),
            f"{row.status.label} {row.status.value}",
            row.sender,
            row.unit_code or "",
            row.identified_by,
            row.receipt_code or "",
            row.reason,
        )
    console.print(table)
    console.print(
        "；".join(f"{status.label} {counts[status]}" for status in IntakeStatus)
        + " / "
        + ", ".join(f"{status.value} {counts[status]}" for status in IntakeStatus)
    )
