"""Import report forms (《卫生系统领导干部防止利益冲突有关事项报告表》) into a campaign.

What can be imported (``path``):

* **an XLSX workbook** with one sheet per section, as ``write_form_template`` writes it:
  ``基本情况`` (required), ``亲属从业``, ``本人兼职``, ``离退休后从业``, ``回避事项``. A section sheet
  that is missing or entirely empty means "no rows of that kind"; a missing ``基本情况`` is an
  error. ``填报说明`` and ``选项`` are ignored; any other non-empty sheet is refused, so that a
  renamed section is never skipped unseen. A sheet may be named after its section loosely
  (``表1 基本情况``, or the English ``basics``/``relatives``/``posts``/``retirement_jobs``/
  ``recusals``).
* **a directory of CSV files, one per sheet**, each named after its sheet: ``基本情况.csv``,
  ``亲属从业.csv``, ``本人兼职.csv``, ``离退休后从业.csv``, ``回避事项.csv`` (same naming rules;
  ``*.rejected.csv`` files are ignored, any other CSV is refused).
* **a single CSV** whose stem is ``基本情况``: forms without any section rows.

CSV files may be UTF-8 (with or without BOM), GB18030 or Excel's UTF-16 text (``qinglian.tabular``).

Every row of every sheet is validated before anything is written. One cadre's rows make one
form, submitted as a new ``Declaration`` version with a sha256 ``content_hash`` of its
normalised content (order of rows and sheets does not matter). Re-importing the same content
changes nothing; changed content for a cadre who already has a current declaration is an
amendment and needs ``reason``. A file with any invalid row imports nothing, unless
``skip_invalid``: then a cadre with any invalid row is left out as a whole (a form is never
half-imported) and all of its rows go to ``<file>.rejected.csv`` with the reasons.

A 基本情况 row with nothing filled in by the cadre (no 无报告事项, no dates, no section rows) is
a form not yet filled: it is counted as ``not_filled`` and imports nothing. Empty yes/no cells
take the table defaults (否, but 是否已回避 = 是; 是否离职或退休三年内 follows the cadre register);
an empty 经营类型/单位类型 is 其他.

Writes go through Core ``executemany`` and the caller's session; this module only flushes.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import load_workbook
from pydantic import Field
from sqlalchemy import Table, insert, update
from sqlmodel import Session, col, select

from models.cadre import Cadre
from models.campaign import Deliverable
from models.enums import BusinessType, DeliverableStatus, EmployerType, OrgType
from models.form import (
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
)
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.errors import ImportRejected, QinglianError, RowError
from qinglian.declarations.columns import (
    BASICS,
    DATE_KEYS,
    INSTRUCTIONS_SHEET,
    OPTIONS_SHEET,
    POSTS,
    RECUSALS,
    RELATIVES,
    RETIREMENT_JOBS,
    SECTIONS,
    Section,
    parse_business_type,
    parse_employer_type,
    parse_org_type,
    parse_recusal_situation,
    parse_relation,
    section_for_sheet,
)
from qinglian.declarations.completeness import FORMS_DELIVERABLE
from qinglian.declarations.workbook import SheetInspection, inspect_workbook
from qinglian.exchange.tabular import (
    ImportReport,
    RowCells,
    TableRead,
    parse_bool,
    parse_code,
    parse_date,
    parse_text,
    read_rows,
    rejected_path,
    split_reason,
)
from qinglian.org.import_cadres import parse_scope_category
from qinglian.rules.scope import three_years_before
from qinglian.rules.status import deliverable_status

# Keeps every IN (...) under SQLite's historical limit of 999 bound parameters.
_CHUNK = 900
_ZIP_MAGIC = b"PK\x03\x04"
_EARLIEST = date(1900, 1, 1)
_IGNORED_SHEETS = frozenset({INSTRUCTIONS_SHEET, OPTIONS_SHEET})
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INVISIBLE = frozenset("\ufeff\u200b\u200c\u200d\u2060")
_MEMO_SIZE = 10_000
_ABSENT = object()
_FORMULA = re.compile(r"\s*=\s*\S")
_NAME_NOISE = re.compile(r"[\s·•・‧∙⋅.]+")
_SHOWN_CADRES = 20


class FormImportReport(ImportReport):
    """What one form import did; ``created``/``amended``/``unchanged`` count forms (cadres)."""

    amended: int = 0
    not_filled: int = 0
    on_time: int = 0
    late: int = 0
    rows_read: int = 0
    forms_rejected: int = 0
    sheets: list[str] = Field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({(error.sheet, error.row) for error in self.rejected})


class AmendmentReasonRequired(QinglianError):
    """Changed forms of cadres who already submitted, imported without a reason; nothing written."""

    def __init__(self, file: str, cadres: Sequence[tuple[str, str]]) -> None:
        shown = cadres[:_SHOWN_CADRES]
        more_zh = f"等 {len(cadres)} 人" if len(cadres) > len(shown) else ""
        more_en = f" and {len(cadres) - len(shown)} more" if len(cadres) > len(shown) else ""
        super().__init__(
            f"{file}: 以下干部已提交过报告表，本次内容有变化，属于修改，须说明修改原因"
            f"（--reason）；未导入任何数据：{'、'.join(f'{n}（{s}）' for s, n in shown)}{more_zh}",
            f"{file}: these cadres already have a current form and this file changes it; an "
            f"amendment needs a reason (--reason); nothing imported: "
            f"{', '.join(f'{n} ({s})' for s, n in shown)}{more_en}",
        )
        self.staff_nos = [staff_no for staff_no, _ in cadres]


# --- fields of the section sheets ----------------------------------------------------------


class _Field(NamedTuple):
    key: str
    parser: Callable[[Any], Any]
    default: Any
    required: bool = False


def _clean(value: Any) -> bool:
    """A string ``parse_text`` would return unchanged (no blanks at either end)."""
    return (
        type(value) is str
        and value != ""
        and not (value[0].isspace() or value[-1].isspace())
        and value[0] not in _INVISIBLE
        and value[-1] not in _INVISIBLE
    )


def _text(value: Any) -> str:
    return value if _clean(value) else parse_text(value)


def _staff_no(value: Any) -> str:
    # ASCII text is its own NFKC form: most staff numbers need no folding.
    return value if _clean(value) and value.isascii() else parse_code(value)


def _memo(parser: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A pure cell parser remembered by value: a form file repeats 是/否, choices and dates."""
    cache: dict[tuple[type, Any], tuple[bool, Any]] = {}

    def parse(value: Any) -> Any:
        key = (type(value), value)
        known = cache.get(key)
        if known is None:
            try:
                known = (True, parser(value))
            except ValueError as exc:
                known = (False, str(exc))
            if len(cache) < _MEMO_SIZE:
                cache[key] = known
        ok, result = known
        if ok:
            return result
        raise ValueError(result)

    parse.__name__ = parser.__name__
    return parse


def _date(value: Any) -> date | None:
    # The common case first: an ISO date from a CSV.
    if type(value) is str and len(value) == 10 and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return parse_date(value)


def _scope_category(value: Any) -> int | None:
    return parse_scope_category(value) if parse_text(value) else None


_bool = _memo(parse_bool)
_day = _memo(_date)
_category = _memo(_scope_category)
_relation = _memo(parse_relation)
_business_type = _memo(parse_business_type)
_org_type = _memo(parse_org_type)
_employer_type = _memo(parse_employer_type)
_situation = _memo(parse_recusal_situation)

_SECTION_FIELDS: dict[str, tuple[_Field, ...]] = {
    RELATIVES.key: (
        _Field("name", _text, "", required=True),
        _Field("relation", _relation, None, required=True),
        _Field("employer", _text, ""),
        _Field("position", _text, ""),
        _Field("business_type", _business_type, BusinessType.other),
        _Field("within_jurisdiction", _bool, False),
    ),
    POSTS.key: (
        _Field("organisation", _text, "", required=True),
        _Field("org_type", _org_type, OrgType.other),
        _Field("post", _text, ""),
        _Field("is_leadership", _bool, False),
        _Field("approved", _bool, False),
        _Field("paid", _bool, False),
    ),
    RETIREMENT_JOBS.key: (
        _Field("employer", _text, "", required=True),
        _Field("employer_type", _employer_type, EmployerType.other),
        _Field("within_former_jurisdiction", _bool, False),
        _Field("started_on", _day, None),
    ),
    RECUSALS.key: (
        _Field("situation", _situation, None, required=True),
        _Field("matter", _text, "", required=True),
        _Field("occurred_on", _day, None),
        _Field("recused", _bool, True),
    ),
}
_SECTION_TABLES: dict[str, Any] = {
    RELATIVES.key: DeclaredRelative,
    POSTS.key: DeclaredPost,
    RETIREMENT_JOBS.key: DeclaredRetirementJob,
    RECUSALS.key: DeclaredRecusal,
}
_DATE_KEYS: dict[str, tuple[str, ...]] = {
    section.key: tuple(spec.key for spec in section.columns if spec.key in DATE_KEYS)
    for section in SECTIONS
}
# Widths come from the tables, so PostgreSQL never meets a value it would refuse.
_MAX_LENGTH: dict[str, dict[str, int]] = {
    key: {
        column.name: column.type.length
        for column in table.__table__.columns
        if getattr(column.type, "length", None)
    }
    for key, table in _SECTION_TABLES.items()
}


# --- what the importer works on ------------------------------------------------------------


class _CadreRef(NamedTuple):
    id: int
    staff_no: str
    name: str
    unit_id: int
    left_on: date | None
    retired: bool
    unit_path: str


class _Current(NamedTuple):
    id: int
    version: int
    content_hash: str


@dataclass
class _Row:
    section: Section
    cells: RowCells
    staff_no: str
    values: dict[str, Any] = field(default_factory=dict)
    # The normalised content, as compared for duplicates and hashed.
    canonical: str = ""

    @property
    def number(self) -> int:
        return self.cells.number

    @property
    def ok(self) -> bool:
        return not self.cells.errors


@dataclass
class _Form:
    cadre: _CadreRef
    basics: _Row
    rows: list[_Row]
    content_hash: str = ""

    @property
    def all_rows(self) -> list[_Row]:
        return [self.basics, *self.rows]


@dataclass(frozen=True, slots=True)
class _Source:
    section: Section
    path: Path
    sheet: str | None = None  # the worksheet title, for a workbook


def import_forms(
    *,
    session: Session,
    path: Path,
    campaign_id: int,
    as_of: date,
    skip_invalid: bool = False,
    reason: str | None = None,
) -> FormImportReport:
    """Import the report forms of a workbook or CSV set into a campaign (see module docs)."""
    with _without_gc():
        return _import(session, path, campaign_id, as_of, skip_invalid, reason)


@contextmanager
def _without_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file is imported.

    Parsing makes hundreds of thousands of long-lived objects and no reference cycles; the
    collector would scan them again and again as they pile up (a third of the time of a
    province's forms). Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import(
    session: Session,
    path: Path,
    campaign_id: int,
    as_of: date,
    skip_invalid: bool,
    reason: str | None,
) -> FormImportReport:
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    root = session.get(Unit, campaign.root_unit_id)
    assert root is not None and campaign.id is not None
    if as_of < campaign.start_on:
        raise QinglianError(
            f"导入日期 {as_of} 早于专项活动开始日期 {campaign.start_on}",
            f"the import date {as_of} is before the campaign start {campaign.start_on}",
        )
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > 1000:
        raise QinglianError(
            f"修改原因过长（{len(reason)} 个字符，最多 1000 个）",
            f"the amendment reason is too long ({len(reason)} characters, at most 1000)",
        )
    tables, inspections = _read(path)
    quirks = _quirks(path, tables, inspections)
    rows = [
        _parse_row(table, section, number, record, quirks.pop((table.sheet, number), []))
        for section, table in tables.items()
        for number, record in table.rows
    ]
    # A merged or formula cell can leave a whole row looking empty: it still counts.
    stray = [error for errors in quirks.values() for error in errors]
    cadres = _load_cadres(session, sorted({row.staff_no for row in rows if row.staff_no}))
    forms, not_filled = _validate(
        rows,
        cadres,
        start_on=campaign.start_on,
        cutoff=three_years_before(campaign.start_on),
        root_path=root.path,
        as_of=as_of,
    )
    errors = _sorted_errors([*stray, *(error for row in rows for error in row.cells.errors)])
    if errors and not skip_invalid:
        raise ImportRejected(path.name, errors)
    rejected = _reject_whole_forms(rows) if errors else []
    good = [form for form in forms if all(row.ok for row in form.all_rows)]
    report = FormImportReport(
        file=path.name,
        sheet="、".join(table.sheet for table in tables.values()),
        sheets=[table.sheet for table in tables.values()],
        rows_read=len(rows),
        not_filled=not_filled,
        rejected=_sorted_errors([*errors, *rejected]),
    )
    _apply(session, campaign.id, path, good, as_of=as_of, reason=reason, report=report)
    if errors:
        report.forms_rejected = len({row.staff_no or id(row) for row in rows if not row.ok})
        report.rejected_file = _write_rejected(path, tables, rows)
    return report


# --- reading -------------------------------------------------------------------------------


def _read(path: Path) -> tuple[dict[Section, TableRead], dict[str, SheetInspection]]:
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
    if _is_zip(path) or path.suffix.lower() in {".xlsx", ".xlsm"}:
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


def _is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == _ZIP_MAGIC
    except OSError:
        return False


def _workbook_sources(path: Path) -> tuple[list[_Source], dict[str, SheetInspection]]:
    if not _is_zip(path):
        # Not a workbook at all: the table reader explains (old .xls, renamed, missing …).
        read_rows(path, BASICS.columns, sheet=BASICS.sheet)
        raise QinglianError(
            f"{path.name}: 不是有效的 .xlsx 文件", f"{path.name}: not a valid .xlsx file"
        )
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


# --- parsing one row -----------------------------------------------------------------------


def _parse_row(
    table: TableRead,
    section: Section,
    number: int,
    record: dict[str, Any],
    quirks: Sequence[RowError],
) -> _Row:
    cells = RowCells(table, section.columns, number, record)
    cells.errors.extend(quirks)
    for key, value in record.items():
        if type(value) is str and "=" in value and _FORMULA.match(value):
            cells.fail(
                key,
                f"单元格内容「{value.strip()[:40]}」是公式而不是值，请填写实际值",
                f"the cell holds the formula {value.strip()[:40]!r}, not a value; enter the value",
            )
    staff_no = _get(cells, "staff_no", _staff_no, "")
    if not staff_no and not cells.failed("staff_no"):
        cells.fail("staff_no", "工号不能为空", "the staff number is empty")
    row = _Row(section=section, cells=cells, staff_no=staff_no)
    if section is BASICS:
        _parse_basics(row)
    else:
        _parse_section(row)
    return row


def _get(cells: RowCells, key: str, parser: Callable[[Any], Any], default: Any) -> Any:
    """``cells.get``, skipping a column that already failed (a merged or formula cell)."""
    if cells.errors:
        return default if cells.failed(key) else cells.get(key, parser, default)
    # No error yet means no Excel error value in the row (RowCells reports those up front):
    # the cell can be parsed directly, which is what a province's 100,000 forms mostly need.
    value = cells.record.get(key, _ABSENT)
    if value is _ABSENT:
        return default
    try:
        return parser(value)
    except ValueError as exc:
        cells.fail(key, *split_reason(str(exc)))
        return default


def _parse_basics(row: _Row) -> None:
    cells = row.cells
    row.values = {
        "name": _get(cells, "name", _text, ""),
        "scope_category": _get(cells, "scope_category", _category, None),
        "left_within_3_years": _get(cells, "left_within_3_years", _bool, None),
        "nothing_to_declare": _get(cells, "nothing_to_declare", _bool, None),
        "submitted_on": _get(cells, "submitted_on", _day, None),
        "signed_on": _get(cells, "signed_on", _day, None),
    }


def _parse_section(row: _Row) -> None:
    cells = row.cells
    fields = _SECTION_FIELDS[row.section.key]
    limits = _MAX_LENGTH[row.section.key]
    canonical: list[Any] = []
    for spec in fields:
        value = _get(cells, spec.key, spec.parser, None)
        if value is None or value == "":
            if spec.required and not cells.failed(spec.key):
                header = row.section.column(spec.key).header
                cells.fail(spec.key, f"「{header}」不能为空", f"{header} ({spec.key}) is empty")
            value = spec.default
        if isinstance(value, str) and len(value) > limits.get(spec.key, len(value)):
            cells.fail(
                spec.key,
                f"内容过长（{len(value)} 个字符，最多 {limits[spec.key]} 个）",
                f"too long ({len(value)} characters, at most {limits[spec.key]})",
            )
        row.values[spec.key] = value
        canonical.append(_canonical(value))
    row.canonical = json.dumps(canonical, ensure_ascii=False, separators=(",", ":"))


def _canonical(value: Any) -> Any:
    if isinstance(value, str):
        # StrEnum members are str too: their value is what counts.
        return " ".join(unicodedata.normalize("NFKC", str(value)).split())
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- validating the file against itself and the database ----------------------------------


def _load_cadres(session: Session, staff_nos: Sequence[str]) -> dict[str, _CadreRef]:
    cadre, unit = _table(Cadre), _table(Unit)
    connection = session.connection()
    found: dict[str, _CadreRef] = {}
    for chunk in _chunks(staff_nos):
        statement = (
            select(
                cadre.c.id,
                cadre.c.staff_no,
                cadre.c.name,
                cadre.c.unit_id,
                cadre.c.left_on,
                cadre.c.retired,
                unit.c.path,
            )
            .join(unit, unit.c.id == cadre.c.unit_id)
            .where(cadre.c.staff_no.in_(chunk))
        )
        for values in connection.execute(statement):
            found[values[1]] = _CadreRef(*values)
    return found


def _validate(
    rows: Sequence[_Row],
    cadres: Mapping[str, _CadreRef],
    *,
    start_on: date,
    cutoff: date,
    root_path: str,
    as_of: date,
) -> tuple[list[_Form], int]:
    """Check every row; returns the forms (valid or not) and the count of unfilled ones."""
    basics_by_staff: dict[str, list[_Row]] = defaultdict(list)
    section_rows: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        _check_dates(row, start_on=start_on, as_of=as_of)
        if not row.staff_no:
            continue
        if row.staff_no not in cadres:
            row.cells.fail(
                "staff_no",
                f"工号「{row.staff_no}」不在干部名册中（请先导入干部）",
                f"no cadre with staff number {row.staff_no!r} (import the cadres first)",
            )
            continue
        if row.section is BASICS:
            basics_by_staff[row.staff_no].append(row)
        else:
            section_rows[row.staff_no].append(row)

    for staff_no, own in basics_by_staff.items():
        if len(own) > 1:
            for row in own:
                others = "、".join(str(other.number) for other in own if other is not row)
                row.cells.fail(
                    "staff_no",
                    f"工号「{staff_no}」在「基本情况」中重复（另见第{others}行）",
                    f"staff number {staff_no!r} appears more than once in 基本情况 "
                    f"(see also row(s) {others})",
                )
    for staff_no, own in section_rows.items():
        if staff_no not in basics_by_staff:
            for row in own:
                row.cells.fail(
                    "staff_no",
                    f"工号「{staff_no}」在「基本情况」中没有对应的行",
                    f"staff number {staff_no!r} has no row in 基本情况 (basics)",
                )
        _check_duplicate_rows(own)

    forms: list[_Form] = []
    not_filled = 0
    for staff_no, own in basics_by_staff.items():
        cadre = cadres[staff_no]
        basics = own[0]
        form = _Form(cadre=cadre, basics=basics, rows=section_rows.get(staff_no, []))
        _check_cadre(form, cutoff=cutoff, root_path=root_path)
        if len(own) == 1 and _unfilled(form):
            not_filled += 1
            continue
        _check_content(form)
        forms.append(form)
    return forms, not_filled


def _check_dates(row: _Row, *, start_on: date, as_of: date) -> None:
    for key in _DATE_KEYS[row.section.key]:
        value = row.values.get(key)
        if value is None:
            continue
        header = row.cells.table.header_of(key, row.section.columns)
        if value < _EARLIEST:
            row.cells.fail(
                key,
                f"「{header}」{value.isoformat()} 早于 1900 年",
                f"{header} {value.isoformat()} is before 1900",
            )
        elif value > as_of:
            row.cells.fail(
                key,
                f"「{header}」{value.isoformat()} 晚于导入日期 {as_of.isoformat()}",
                f"{header} {value.isoformat()} is after the import date {as_of.isoformat()}",
            )
        elif key == "submitted_on" and value < start_on:
            row.cells.fail(
                key,
                f"「{header}」{value.isoformat()} 早于专项活动开始日期 {start_on.isoformat()}",
                f"{header} {value.isoformat()} is before the campaign start {start_on.isoformat()}",
            )


def _check_duplicate_rows(rows: Sequence[_Row]) -> None:
    first: dict[tuple[str, str], _Row] = {}
    for row in rows:
        if not row.canonical:
            continue
        key = (row.section.key, row.canonical)
        if key in first:
            row.cells.fail(
                "staff_no",
                f"与「{row.section.sheet}」第{first[key].number}行完全相同（重复填报）",
                f"identical to row {first[key].number} of {row.section.sheet} (a duplicate)",
            )
        else:
            first[key] = row


def _check_cadre(form: _Form, *, cutoff: date, root_path: str) -> None:
    cadre, cells = form.cadre, form.basics.cells
    if not cadre.unit_path.startswith(root_path):
        cells.fail(
            "staff_no",
            f"干部「{cadre.name}」（{cadre.staff_no}）所在单位不在本专项活动的范围内",
            f"cadre {cadre.staff_no} belongs to a unit outside this campaign's tree",
        )
    elif cadre.left_on is not None and cadre.left_on < cutoff:
        cells.fail(
            "staff_no",
            f"干部「{cadre.name}」（{cadre.staff_no}）于 {cadre.left_on.isoformat()} 离任，"
            "已超过三年，不属于本次填报对象",
            f"cadre {cadre.staff_no} left office on {cadre.left_on.isoformat()}, more than "
            "three years before the campaign started: not in scope",
        )
    written = form.basics.values.get("name") or ""
    if written and _name_key(written) != _name_key(cadre.name):
        cells.fail(
            "name",
            f"姓名「{written}」与干部名册中工号「{cadre.staff_no}」的姓名「{cadre.name}」不一致",
            f"name {written!r} differs from the register's {cadre.name!r} for staff number "
            f"{cadre.staff_no!r}",
        )


def _name_key(name: str) -> str:
    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", name))


def _unfilled(form: _Form) -> bool:
    """A pre-filled 基本情况 row the cadre has not touched: nothing to import yet."""
    values = form.basics.values
    return (
        form.basics.ok
        and not form.rows
        and values["nothing_to_declare"] is None
        and values["submitted_on"] is None
        and values["signed_on"] is None
    )


def _check_content(form: _Form) -> None:
    basics, cadre = form.basics, form.cadre
    nothing = basics.values["nothing_to_declare"]
    if nothing and form.rows:
        sheets = "、".join(dict.fromkeys(row.section.sheet for row in form.rows))
        basics.cells.fail(
            "nothing_to_declare",
            f"填了“无报告事项”，但「{sheets}」中有该工号的 {len(form.rows)} 行，两者矛盾",
            f"“nothing to declare” is 是 (yes) but {sheets} hold(s) {len(form.rows)} row(s) "
            "for this staff number: a contradiction",
        )
        for row in form.rows:
            row.cells.fail(
                "staff_no",
                f"该干部在「基本情况」第{basics.number}行填了“无报告事项”，本行与之矛盾",
                f"this cadre declared “nothing to declare” in row {basics.number} of 基本情况; "
                "this row contradicts it",
            )
    elif not form.rows and not nothing and not basics.cells.failed("nothing_to_declare"):
        if nothing is None:
            basics.cells.fail(
                "nothing_to_declare",
                "各分表没有该工号的任何事项，却未填“无报告事项”：没有需要报告的事项时请填“是”",
                "no section rows for this staff number and “nothing to declare” is empty: "
                "write 是 (yes) when there is nothing to declare",
            )
        else:
            basics.cells.fail(
                "nothing_to_declare",
                "“无报告事项”为“否”，但各分表没有该工号的任何事项",
                "“nothing to declare” is 否 (no) but no section has a row for this staff number",
            )
    left = basics.values["left_within_3_years"]
    if left is None:
        left = cadre.retired or cadre.left_on is not None
        basics.values["left_within_3_years"] = left
    for row in form.rows:
        if row.section is not RETIREMENT_JOBS:
            continue
        if not left:
            row.cells.fail(
                "staff_no",
                "该干部未离职或退休（「是否离职或退休三年内」为“否”），不应填写离退休后从业",
                "the cadre has not left office (“left within 3 years” is 否), so there can be "
                "no post-retirement employment",
            )
        started = row.values.get("started_on")
        if started is not None and cadre.left_on is not None and started < cadre.left_on:
            row.cells.fail(
                "started_on",
                f"从业开始日期 {started.isoformat()} 早于离任日期 {cadre.left_on.isoformat()}",
                f"the start date {started.isoformat()} is before the cadre left office "
                f"({cadre.left_on.isoformat()})",
            )


def _reject_whole_forms(rows: Sequence[_Row]) -> list[RowError]:
    """With ``skip_invalid``: every row of a cadre with an invalid row goes too, with a reason."""
    bad = {row.staff_no for row in rows if not row.ok and row.staff_no}
    collateral: list[RowError] = []
    for row in rows:
        if row.ok and row.staff_no in bad:
            row.cells.fail(
                "staff_no",
                "同一工号的其他行有错误，该干部的报告表整体未导入",
                "another row of this cadre's form is invalid; the whole form was not imported",
            )
            collateral.append(row.cells.errors[-1])
    return collateral


_SHEET_ORDER = {section.sheet: index for index, section in enumerate(SECTIONS)}


def _sorted_errors(errors: Iterable[RowError]) -> list[RowError]:
    return sorted(
        errors, key=lambda error: (_SHEET_ORDER.get(error.sheet, len(SECTIONS)), error.row)
    )


# --- writing -------------------------------------------------------------------------------


def _content_hash(form: _Form) -> str:
    """sha256 over one line per row, sorted: neither row nor sheet order counts."""
    basics = form.basics.values
    signed_on = basics["signed_on"]
    lines = sorted(f"{row.section.key}\t{row.canonical}" for row in form.rows)
    lines.insert(
        0,
        f"basics\t{int(bool(basics['nothing_to_declare']))}"
        f"\t{int(bool(basics['left_within_3_years']))}"
        f"\t{signed_on.isoformat() if signed_on else ''}",
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _apply(
    session: Session,
    campaign_id: int,
    path: Path,
    forms: Sequence[_Form],
    *,
    as_of: date,
    reason: str | None,
    report: FormImportReport,
) -> None:
    cadre_ids = [form.cadre.id for form in forms]
    current, versions = _load_versions(session, campaign_id, cadre_ids)
    new: list[_Form] = []
    amended: list[_Form] = []
    for form in forms:
        form.content_hash = _content_hash(form)
        existing = current.get(form.cadre.id)
        if existing is None:
            new.append(form)
        elif existing.content_hash != form.content_hash:
            amended.append(form)
    if amended and reason is None:
        raise AmendmentReasonRequired(
            path.name, [(form.cadre.staff_no, form.cadre.name) for form in amended]
        )
    report.created, report.amended = len(new), len(amended)
    report.updated = len(amended)
    report.unchanged = len(forms) - len(new) - len(amended)
    changed = [*new, *amended]
    if not changed:
        return

    superseded = [current[form.cadre.id].id for form in amended]
    for chunk in _chunks(superseded):
        session.execute(
            update(Declaration).where(col(Declaration.id).in_(chunk)).values(is_current=False)
        )
    dues = _load_dues(session, campaign_id, sorted({form.cadre.unit_id for form in changed}))
    recorded_at = datetime.now(UTC)
    source_file = path.name[:300]
    declarations: list[dict[str, Any]] = []
    statuses: Counter[DeliverableStatus] = Counter()
    for form in changed:
        basics = form.basics.values
        submitted_on = basics["submitted_on"] or as_of
        is_amendment = form.cadre.id in current
        declarations.append(
            {
                "campaign_id": campaign_id,
                "cadre_id": form.cadre.id,
                "unit_id": form.cadre.unit_id,
                "version": versions.get(form.cadre.id, 0) + 1,
                "is_current": True,
                "submitted_on": submitted_on,
                "signed_on": basics["signed_on"],
                "nothing_to_declare": bool(basics["nothing_to_declare"]),
                "left_within_3_years": bool(basics["left_within_3_years"]),
                "amendment_reason": reason if is_amendment and reason else "",
                "content_hash": form.content_hash,
                "source_file": source_file,
                "recorded_at": recorded_at,
            }
        )
        due_on = dues.get(form.cadre.unit_id)
        if due_on is not None:
            statuses[deliverable_status(due_on, submitted_on, as_of)] += 1
    report.on_time = statuses[DeliverableStatus.on_time]
    report.late = statuses[DeliverableStatus.late]
    # Core executemany on the table, RETURNING in batches. Asking for parameter order would
    # make SQLite insert row by row; each cadre has one new version, so its id is the key.
    connection = session.connection()
    table = _table(Declaration)
    statement = insert(table).returning(table.c.cadre_id, table.c.id)
    ids = {cadre_id: new_id for cadre_id, new_id in connection.execute(statement, declarations)}
    section_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for form in changed:
        declaration_id = ids[form.cadre.id]
        for row in form.rows:
            section_rows[row.section.key].append(
                {
                    "declaration_id": declaration_id,
                    "sheet": row.cells.table.sheet[:50],
                    "row": row.number,
                    **row.values,
                }
            )
    for key, values in section_rows.items():
        connection.execute(insert(_table(_SECTION_TABLES[key])), values)
    session.flush()


def _table(model: Any) -> Table:
    return model.__table__


def _load_versions(
    session: Session, campaign_id: int, cadre_ids: Sequence[int]
) -> tuple[dict[int, _Current], dict[int, int]]:
    """Per cadre of the file: its current declaration in the campaign, and its last version."""
    table = _table(Declaration)
    connection = session.connection()
    current: dict[int, _Current] = {}
    last: dict[int, int] = {}
    for chunk in _chunks(cadre_ids):
        statement = select(
            table.c.cadre_id,
            table.c.id,
            table.c.version,
            table.c.content_hash,
            table.c.is_current,
        ).where(table.c.campaign_id == campaign_id, table.c.cadre_id.in_(chunk))
        for cadre_id, declaration_id, version, content_hash, is_current in connection.execute(
            statement
        ):
            last[cadre_id] = max(version, last.get(cadre_id, 0))
            if is_current:
                current[cadre_id] = _Current(declaration_id, version, content_hash)
    return current, last


def _load_dues(session: Session, campaign_id: int, unit_ids: Sequence[int]) -> dict[int, date]:
    table = _table(Deliverable)
    connection = session.connection()
    found: dict[int, date] = {}
    for chunk in _chunks(unit_ids):
        statement = select(table.c.unit_id, table.c.due_on).where(
            table.c.campaign_id == campaign_id,
            table.c.kind == FORMS_DELIVERABLE,
            table.c.unit_id.in_(chunk),
        )
        found.update({unit_id: due_on for unit_id, due_on in connection.execute(statement)})
    return found


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# --- quarantine ----------------------------------------------------------------------------


def _write_rejected(path: Path, tables: Mapping[Section, TableRead], rows: Sequence[_Row]) -> Path:
    """All rejected rows of every sheet in one CSV that Excel opens (UTF-8 with BOM).

    The sheets have different columns; the file has their union, after 工作表 and 行号.
    """
    headers: list[str] = []
    for table in tables.values():
        headers.extend(header for header in table.columns.values() if header not in headers)
    target = rejected_path(path)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["工作表", "行号", *headers, "列", "原因", "reason"])
        for row in sorted(rows, key=lambda r: (_SHEET_ORDER[r.section.sheet], r.number)):
            if row.ok:
                continue
            table = row.cells.table
            by_header = {table.columns[key]: value for key, value in row.cells.record.items()}
            errors = row.cells.errors
            writer.writerow(
                [
                    table.sheet,
                    row.number,
                    *(_export_cell(by_header.get(header)) for header in headers),
                    "、".join(dict.fromkeys(error.column for error in errors)),
                    "；".join(error.zh for error in errors),
                    "; ".join(error.en for error in errors),
                ]
            )
    return target


def _export_cell(value: Any) -> str:
    text = parse_text(value)
    # A cell starting with = + - @ is a formula to Excel; quote it so it stays text.
    if text[:1] in {"=", "+", "-", "@"} and not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        return "'" + text
    return text


# --- what the cell values do not show ------------------------------------------------------


def _quirks(
    path: Path, tables: Mapping[Section, TableRead], inspections: Mapping[str, SheetInspection]
) -> dict[tuple[str, int], list[RowError]]:
    found: dict[tuple[str, int], list[RowError]] = defaultdict(list)
    for section, table in tables.items():
        inspection = inspections.get(table.sheet)
        if inspection is None:
            continue
        for error in _quirk_errors(path, table, section, inspection):
            found[(error.sheet, error.row)].append(error)
    return found


def _quirk_errors(
    path: Path, table: TableRead, section: Section, inspection: SheetInspection
) -> list[RowError]:
    """Merged cells and formulas without a saved result among the sheet's data rows."""
    if not inspection.merged and not inspection.formulas:
        return []
    header_row, positions = _header_positions(path, table)

    def column(index: int) -> str | None:
        if not positions:
            return _column_letter(index)
        key = positions.get(index)
        return table.header_of(key, section.columns) if key else None

    errors: list[RowError] = []
    for min_col, min_row, max_col, max_row, ref in inspection.merged:
        if max_row <= header_row:
            continue
        names = [name for index in range(min_col, max_col + 1) if (name := column(index))]
        if not names:
            continue
        for number in range(max(min_row, header_row + 1), max_row + 1):
            errors.append(
                RowError(
                    file=table.file,
                    sheet=table.sheet,
                    row=number,
                    column=names[0],
                    zh=f"{ref} 是合并单元格：合并后只有第一个单元格有值，其余会被当作空白；"
                    "请取消合并，并在每一行、每一列填写完整",
                    en=f"{ref} is a merged cell: only its first cell keeps the value and the "
                    "rest read as empty; unmerge it and fill in every row and column",
                )
            )
    for number, index, ref in inspection.formulas:
        name = column(index)
        if number <= header_row or name is None:
            continue
        errors.append(
            RowError(
                file=table.file,
                sheet=table.sheet,
                row=number,
                column=name,
                zh=f"单元格 {ref} 是公式，但文件中没有保存计算结果（可能由程序生成）；"
                "请在 Excel/WPS 中打开并保存后再导入，或直接填写数值",
                en=f"cell {ref} holds a formula saved without its result (written by a "
                "program?); open and save the file in Excel/WPS, or type the value instead",
            )
        )
    return errors


def _header_positions(path: Path, table: TableRead) -> tuple[int, dict[int, str]]:
    """The header row number and the 1-based column index of each known column."""
    wanted = {header: key for key, header in table.columns.items()}
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            worksheet = workbook[table.sheet]
            if hasattr(worksheet, "reset_dimensions"):
                worksheet.reset_dimensions()
            for number, values in enumerate(worksheet.iter_rows(max_row=10, values_only=True), 1):
                cells = [parse_text(value) for value in values]
                if set(wanted) <= set(cells):
                    return number, {
                        index: wanted[text]
                        for index, text in enumerate(cells, start=1)
                        if text in wanted
                    }
        finally:
            workbook.close()
    except Exception:  # the file was read once already; fall back to column letters
        pass
    return 0, {}


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
