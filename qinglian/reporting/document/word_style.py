"""The Word page and type of GB/T 9704-2012 (党政机关公文格式): A4, margins, fonts, page numbers.

A4 with 37/35/28/26 mm margins (a 156 × 225 mm type area), a 小标宋 title, 黑体 and 楷体
headings, a 仿宋 三号 body on a fixed 29 pt line (22 lines a page), and the page number as
"— 1 —" in 四号 宋体, at the outside corner: right on odd pages, left on even ones.

The report's body carries these as direct formatting, so it keeps them in an office's own
template whatever that template's styles say; the built-in template's styles say the same.
"""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.text.font import CT_RPr
from docx.oxml.text.run import CT_R
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Cm, Length, Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph
from docx.text.parfmt import ParagraphFormat
from lxml import etree

LATIN = "Times New Roman"
# The fonts GB/T 9704 names, as Chinese offices install them; where one is missing, Word takes
# the alternative of the document's font table (FONT_ALTERNATIVES) and LibreOffice the
# fontconfig aliases of ``pdf``.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
NUMBER_FONT = "宋体"
FONT_ALTERNATIVES = {
    TITLE_FONT: "宋体",
    BODY_FONT: "仿宋",
    H2_FONT: "楷体",
    H1_FONT: "SimHei",
    NUMBER_FONT: "SimSun",
}
RED = RGBColor(0xFF, 0x00, 0x00)

ISSUER_SIZE = Pt(36)  # 小初: the 发文机关标志
TITLE_SIZE = Pt(22)  # 二号
TITLE_LINE = Pt(35)
BODY_SIZE = Pt(16)  # 三号
SMALL_SIZE = Pt(14)  # 四号: captions, the 版记 and the page number
TABLE_SIZE = Pt(10.5)  # 五号
LINE = Pt(29)  # 22 lines on the 225 mm type area
CHAR = Pt(16)  # one character of 三号
INDENT = CHAR * 2
PICTURE_WIDTH = Cm(15)
TYPE_AREA = Mm(210 - 28 - 26)


# The order WordprocessingML gives the children of a table's, a paragraph's and a run's
# properties: Word calls a file with them out of order damaged.
TABLE_PROPERTIES = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
    "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
    "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription",
)  # fmt: skip
PARAGRAPH_PROPERTIES = (
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
    "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap",
    "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId",
    "cnfStyle", "rPr", "sectPr", "pPrChange",
)  # fmt: skip
RUN_PROPERTIES = (
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
    "outline", "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden",
    "color", "spacing", "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect",
    "bdr", "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout",
    "specVanish", "oMath",
)  # fmt: skip


def put(properties: BaseOxmlElement, element: BaseOxmlElement, order: tuple[str, ...]) -> None:
    """Put ``element`` into ``properties`` in its place by ``order``, replacing one like it."""
    for old in properties.findall(element.tag):
        properties.remove(old)
    name = element.tag.rsplit("}", 1)[-1]
    later = order[order.index(name) + 1 :]
    properties.insert_element_before(element, *(f"w:{tag}" for tag in later))


def page_setup(document: DocxDocument) -> None:
    """A4 with the 公文 margins; "— n —" at the outside corner of every page."""
    section = document.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(22)  # the page number's dash sits 7 mm below the type area
    document.settings.odd_and_even_pages_header_footer = True
    page_numbers(section)


def page_numbers(section: Section) -> None:
    """The PAGE field as "— 1 —": odd pages right, even pages left, one character in."""
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        for child in list(paragraph._p):
            if child.tag != qn("w:pPr"):
                paragraph._p.remove(child)
        paragraph.alignment = align
        fixed = paragraph.paragraph_format
        fixed.left_indent = fixed.right_indent = Pt(14)
        fixed.space_before = fixed.space_after = Pt(0)
        fixed.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.add_run("— ")
        paragraph._p.append(page_field())
        paragraph.add_run(" —")
        for run in paragraph._p.iter(qn("w:r")):
            set_run_font(run, NUMBER_FONT, SMALL_SIZE, latin=NUMBER_FONT)


def page_field() -> BaseOxmlElement:
    """A ``PAGE`` field that shows 1 until Word or LibreOffice counts."""
    return parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'
    )


def set_styles(document: DocxDocument) -> dict[int, str]:
    """The body in 仿宋 三号 on a fixed line; headings 黑体 and 楷体, black, never alone at a foot.

    Returns the style ids of ``heading 1`` and ``heading 2`` by level: Word writes them
    localised ("1", "2" in a Chinese Word), so the body finds them by name, never by id.
    """
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        r_pr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if r_pr is not None:
            set_font(r_pr, BODY_FONT)

    normal = document.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    set_font(normal.element.get_or_add_rPr(), BODY_FONT, BODY_SIZE)
    fixed_line(normal.paragraph_format)
    normal.paragraph_format.widow_control = True
    return heading_styles(document, restyle=True)


def heading_styles(document: DocxDocument, *, restyle: bool = False) -> dict[int, str]:
    """The ids of the ``heading 1`` and ``heading 2`` styles, made where the document has none.

    An office template's own heading styles are kept (``restyle`` is for the built-in one): the
    body's headings carry their 公文 fonts directly and take only the outline level from them.
    """
    ids: dict[int, str] = {}
    for level, east_asia in ((1, H1_FONT), (2, H2_FONT)):
        name = f"Heading {level}"
        try:
            style = document.styles[name]
            made = False
        except KeyError:
            style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            made = True
        assert isinstance(style, ParagraphStyle)
        if made or restyle:
            normal = document.styles["Normal"]
            assert isinstance(normal, ParagraphStyle)
            style.base_style = normal
            style.next_paragraph_style = normal
            set_font(style.element.get_or_add_rPr(), east_asia, BODY_SIZE)
            style.font.bold = False
            style.font.italic = False
            style.font.color.rgb = RGBColor(0, 0, 0)
            fixed_line(style.paragraph_format)
            style.paragraph_format.first_line_indent = INDENT
            style.paragraph_format.keep_with_next = True
            outline = OxmlElement("w:outlineLvl")
            outline.set(qn("w:val"), str(level - 1))
            put(style.element.get_or_add_pPr(), outline, PARAGRAPH_PROPERTIES)
        ids[level] = style.style_id
    return ids


def font_alternatives(document: DocxDocument) -> None:
    """List the 公文 fonts in the font table with the font Word takes where one is missing."""
    part = next(
        (
            rel.target_part
            for rel in document.part.rels.values()
            if rel.reltype.endswith("/fontTable") and not rel.is_external
        ),
        None,
    )
    if part is None:
        return
    table = parse_xml(part.blob)
    known = {font.get(qn("w:name")) for font in table.findall(qn("w:font"))}
    for name, alternative in FONT_ALTERNATIVES.items():
        if name in known:
            continue
        table.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alternative}"/>'
                '<w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/>'
                "</w:font>"
            )
        )
    # python-docx keeps the font table as bytes: put the changed table back as bytes.
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def fixed_line(paragraph_format: ParagraphFormat, line: Length = LINE) -> None:
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = line


def format_paragraph(
    paragraph: Paragraph,
    east_asia: str = BODY_FONT,
    size: Length = BODY_SIZE,
    *,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: Length | None = INDENT,
    line: Length | None = LINE,
) -> Paragraph:
    """Give a body paragraph its 公文 look directly: font, size, line, alignment, indent."""
    fixed = paragraph.paragraph_format
    if line is None:
        fixed.space_before = fixed.space_after = Pt(0)
        fixed.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fixed_line(fixed, line)
    fixed.first_line_indent = indent
    paragraph.alignment = align
    # No extra space between Chinese and Latin or digits: "2012年", not "2012 年".
    for name in ("autoSpaceDE", "autoSpaceDN"):
        element = OxmlElement(f"w:{name}")
        element.set(qn("w:val"), "0")
        put(paragraph._p.get_or_add_pPr(), element, PARAGRAPH_PROPERTIES)
    for run in paragraph.runs:
        set_run_font(run._r, east_asia, size)
    return paragraph


def set_font(
    r_pr: CT_RPr, east_asia: str, size: Length | None = None, *, latin: str = LATIN
) -> None:
    """Set the Latin and East Asian fonts of a run's or style's ``w:rPr``, dropping theme fonts.

    Word picks the font of a Chinese character from ``w:eastAsia`` and of a digit from
    ``w:ascii``; a theme attribute beside either would win over it.
    """
    fonts = r_pr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    if size is not None:
        r_pr.get_or_add_sz().val = size
    language = r_pr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        r_pr.insert_element_before(language, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    language.set(qn("w:val"), "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")


def set_run_font(
    run: CT_R, east_asia: str, size: Length | None = None, *, latin: str = LATIN
) -> None:
    set_font(run.get_or_add_rPr(), east_asia, size, latin=latin)
