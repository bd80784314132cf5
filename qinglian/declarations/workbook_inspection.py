"""A look inside a returned report-form workbook: what its cell values do not show.

A returned workbook is read by ``qinglian.exchange.reading``, which sees only cell values. Two
things hide there: a merged cell gives its value to its first cell only, and a formula saved by
a program that does not calculate (no cached result) reads as empty. ``inspect_workbook`` finds
both so the importer can refuse them instead of losing data: in an .xlsx straight from the
sheet XML, in an old .xls or WPS .et from what ``exchange.legacy`` found in its records.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError, iterparse

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries

from qinglian.core.errors import QinglianError
from qinglian.exchange.legacy import LegacySheet
from qinglian.exchange.reading import legacy_sheets, workbook_format


@dataclass
class SheetInspection:
    """What the values of one sheet do not show."""

    title: str
    has_values: bool = False
    # (min_col, min_row, max_col, max_row, "A2:A5") of each merged range
    merged: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    # (row, col, "C5") of each formula saved without a result
    formulas: list[tuple[int, int, str]] = field(default_factory=list)


def inspect_workbook(path: Path) -> dict[str, SheetInspection]:
    """Per worksheet title: whether it holds any value, its merged ranges, formulas without
    results. The file must already be known to be a readable workbook."""
    if workbook_format(path) == "legacy":
        return {sheet.title: _legacy_inspection(sheet) for sheet in legacy_sheets(path)}
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = _worksheet_parts(archive)
            return {title: _inspect_sheet(archive, title, part) for title, part in sheets}
    except QinglianError:
        raise
    except (zipfile.BadZipFile, KeyError, ParseError, OSError, ValueError) as exc:
        raise QinglianError(
            f"{path.name}: 无法读取 Excel 文件（文件已损坏、不完整或不是 .xlsx 格式）",
            f"{path.name}: cannot read the Excel file (damaged, truncated or not .xlsx)",
        ) from exc


def _legacy_inspection(sheet: LegacySheet) -> SheetInspection:
    """The same, numbered from 1 as in the XML, from an old workbook's sheet."""
    found = SheetInspection(title=sheet.title, has_values=sheet.has_values)
    for first_row, first_col, last_row, last_col in sheet.merged:
        ref = f"{_ref(first_row, first_col)}:{_ref(last_row, last_col)}"
        found.merged.append((first_col + 1, first_row + 1, last_col + 1, last_row + 1, ref))
    for row, col in sheet.empty_formulas:
        found.formulas.append((row + 1, col + 1, _ref(row, col)))
    return found


def _ref(row: int, col: int) -> str:
    return f"{get_column_letter(col + 1)}{row + 1}"


def _worksheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    targets: dict[str, str] = {}
    with archive.open("xl/_rels/workbook.xml.rels") as handle:
        for _, element in iterparse(handle):
            if _local(element.tag) == "Relationship" and "worksheet" in element.get("Type", ""):
                target = element.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[element.get("Id", "")] = posixpath.normpath(part)
    parts: list[tuple[str, str]] = []
    with archive.open("xl/workbook.xml") as handle:
        for _, element in iterparse(handle):
            if _local(element.tag) != "sheet":
                continue
            rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
            if rel_id in targets:
                parts.append((element.get("name", ""), targets[rel_id]))
    return parts


def _inspect_sheet(archive: zipfile.ZipFile, title: str, part: str) -> SheetInspection:
    found = SheetInspection(title=title)
    data = archive.read(part)
    # Most sheets have neither formulas nor merged cells: a byte scan settles it.
    if not _FORMULA_OR_MERGE.search(data):
        found.has_values = bool(_VALUE.search(data))
        return found
    with io.BytesIO(data) as handle:
        for _, element in iterparse(handle):
            tag = _local(element.tag)
            if tag == "c":
                formula = value = False
                for child in element:
                    child_tag = _local(child.tag)
                    if child_tag == "f":
                        formula = True
                    elif child_tag == "v":
                        value = value or bool(child.text)
                    elif child_tag == "is":
                        value = value or any(bool(t.text) for t in child.iter() if t is not child)
                found.has_values = found.has_values or value
                if formula and not value:
                    ref = element.get("r", "")
                    if ref:
                        letters, row = coordinate_from_string(ref)
                        found.formulas.append((row, column_index_from_string(letters), ref))
                element.clear()
            elif tag == "row":
                element.clear()
            elif tag == "mergeCell":
                ref = element.get("ref", "")
                if ":" in ref:
                    min_col, min_row, max_col, max_row = range_boundaries(ref)
                    found.merged.append((min_col, min_row, max_col, max_row, ref))  # type: ignore[arg-type]
    return found


# Tags with an optional namespace prefix (<f>, <x:f t="shared"/>, <mergeCell ref=…/>).
_FORMULA_OR_MERGE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:f|mergeCell)[\s/>]")
# A non-empty cached value or inline-string text.
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|t)(?:\s[^>]*)?>[^<]")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
