"""Parsing one row of a report-form sheet: its cells, its section's fields and its canonical form."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from models.enums import BusinessType, EmployerType, OrgType
from models.form import DeclaredPost, DeclaredRecusal, DeclaredRelative, DeclaredRetirementJob
from qinglian.core.errors import RowError
from qinglian.declarations.columns import (
    BASICS,
    DATE_KEYS,
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
)
from qinglian.exchange.cells import (
    CODE_PATTERN,
    parse_bool,
    parse_date,
    parse_identifier,
    parse_text,
    split_reason,
)
from qinglian.exchange.row_checks import check_length
from qinglian.exchange.rows import CellsRow, RowCells
from qinglian.exchange.table import TableRead
from qinglian.org.import_cadres import parse_scope_category

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INVISIBLE = frozenset("\ufeff\u200b\u200c\u200d\u2060")
_MEMO_SIZE = 10_000
_ABSENT = object()
_FORMULA = re.compile(r"\s*=\s*\S")


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
    # Most staff numbers are already as the pattern wants them: no folding, nothing to refuse.
    if type(value) is str and CODE_PATTERN.fullmatch(value):
        return value
    return parse_identifier(value)


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
# The table each section's rows are written to.
SECTION_TABLES: dict[str, Any] = {
    RELATIVES.key: DeclaredRelative,
    POSTS.key: DeclaredPost,
    RETIREMENT_JOBS.key: DeclaredRetirementJob,
    RECUSALS.key: DeclaredRecusal,
}
# The date columns of each section, checked against the campaign and the import date.
DATE_KEYS_OF_SECTION: dict[str, tuple[str, ...]] = {
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
    for key, table in SECTION_TABLES.items()
}


@dataclass
class FormRow(CellsRow):
    """One parsed row of a sheet, for one cadre (by 工号)."""

    section: Section
    staff_no: str
    values: dict[str, Any] = field(default_factory=dict)
    # The normalised content, as compared for duplicates and hashed.
    canonical: str = ""

    @property
    def ok(self) -> bool:
        return not self.cells.errors


def parse_form_row(
    table: TableRead,
    section: Section,
    number: int,
    record: dict[str, Any],
    quirks: Sequence[RowError],
) -> FormRow:
    """Parse a row of ``section``; ``quirks`` are its merged or formula cells found earlier."""
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
    row = FormRow(section=section, cells=cells, staff_no=staff_no)
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


def _parse_basics(row: FormRow) -> None:
    cells = row.cells
    row.values = {
        "name": _get(cells, "name", _text, ""),
        "scope_category": _get(cells, "scope_category", _category, None),
        "left_within_3_years": _get(cells, "left_within_3_years", _bool, None),
        "nothing_to_declare": _get(cells, "nothing_to_declare", _bool, None),
        "submitted_on": _get(cells, "submitted_on", _day, None),
        "signed_on": _get(cells, "signed_on", _day, None),
    }


def _parse_section(row: FormRow) -> None:
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
        if isinstance(value, str) and spec.key in limits:
            check_length(cells, spec.key, value, limits[spec.key], "内容")
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
