"""Checking a file's form rows against each other, the cadre register and the campaign."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlmodel import Session, select

from models.cadre import Cadre
from models.unit import Unit
from qinglian.core.errors import RowError
from qinglian.core.sql import chunked
from qinglian.declarations.columns import BASICS, RETIREMENT_JOBS, SECTIONS
from qinglian.declarations.form_rows import DATE_KEYS_OF_SECTION, FormRow

_EARLIEST = date(1900, 1, 1)
_NAME_NOISE = re.compile(r"[\s·•・‧∙⋅.]+")
# Sheets in the order the template has them, for errors and the rejected-rows file.
SHEET_ORDER = {section.sheet: index for index, section in enumerate(SECTIONS)}


class CadreRef(NamedTuple):
    """What the checks need to know of a cadre in the register."""

    id: int
    staff_no: str
    name: str
    unit_id: int
    left_on: date | None
    retired: bool
    unit_path: str


@dataclass
class CadreForm:
    """One cadre's form: the 基本情况 row and the section rows with the same 工号."""

    cadre: CadreRef
    basics: FormRow
    rows: list[FormRow]
    content_hash: str = ""

    @property
    def all_rows(self) -> list[FormRow]:
        return [self.basics, *self.rows]


def load_cadres(session: Session, staff_nos: Sequence[str]) -> dict[str, CadreRef]:
    """The register's cadres of ``staff_nos``, with the path of their unit."""
    cadre = Cadre.__table__  # type: ignore[attr-defined]
    unit = Unit.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    found: dict[str, CadreRef] = {}
    for chunk in chunked(staff_nos):
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
            found[values[1]] = CadreRef(*values)
    return found


def check_forms(
    rows: Sequence[FormRow],
    cadres: Mapping[str, CadreRef],
    *,
    start_on: date,
    cutoff: date,
    root_path: str,
    as_of: date,
) -> tuple[list[CadreForm], int]:
    """Check every row; returns the forms (valid or not) and the count of unfilled ones."""
    basics_by_staff: dict[str, list[FormRow]] = defaultdict(list)
    section_rows: dict[str, list[FormRow]] = defaultdict(list)
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

    forms: list[CadreForm] = []
    not_filled = 0
    for staff_no, own in basics_by_staff.items():
        cadre = cadres[staff_no]
        basics = own[0]
        form = CadreForm(cadre=cadre, basics=basics, rows=section_rows.get(staff_no, []))
        _check_cadre(form, cutoff=cutoff, root_path=root_path)
        if len(own) == 1 and _unfilled(form):
            not_filled += 1
            continue
        _check_content(form)
        forms.append(form)
    return forms, not_filled


def _check_dates(row: FormRow, *, start_on: date, as_of: date) -> None:
    for key in DATE_KEYS_OF_SECTION[row.section.key]:
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


def _check_duplicate_rows(rows: Sequence[FormRow]) -> None:
    first: dict[tuple[str, str], FormRow] = {}
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


def _check_cadre(form: CadreForm, *, cutoff: date, root_path: str) -> None:
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


def _unfilled(form: CadreForm) -> bool:
    """A pre-filled 基本情况 row the cadre has not touched: nothing to import yet."""
    values = form.basics.values
    return (
        form.basics.ok
        and not form.rows
        and values["nothing_to_declare"] is None
        and values["submitted_on"] is None
        and values["signed_on"] is None
    )


def _check_content(form: CadreForm) -> None:
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


def reject_whole_forms(rows: Sequence[FormRow]) -> list[RowError]:
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


def sorted_errors(errors: Iterable[RowError]) -> list[RowError]:
    """Errors in sheet order, then row order."""
    return sorted(
        errors, key=lambda error: (SHEET_ORDER.get(error.sheet, len(SECTIONS)), error.row)
    )
