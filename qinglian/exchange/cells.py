"""Cell parsers: text, codes, dates, yes/no and whole numbers as offices write them in Excel."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

# Excel's error literals (and the newer dynamic-array ones); exported CSV carries them as text.
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#EXTERNAL!",
        "#PYTHON!",
    }
)

# Characters Excel and WPS leave around a value that nobody can see.
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
BLANK = " \t\r\n\u3000\xa0" + INVISIBLE
_EDGE_BLANKS = re.compile(rf"^[\s{INVISIBLE}]+|[\s{INVISIBLE}]+$")
# Day 0 of Excel's 1900 date system, shifted for its phantom 1900-02-29 (serial 60).
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


def is_excel_error(value: Any) -> bool:
    """True for an Excel error literal such as ``#N/A`` or ``#REF!``."""
    return isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS


def excel_error_keys(record: Mapping[str, Any]) -> list[str]:
    """The keys of a row whose cells hold an Excel error value."""
    return [key for key, value in record.items() if is_excel_error(value)]


def excel_error_reason(value: Any) -> tuple[str, str]:
    """The bilingual reason for a cell holding an Excel error value."""
    shown = str(value).strip()
    return (
        f"单元格是 Excel 错误值 {shown}，请修正公式或填写实际值",
        f"the cell holds the Excel error {shown}; fix the formula or enter the value",
    )


def parse_text(value: Any) -> str:
    """A cell as clean text: stripped (full-width spaces too); empty for ``None``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        # Excel stores 320700 typed into a general cell as 320700.0.
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return _EDGE_BLANKS.sub("", str(value))


def parse_code(value: Any) -> str:
    """A code or staff number: clean text with full-width letters and digits folded."""
    return unicodedata.normalize("NFKC", parse_text(value)).strip()


# Unit codes and 工号: ASCII letters and digits, "-", "_" and ".", starting with a letter or
# a digit (so never ".", "..", a leading "-" read as an option, nor "/" or "\\"), at most 64
# characters (the width of both columns). Such a code is safe as a file or folder name.
CODE_MAX_LENGTH = 64
CODE_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{CODE_MAX_LENGTH - 1}}}")
_CODE_RULE = (
    f"编码只能由英文字母、数字和 - _ . 组成，以字母或数字开头，最长 {CODE_MAX_LENGTH} 个字符",
    f"a code has only letters, digits, '-', '_' and '.', starts with a letter or digit and is "
    f"at most {CODE_MAX_LENGTH} characters long",
)
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SHOWN_LENGTH = 40


def parse_identifier(value: Any, what: tuple[str, str] = ("编码", "code")) -> str:
    """A unit code or 工号 that follows :data:`CODE_PATTERN`; empty when the cell is empty.

    ``what`` names the value in the refusal (「单位编码」/ "unit code" on the command line).
    """
    text = parse_code(value)
    if not text or CODE_PATTERN.fullmatch(text):
        return text
    if len(text) > CODE_MAX_LENGTH:
        zh, en = f"共 {len(text)} 个字符，过长", f"it is {len(text)} characters long"
    elif not text[0].isascii() or not text[0].isalnum():
        what_zh, what_en = _describe(text[0])
        zh, en = f"以{what_zh}开头", f"it starts with {what_en}"
    else:
        index, char = next(
            (i, c) for i, c in enumerate(text) if not CODE_PATTERN.fullmatch("A" + c)
        )
        what_zh, what_en = _describe(char)
        zh, en = f"第 {index + 1} 个字符是{what_zh}", f"character {index + 1} is {what_en}"
    raise ValueError(
        f"{what[0]}「{shown_text(text)}」无效：{zh}；{_CODE_RULE[0]}"
        f" / invalid {what[1]} '{shown_text(text)}': {en}; {_CODE_RULE[1]}"
    )


def parse_name(value: Any) -> str:
    """A name (of a unit, a cadre, a post) as clean text, normalised to NFC.

    Control characters, zero-width characters and bidirectional-text controls are refused:
    they make two names that look the same differ, or a name display as something else.
    """
    text = unicodedata.normalize("NFC", parse_text(value))
    for index, char in enumerate(text):
        if is_hidden(char):
            what_zh, what_en = _describe(char)
            raise ValueError(
                f"第 {index + 1} 个字符是{what_zh}，名称中不允许，请删除"
                f" / character {index + 1} is {what_en}, which a name may not hold; remove it"
            )
    return text


def is_hidden(char: str) -> bool:
    """A control, format (zero-width, bidi), surrogate or line/paragraph separator character."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _describe(char: str) -> tuple[str, str]:
    """What ``char`` is, in Chinese and in English, for a message that refuses it."""
    point = f"U+{ord(char):04X}"
    if char in _ZERO_WIDTH:
        return f"零宽字符 {point}", f"the zero-width character {point}"
    if char in _BIDI:
        return f"双向文本控制符 {point}", f"the bidirectional-text control {point}"
    if unicodedata.category(char) == "Cc":
        return f"控制字符 {point}", f"the control character {point}"
    if is_hidden(char):
        return f"不可见字符 {point}", f"the invisible character {point}"
    if char.isspace():
        return f"空格 {point}", f"a space ({point})"
    if char in "/\\":
        return f"路径分隔符「{char}」", f"the path separator {char!r}"
    return f"字符「{char}」（{point}）", f"the character {char!r} ({point})"


def shown_text(value: Any) -> str:
    """A cell safe to quote in a one-line message: hidden characters as \\uXXXX, shortened."""
    text = parse_text(value)
    shown = "".join(
        f"\\u{ord(char):04x}" if is_hidden(char) or (char.isspace() and char != " ") else char
        for char in text[:_SHOWN_LENGTH]
    )
    # " / " separates the Chinese and English halves of a message.
    shown = shown.replace(" / ", " ／ ")
    return shown + "…" if len(text) > _SHOWN_LENGTH else shown


def word_key(value: Any) -> str:
    """A cell naming a vocabulary word, folded for lookup: 「 In_Progress 」→ ``inprogress``."""
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", parse_text(value)).casefold())


def parse_date(value: Any) -> date | None:
    """A date written as 2012-08-09, 2012/8/9, 2012.8.9, 2012年8月9日 or an Excel serial."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise _bad_date(value)
    if isinstance(value, int | float):
        return _from_excel_serial(value)
    text = unicodedata.normalize("NFKC", parse_text(value))
    if not text:
        return None
    match = re.fullmatch(
        r"(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?)"
        r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?",
        text,
    )
    if match:
        year, month, day = match.group(1), match.group(2) or match.group(4), match.group(3)
        day = day or match.group(5)
        hour, minute, second = match.group(6, 7, 8)
        try:
            # A time of day may follow (a timestamp pasted as a date); it must be a real one.
            time(int(hour or 0), int(minute or 0), int(second or 0))
            return date(int(year), int(month), int(day))
        except ValueError:
            raise _bad_date(value) from None
    if re.fullmatch(r"(19|20)\d{6}", text):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            raise _bad_date(value) from None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _from_excel_serial(float(text))
    raise _bad_date(value)


def _from_excel_serial(serial: float) -> date:
    if not math.isfinite(serial) or serial < 1 or serial >= _EXCEL_MAX_SERIAL + 1:
        raise ValueError(
            f"日期序号 {serial:g} 超出 Excel 日期范围（1 – {_EXCEL_MAX_SERIAL}）"
            f" / date serial {serial:g} is outside Excel's range (1 – {_EXCEL_MAX_SERIAL})"
        )
    days = int(serial)
    if days == 60:
        raise ValueError(
            "日期序号 60 是 Excel 虚构的 1900-02-29 / serial 60 is Excel's non-existent 1900-02-29"
        )
    if days < 60:
        days += 1  # serials before the phantom leap day are one day behind
    return _EXCEL_EPOCH + timedelta(days=days)


def _bad_date(value: Any) -> ValueError:
    return ValueError(
        f"无法识别的日期「{value}」，请写成 2012-08-09、2012/8/9 或 2012年8月9日"
        f" / unrecognised date {str(value)!r}; write 2012-08-09, 2012/8/9 or 2012年8月9日"
    )


_TRUE = frozenset({"是", "y", "yes", "true", "t", "1", "1.0", "√", "✓", "✔", "对"})
_FALSE = frozenset({"否", "n", "no", "false", "f", "0", "0.0", "×", "✗", "✘", "不是", "错"})


def parse_bool(value: Any) -> bool | None:
    """是/否, Y/N, yes/no, true/false, 1/0 or √/×; ``None`` when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = unicodedata.normalize("NFKC", parse_text(value)).casefold()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(
        f"无法识别的是/否值「{value}」，请填写“是”或“否” / unrecognised yes/no value "
        f"{str(value)!r}; write 是 or 否 (yes or no)"
    )


def parse_int(value: Any) -> int | None:
    """A whole number (3, 3.0, "３", "1,200"); ``None`` when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad_int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _bad_int(value)
    text = unicodedata.normalize("NFKC", parse_text(value)).replace(",", "")
    if not text:
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d+\.0*", text):
        return int(text.split(".")[0])
    raise _bad_int(value)


def _bad_int(value: Any) -> ValueError:
    return ValueError(f"「{value}」不是整数 / {str(value)!r} is not a whole number")


def split_reason(message: str) -> tuple[str, str]:
    """Split a parser's "中文 / English" message into its two halves."""
    zh, separator, en = message.partition(" / ")
    return (zh, en) if separator else (message, message)
