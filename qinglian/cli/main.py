"""The `qinglian` command: what campaign administrators type. Rich output, bilingual errors.

The root knows each command's name and one-line help; a command's module (and what it
imports: the database, openpyxl, Prefect…) is imported only when that command is used, so
`qinglian --help` and the commands that run no flow start fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import click
import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from qinglian.cli.lazy import Lazy, LazyGroup
from qinglian.cli.usage import error_line, usage_message
from qinglian.core.errors import QinglianError


def _command(module: str, help: str) -> Lazy:
    return Lazy(f"qinglian.cli.{module}", help, group=False)


def _group(module: str, help: str) -> Lazy:
    return Lazy(f"qinglian.cli.{module}", help)


class _Qinglian(LazyGroup):
    # In the order `qinglian --help` lists them. Each help repeats its command's docstring
    # (or its group's help): the listing must not import the command to show it.
    lazy: ClassVar[dict[str, Lazy]] = {
        "escalate": _command(
            "escalate", "督办扫描：逾期事项逐级提醒并发送 / run the escalation sweep (and deliver)."
        ),
        "serve": _command(
            "serve",
            "在本机提供各部署，供 Prefect 界面触发 / serve the deployments for the Prefect UI.",
        ),
        "portal": _command("portal", "运行单位网络直报门户 / serve the units' web portal."),
        "status": _command("status", "上报进度及逐级汇总 / reporting progress rolled up the tree."),
        "report": _command(
            "report",
            "书面综合情况报告（Word 公文/Markdown/PDF）/ write the comprehensive report of a subtree.",
        ),
        "demo": _command(
            "demo",
            "运行专项活动演示（默认 2012 年防止利益冲突专项活动）/ run a campaign demo end to end.",
        ),
        "db": _group("db", "数据库 / database"),
        "prefect": _group("prefect_setup", "Prefect 服务设置 / Prefect server setup"),
        "units": _group("units", "单位 / org units"),
        "users": _group("users", "门户账号 / portal accounts"),
        "cadres": _group("cadres", "适用对象干部 / in-scope cadres"),
        "templates": _group("templates", "活动模板 / campaign templates"),
        "campaign": _group("campaign", "专项活动 / campaigns"),
        "phase": _group("phase", "阶段 / phases"),
        "plan": _group("plan", "本单位实施方案与时限 / a unit's own plan and calendar"),
        "deliver": _group("deliver", "登记上报事项 / record deliverables"),
        "forms": _group("forms", "《报告表》/ declaration forms"),
        "rules": _group("rules", "制度清单 / rules review"),
        "findings": _group("findings", "问题线索 / findings"),
        "complaints": _group("complaints", "信访举报（保密）/ complaints (confidential)"),
        "rectify": _group("rectify", "整改纠正 / rectification"),
        "outbox": _group("outbox", "发件箱 / notification outbox"),
        "intake": _group("intake", "邮件回收：各单位回复的工作簿 / workbooks returned by e-mail"),
        "summary": _group("summary", "阶段性总结 / phase summaries"),
        "inspect": _group(
            "inspect",
            "检查组抽查与年终考核 / inspection sampling, results and the year-end assessment",
        ),
    }

    # Every usage error is raised while a context is made (the root's options) or while the
    # root invokes a command (the command's own parsing): said here, they become the one
    # bilingual line and an exit code, and Click's standalone handling stays as it is.
    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with _one_line():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line():
            return super().invoke(ctx)


@contextmanager
def _one_line() -> Iterator[None]:
    """Click's own failures as one bilingual line: a usage error exits 2, an abort 1."""
    try:
        yield
    except NoArgsIsHelpError:
        raise  # a group typed alone: Typer has printed its help
    except UsageError as exc:
        error_line(*usage_message(exc))
        raise typer.Exit(exc.exit_code) from None
    except ClickException as exc:
        error_line("命令失败", exc.format_message())
        raise typer.Exit(exc.exit_code) from None
    except typer.Abort:
        error_line("已中止", "aborted")
        raise typer.Exit(1) from None
    except QinglianError as exc:  # raised outside a command's own handler
        error_line(exc.zh, exc.en)
        raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Qinglian,
    help="清廉 qinglian — 卫生系统专项活动编排 / health-system integrity campaigns on Prefect",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    # Typer makes a group only of an app with a callback or registered commands, and every
    # command here is lazy; the options all belong to the subcommands.
    pass


def main() -> None:
    app()
