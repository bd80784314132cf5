"""The CJK font the project ships, for every picture it draws (督办榜, report charts).

A server has no Chinese font of its own (Debian installs none by default), and matplotlib would
draw boxes. The font comes from a PyPI dependency instead: ``pylopdf-fonts-zh-cn``, a data-only
wheel holding Noto Sans SC 2.004 (the Simplified Chinese subset of Noto Sans CJK, Adobe/Google,
SIL Open Font License 1.1, licence shipped beside it). It covers all 6,763 hanzi of GB 2312 and
draws 们/骨/直 the mainland way. ``mplfonts`` was the other candidate: it also bundles SimHei,
whose licence forbids redistribution, and no licence text for its Noto files.

Two ways to draw with it:

- matplotlib (charts): the file is registered with matplotlib's font manager once per process;
  nothing is written to matplotlib's data folder or configuration, so a fresh ``MPLCONFIGDIR``
  draws the same. A glyph the font lacks falls back to another font, with a warning.
- Pillow (the 督办榜, drawn thousands of times a sweep): :func:`cjk_text_mask` gives a line's
  ink as a coverage mask, put together from glyphs rasterised once per size and process
  (:func:`cjk_image_font` is the FreeType face behind them, one per size). Pillow never falls
  back: a character the font lacks is drawn as the font's empty box, silently. So the text
  goes through :func:`cjk_drawable` first, which checks every character against the font's
  own character map (:func:`cjk_codepoints`) and puts :data:`MISSING_GLYPH` in its place.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

import pylopdf_fonts_zh_cn
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from PIL import Image, ImageDraw, ImageFont

from qinglian.core.errors import QinglianError

# The family name in the font's own name table (name ID 1).
CJK_FAMILY = "Noto Sans SC"
CJK_PACKAGE = "pylopdf-fonts-zh-cn"
# 〓 (GETA MARK): the mark Chinese and Japanese typesetting has long put where the type case
# lacks a character (缺字). It is in the font, reads as "a character is missing here" rather than
# as a drawing fault, and is as wide as the hanzi it stands for, so the layout does not shift.
MISSING_GLYPH = "\u3013"


def cjk_font_path() -> Path:
    """The shipped Simplified Chinese font file (OpenType/CFF)."""
    return pylopdf_fonts_zh_cn.sans_path()


def cjk_family() -> str:
    """The family name to draw Chinese with, registered with matplotlib's font manager."""
    return _registered()


def cjk_font(size: float | None = None) -> FontProperties:
    """Font properties that draw Chinese (and Latin, digits) from the shipped font file itself.

    By file, not by family: no lookup can pick another font (``MPL_IGNORE_SYSTEM_FONTS``, for
    one, makes matplotlib look up families among its bundled fonts only). The font has one
    weight (Regular): asking for bold would only log a fallback warning.
    """
    cjk_family()
    return FontProperties(fname=cjk_font_path(), size=size)


@cache
def cjk_image_font(size: float) -> ImageFont.FreeTypeFont:
    """The shipped font for Pillow at ``size`` pixels (the em), loaded once per size and process.

    Basic layout (FreeType alone, as matplotlib lays text out) rather than Raqm: CJK needs no
    shaping, it is faster, and a machine with or without libraqm draws the same pixels. Draw
    only text that went through :func:`cjk_drawable`. One face is shared by every caller:
    Pillow renders under the GIL (a per-font critical section without it), so threads take
    turns on it.
    """
    return ImageFont.truetype(str(_checked_path()), size, layout_engine=ImageFont.Layout.BASIC)


@cache
def cjk_codepoints() -> frozenset[int]:
    """Every character the shipped font has a glyph for (its best Unicode ``cmap``)."""
    return frozenset(TTFont(_checked_path(), lazy=True).getBestCmap())


def cjk_missing(text: str) -> list[str]:
    """The characters of ``text`` the shipped font has no glyph for, in order, each once."""
    known = cjk_codepoints()
    return list(dict.fromkeys(char for char in text if ord(char) not in known))


def cjk_drawable(text: str, *, substitute: str = MISSING_GLYPH) -> str:
    """``text`` with only characters the shipped font draws.

    A character the font lacks becomes ``substitute`` (a rare hanzi in a unit's name: 〓), except
    white space (a space) and invisible marks with nothing to draw (control and format
    characters, variation selectors, combining marks: dropped).
    """
    known = cjk_codepoints()
    if all(ord(char) in known for char in text):
        return text
    return "".join(char if ord(char) in known else _stand_in(char, substitute) for char in text)


# Characters with nothing to draw: controls, formats (zero-width joiners, BOM), lone surrogates,
# combining marks (variation selectors among them). Private-use and unassigned characters are
# characters someone typed (older input methods put rare hanzi in private use): they stay 〓.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Mn", "Mc", "Me"})


def _stand_in(char: str, substitute: str) -> str:
    if char.isspace():
        return " "
    if unicodedata.category(char) in _INVISIBLE:
        return ""
    return substitute


class TextMask(NamedTuple):
    """A line of text's ink: coverage 0–255, its top left corner relative to the pen's start
    on the baseline (above the baseline: negative ``top``)."""

    coverage: Image.Image
    left: int
    top: int


def cjk_text_width(text: str, size: float) -> float:
    """How far the pen moves drawing ``text`` at ``size`` pixels (what the font has of it)."""
    return sum(_glyph(size, char).advance for char in cjk_drawable(text))


def cjk_text_mask(text: str, size: float) -> TextMask | None:
    """The ink of ``text`` at ``size`` pixels, or ``None`` where there is none (spaces).

    Put together from glyphs rasterised once, where ``ImageDraw.text`` would lay the string out
    and rasterise it from the outlines each time (a tenth of the time, the same pixels). Only
    what :func:`cjk_drawable` leaves is drawn: never the font's empty box.
    """
    pen, placed = 0.0, []
    for char in cjk_drawable(text):
        glyph = _glyph(size, char)
        if glyph.mask is not None:
            placed.append((glyph.mask, round(pen) + glyph.left, glyph.top))
        pen += glyph.advance
    if not placed:
        return None
    left, top = min(x for _, x, _ in placed), min(y for _, _, y in placed)
    right = max(x + mask.width for mask, x, _ in placed)
    bottom = max(y + mask.height for mask, _, y in placed)
    coverage = Image.new("L", (right - left, bottom - top))
    draw = ImageDraw.Draw(coverage)
    for mask, x, y in placed:
        draw.bitmap((x - left, y - top), mask, 255)
    return TextMask(coverage, left, top)


@cache
def cjk_middle(size: float) -> int:
    """How far above the baseline a line's middle is: the middle of an ideograph's ink (a text
    centred on it sits where matplotlib's ``va="center"`` put Chinese)."""
    _, top, _, bottom = cjk_image_font(size).getbbox("国", anchor="ls")
    return round(-(top + bottom) / 2)


class _Glyph(NamedTuple):
    mask: Image.Image | None  # the ink's coverage; None where there is none (a space)
    left: int  # from the pen to the mask's left edge
    top: int  # from the baseline to the mask's top edge
    advance: float


@lru_cache(maxsize=8192)
def _glyph(size: float, char: str) -> _Glyph:
    """One character at ``size``, rasterised once per process (a board repeats its digits and
    labels, a sweep its 医院 and 卫生局): about 1 kB each, 8,192 at most."""
    font = cjk_image_font(size)
    advance = float(font.getlength(char))
    left, top, right, bottom = font.getbbox(char, anchor="ls")
    margin = 2  # the box is FreeType's; keep whatever ink lies a pixel outside it
    canvas = Image.new("L", (right - left + 2 * margin, bottom - top + 2 * margin))
    ImageDraw.Draw(canvas).text((margin - left, margin - top), char, 255, font, anchor="ls")
    ink = canvas.getbbox()
    if ink is None:
        return _Glyph(None, 0, 0, advance)
    return _Glyph(canvas.crop(ink), left - margin + ink[0], top - margin + ink[1], advance)


def _checked_path() -> Path:
    path = cjk_font_path()
    if not path.is_file():
        raise QinglianError(
            f"未找到随软件发布的中文字体（{CJK_PACKAGE}），请重新安装依赖",
            f"the shipped CJK font ({CJK_PACKAGE}) is missing; reinstall the dependencies",
        )
    return path


@cache
def _registered() -> str:
    font_manager.fontManager.addfont(str(_checked_path()))
    return CJK_FAMILY
