"""Make the built-in Word template of the written report: a 公文 after GB/T 9704-2012.

    .venv/bin/python scripts/make_report_template.py [OUT]

writes ``qinglian/reporting/document/templates/gongwen.docx`` (or OUT), the same bytes every
time: the template is committed, and a test checks that this script still makes it.

The template is a docxtpl (Jinja2) Word file. An office's own template uses the same fields
(``qinglian.reporting.document.frame.FIELDS``); this one lays them out as the standard says:

- 版头: ``{{ issuer }}文件`` in red 小标宋, centred; two lines below, ``{{ doc_number }}``
  (机关代字〔年〕号) centred in 仿宋, with the red separator line 4 mm under it;
- 主体: ``{{ title }}`` in 二号 小标宋 two lines below the line, ``{{ recipients }}：`` one line
  below it, flush left; ``{{p body }}`` (the report, a docxtpl sub-document); ``{{ signer }}``
  centred over ``{{ date_cn }}``, the date four characters in from the right (the seal's place);
- 版记, at the foot of the last page between a thick and a thin line: ``抄送：{{ cc }}。`` (only
  when there is one) and ``{{ printed_by }}`` … ``{{ printed_on }}印发`` in 四号 仿宋;
- page numbers "— 1 —" in 四号 宋体 at the outside corners.
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Length, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from qinglian.reporting.document.frame import BUILT_IN_TEMPLATE
from qinglian.reporting.document.word_style import (
    BODY_FONT,
    BODY_SIZE,
    CHAR,
    ISSUER_SIZE,
    LINE,
    PARAGRAPH_PROPERTIES,
    RED,
    RUN_PROPERTIES,
    SMALL_SIZE,
    TABLE_PROPERTIES,
    TITLE_FONT,
    TITLE_LINE,
    TITLE_SIZE,
    TYPE_AREA,
    font_alternatives,
    format_paragraph,
    page_setup,
    put,
    set_styles,
)

# Every zip entry gets this time, so the file is the same bytes on every run.
_STAMP = (2012, 8, 1, 0, 0, 0)
# 成文日期 "2012年10月15日" is seven characters wide; it ends four characters in from the right
# (GB/T 9704 7.3.5.1), and the 署名 is centred over it: both sit on one centre tab.
_SIGNATURE_CENTRE = TYPE_AREA - CHAR * 4 - CHAR * 7 // 2
_SMALL_CHAR = Pt(14)


def build() -> DocxDocument:
    document = Document()
    page_setup(document)
    set_styles(document)
    font_alternatives(document)
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)

    issuer = _line(document, "{{ issuer }}文件", TITLE_FONT, ISSUER_SIZE, centre=True)
    issuer.paragraph_format.space_before = Mm(35) - ISSUER_SIZE // 2
    issuer.paragraph_format.line_spacing = Pt(48)
    _squeeze(issuer, 80)  # a long name still fits on one line, as printed 红头 are
    for run in issuer.runs:
        run.font.color.rgb = RED
    _line(document, "")
    _line(document, "")
    number = _line(document, "{{ doc_number }}", centre=True)
    _rule(number, "bottom", size=12, space=11)  # the red line, 4 mm under the 文号
    _line(document, "")
    _line(document, "")
    title = _line(document, "{{ title }}", TITLE_FONT, TITLE_SIZE, centre=True, line=TITLE_LINE)
    title.paragraph_format.keep_with_next = True
    _line(document, "")
    _line(document, "{{ recipients }}：")
    _line(document, "{{p body }}")
    # The 落款 never stands alone on the last page: the body's last paragraph keeps with it.
    for _ in range(2):
        _line(document, "").paragraph_format.keep_with_next = True
    for text in ("{{ signer }}", "{{ date_cn }}"):
        paragraph = _line(document, "")
        paragraph.paragraph_format.tab_stops.add_tab_stop(
            Length(_SIGNATURE_CENTRE), WD_TAB_ALIGNMENT.CENTER
        )
        paragraph.add_run("\t")
        paragraph.add_run(text)
        format_paragraph(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, indent=None)
        paragraph.paragraph_format.keep_with_next = True
    _imprint(document)
    # The framed 版记 hangs on the paragraph after it, which takes no room.
    _line(document, "", size=Pt(1), line=Pt(1))
    _properties(document)
    return document


def _line(
    document: DocxDocument,
    text: str,
    font: str = BODY_FONT,
    size: Length = BODY_SIZE,
    *,
    centre: bool = False,
    line: Length = LINE,
) -> Paragraph:
    paragraph = document.add_paragraph()
    if text:
        paragraph.add_run(text)
    align = WD_ALIGN_PARAGRAPH.CENTER if centre else WD_ALIGN_PARAGRAPH.LEFT
    return format_paragraph(paragraph, font, size, align=align, indent=None, line=line)


def _squeeze(paragraph: Paragraph, percent: int) -> None:
    for run in paragraph.runs:
        scale = parse_xml(f'<w:w {nsdecls("w")} w:val="{percent}"/>')
        put(run._r.get_or_add_rPr(), scale, RUN_PROPERTIES)


def _rule(paragraph: Paragraph, side: str, *, size: int, space: int = 0, red: bool = True) -> None:
    """A line along the paragraph's ``side``: ``size`` in eighths of a point, ``space`` in pt."""
    colour = "FF0000" if red else "000000"
    borders = parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:{side} w:val="single" w:sz="{size}" w:space="{space}" '
        f'w:color="{colour}"/></w:pBdr>'
    )
    put(paragraph._p.get_or_add_pPr(), borders, PARAGRAPH_PROPERTIES)


def _imprint(document: DocxDocument) -> None:
    """The 版记: a table floated to the foot of the type area on the page where it falls.

    Its first line is thick, the line between 抄送 and 印发 thin, the last thick and on the
    type area's lower edge (GB/T 9704 7.4). The 抄送 row is dropped when there is no 抄送.
    """
    table = document.add_table(rows=4, cols=1)
    table.autofit = False
    _float_to_foot(table)
    for row, text in enumerate(("{%tr if cc %}", "抄送：{{ cc }}。", "{%tr endif %}", "")):
        cell = table.rows[row].cells[0]
        cell.width = TYPE_AREA
        paragraph = cell.paragraphs[0]
        if row == 3:  # 印发机关 one character in from the left, 印发日期 from the right
            paragraph.paragraph_format.tab_stops.add_tab_stop(
                Length(TYPE_AREA - _SMALL_CHAR * 2), WD_TAB_ALIGNMENT.RIGHT
            )
            for part in ("{{ printed_by }}", "\t", "{{ printed_on }}印发"):
                paragraph.add_run(part)
        else:
            paragraph.add_run(text)
        format_paragraph(paragraph, BODY_FONT, SMALL_SIZE, align=WD_ALIGN_PARAGRAPH.LEFT)
        fixed = paragraph.paragraph_format
        fixed.first_line_indent = None
        fixed.left_indent = fixed.right_indent = _SMALL_CHAR
        if row == 1:  # 抄送 runs on under the first name after its colon
            fixed.left_indent = _SMALL_CHAR * 4
            fixed.first_line_indent = -_SMALL_CHAR * 3


def _float_to_foot(table: Table) -> None:
    """Float the table to the bottom of the type area, as wide as it, with ruled rows.

    Placed from the page's left edge: LibreOffice floats a table placed from the margin only
    when it is narrower than the type area, and the 版记's lines are as wide as it.
    """
    for xml in (
        (
            f'<w:tblpPr {nsdecls("w")} w:leftFromText="0" w:rightFromText="0" '
            'w:topFromText="0" w:bottomFromText="0" w:vertAnchor="margin" '
            f'w:horzAnchor="page" w:tblpX="{int(Mm(28).twips)}" w:tblpYSpec="bottom"/>'
        ),
        f'<w:tblOverlap {nsdecls("w")} w:val="never"/>',
        f'<w:tblW {nsdecls("w")} w:w="{int(TYPE_AREA.twips)}" w:type="dxa"/>',
        (
            f"<w:tblBorders {nsdecls('w')}>"
            '<w:top w:val="single" w:sz="8" w:space="0" w:color="000000"/>'
            '<w:left w:val="nil"/>'
            '<w:bottom w:val="single" w:sz="8" w:space="0" w:color="000000"/>'
            '<w:right w:val="nil"/>'
            '<w:insideH w:val="single" w:sz="6" w:space="0" w:color="000000"/>'
            '<w:insideV w:val="nil"/>'
            "</w:tblBorders>"
        ),
        (
            f'<w:tblCellMar {nsdecls("w")}><w:left w:w="0" w:type="dxa"/>'
            '<w:right w:w="0" w:type="dxa"/></w:tblCellMar>'
        ),
    ):
        put(table._tbl.tblPr, parse_xml(xml), TABLE_PROPERTIES)


def _properties(document: DocxDocument) -> None:
    properties = document.core_properties
    properties.title = "{{ title }}"
    properties.author = "{{ issuer }}"
    properties.last_modified_by = "{{ issuer }}"
    properties.language = "zh-CN"
    properties.created = properties.modified = datetime(*_STAMP, tzinfo=UTC)
    properties.revision = 1


def reproducible(document: DocxDocument) -> bytes:
    """The document's bytes with every zip entry at one fixed time."""
    raw = io.BytesIO()
    document.save(raw)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_STAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else BUILT_IN_TEMPLATE
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(reproducible(build()))
    sys.stdout.write(f"{out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
