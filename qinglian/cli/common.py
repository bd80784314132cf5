"""What every `qinglian` command shares: the consoles, the one-line bilingual error, and the
parsers of typed options (ids, whole numbers, dates). Imported by the CLI modules, never by the
rest of the package."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from qinglian.core.clock import today_in_china
from qinglian.core.errors import ImportRejected, QinglianError
from qinglian.exchange.cells import parse_date, split_reason

# No Rich markup anywhere: unit names, file names and codes come from users and may hold "[".
console = Console(markup=False, highlight=False)
err = Console(stderr=True, markup=False, highlight=False)
F = TypeVar("F", bound=Callable[..., Any])
LARGEST_ID = 2**31 - 1  # PostgreSQL's integer
_ROWS_SHOWN = 50

# The options most commands share, so they read and help alike everywhere.
CampaignArg = Annotated[str, typer.Argument(help="专项活动编号 campaign id")]
CampaignOption = Annotated[str, typer.Option(help="专项活动编号 campaign id")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="按此日期 as-of date")]
AsOfToday = Annotated[str | None, typer.Option("--as-of", help="今天 today")]


def error_line(zh: str, en: str) -> None:
    """One line on stderr, never wrapped, never read as Rich markup (it may quote user input)."""
    line = Text("错误 / error: ", style="red")
    line.append(f"{zh} / {en}")
    err.print(line, soft_wrap=True)


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

    return wrapper  # type: ignore[return-value]


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


def campaign_id_option(text: str) -> int:
    return id_option(text, "专项活动编号", "campaign id")


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
