"""Lay the composed report out as a Word document: paragraphs, tables and pictures."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, time
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.shared import Length
from docx.text.paragraph import Paragraph

from models.report import ReportData
from qinglian.reporting.document.blocks import Block, Heading, Image, Para, Quote, Table
from qinglian.reporting.document.charts import ReportCharts
from qinglian.reporting.document.output import write_atomically
from qinglian.reporting.document.sections import compose
from qinglian.reporting.document.word_style import (
    BODY_FONT,
    H1_FONT,
    H2_FONT,
    INDENT,
    PICTURE_WIDTH,
    SMALL_SIZE,
    TABLE_SIZE,
    TITLE_FONT,
    TITLE_LINE,
    TITLE_SIZE,
    TYPE_AREA,
    page_setup,
    set_run_font,
    set_styles,
)

_CELL_PADDING = 3.5  # cell margins and a little air, in half-width characters of 五号


def write_docx(data: ReportData, path: Path, charts: ReportCharts | None = None) -> Path:
    """Write the report as a Word document at ``path`` (atomically) and return ``path``."""
    document = _build_docx(data, charts)
    write_atomically(path, lambda tmp: document.save(str(tmp)))
    return path


def _build_docx(data: ReportData, charts: ReportCharts | None) -> DocxDocument:
    text = compose(data, charts)
    document = Document()
    page_setup(document)
    set_styles(document)
    properties = document.core_properties
    properties.title = text.title
    properties.author = data.unit_name
    properties.last_modified_by = data.unit_name
    properties.language = "zh-CN"
    properties.created = properties.modified = datetime.combine(data.as_of, time(), tzinfo=UTC)

    _plain(document, text.number, align=WD_ALIGN_PARAGRAPH.CENTER)
    _plain(document, "")
    title = _plain(document, text.title, align=WD_ALIGN_PARAGRAPH.CENTER)
    set_run_font(title.runs[0]._r, TITLE_FONT, TITLE_SIZE)
    title.paragraph_format.line_spacing = TITLE_LINE
    _plain(document, "")
    if text.salutation:
        _plain(document, text.salutation)

    for block in text.blocks:
        _docx_block(document, block)

    _plain(document, "")
    for line in text.signature:
        paragraph = _plain(document, line, align=WD_ALIGN_PARAGRAPH.RIGHT)
        paragraph.paragraph_format.right_indent = INDENT * 2
    return document


def _plain(
    document: DocxDocument, text: str, *, align: WD_ALIGN_PARAGRAPH | None = None
) -> Paragraph:
    paragraph = document.add_paragraph()
    if text:
        paragraph.add_run(text)
    paragraph.alignment = align
    return paragraph


def _docx_block(document: DocxDocument, block: Block) -> None:
    match block:
        case Heading(text, level):
            document.add_heading(text, level=level)
        case Para(text):
            paragraph = _plain(document, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            paragraph.paragraph_format.first_line_indent = INDENT
        case Quote(lines):
            for text in lines:
                paragraph = _plain(document, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
                paragraph.paragraph_format.first_line_indent = INDENT
                set_run_font(paragraph.runs[0]._r, H2_FONT)
        case Table():
            _docx_table(document, block)
        case Image(path, caption):
            paragraph = document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            # A fixed line height would crop the picture to one line.
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            paragraph.add_run().add_picture(str(path), width=PICTURE_WIDTH)
            _caption(document, caption)


def _caption(document: DocxDocument, text: str) -> None:
    paragraph = _plain(document, text, align=WD_ALIGN_PARAGRAPH.CENTER)
    set_run_font(paragraph.runs[0]._r, H1_FONT, SMALL_SIZE)
    paragraph.paragraph_format.keep_with_next = True


def _docx_table(document: DocxDocument, block: Table) -> None:
    _caption(document, block.caption)
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _column_widths(block)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row_index, values in enumerate((block.header, *block.rows)):
        row = table.rows[row_index]
        if row_index == 0:
            # Repeat the header row on every page the table runs over.
            header = OxmlElement("w:tblHeader")
            row._tr.get_or_add_trPr().append(header)
        for column, value in enumerate(values):
            cell = row.cells[column]
            cell.width = widths[column]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if column == 0 and row_index else WD_ALIGN_PARAGRAPH.CENTER
            )
            run = paragraph.add_run(value)
            set_run_font(run._r, H1_FONT if row_index == 0 else BODY_FONT, TABLE_SIZE)
    _plain(document, "")


def _column_widths(block: Table) -> list[Length]:
    """Share the type area among the columns by what they hold; a long header may wrap."""
    weights: list[float] = []
    for column, header in enumerate(block.header):
        cells = max((_text_width(row[column]) for row in block.rows), default=0)
        head = _text_width(header)
        text = max(cells, head if head <= 8 else max(8, (head + 1) // 2), 4)
        weights.append(text + _CELL_PADDING)
    total = sum(weights)
    return [Length(int(TYPE_AREA * weight / total)) for weight in weights]


def _text_width(text: str) -> int:
    """Width in half-width character cells: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in text)
