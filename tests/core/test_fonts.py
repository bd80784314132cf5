"""The CJK font the project ships: a Simplified Chinese face under the OFL, drawn without
fallback where the machine has no font of its own (matplotlib), and never as the font's empty
box where it lacks a character (Pillow)."""

from __future__ import annotations

from importlib.metadata import distribution
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from PIL import Image, ImageChops, ImageDraw, ImageFont

from qinglian.core.fonts import (
    CJK_FAMILY,
    CJK_PACKAGE,
    MISSING_GLYPH,
    cjk_codepoints,
    cjk_drawable,
    cjk_family,
    cjk_font,
    cjk_font_path,
    cjk_image_font,
    cjk_missing,
    cjk_text_mask,
    cjk_text_width,
)
from tests.core.clean_fonts import draw_in_clean_fonts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What the pictures write: the board's words, and the characters whose SC form differs.
SAMPLE = "【督办榜】连云港市妇幼保健院 逾期缺报红黄绿 们骨直 9月20日（另有150个单位）"


def _gb2312_hanzi() -> list[str]:
    """The 6,763 hanzi of GB 2312 (rows 16–87)."""
    chars = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def test_the_shipped_font_is_a_simplified_chinese_face_under_the_ofl() -> None:
    font = TTFont(cjk_font_path(), lazy=True)
    names = font["name"]
    assert names.getDebugName(1) == CJK_FAMILY == "Noto Sans SC"
    assert "SIL Open Font License" in (names.getDebugName(13) or "")
    cmap = font.getBestCmap()
    hanzi = _gb2312_hanzi()
    assert len(hanzi) == 6763
    assert [c for c in hanzi if ord(c) not in cmap] == []
    assert [c for c in SAMPLE if ord(c) not in cmap] == []
    # The wheel carries the licence text beside the font, as the OFL asks.
    package = distribution(CJK_PACKAGE)
    licences = [f for f in package.files or [] if Path(str(f)).name.upper().startswith("LICENSE")]
    assert licences and "Open Font License" in licences[0].read_text(encoding="utf-8")


def test_the_family_resolves_to_the_shipped_file() -> None:
    assert cjk_family() == CJK_FAMILY
    for properties in (cjk_font(12), FontProperties(family=[CJK_FAMILY])):
        found = font_manager.findfont(properties, fallback_to_default=False)
        assert Path(found).resolve() == cjk_font_path().resolve()


def test_a_chart_draws_chinese_without_any_system_font(tmp_path: Path) -> None:
    report = draw_in_clean_fonts(
        f"""
        import io
        from qinglian.core.fonts import cjk_family, cjk_font

        def draw():
            figure = Figure(figsize=(6, 3), dpi=100)
            FigureCanvasAgg(figure)
            axes = figure.add_subplot()
            axes.bar(["连云港", "南京", "苏州"], [3, 1, 0])
            axes.set_title({SAMPLE!r}, fontproperties=cjk_font(12))
            for label in axes.get_xticklabels():  # by family name, as the charts name it
                label.set_fontproperties(FontProperties(family=[cjk_family()], size=10))
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
            return buffer.getvalue()
        """,
        tmp_path,
    )
    assert report["foreign"] == []  # nothing but matplotlib's own fonts was visible
    assert report["fallbacks"] == []
    assert report["control"], "the control drew Chinese in DejaVu Sans: a fallback must be seen"
    assert bytes.fromhex(report["signature"]) == PNG_SIGNATURE


# --- Pillow ---------------------------------------------------------------------------------


def _drawn(text: str, size: float = 22.2) -> Image.Image:
    """``text`` as Pillow's own ``ImageDraw.text`` draws it in the shipped font."""
    canvas = Image.new("L", (1200, 60))
    ImageDraw.Draw(canvas).text((10, 40), text, 255, cjk_image_font(size), anchor="ls")
    return canvas


def test_pillow_draws_a_character_the_font_lacks_as_a_box_silently() -> None:
    """Why every text goes through :func:`cjk_drawable`: no fallback, no warning, a box."""
    assert 0x20000 not in cjk_codepoints() and 0x20001 not in cjk_codepoints()
    box = _drawn("𠀀")
    assert box.getbbox() is not None  # ink: the font's .notdef
    assert ImageChops.difference(box, _drawn("\U00020001")).getbbox() is None  # the same box


@pytest.mark.parametrize(
    ("text", "drawable"),
    [
        ("连云港市妇幼保健院（连妇保）", "连云港市妇幼保健院（连妇保）"),
        ("Émile 1234 ≥3项…", "Émile 1234 ≥3项…"),
        ("𠀀家庄卫生院", "〓家庄卫生院"),  # CJK extension B: not in Noto Sans SC
        ("\ue000医院", "〓医院"),  # private use: a rare hanzi an old input method typed
        ("😀", "〓"),
        ("南京\u200d市", "南京市"),  # zero-width joiner: nothing to draw
        ("南京\ufe0f市", "南京市"),  # variation selector
        ("葛\U000e0100洪", "葛洪"),  # ideographic variation selector
        ("\ufeff卫生局\x07", "卫生局"),  # a byte-order mark, a control character
        ("卫生\t局", "卫生 局"),
    ],
)
def test_only_what_the_font_has_is_drawn(text: str, drawable: str) -> None:
    assert cjk_drawable(text) == drawable
    assert all(ord(char) in cjk_codepoints() for char in drawable)
    assert (cjk_missing(text) == []) is (text == drawable)


def test_a_missing_character_is_stood_for_by_the_geta_mark() -> None:
    assert cjk_missing("𠀀𠀀南京") == ["𠀀"]
    rare, stand_in = cjk_text_mask("𠀀家庄", 22.2), cjk_text_mask("〓家庄", 22.2)
    assert rare is not None and stand_in is not None
    assert ImageChops.difference(rare.coverage, stand_in.coverage).getbbox() is None
    assert cjk_text_width("𠀀", 22.2) == cjk_text_width(MISSING_GLYPH, 22.2) > 0


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("【督办榜】连云港市妇幼保健院 逾期缺报红黄绿 们骨直 9月20日", 33.3),
        ("另有150个单位未列出（红50 黄83 绿17）", 19.4),
        ("Taizhou office fifi 0123456789", 23.6),  # Latin glyphs that overlap
        ("下级单位的数字含其所属单位。", 14.6),
    ],
)
def test_the_glyph_cache_draws_the_pixels_pillow_draws(text: str, size: float) -> None:
    inked = cjk_text_mask(text, size)
    assert inked is not None
    mine = Image.new("L", (1200, 60))
    mine.paste(inked.coverage, (10 + inked.left, 40 + inked.top))
    assert ImageChops.difference(mine, _drawn(text, size)).getbbox() is None
    assert cjk_text_width(text, size) == cjk_image_font(size).getlength(text)


def test_a_face_is_loaded_once_per_size_with_basic_layout() -> None:
    font = cjk_image_font(22.2)
    assert cjk_image_font(22.2) is font and cjk_image_font(16.7) is not font
    assert font.layout_engine == ImageFont.Layout.BASIC  # the same pixels with or without Raqm
    assert font.path == str(cjk_font_path())
    assert cjk_text_mask("   ", 22.2) is None
