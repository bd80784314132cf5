"""Text as complaints write it, folded into what matching compares.

Plain functions over strings: no database, no Prefect.

- traditional → simplified (OpenCC ``t2s``);
- full-width ASCII → half-width (the NFKC mapping of U+FF01–FF5E, and U+3000 → space);
- web-copy pinyin glosses removed (``衛(wèi)生局`` → ``卫生局``, also ``（wei4）``);
- runs of whitespace folded, or removed inside names (``顾  扬`` → ``顾扬``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
# Full-width ASCII (！ … ～) to ASCII, and the ideographic space to a space: exactly what NFKC
# does in that range, leaving CJK punctuation such as 、。「」 alone.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_PINYIN_LETTERS = "A-Za-z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f:"
_GLOSS = re.compile(
    rf"(?<=[{_CJK}])\s*\(\s*([{_PINYIN_LETTERS}]+[1-5]?(?:[\s']+[{_PINYIN_LETTERS}]+[1-5]?)*)\s*\)(?:\s+(?=[{_CJK}]))?"
)
_PUNCTUATION = re.compile(
    r"[\s\u3000,.;:!?'\"()\[\]{}<>、，。；：！？“”‘’「」『』（）【】《》〈〉…—\-_/\\|]+"
)


def to_halfwidth(text: str) -> str:
    """Full-width ASCII letters, digits and punctuation, and the ideographic space, as ASCII."""
    return text.translate(_HALFWIDTH)


def to_simplified(text: str) -> str:
    """Traditional characters as simplified ones (OpenCC t2s)."""
    return _T2S.convert(text) if _HAS_CJK.search(text) else text


def strip_pinyin_glosses(text: str) -> str:
    """Remove pinyin glosses in brackets after a character: ``衛(wèi)生局`` → ``衛生局``.

    Only brackets holding valid pinyin syllables (tone-marked, numbered or plain) right after a
    CJK character are removed; ``卫生局(health bureau)`` is kept.
    """
    return _GLOSS.sub(lambda match: "" if _is_pinyin(match.group(1)) else match.group(0), text)


def normalise_text(text: str) -> str:
    """Half-width, glosses removed, simplified, runs of whitespace as one space, stripped."""
    text = strip_pinyin_glosses(to_halfwidth(text))
    return _SPACES.sub(" ", to_simplified(text)).strip()


def normalise_content(text: str) -> str:
    """Complaint text folded for duplicate detection: no whitespace or punctuation, case-folded."""
    return _PUNCTUATION.sub("", normalise_text(text)).casefold()


def without_spaces(text: str) -> str:
    """``text`` with every kind of whitespace (ideographic, no-break, zero-width) removed."""
    return _SPACES.sub("", text)


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds at least one CJK ideograph."""
    return _HAS_CJK.search(text) is not None


def plain_latin(text: str) -> str:
    """Tone marks and digits of tones dropped, ü/v/u: as u, lower case."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.casefold().replace("u:", "u").replace("v", "u")


def _is_pinyin(gloss: str) -> bool:
    syllables = _pinyin_syllables()
    return all(
        plain_latin(token).rstrip("12345") in syllables
        for token in re.split(r"[\s']+", gloss)
        if token
    )


@lru_cache(maxsize=1)
def _pinyin_syllables() -> frozenset[str]:
    # Imported on the first gloss-shaped bracket only: importing pypinyin loads its phrase
    # dictionary (measured ~0.25 s), which text without glosses never needs.
    from pypinyin.pinyin_dict import pinyin_dict

    found: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            found.add(plain_latin(reading))
    return frozenset(found)
