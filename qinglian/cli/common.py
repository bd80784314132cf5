"""What every `qinglian` command shares: the consoles, the one-line bilingual error, and the
parsers of typed options (ids, unit codes and 工号, whole numbers, dates). Imported by the CLI
modules, never by the rest of the package."""

from __future__ import annotations

import errno
import functools
import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args

import typer
from rich.console import Console

from models.flow_inputs import RunLevel
from qinglian.cli.usage import BadValue, err, error_line
from qinglian.core.clock import today_in_china
from qinglian.core.errors import ImportRejected, QinglianError
from qinglian.exchange.cells import parse_date, parse_identifier, split_reason

# No Rich markup anywhere: unit names, file names and codes come from users and may hold "[".
console = Console(markup=False, highlight=False)
F = TypeVar("F", bound=Callable[..., Any])
E = TypeVar("E", bound=StrEnum)
LARGEST_ID = 2**31 - 1  # PostgreSQL's integer
# How Prefect says its embedded API server did not answer in time (prefect/server/api/server.py).
EPHEMERAL_TIMEOUT = "Timed out while attempting to connect to ephemeral Prefect API server"
_ROWS_SHOWN = 50

# The options most commands share, so they read and help alike everywhere.
AsOf = Annotated[str | None, typer.Option("--as-of", help="按此日期 as-of date")]
AsOfToday = Annotated[str | None, typer.Option("--as-of", help="今天 today")]


# Why the system refused a file, in Chinese (the English is the system's own words).
_OS_REASONS = {
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EISDIR: "这是一个文件夹",
    errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.ENOENT: "不存在",
    errno.EEXIST: "已存在",
    errno.EROFS: "只读文件系统",
    errno.ENOSPC: "磁盘已满",
}


def friendly(func: F) -> F:
    """Expected failures print one bilingual line (and the rejected rows) and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImportRejected as exc:
            error_line(exc.zh, exc.en)
            for row in exc.errors[:_ROWS_SHOWN]:
                err.print(f"  {row}", highlight=False, markup=False, soft_wrap=True)
            if len(exc.errors) > _ROWS_SHOWN:
                more = len(exc.errors) - _ROWS_SHOWN
                err.print(f"  … 另有 {more} 行 / {more} more rows")
            raise typer.Exit(1) from None
        except QinglianError as exc:
            error_line(exc.zh, exc.en)
            raise typer.Exit(1) from None
        except OSError as exc:
            # Every place a file is read or written: a folder, a missing folder, a read-only place.
            error_line(*os_error_message(exc))
            raise typer.Exit(1) from None
        except RuntimeError as exc:
            if not str(exc).startswith(EPHEMERAL_TIMEOUT):
                raise
            error_line(
                "Prefect 内置服务未能按时启动（机器负载过高？），请稍后重试，"
                "或设置 PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS 延长等待",
                "Prefect's embedded API server did not start in time (a loaded machine?); try "
                "again, or raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def os_error_message(exc: OSError) -> tuple[str, str]:
    """What the system refused (a file, when it names one), as (Chinese, English)."""
    reason_zh = _OS_REASONS.get(exc.errno or 0, exc.strerror or "系统错误")
    reason_en = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return f"系统拒绝了操作：{reason_zh}", f"the system refused: {reason_en}"
    where = str(exc.filename)
    return f"无法读写「{where}」：{reason_zh}", f"cannot read or write {where!r}: {reason_en}"


def whole_number(text: str, largest: int, zh: str, en: str) -> int:
    """A non-negative whole number typed as an option; ``zh``/``en`` name what it is."""
    value = _whole(text, 19, largest)
    if value is None:
        raise QinglianError(
            f"{zh}应为 0 到 {largest} 之间的整数，而不是「{text}」",
            f"{en} must be a whole number from 0 to {largest}, not {text!r}",
        )
    return value


def id_option(text: str, zh: str, en: str) -> int:
    """A row id typed on the command line; ``zh``/``en`` name what it identifies."""
    value = _whole(text, 10, LARGEST_ID)
    if value is None:
        raise QinglianError(
            f"{zh}应为正整数，而不是「{text}」", f"a {en} is a whole number, not {text!r}"
        )
    return value


def id_parser(zh: str, en: str) -> Callable[[str | int], int]:
    """Parses an id argument as the command line is read: 1 to 2³¹−1, else a usage error."""

    def parse(text: str | int) -> int:
        if isinstance(text, int):  # a default, already a number
            return text
        value = _whole(text, 10, LARGEST_ID)
        if value is None or value < 1:
            raise BadValue(
                f"{zh}应为 1 到 {LARGEST_ID} 之间的整数，而不是「{text}」",
                f"a {en} is a whole number from 1 to {LARGEST_ID}, not {text!r}",
            )
        return value

    return parse


def count_parser(zh: str, en: str, largest: int) -> Callable[[str | int], int]:
    """Parses a count option (0 to ``largest``) as the command line is read."""

    def parse(text: str | int) -> int:
        if isinstance(text, int):
            return text
        value = _whole(text, 19, largest)
        if value is None:
            raise BadValue(
                f"{zh}应为 0 到 {largest} 之间的整数，而不是「{text}」",
                f"{en} must be a whole number from 0 to {largest}, not {text!r}",
            )
        return value

    return parse


def code_parser(zh: str, en: str) -> Callable[[str], str]:
    """Parses a unit code or 工号 as the command line is read: one that breaks
    :data:`qinglian.exchange.cells.CODE_PATTERN` is a usage error saying which character and
    why. A well-formed code nobody has is left to the command's own "no such unit"."""

    def parse(text: str) -> str:
        try:
            code = parse_identifier(text, (zh, en))
        except ValueError as exc:
            raise BadValue(*split_reason(str(exc))) from None
        if not code:
            raise BadValue(f"{zh}不能为空", f"the {en} is empty")
        return code

    return parse


# ``typer.Argument(**UNIT_CODE, help=…)``: every unit code and 工号 typed is checked alike.
UNIT_CODE: dict[str, Any] = {"parser": code_parser("单位编码", "unit code"), "metavar": "CODE"}
STAFF_NO: dict[str, Any] = {"parser": code_parser("工号", "staff number"), "metavar": "STAFF_NO"}


def coded(enum: type[E], zh: str, en: str) -> dict[str, Any]:
    """The ``parser`` and ``metavar`` of an option holding one of ``enum``'s values: ``--help``
    lists the values, and any other value is a usage error naming them."""
    values = [member.value for member in enum]

    def parse(text: str | E) -> E:
        if isinstance(text, enum):
            return text
        if text in values:
            return enum(text)
        raise BadValue(
            f"{zh}应为 {'、'.join(values)} 之一，而不是「{text}」",
            f"{en} must be one of {', '.join(values)}, not {text!r}",
        )

    return {"parser": parse, "metavar": f"[{'|'.join(values)}]"}


def _run_depth(text: str) -> str:
    levels = get_args(RunLevel)
    if text not in levels:
        raise BadValue(
            f"单位流程层级应为 {'、'.join(levels)} 之一，而不是「{text}」",
            f"the run depth must be one of {', '.join(levels)}, not {text!r}",
        )
    return text


# How far down a phase's unit runs go, for one run (the campaign's own setting otherwise).
RunsDownTo = Annotated[
    str | None,
    typer.Option(
        "--runs-down-to",
        parser=_run_depth,
        metavar=f"[{'|'.join(get_args(RunLevel))}]",
        help="本次单位流程运行到哪一级，其下单位作为表格行；默认取专项活动的设置 / run depth",
    ),
]


def require_xlsx(out: Path) -> None:
    """An output workbook's name must say it is one: a ``.csv`` name would hide an XLSX."""
    if out.suffix.lower() != ".xlsx":
        raise QinglianError(
            f"输出文件应以 .xlsx 结尾，而不是「{out.name}」",
            f"the output file must end in .xlsx, not {out.name!r}",
        )


def campaign_id_option(text: str | int) -> int:
    """A campaign id: parsed already when the command line was read, or parsed now."""
    return text if isinstance(text, int) else id_option(text, "专项活动编号", "campaign id")


# A campaign id is parsed as the command line is read, as every other id: 1 to 2³¹−1, else a
# usage error (exit 2).
parse_campaign_id = id_parser("专项活动编号", "campaign id")
CampaignArg = Annotated[
    int,
    typer.Argument(parser=parse_campaign_id, metavar="CAMPAIGN", help="专项活动编号 campaign id"),
]
CampaignOption = Annotated[
    int, typer.Option(parser=parse_campaign_id, metavar="CAMPAIGN", help="专项活动编号 campaign id")
]
AnyCampaign = Annotated[
    int | None,
    typer.Option(parser=parse_campaign_id, metavar="CAMPAIGN", help="专项活动编号 campaign id"),
]


def _whole(text: str, most_digits: int, largest: int) -> int | None:
    digits = text.strip()
    if not re.fullmatch(f"[0-9]{{1,{most_digits}}}", digits) or int(digits) > largest:
        return None
    return int(digits)


def date_option(text: str | None, zh: str, en: str) -> date | None:
    """A date option (every form the importers accept); ``zh``/``en`` name it."""
    if text is None:
        return None
    try:
        value = parse_date(text)
    except ValueError as exc:
        reason_zh, reason_en = split_reason(str(exc))
        raise QinglianError(f"{zh}：{reason_zh}", f"{en}: {reason_en}") from exc
    if value is None:
        raise QinglianError(f"{zh}不能为空", f"{en} must not be empty")
    return value


def required_date(text: str, zh: str, en: str) -> date:
    """A date option that has no default."""
    value = date_option(text, zh, en)
    assert value is not None  # date_option returns None only for a missing option
    return value


def as_of_or_today(text: str | None) -> date:
    """The ``--as-of`` day, today in China when not given."""
    return date_option(text, "日期", "as-of") or today_in_china()
