"""Printing a workbook's sheets on A4, and protecting what a cadre must not change.

Offices print what they hand out and what they file: every sheet written here says how it
prints (A4, its orientation, one page wide, the header rows again on every page, margins, a
footer with the page number) instead of leaving it to whoever presses Print.

**The print area is the form's columns down to the last input row** (the rows with
drop-down lists), not only the rows written: a cadre's added rows print too, and Excel (since
2002: "Intelliprint"), WPS and LibreOffice leave out the empty pages at its end. Not whole
columns: Excel and LibreOffice save ``A1:I1048576`` as ``$A:$I``, which openpyxl cannot read
back (it warns and drops it on every import of a returned file). The print area also keeps
the unlocked empty columns right of the form (see :func:`unlock_columns_after`) off the page.

**Protection stops accidental edits, it is not security**: there is no password (审阅 → 撤消
工作表保护 lifts it). Cells are locked unless written unlocked; the sheet may still be
formatted (column widths, row heights, wrapping, for printing) and rows may be inserted and
deleted where every cell of the row is unlocked, so a cadre adds a relative or a post as a new
row. Columns cannot be inserted or deleted: they are the exchange format.
"""

from __future__ import annotations

import unicodedata

from openpyxl.styles import Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

A4 = 9  # the paper size code of ECMA-376 §18.3.1.63
LAST_COLUMN = 16_384
UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)
PAGE_NUMBER = "第 &P 页，共 &N 页"
# Excel refuses a header or footer longer than 255 characters (all three parts, with codes).
_FOOTER_PART = 60
# A column's width in Excel's units (one "0" of the default font), and how wide a character
# prints in them: a CJK character about two, with some slack for the fonts WPS and Excel use.
_WIDE = 2.2
_NARROW = 1.1


def set_up_printing(
    sheet: Worksheet,
    *,
    columns: int,
    rows: int,
    landscape: bool,
    repeat_rows: str | None = "1:1",
    footer_left: str = "",
    footer_right: str = "&A",
    page_number: str = PAGE_NUMBER,
    gridlines: bool = False,
) -> None:
    """A4, one page wide, ``repeat_rows`` (``"3:3"``) on every page, page numbers in the footer.

    The print area is the first ``columns`` columns down to row ``rows`` (see the module
    docs). Footer texts are taken
    literally: an ``&`` in a unit's name is not a formatting code. ``footer_right`` defaults
    to the sheet's name (``&A``).
    """
    setup = sheet.page_setup
    setup.paperSize = A4
    setup.orientation = "landscape" if landscape else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages tall as it takes
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(
        left=0.5, right=0.5, top=0.7, bottom=0.7, header=0.3, footer=0.3
    )
    sheet.print_options.horizontalCentered = True
    sheet.print_options.gridLines = gridlines
    last = get_column_letter(columns)
    sheet.print_area = f"A1:{last}{rows}"
    if repeat_rows:
        sheet.print_title_rows = repeat_rows
    footer = sheet.oddFooter
    footer.left.text = footer_text(footer_left) if footer_left else None
    footer.center.text = page_number
    footer.right.text = footer_right or None
    for part in (footer.left, footer.center, footer.right):
        part.size = 9


def font(*, size: float = 11, bold: bool = False) -> Font:
    """The workbook's font (Calibri, as openpyxl's default style), ``size`` and ``bold``: a
    font without a name prints in LibreOffice's default serif."""
    return Font(name="Calibri", size=size, bold=bold)


def footer_text(text: str) -> str:
    """``text`` for a header or footer: ``&`` doubled (else it starts a code), cut short."""
    text = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in text)
    if len(text) > _FOOTER_PART:
        text = text[: _FOOTER_PART - 1] + "…"
    return text.replace("&", "&&")


def protect(sheet: Worksheet) -> None:
    """Protect ``sheet`` against accidental edits: no password; formatting and inserting or
    deleting rows allowed, inserting or deleting columns not (see the module docs)."""
    protection = sheet.protection
    protection.sheet = True
    # In ECMA-376 a true flag keeps the action locked: False allows it on a protected sheet.
    protection.formatCells = False
    protection.formatColumns = False
    protection.formatRows = False
    protection.insertRows = False
    protection.deleteRows = False
    protection.insertColumns = True
    protection.deleteColumns = True
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False


def unlock_columns(sheet: Worksheet, first: int, last: int) -> None:
    """Columns ``first``–``last`` unlocked for every row no cell is written in (a cell written
    later keeps its own protection)."""
    for index in range(first, last + 1):
        sheet.column_dimensions[get_column_letter(index)].protection = UNLOCKED


def unlock_columns_after(sheet: Worksheet, columns: int, width: float = 9.0) -> None:
    """Every column right of the first ``columns`` unlocked: a row can only be deleted from a
    protected sheet when none of its cells is locked, and a row is all 16,384 columns."""
    letter = get_column_letter(columns + 1)
    tail = ColumnDimension(sheet, index=letter, width=width, min=columns + 1, max=LAST_COLUMN)
    tail.protection = UNLOCKED
    sheet.column_dimensions[letter] = tail


def text_width(text: str) -> float:
    """How wide ``text`` prints, in Excel's column-width units."""
    return sum(_WIDE if unicodedata.east_asian_width(ch) in "WF" else _NARROW for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` units wide (at least one)."""
    room = max(width - 1.5, 1.0)  # the cell's own padding
    lines = 0
    for paragraph in text.split("\n"):
        used, count = 0.0, 1
        for char in paragraph:
            step = text_width(char)
            if used + step > room:
                count, used = count + 1, 0.0
            used += step
        lines += count
    return max(lines, 1)
