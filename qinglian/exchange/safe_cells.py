"""Cells written to a spreadsheet (XLSX or CSV) that no spreadsheet reads as a formula.

Whatever an import brought in — a unit's name, a cadre's name, a rejected cell — may start
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, which Excel, WPS and LibreOffice
take for a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). Following OWASP's
CSV-injection guidance, such text gets a leading single quote:

- in a CSV the quote is written out (``'=HYPERLINK(...)``), so the cell opens as text;
- in an XLSX the text is stored as a string cell (never a formula) with Excel's quote-prefix
  flag, which is exactly what Excel records when someone types ``'=…``: the cell shows the
  text unchanged, stays text when edited, and reads back as the same text.

Numbers, dates and booleans stay what they are; a number written as text (``-5``, ``+3.5``)
is not a formula either and stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (or a DDE call)."""
    return text[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(text)


def spreadsheet_text(value: Any) -> Any:
    """``value`` as a CSV cell: formula-like text gets a leading ``'``; anything else unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def set_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Put ``value`` in an XLSX cell that is never a formula; text stays text, numbers numbers."""
    cell = sheet.cell(row=row, column=column)
    write_value(cell, value)
    return cell


def write_row(sheet: Worksheet, row: int, values: Iterable[Any]) -> None:
    """Write ``values`` across ``row`` from column A, each by :func:`write_value`."""
    for column, value in enumerate(values, start=1):
        set_cell(sheet, row, column, value)


def write_value(cell: Cell, value: Any) -> None:
    """Write ``value`` into ``cell`` as a plain value, never as a formula.

    openpyxl takes any ``str`` starting with ``=`` for a formula; here text is always a string
    cell, with the quote-prefix flag when it looks like a formula. Characters XLSX cannot hold
    (C0 controls) become U+FFFD instead of failing the whole workbook.
    """
    if value is None or isinstance(value, int | float | Decimal | date):
        cell.value = value  # bool is an int, datetime a date: both stay typed
        return
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    cell.value = text
    cell.data_type = "s"
    if is_formula_like(text):
        cell.quotePrefix = True
