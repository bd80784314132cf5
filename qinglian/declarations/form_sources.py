"""Finding and reading the sheets of a returned report form: a workbook (.xlsx, or an old .xls
or WPS .et), a CSV directory or a CSV."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qinglian.core.errors import QinglianError
from qinglian.declarations.columns import (
    BASICS,
    INSTRUCTIONS_SHEET,
    OPTIONS_SHEET,
    SECTIONS,
    Section,
    section_for_sheet,
)
from qinglian.declarations.workbook_inspection import SheetInspection, inspect_workbook
from qinglian.exchange.reading import (
    WORKBOOK_SUFFIXES,
    check_workbook,
    read_rows,
    workbook_format,
)
from qinglian.exchange.table import TableRead

_IGNORED_SHEETS = frozenset({INSTRUCTIONS_SHEET, OPTIONS_SHEET})


@dataclass(frozen=True, slots=True)
class _Source:
    section: Section
    path: Path
    sheet: str | None = None  # the worksheet title, for a workbook


def read_form_sheets(path: Path) -> tuple[dict[Section, TableRead], dict[str, SheetInspection]]:
    """The sheets of the input, by section, and what the workbook's values do not show."""
    sources, quirks = _sources(path)
    tables: dict[Section, TableRead] = {}
    for source in sources:
        tables[source.section] = read_rows(source.path, source.section.columns, sheet=source.sheet)
    basics = tables[BASICS]
    if not basics.rows:
        raise QinglianError(
            f"{basics.file} [{basics.sheet}]: 没有任何数据行（没有可导入的报告表）",
            f"{basics.file} [{basics.sheet}]: no data rows (no form to import)",
        )
    return {section: tables[section] for section in SECTIONS if section in tables}, quirks


def _sources(path: Path) -> tuple[list[_Source], dict[str, SheetInspection]]:
    if path.is_dir():
        return _directory_sources(path), {}
    # Told by content (a FIFO or a device is refused before it is opened), then by name.
    if workbook_format(path) is not None or path.suffix.lower() in WORKBOOK_SUFFIXES:
        return _workbook_sources(path)
    section = section_for_sheet(path.stem)
    if section is None:
        # Let the table reader say what is wrong with the file itself first.
        read_rows(path, BASICS.columns)
        raise QinglianError(
            f"{path.name}: CSV 文件名须为工作表名称（{_sheet_names_zh()}），如 基本情况.csv",
            f"{path.name}: a CSV file must be named after its sheet ({_sheet_names_en()}), "
            "e.g. 基本情况.csv",
        )
    if section is not BASICS:
        raise QinglianError(
            f"{path.name}: 只有「{section.sheet}」，缺少「基本情况」；请把各工作表的 CSV"
            "（基本情况.csv 等）放在同一目录中，导入该目录",
            f"{path.name}: only {section.sheet!r}, no 基本情况 (basics); put the sheets' CSV "
            "files (基本情况.csv, …) in one directory and import the directory",
        )
    return [_Source(BASICS, path)], {}


def _workbook_sources(path: Path) -> tuple[list[_Source], dict[str, SheetInspection]]:
    if workbook_format(path) is None:
        # Not a workbook at all: the table reader explains (renamed, a web page, missing …).
        read_rows(path, BASICS.columns, sheet=BASICS.sheet)
        raise QinglianError(
            f"{path.name}: 不是有效的 Excel 工作簿", f"{path.name}: not a valid Excel workbook"
        )
    check_workbook(path)  # no zip bomb reaches the sheet inspection, which reads parts whole
    inspections = inspect_workbook(path)
    found: dict[Section, str] = {}
    for title, inspection in inspections.items():
        if title.strip() in _IGNORED_SHEETS:
            continue
        section = section_for_sheet(title)
        if section is None:
            if inspection.has_values:
                raise QinglianError(
                    f"{path.name}: 无法识别的工作表「{title}」（应为：{_sheet_names_zh()}；"
                    "请删除或改名）",
                    f"{path.name}: unknown sheet {title!r} (expected: {_sheet_names_en()}; "
                    "delete or rename it)",
                )
            continue
        if section in found:
            raise QinglianError(
                f"{path.name}: 工作表「{found[section]}」和「{title}」都是「{section.sheet}」",
                f"{path.name}: sheets {found[section]!r} and {title!r} are both {section.sheet!r}",
            )
        found[section] = title
    if BASICS not in found:
        raise QinglianError(
            f"{path.name}: 缺少工作表「基本情况」（现有：{'、'.join(inspections) or '无'}）",
            f"{path.name}: no sheet 基本情况 (basics) (sheets: {', '.join(inspections) or 'none'})",
        )
    sources = [
        _Source(section, path, title)
        for section, title in found.items()
        # An entirely empty section sheet has no rows of its kind; 基本情况 must have a table.
        if section is BASICS or inspections[title].has_values
    ]
    return sources, {title: inspections[title] for title in found.values()}


def _directory_sources(path: Path) -> list[_Source]:
    found: dict[Section, Path] = {}
    for file in sorted(path.iterdir()):
        if not file.is_file() or file.suffix.lower() != ".csv":
            continue
        if file.stem.lower().endswith(".rejected"):
            continue
        section = section_for_sheet(file.stem)
        if section is None:
            raise QinglianError(
                f"{path.name}/{file.name}: 无法识别的 CSV 文件（文件名应为：{_sheet_names_zh()}）",
                f"{path.name}/{file.name}: unknown CSV file (names must be: {_sheet_names_en()})",
            )
        if section in found:
            raise QinglianError(
                f"{path.name}: 「{found[section].name}」和「{file.name}」都是「{section.sheet}」",
                f"{path.name}: {found[section].name!r} and {file.name!r} are both "
                f"{section.sheet!r}",
            )
        found[section] = file
    if BASICS not in found:
        raise QinglianError(
            f"{path.name}: 目录中没有 基本情况.csv（各工作表的 CSV 须以工作表名称命名）",
            f"{path.name}: the directory has no 基本情况.csv (each sheet's CSV is named "
            "after its sheet)",
        )
    return [
        _Source(section, file)
        for section, file in found.items()
        if section is BASICS or file.read_bytes().strip(b" \t\r\n\xef\xbb\xbf")
    ]


def _sheet_names_zh() -> str:
    return "、".join(section.sheet for section in SECTIONS)


def _sheet_names_en() -> str:
    return ", ".join(f"{section.sheet} ({section.key})" for section in SECTIONS)
