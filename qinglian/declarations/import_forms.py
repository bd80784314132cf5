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

CSV files may be UTF-8 (with or without BOM), GB18030 or Excel's UTF-16 text (``qinglian.exchange.reading``).

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

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from pydantic import Field
from sqlmodel import Session, col, select

from models import Unit
from models.enums import DeliverableStatus
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.core.errors import QinglianError
from qinglian.core.gc_pause import gc_paused
from qinglian.declarations.form_checks import (
    CadreRef,
    check_forms,
    load_cadres,
    reject_whole_forms,
    sorted_errors,
)
from qinglian.declarations.form_quirks import sheet_quirks
from qinglian.declarations.form_rejected import write_rejected_forms
from qinglian.declarations.form_rows import parse_form_row
from qinglian.declarations.form_sources import read_form_sheets
from qinglian.declarations.form_writes import plan_changes, write_declarations
from qinglian.exchange.quarantine import check_errors
from qinglian.exchange.report import ImportReport
from qinglian.org.units import get_unit_by_code
from qinglian.rules.scope import files_declaration, three_years_before

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


def import_forms(
    *,
    session: Session,
    path: Path,
    campaign_id: int,
    as_of: date,
    skip_invalid: bool = False,
    reason: str | None = None,
    unit_code: str | None = None,
    before_writing: Callable[[], object] | None = None,
) -> FormImportReport:
    """Import the report forms of a workbook or CSV set into a campaign (see module docs).

    With ``unit_code`` (a unit reporting for itself), every form must be one of that unit's
    own cadres that its template lists: a form of any other cadre refuses the whole file.
    ``before_writing`` is called once the file is read and checked, just before the import
    looks at what is stored and writes: the portal takes the inputs lock there, so that reading
    and checking a workbook (most of the work) never holds it.
    """
    with gc_paused():
        return _import(
            session, path, campaign_id, as_of, skip_invalid, reason, unit_code, before_writing
        )


def _import(
    session: Session,
    path: Path,
    campaign_id: int,
    as_of: date,
    skip_invalid: bool,
    reason: str | None,
    unit_code: str | None,
    before_writing: Callable[[], object] | None,
) -> FormImportReport:
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    root = campaign_root(session=session, campaign=campaign)
    assert campaign.id is not None
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
    tables, inspections = read_form_sheets(path)
    quirks = sheet_quirks(path, tables, inspections)
    rows = [
        parse_form_row(table, section, number, record, quirks.pop((table.sheet, number), []))
        for section, table in tables.items()
        for number, record in table.rows
    ]
    # A merged or formula cell can leave a whole row looking empty: it still counts.
    stray = [error for errors in quirks.values() for error in errors]
    cadres = load_cadres(session, sorted({row.staff_no for row in rows if row.staff_no}))
    if unit_code is not None:
        _check_own_cadres(
            session, path.name, unit_code, list(cadres.values()), start_on=campaign.start_on
        )
    forms, not_filled = check_forms(
        rows,
        cadres,
        start_on=campaign.start_on,
        cutoff=three_years_before(campaign.start_on),
        root_path=root.path,
        as_of=as_of,
    )
    errors = check_errors(
        path,
        sorted_errors([*stray, *(error for row in rows for error in row.cells.errors)]),
        skip_invalid=skip_invalid,
    )
    rejected = reject_whole_forms(rows) if errors else []
    good = [form for form in forms if all(row.ok for row in form.all_rows)]
    report = FormImportReport(
        file=path.name,
        sheet="、".join(table.sheet for table in tables.values()),
        sheets=[table.sheet for table in tables.values()],
        rows_read=len(rows),
        not_filled=not_filled,
        rejected=sorted_errors([*errors, *rejected]),
    )
    if before_writing is not None:
        before_writing()
    changes = plan_changes(session, campaign.id, good)
    if changes.amended and reason is None:
        raise AmendmentReasonRequired(
            path.name, [(form.cadre.staff_no, form.cadre.name) for form in changes.amended]
        )
    report.created, report.amended = len(changes.new), len(changes.amended)
    report.updated = len(changes.amended)
    report.unchanged = changes.unchanged
    if changes.changed:
        statuses = write_declarations(
            session, campaign.id, path, changes, as_of=as_of, reason=reason
        )
        report.on_time = statuses[DeliverableStatus.on_time]
        report.late = statuses[DeliverableStatus.late]
    if errors:
        report.forms_rejected = len({row.staff_no or id(row) for row in rows if not row.ok})
        report.rejected_file = write_rejected_forms(path, tables, rows)
    return report


def _check_own_cadres(
    session: Session, file: str, unit_code: str, cadres: Sequence[CadreRef], *, start_on: date
) -> None:
    """Refuse the whole file if a form is not of a cadre that ``unit_code``'s template lists."""
    unit = get_unit_by_code(session=session, code=unit_code)
    foreign = sorted((c for c in cadres if c.unit_id != unit.id), key=lambda c: c.staff_no)
    if foreign:
        owners = {
            row.id: row
            for row in session.exec(
                select(Unit).where(col(Unit.id).in_(sorted({c.unit_id for c in foreign})))
            )
        }
        shown = foreign[:_SHOWN_CADRES]
        zh = "；".join(
            f"{c.staff_no} {c.name} 属于 {owners[c.unit_id].code}（{owners[c.unit_id].name}）"
            for c in shown
        )
        en = "; ".join(
            f"{c.staff_no} belongs to {owners[c.unit_id].code} ({owners[c.unit_id].name})"
            for c in shown
        )
        more = len(foreign) - len(shown)
        raise QinglianError(
            f"{file}: 这是其他单位干部的报告表，{unit.name}（{unit.code}）只能上报本单位干部的"
            f"报告表；未导入任何数据：{zh}{f' 等 {len(foreign)} 人' if more else ''}",
            f"{file}: this holds forms of another unit's cadres; {unit.code} may only submit "
            f"its own cadres' forms; nothing imported: {en}{f' and {more} more' if more else ''}",
        )
    departed = sorted(
        (c for c in cadres if not files_declaration(c.left_on, start_on)),
        key=lambda c: c.staff_no,
    )
    if departed:
        raise QinglianError(
            f"{file}: 以下干部离任已满三年，不在{unit.name}报告表模板所列干部中；未导入任何数据："
            + "、".join(f"{c.staff_no} {c.name}" for c in departed[:_SHOWN_CADRES]),
            f"{file}: these cadres left office more than three years ago and are not on "
            f"{unit.code}'s template; nothing imported: "
            + ", ".join(c.staff_no for c in departed[:_SHOWN_CADRES]),
        )
