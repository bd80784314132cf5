"""The one bilingual error line, and Click's usage errors put into it.

Light on purpose: the root command imports this module, so it loads neither the database nor
the rest of the package (``qinglian --help`` stays fast).
"""

from __future__ import annotations

import re

import typer
from rich.console import Console
from rich.text import Text
from typer._click.exceptions import (  # typer vendors Click; these are the classes it raises
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoSuchOption,
    UsageError,
)

err = Console(stderr=True, markup=False, highlight=False)

_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEGATIVE = re.compile(r"-[0-9]+")
_NO_SUCH_COMMAND = re.compile(r"No such command '(.*)'\.")
_EXTRA = re.compile(r"Got unexpected extra argument\(s\) \((.*)\)")
# What would break the one line or reorder it on a terminal: control characters, line and
# paragraph separators, zero-width and bidi controls. A file name may hold any of them.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


class BadValue(typer.BadParameter):
    """A value refused while the command line is parsed, said in both languages (exit 2)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def error_line(zh: str, en: str) -> None:
    """One line on stderr, never wrapped, never read as Rich markup (it may quote user input)."""
    line = Text("错误 / error: ", style="red")
    line.append(visible(f"{zh} / {en}"))
    err.print(line, soft_wrap=True)


def visible(text: str) -> str:
    """``text`` with every invisible or line-breaking character written as its escape (\\n)."""
    return _INVISIBLE.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


def usage_message(exc: UsageError) -> tuple[str, str]:
    """Click's usage error as (Chinese, English), with where to read the command's usage
    when Click says which command it was parsing."""
    zh, en = _explain(exc)
    if exc.ctx is None:
        return zh, en
    path = exc.ctx.command_path
    return f"{zh}（用法见 `{path} --help`）", f"{en} (see `{path} --help`)"


def _explain(exc: UsageError) -> tuple[str, str]:
    if isinstance(exc, BadValue):
        return exc.zh, exc.en
    if isinstance(exc, MissingParameter):
        kind = (
            "参数" if exc.param is not None and exc.param.param_type_name == "argument" else "选项"
        )
        return f"缺少{kind}{_hint(exc)}{_label(exc)}", exc.format_message().rstrip(".")
    if isinstance(exc, BadParameter):
        return f"{_hint(exc)}{_label(exc)}的值无效", exc.format_message().rstrip(".")
    if isinstance(exc, NoSuchOption):
        if _NEGATIVE.fullmatch(exc.option_name):
            return (
                f"「{exc.option_name}」不是有效的编号（编号是正整数），也不是选项",
                f"{exc.option_name!r} is not a valid id (ids are positive whole numbers) "
                "nor an option",
            )
        return f"没有选项「{exc.option_name}」", exc.format_message().rstrip(".")
    if isinstance(exc, BadOptionUsage):
        message = exc.format_message().rstrip(".")
        if message.endswith("requires an argument"):
            return f"选项「{exc.option_name}」后面缺少取值", message
        if message.endswith("does not take a value"):
            return f"选项「{exc.option_name}」不带取值", message
        return f"选项「{exc.option_name}」用法有误", message
    message = exc.format_message()
    if match := _NO_SUCH_COMMAND.fullmatch(message):
        return f"没有命令「{match.group(1)}」", message.rstrip(".")
    if match := _EXTRA.fullmatch(message):
        return f"多余的参数：{match.group(1)}", message
    if message == "Missing command.":
        return "缺少子命令", "missing command"
    return "命令行有误", message.rstrip(".")


def _hint(exc: BadParameter) -> str:
    # "'--send' / '--no-send'": the Chinese half must not hold the line's " / " separator.
    if exc.param is None:
        return ""
    return "「" + exc.param.get_error_hint().replace("'", "").replace(" / ", "、") + "」"


def _label(exc: BadParameter) -> str:
    """The Chinese words of the parameter's help (``案件编号 case id`` → ``（案件编号）``)."""
    help_text = getattr(exc.param, "help", None) or ""
    first = help_text.split(" ", 1)[0]
    return f"（{first}）" if _CJK.search(first) else ""
