"""Import complaints (信访举报) from an XLSX or CSV file: validate all, then store and match.

All or nothing unless ``skip_invalid``. Re-importing a file is a no-op: a row with a 编号 is
the same complaint as the one recorded under that number; a row without one is the same when
everything it says is the same. The quarantine file never repeats a complaint's text or its
complainant's contact: it points back at the row of the original file instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from sqlmodel import Session

from models.enums import FindingCategory
from qinglian.campaigns.lookup import get_campaign
from qinglian.complaints import crypto
from qinglian.complaints.intake import existing_intake_keys, store_complaints
from qinglian.complaints.matching import match_complaints, unit_directory
from qinglian.complaints.parsing import (
    IntakeItem,
    content_digest,
    intake_problems,
    parse_category,
    parse_channel,
    ref_key,
    row_key,
)
from qinglian.exchange.cells import parse_bool, parse_code, parse_date, parse_text
from qinglian.exchange.pipeline import run_import
from qinglian.exchange.report import ImportReport
from qinglian.exchange.row_checks import flag_repeats
from qinglian.exchange.rows import CellsRow, RowCells
from qinglian.exchange.table import ColumnSpec, TableRead
from qinglian.rules.unit_names import UnitDirectory

COMPLAINT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "external_ref",
        "编号",
        ("ref", "reference", "number", "no", "complaint no", "来件编号", "信访编号", "件号"),
    ),
    ColumnSpec(
        "channel", "渠道", ("channel", "来源", "举报渠道", "来源渠道", "受理方式"), required=True
    ),
    ColumnSpec(
        "received_on",
        "收到日期",
        ("received", "received on", "date received", "受理日期", "来件日期", "收件日期"),
        required=True,
    ),
    ColumnSpec("anonymous", "是否匿名", ("anonymous", "匿名")),
    ColumnSpec(
        "accused_name",
        "被反映人",
        ("accused", "accused name", "被举报人", "被反映人姓名", "被举报人姓名"),
        required=True,
    ),
    ColumnSpec(
        "accused_unit",
        "被反映单位",
        ("accused unit", "unit", "被举报单位", "被反映人单位", "被举报人单位", "所在单位"),
    ),
    ColumnSpec(
        "category", "问题类别", ("category", "alleged category", "问题类型", "反映问题类别")
    ),
    ColumnSpec(
        "content",
        "内容",
        ("content", "text", "反映内容", "举报内容", "主要内容", "反映问题"),
        required=True,
    ),
    ColumnSpec(
        "contact",
        "反映人联系方式",
        ("contact", "complainant contact", "联系方式", "举报人联系方式", "反映人联系电话"),
    ),
)
# What the quarantine file shows instead of the confidential cells.
MASKED = "（保密，已隐去，见原文件）"
_CONFIDENTIAL = ("content", "contact")


class IssuedReceipt(BaseModel):
    """A receipt code for an anonymous complainant: shown once to the operator, never stored."""

    row: int
    external_ref: str | None
    code: SecretStr


class ComplaintImportReport(ImportReport):
    """What one complaints import did, the matching included."""

    duplicates: int = 0
    matched: int = 0
    ambiguous: int = 0
    unmatched: int = 0
    receipts: list[IssuedReceipt] = Field(default_factory=list)


@dataclass
class _Row(CellsRow):
    item: IntakeItem | None
    digest: str
    unchanged: bool = False

    @property
    def ok(self) -> bool:
        return not self.cells.errors and self.item is not None

    @property
    def external_ref(self) -> str | None:
        """The complaint's own 编号, when the row has one."""
        return (self.item.external_ref or None) if self.item is not None else None


def import_complaints(
    *,
    session: Session,
    campaign_id: int,
    path: Path,
    skip_invalid: bool = False,
    as_of: date,
    actor: str = "import",
) -> ComplaintImportReport:
    """Store and match the complaints of a file; all or nothing unless ``skip_invalid``.

    ``as_of`` is the date no complaint can have been received after.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    crypto.ensure_key()
    # The units a row names are resolved once: to check a complaint naming only a unit, and
    # to store and match every row.
    units = unit_directory(session=session, campaign=campaign)

    def validate(table: TableRead) -> list[_Row]:
        rows = [_parse_row(table, number, record, as_of, units) for number, record in table.rows]
        _check_against_file_and_campaign(session, campaign_id, rows)
        return rows

    def apply(rows: list[_Row], report: ComplaintImportReport) -> None:
        new = [row for row in rows if row.ok and not row.unchanged]
        items = [row.item for row in new if row.item is not None]
        stored = store_complaints(
            session=session, campaign=campaign, items=items, units=units, actor=actor
        )
        matched = match_complaints(
            session=session,
            campaign_id=campaign_id,
            complaint_ids=[entry.complaint_id for entry in stored],
            units=units,
        )
        report.created = len(stored)
        report.unchanged = sum(row.unchanged for row in rows)
        report.duplicates = (
            sum(entry.duplicate_of_id is not None for entry in stored) + matched.linked_duplicates
        )
        report.matched = matched.matched
        report.ambiguous = matched.ambiguous
        report.unmatched = matched.unmatched
        report.receipts = [
            IssuedReceipt(
                row=row.number,
                external_ref=row.item.external_ref if row.item else None,
                code=SecretStr(entry.receipt_code),
            )
            for row, entry in zip(new, stored, strict=True)
            if entry.receipt_code
        ]

    return run_import(
        path,
        COMPLAINT_COLUMNS,
        validate=validate,
        apply=apply,
        report_type=ComplaintImportReport,
        skip_invalid=skip_invalid,
        redact=_masked,
    )


def _parse_row(
    table: TableRead, number: int, record: dict[str, Any], as_of: date, units: UnitDirectory
) -> _Row:
    cells = RowCells(table, COMPLAINT_COLUMNS, number, record)
    ref = cells.get("external_ref", parse_code, "") or None
    channel = cells.get("channel", parse_channel, None)
    received_on = cells.get("received_on", parse_date, None)
    if received_on is None and not cells.failed("received_on"):
        cells.fail("received_on", "收到日期不能为空", "the date received is empty")
    contact = cells.get("contact", parse_text, "")
    anonymous = cells.get("anonymous", parse_bool, None)
    category: tuple[FindingCategory | None, str] = cells.get("category", parse_category, (None, ""))
    item_values = {
        "accused_name": cells.get("accused_name", parse_text, ""),
        "accused_unit": cells.get("accused_unit", parse_text, ""),
        "content": cells.get("content", parse_text, ""),
    }
    if channel is None or received_on is None:
        return _Row(cells=cells, item=None, digest="")
    item = IntakeItem(
        channel=channel,
        received_on=received_on,
        anonymous=anonymous if anonymous is not None else not contact,
        alleged_category=category[0],
        alleged_category_raw=category[1],
        contact=contact,
        external_ref=ref,
        **item_values,
    )
    for key, zh, en in intake_problems(item, as_of, unit=units.resolve(item.accused_unit)):
        if not cells.failed(key):
            cells.fail(key, zh, en)
    if cells.errors:
        return _Row(cells=cells, item=None, digest="")
    digest = content_digest(item.content)
    key = ref_key(ref) if ref else row_key(item, digest)
    return _Row(
        cells=cells,
        item=replace(item, intake_key=key),
        digest=digest,
    )


def _check_against_file_and_campaign(session: Session, campaign_id: int, rows: list[_Row]) -> None:
    """编号 repeated in the file; rows already recorded (unchanged) or recorded differently."""
    flag_repeats(
        rows,
        lambda row: row.external_ref,
        "external_ref",
        "编号「{row.external_ref}」重复",
        "number {row.external_ref!r} is duplicated",
    )
    keyed = [row for row in rows if row.ok and row.item is not None and row.item.intake_key]
    existing = existing_intake_keys(
        session,
        campaign_id,
        sorted({row.item.intake_key for row in keyed if row.item}),  # type: ignore[misc]
    )
    in_file: set[str] = set()
    for row in keyed:
        assert row.item is not None and row.item.intake_key is not None
        key = row.item.intake_key
        if key in existing:
            if existing[key][1] == row.digest:
                row.unchanged = True
            else:
                row.cells.fail(
                    "external_ref",
                    f"编号「{row.item.external_ref}」已登记，但内容与已登记的不同（举报件登记后不能修改）",
                    f"number {row.item.external_ref!r} is already recorded with a different text "
                    "(a recorded complaint cannot be changed)",
                )
        elif key in in_file:
            # The very same row twice (no 编号, every cell equal): one complaint.
            row.unchanged = True
        in_file.add(key)


def _masked(record: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (MASKED if key in _CONFIDENTIAL and value not in (None, "") else value)
        for key, value in record.items()
    }
