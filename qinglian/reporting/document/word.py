"""Lay the composed report out as a Word 公文: its body in a template's frame.

The template (``frame``: the built-in GB/T 9704 one, or an office's own letterhead) holds the
版头 and 版记 as docxtpl fields; the report's blocks are written into a sub-document that takes
the place of ``{{p body }}``. The body carries its 公文 type directly (``word_style``), so it
reads the same in any template.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, time
from pathlib import Path

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Length, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate
from docxtpl.subdoc import Subdoc

from models.report import ReportData
from qinglian.core.settings import get_settings
from qinglian.reporting.document.blocks import Block, Heading, Image, Para, Quote, Table
from qinglian.reporting.document.charts import ReportCharts
from qinglian.reporting.document.frame import (
    DocumentFrame,
    check_template,
    document_frame,
    template_env,
)
from qinglian.reporting.document.output import write_atomically
from qinglian.reporting.document.sections import compose
from qinglian.reporting.document.word_style import (
    BODY_FONT,
    H1_FONT,
    H2_FONT,
    PICTURE_WIDTH,
    SMALL_SIZE,
    TABLE_PROPERTIES,
    TABLE_SIZE,
    TYPE_AREA,
    font_alternatives,
    format_paragraph,
    heading_styles,
    put,
)

_CELL_PADDING = 3.5  # cell margins and a little air, in half-width characters of 五号
_NARROW = 12 + _CELL_PADDING  # a column of figures: it keeps its width when names must wrap
# A table this short is kept on one page; a longer one keeps its first row with the header
# and its last three (合计 and the lines about it) together.
_SHORT_TABLE = 12
_TAIL_ROWS = 3
_ROLE_LINE = re.compile(r"(组长|副组长|成员)：(.+)")


def write_docx(
    data: ReportData,
    path: Path,
    charts: ReportCharts | None = None,
    *,
    frame: DocumentFrame | None = None,
    template: Path | None = None,
) -> Path:
    """Write the report as a Word 公文 at ``path`` (atomically) and return ``path``.

    ``frame`` defaults to the settings' (``document_frame``); ``template`` to the built-in one.
    A template the report cannot fill is refused before anything is written.
    """
    checked = check_template(template)
    document = _build_docx(data, charts, frame or document_frame(data, get_settings()), checked)
    write_atomically(path, lambda tmp: document.save(str(tmp)))
    return path


def _build_docx(
    data: ReportData, charts: ReportCharts | None, frame: DocumentFrame, template: Path
) -> DocxTemplate:
    text = compose(data, charts)
    document = DocxTemplate(str(template))
    docx = document.get_docx()
    headings = heading_styles(docx)
    font_alternatives(docx)
    body = document.new_subdoc()
    for block in compact_leading_group(text.blocks):
        _docx_block(body, block, headings)
    if body.paragraphs:  # the last words go with the 落款 onto its page
        body.paragraphs[-1].paragraph_format.keep_with_next = True
    context = {**frame.fields(), "title": text.title, "body": body}
    document.render(context, jinja_env=template_env())

    properties = document.docx.core_properties
    properties.title = text.title
    properties.author = properties.last_modified_by = frame.issuer
    properties.language = "zh-CN"
    properties.created = properties.modified = datetime.combine(data.as_of, time(), tzinfo=UTC)
    return document


def compact_leading_group(blocks: Iterable[Block]) -> list[Block]:
    """The leading group's "组长：…" lines, one paragraph each, as one: 组长：甲；成员：乙、丙。

    ``sections`` writes a member a line; a group of twenty would fill a page with names.
    """
    out: list[Block] = []
    roles: dict[str, list[str]] = {}
    after_group = False
    for block in blocks:
        match = _ROLE_LINE.fullmatch(block.text) if isinstance(block, Para) else None
        if after_group and match:
            roles.setdefault(match[1], []).append(match[2])
            continue
        if roles:
            out.append(_roles_paragraph(roles))
            roles = {}
        out.append(block)
        after_group = isinstance(block, Para) and "领导小组" in block.text
    if roles:
        out.append(_roles_paragraph(roles))
    return out


def _roles_paragraph(roles: dict[str, list[str]]) -> Para:
    return Para("；".join(f"{role}：{'、'.join(names)}" for role, names in roles.items()) + "。")


def _docx_block(body: Subdoc, block: Block, headings: dict[int, str]) -> None:
    match block:
        case Heading(text, level):
            paragraph = body.add_paragraph()
            paragraph._p.style = headings[level]
            run = paragraph.add_run(text)
            run.font.bold = run.font.italic = False
            run.font.color.rgb = RGBColor(0, 0, 0)
            format_paragraph(paragraph, H1_FONT if level == 1 else H2_FONT)
            paragraph.paragraph_format.keep_with_next = True
        case Para(text):
            format_paragraph(_paragraph(body, text))
        case Quote(lines):
            for text in lines:
                format_paragraph(_paragraph(body, text), H2_FONT)
        case Table():
            _docx_table(body, block)
        case Image(path, caption):
            paragraph = body.add_paragraph()
            # A fixed line height would crop the picture to one line.
            format_paragraph(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, indent=None, line=None)
            paragraph.add_run().add_picture(str(path), width=PICTURE_WIDTH)
            paragraph.paragraph_format.keep_with_next = True
            _caption(body, caption, keep_with_next=False)


def _paragraph(body: Subdoc, text: str) -> Paragraph:
    paragraph = body.add_paragraph()
    if text:
        paragraph.add_run(text)
    return paragraph


def _caption(body: Subdoc, text: str, *, keep_with_next: bool = True) -> None:
    paragraph = format_paragraph(
        _paragraph(body, text), H1_FONT, SMALL_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=None
    )
    paragraph.paragraph_format.keep_with_next = keep_with_next


def _docx_table(body: Subdoc, block: Table) -> None:
    _caption(body, block.caption)
    lines = (block.header, *block.rows)
    table = body.add_table(rows=len(lines), cols=len(block.header))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _ruled(table)
    widths = _column_widths(block)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    kept = _rows_kept_with_next(len(lines))
    for row_index, values in enumerate(lines):
        row = table.rows[row_index]
        row_properties = row._tr.get_or_add_trPr()
        row_properties.append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
        if row_index == 0:
            # Repeat the header row on every page the table runs over.
            row_properties.append(OxmlElement("w:tblHeader"))
        for column, value in enumerate(values):
            cell = row.cells[column]
            cell.width = widths[column]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.add_run(value)
            format_paragraph(
                paragraph,
                H1_FONT if row_index == 0 else BODY_FONT,
                TABLE_SIZE,
                align=(
                    WD_ALIGN_PARAGRAPH.LEFT
                    if column == 0 and row_index
                    else WD_ALIGN_PARAGRAPH.CENTER
                ),
                indent=None,
                line=None,
            )
            paragraph.paragraph_format.keep_with_next = row_index in kept
    format_paragraph(_paragraph(body, ""))


def _rows_kept_with_next(rows: int) -> set[int]:
    """Rows whose paragraphs keep with the next row: a short table whole, a long one its
    header with the first row and its last rows together, so 合计 never stands alone."""
    if rows <= _SHORT_TABLE:
        return set(range(rows - 1))
    return {0, *range(rows - _TAIL_ROWS, rows - 1)}


def _ruled(table: DocxTable) -> None:
    """Single lines round every cell and narrow cell margins, set on the table itself: an
    office template need not have the "Table Grid" style."""
    lines = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    margins = "".join(f'<w:{side} w:w="57" w:type="dxa"/>' for side in ("left", "right"))
    for xml in (
        f"<w:tblBorders {nsdecls('w')}>{lines}</w:tblBorders>",
        f"<w:tblCellMar {nsdecls('w')}>{margins}</w:tblCellMar>",
    ):
        put(table._tbl.tblPr, parse_xml(xml), TABLE_PROPERTIES)


def _column_widths(block: Table) -> list[Length]:
    """Share the type area among the columns by what they hold; a long header may wrap.

    Where the columns do not all fit, the narrow ones (figures, rates) keep their width and
    only the wide ones (names) wrap: "100.0%" is never broken over two lines.
    """
    needs: list[float] = []
    for column, header in enumerate(block.header):
        cells = max((_text_width(row[column]) for row in block.rows), default=0)
        head = _text_width(header)
        text = max(cells, head if head <= 8 else max(8, (head + 1) // 2), 4)
        needs.append(text + _CELL_PADDING)
    area = TYPE_AREA / (TABLE_SIZE / 2)  # the type area in half-width characters of 五号
    wide = [need for need in needs if need > _NARROW]
    room = area - sum(need for need in needs if need <= _NARROW)
    if sum(needs) <= area or not wide or room <= 0:
        scale = [area / sum(needs)] * len(needs)
    else:
        scale = [1.0 if need <= _NARROW else room / sum(wide) for need in needs]
    return [Length(int(TYPE_AREA * need * k / area)) for need, k in zip(needs, scale, strict=True)]


def _text_width(text: str) -> int:
    """Width in half-width character cells: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in text)
