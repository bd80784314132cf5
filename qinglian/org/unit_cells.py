"""Cell parsers for the unit file: 层级, 类型, 简称, e-mail addresses, notification targets and
the contacts' mobile numbers."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from models.enums import LEVEL_LABELS, UNIT_KIND_LABELS, Level, UnitKind
from qinglian.exchange.cells import parse_name, parse_text, shown_text

_LEVEL_WORDS: dict[str, Level] = {
    **{level.value: level for level in Level},
    **{label: level for level, label in LEVEL_LABELS.items()},
    "卫生部": Level.ministry,
    "部级": Level.ministry,
    "省级": Level.province,
    "地市": Level.city,
    "盟市": Level.city,
    "市级": Level.city,
    "地市级": Level.city,
    "县区": Level.county,
    "区县": Level.county,
    "县级": Level.county,
    "医院": Level.institution,
    "医疗卫生单位": Level.institution,
    "机构": Level.institution,
    "部门": Level.department,
    "内设部门": Level.department,
}

_KIND_WORDS: dict[str, UnitKind] = {
    **{kind.value: kind for kind in UnitKind},
    **{label: kind for kind, label in UNIT_KIND_LABELS.items()},
    "行政": UnitKind.health_admin,
    "卫生行政": UnitKind.health_admin,
    "医疗卫生单位": UnitKind.public_medical,
    "公立医疗": UnitKind.public_medical,
    "医疗": UnitKind.public_medical,
    "直属": UnitKind.affiliated,
}

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_ALIAS_SEPARATORS = re.compile(r"[、,，;；\n]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_MOBILE_SEPARATORS = re.compile(r"[\s\-()（）]+")
_MOBILE_PREFIX = re.compile(r"^(?:\+86|0086|86(?=\d{11}$))")


def parse_level(value: Any) -> Level:
    """层级: the English value or a Chinese name (省, 地市, 医院, 科室 …)."""
    text = _word(value)
    if not text:
        raise ValueError("层级不能为空 / the level is empty")
    if text in _LEVEL_WORDS:
        return _LEVEL_WORDS[text]
    raise ValueError(
        f"无法识别的层级「{shown_text(value)}」（应为 部/省/市/县/单位/科室）"
        f" / unknown level '{shown_text(value)}' (expected one of {', '.join(Level)})"
    )


def parse_kind(value: Any) -> UnitKind:
    """类型: the English value or 卫生行政部门 / 公立医疗卫生单位 / 直属单位."""
    text = _word(value)
    if not text:
        raise ValueError("单位类型不能为空 / the unit kind is empty")
    if text in _KIND_WORDS:
        return _KIND_WORDS[text]
    raise ValueError(
        f"无法识别的单位类型「{shown_text(value)}」（应为 卫生行政部门/公立医疗卫生单位/直属单位）"
        f" / unknown unit kind '{shown_text(value)}' (expected one of {', '.join(UnitKind)})"
    )


def parse_aliases(value: Any) -> list[str]:
    """简称: several names separated by 、 , ， ; ； or line breaks, each a clean name."""
    parts = (parse_name(part) for part in _ALIAS_SEPARATORS.split(parse_text(value)))
    return list(dict.fromkeys(part for part in parts if part))


def parse_email(value: Any) -> str | None:
    """An e-mail address, or ``None`` when empty."""
    text = unicodedata.normalize("NFKC", parse_text(value))
    if not text:
        return None
    if not _EMAIL.fullmatch(text):
        raise ValueError(
            f"邮箱地址「{shown_text(text)}」格式不正确"
            f" / '{shown_text(text)}' is not a valid e-mail address"
        )
    return text


def parse_target_name(value: Any) -> str | None:
    """A notification target name; a URL is refused because it would carry the secret."""
    text = parse_name(value)
    if not text:
        return None
    if "://" in text:
        # The value is never echoed: a webhook URL embeds its access token.
        raise ValueError(
            "只填写通知目标名称，不得填写含密钥的地址"
            " / give a notification target name, not a URL (URLs carry secrets)"
        )
    return text


def parse_mobile(value: Any) -> str | None:
    """A mainland mobile number (11 digits, 13x–19x), or ``None`` when empty.

    Spaces, dashes and a ``+86`` (or ``0086``) prefix are allowed and dropped. A mobile number
    is personal data: a refusal never repeats it.
    """
    text = _MOBILE_SEPARATORS.sub("", unicodedata.normalize("NFKC", parse_text(value)))
    if not text:
        return None
    digits = _MOBILE_PREFIX.sub("", text)
    if not _MOBILE.fullmatch(digits):
        raise ValueError(
            "手机号码格式不正确，应为以13–19开头的11位大陆手机号（可带 +86、空格或短横线）"
            " / not a mainland mobile number: 11 digits starting 13–19 (+86, spaces and dashes"
            " allowed)"
        )
    return digits


def _word(value: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", parse_text(value)).casefold())
