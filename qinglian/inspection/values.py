"""An inspection result's values as written: the score, a problem's category and description."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from models.enums import FindingCategory
from qinglian.core.errors import QinglianError
from qinglian.exchange.cells import parse_text
from qinglian.rules.categories import parse_alleged_category

_SPACES = re.compile(r"[\s\u3000\xa0]+")


def check_score(score: float) -> float:
    """An inspection score: a finite number from 0 to 100."""
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise QinglianError(
            f"抽查得分须为 0 到 100 之间的数，而不是「{score}」",
            f"the score must be a number from 0 to 100, not {score!r}",
        )
    if not 0 <= score <= 100:
        raise QinglianError(
            f"抽查得分 {score:g} 超出范围（应在 0 到 100 之间）",
            f"the score {score:g} is out of range (0 to 100)",
        )
    return float(score)


def parse_score(value: Any) -> float:
    """得分 as written: 85, 85.5, "85分", "８５"; a number from 0 to 100."""
    if isinstance(value, bool):
        raise _bad_score(value)
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", parse_text(value)).removesuffix("分").strip()
        if not text:
            raise ValueError("得分不能为空 / the score is empty")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise _bad_score(value)
        number = float(text)
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise ValueError(
            f"得分 {parse_text(value)} 超出范围（应在 0 到 100 之间）"
            f" / the score {parse_text(value)} is out of range (0 to 100)"
        )
    return number


def _bad_score(value: Any) -> ValueError:
    return ValueError(
        f"得分「{parse_text(value)}」不是数字（应为 0 到 100 之间的数）"
        f" / the score {parse_text(value)!r} is not a number (expected 0 to 100)"
    )


def parse_problem_category(value: Any) -> FindingCategory:
    """问题类别: a category's label, a short form (隐瞒不报, 兼职取酬 …) or its value."""
    raw = parse_text(value)
    if not raw:
        raise ValueError("问题类别不能为空 / the problem category is empty")
    category = parse_alleged_category(raw)
    if category is None:
        raise ValueError(
            f"无法识别的问题类别「{raw}」（可选：{'；'.join(c.label for c in FindingCategory)}）"
            f" / unknown problem category {raw!r} (expected one of:"
            f" {', '.join(c.value for c in FindingCategory)})"
        )
    return category


def normalise_summary(text: str) -> str:
    """A problem's description as stored and compared: inner whitespace runs single."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
