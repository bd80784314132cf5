"""The Word page and type of GB/T 9704 (党政机关公文格式): A4, margins, fonts, page numbers.

A4 with 37/35/28/26 mm margins, a 小标宋 title, 黑体 and 楷体 headings, a 仿宋 三号 body on a
fixed 29 pt line, and the page number as "— 1 —".
"""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.oxml.text.run import CT_R
from docx.shared import Cm, Length, Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.parfmt import ParagraphFormat

LATIN = "Times New Roman"
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋"
H1_FONT = "黑体"
H2_FONT = "楷体"
TITLE_SIZE = Pt(22)  # 二号
TITLE_LINE = Pt(35)
BODY_SIZE = Pt(16)  # 三号
SMALL_SIZE = Pt(14)  # 四号: captions and the page number
TABLE_SIZE = Pt(10.5)  # 五号
LINE = Pt(29)  # 22 lines on the 225 mm type area
INDENT = Pt(32)  # two characters of 三号
PICTURE_WIDTH = Cm(15)
TYPE_AREA = Mm(210 - 28 - 26)


def page_setup(document: DocxDocument) -> None:
    """A4 with the 公文 margins, and "— n —" centred in the footer."""
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(22)  # the page number sits 7 mm below the type area
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ")
    page = OxmlElement("w:fldSimple")
    page.set(qn("w:instr"), "PAGE")
    number = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    number.append(text)
    page.append(number)
    footer._p.append(page)
    footer.add_run(" —")
    for run in footer._p.iter(qn("w:r")):
        set_run_font(run, "宋体", SMALL_SIZE)


def set_styles(document: DocxDocument) -> None:
    """The body in 仿宋 三号 on a fixed line; headings 黑体 and 楷体, black, never alone at a foot."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        r_pr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if r_pr is not None:
            set_font(r_pr, BODY_FONT)

    normal = document.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    set_font(normal.element.get_or_add_rPr(), BODY_FONT, BODY_SIZE)
    _fixed_line(normal.paragraph_format)
    normal.paragraph_format.widow_control = True

    for name, east_asia in (("Heading 1", H1_FONT), ("Heading 2", H2_FONT)):
        style = document.styles[name]
        assert isinstance(style, ParagraphStyle)
        set_font(style.element.get_or_add_rPr(), east_asia, BODY_SIZE)
        style.font.bold = False
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        _fixed_line(style.paragraph_format)
        style.paragraph_format.first_line_indent = INDENT
        style.paragraph_format.keep_with_next = True


def _fixed_line(paragraph_format: ParagraphFormat) -> None:
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = LINE


def set_font(r_pr: CT_RPr, east_asia: str, size: Length | None = None) -> None:
    """Set the Latin and East Asian fonts of a run's or style's ``w:rPr``, dropping theme fonts.

    Word picks the font of a Chinese character from ``w:eastAsia`` and of a digit from
    ``w:ascii``; a theme attribute beside either would win over it.
    """
    fonts = r_pr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), LATIN)
    fonts.set(qn("w:eastAsia"), east_asia)
    if size is not None:
        r_pr.get_or_add_sz().val = size
    language = r_pr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        r_pr.insert_element_before(language, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    language.set(qn("w:val"), "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")


def set_run_font(run: CT_R, east_asia: str, size: Length | None = None) -> None:
    set_font(run.get_or_add_rPr(), east_asia, size)
