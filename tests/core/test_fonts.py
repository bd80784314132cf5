"""The CJK font the project ships: a Simplified Chinese face under the OFL, drawn without
fallback where the machine has no font of its own."""

from __future__ import annotations

from importlib.metadata import distribution
from pathlib import Path

from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

from qinglian.core.fonts import CJK_FAMILY, CJK_PACKAGE, cjk_family, cjk_font, cjk_font_path
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
