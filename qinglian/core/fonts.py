"""The CJK font the project ships, for every picture it draws (督办榜, report charts).

A server has no Chinese font of its own (Debian installs none by default), and matplotlib would
draw boxes. The font comes from a PyPI dependency instead: ``pylopdf-fonts-zh-cn``, a data-only
wheel holding Noto Sans SC 2.004 (the Simplified Chinese subset of Noto Sans CJK, Adobe/Google,
SIL Open Font License 1.1, licence shipped beside it). It covers all 6,763 hanzi of GB 2312 and
draws 们/骨/直 the mainland way. ``mplfonts`` was the other candidate: it also bundles SimHei,
whose licence forbids redistribution, and no licence text for its Noto files.

The file is registered with matplotlib's font manager once per process; nothing is written to
matplotlib's data folder or configuration, so a fresh ``MPLCONFIGDIR`` draws the same.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pylopdf_fonts_zh_cn
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

from qinglian.core.errors import QinglianError

# The family name in the font's own name table (name ID 1).
CJK_FAMILY = "Noto Sans SC"
CJK_PACKAGE = "pylopdf-fonts-zh-cn"


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
def _registered() -> str:
    path = cjk_font_path()
    if not path.is_file():
        raise QinglianError(
            f"未找到随软件发布的中文字体（{CJK_PACKAGE}），请重新安装依赖",
            f"the shipped CJK font ({CJK_PACKAGE}) is missing; reinstall the dependencies",
        )
    font_manager.fontManager.addfont(str(path))
    return CJK_FAMILY
