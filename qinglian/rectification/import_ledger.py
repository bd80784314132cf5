"""Import rectification plans and progress (整改台账) from an XLSX or CSV file.

One row per finding: 问题编号, 整改措施, 责任人, 整改时限, 状态, 完成日期, 整改证据 (English
aliases accepted). A row creates the item of a confirmed finding that has none yet, or updates
the item it has. Empty cells change nothing, so re-importing a file is a no-op. Status changes
follow :func:`qinglian.rectification.check_transition`; a deadline can be set while the item is
still being planned, after that only an extension (with a reason) moves it. All or nothing per
file unless ``skip_invalid``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models.campaign import Campaign, utcnow
from models.enums import FindingStatus, RectificationStatus
from models.finding import Finding
from models.rectification import RectificationExtension, RectificationItem
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.clock import today_in_china
from qinglian.exchange.cells import parse_date, parse_int, parse_text, word_key
from qinglian.exchange.pipeline import run_upsert
from qinglian.exchange.report import ImportReport
from qinglian.exchange.row_checks import check_date_window, check_length, flag_repeats
from qinglian.exchange.rows import CellsRow, RowCells
from qinglian.exchange.table import ColumnSpec, TableRead
from qinglian.rectification.creation import create_rectification_items
from qinglian.rectification.status import TransitionError, check_transition

S = RectificationStatus

RECTIFICATION_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "finding_id",
        "问题编号",
        ("finding", "finding id", "finding no", "问题线索编号", "线索编号", "问题序号"),
        required=True,
    ),
    ColumnSpec("measure", "整改措施", ("measure", "measures", "措施", "整改内容")),
    ColumnSpec(
        "responsible", "责任人", ("responsible", "owner", "responsible person", "整改责任人")
    ),
    ColumnSpec("due_on", "整改时限", ("due", "due on", "deadline", "时限", "完成时限", "整改期限")),
    ColumnSpec("status", "状态", ("status", "整改状态", "进展")),
    ColumnSpec(
        "done_on", "完成日期", ("done", "done on", "completed on", "实际完成日期", "完成时间")
    ),
    ColumnSpec("evidence", "整改证据", ("evidence", "证据", "佐证材料", "整改材料")),
)

_STATUS_WORDS: dict[str, RectificationStatus] = {
    **{status.value.replace("_", ""): status for status in S},
    **{status.label: status for status in S},
    "计划": S.planned,
    "未开始": S.planned,
    "待整改": S.planned,
    "inprogress": S.in_progress,
    "进行中": S.in_progress,
    "正在整改": S.in_progress,
    "整改中": S.in_progress,
    "完成": S.done,
    "已整改": S.done,
    "整改完成": S.done,
    "completed": S.done,
    "验收": S.verified,
    "已核实": S.verified,
}
_COLUMNS = RectificationItem.__table__.columns  # type: ignore[attr-defined]
_MAX = {key: _COLUMNS[key].type.length for key in ("measure", "responsible", "evidence")}
_LABELS = {
    "measure": ("整改措施", "measure"),
    "responsible": ("责任人", "responsible person"),
    "evidence": ("整改证据", "evidence"),
}
_CAN_START = (FindingStatus.confirmed, FindingStatus.rectifying)


def parse_status(value: Any) -> RectificationStatus | None:
    """状态: 已制定措施/整改中/已完成 or planned/in_progress/done (and a few synonyms)."""
    text = word_key(value)
    if not text:
        return None
    status = _STATUS_WORDS.get(text)
    if status is None:
        raise ValueError(
            f"无法识别的状态「{parse_text(value)}」（应为 已制定措施/整改中/已完成）"
            f" / unknown status {parse_text(value)!r} (expected planned, in_progress or done)"
        )
    return status


@dataclass
class _Row(CellsRow):
    finding_id: int | None = None
    item: RectificationItem | None = None
    values: dict[str, Any] = field(default_factory=dict)


def import_rectification(
    *,
    session: Session,
    campaign_id: int,
    path: Path,
    skip_invalid: bool = False,
    as_of: date | None = None,
) -> ImportReport:
    """Create or update rectification items from a file; all or nothing unless ``skip_invalid``.

    ``as_of`` is "today" for refusing completion dates in the future.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    as_of = as_of or today_in_china()

    return run_upsert(
        path,
        RECTIFICATION_COLUMNS,
        validate=lambda table: _validate(session, table, campaign, as_of),
        upsert=lambda rows: _apply(session, campaign_id, rows),
        skip_invalid=skip_invalid,
    )


def _validate(session: Session, table: TableRead, campaign: Campaign, as_of: date) -> list[_Row]:
    findings = {
        finding_id: status
        for finding_id, status in session.exec(
            select(Finding.id, Finding.status).where(col(Finding.campaign_id) == campaign.id)
        )
    }
    items = {
        item.finding_id: item
        for item in session.exec(
            select(RectificationItem).where(col(RectificationItem.campaign_id) == campaign.id)
        )
    }
    extended = set(
        session.exec(
            select(RectificationExtension.item_id)
            .join(RectificationItem, col(RectificationItem.id) == RectificationExtension.item_id)
            .where(col(RectificationItem.campaign_id) == campaign.id)
        ).all()
    )
    rows = []
    for number, record in table.rows:
        row = _Row(cells=RowCells(table, RECTIFICATION_COLUMNS, number, record))
        _parse(row, findings, items, extended, campaign, as_of)
        _refuse_verified(row)
        rows.append(row)
    flag_repeats(
        rows,
        lambda row: row.finding_id,
        "finding_id",
        "问题编号 {row.finding_id} 重复出现",
        "finding {row.finding_id} appears twice",
    )
    return rows


def _refuse_verified(row: _Row) -> None:
    if row.item is not None and row.item.status == S.verified and row.values:
        row.cells.fail(
            "finding_id",
            f"问题 {row.finding_id} 的整改已验收，不能再修改",
            f"the rectification of finding {row.finding_id} is verified and cannot change",
        )


def _parse(
    row: _Row,
    findings: dict[int, FindingStatus],
    items: dict[int, RectificationItem],
    extended: set[int | None],
    campaign: Campaign,
    as_of: date,
) -> None:
    cells = row.cells
    finding_id = cells.get("finding_id", parse_int, None)
    if finding_id is None:
        if not cells.failed("finding_id"):
            cells.fail("finding_id", "问题编号不能为空", "the finding number is empty")
        return
    row.finding_id = finding_id
    if finding_id not in findings:
        cells.fail(
            "finding_id",
            f"本专项活动中没有编号为 {finding_id} 的问题",
            f"no finding {finding_id} in this campaign",
        )
        return
    item = row.item = items.get(finding_id)
    if item is None and findings[finding_id] not in _CAN_START:
        cells.fail(
            "finding_id",
            f"问题 {finding_id} 尚未确认（{findings[finding_id].value}），不能制定整改措施",
            f"finding {finding_id} is not confirmed ({findings[finding_id].value});"
            " it cannot be rectified yet",
        )
        return

    for key in ("measure", "responsible", "evidence"):
        text = cells.get(key, parse_text, "")
        fits = check_length(cells, key, text, _MAX[key], *_LABELS[key])
        if fits and text and (item is None or getattr(item, key) != text):
            row.values[key] = text

    current = item.status if item is not None else S.planned
    status = cells.get("status", parse_status, None)
    if status is not None and status != current:
        try:
            check_transition(current, status)
        except TransitionError as exc:
            cells.fail("status", exc.zh, exc.en)
        else:
            row.values["status"] = status
    target = row.values.get("status", current)

    done_on = cells.get("done_on", parse_date, None)
    if done_on is not None:
        if target != S.done and target != S.verified:
            cells.fail(
                "done_on",
                f"填写了完成日期，状态应为「{S.done.label}」",
                "a completion date needs the status done",
            )
        elif check_date_window(
            cells,
            "done_on",
            done_on,
            "完成日期",
            "completion date",
            start_on=campaign.start_on,
            as_of=as_of,
        ) and (item is None or item.done_on != done_on):
            row.values["done_on"] = done_on
    elif "status" in row.values and target == S.done and not cells.failed("done_on"):
        cells.fail(
            "done_on",
            f"状态为「{S.done.label}」时须填写完成日期",
            "a done item needs its completion date",
        )
    if "status" in row.values and target != S.done:
        row.values["done_on"] = None

    due_on = cells.get("due_on", parse_date, None)
    if due_on is None:
        if item is None and not cells.failed("due_on"):
            cells.fail(
                "due_on",
                "新制定的整改措施须填写整改时限",
                "a new rectification item needs a deadline",
            )
        return
    if not check_date_window(
        cells, "due_on", due_on, "整改时限", "deadline", start_on=campaign.start_on
    ):
        return
    if item is None:
        row.values["due_on"] = due_on
    elif due_on != item.due_on:
        if item.status != S.planned or item.id in extended or as_of > item.due_on:
            cells.fail(
                "due_on",
                f"整改时限已定为 {item.due_on.isoformat()}，变更须办理延期并说明理由"
                "（qinglian rectification extend）",
                f"the deadline is set ({item.due_on.isoformat()}); moving it needs an extension"
                " with a reason (qinglian rectification extend)",
            )
        else:
            # Still planning: the unit may set its own deadline (限期整改) before it runs.
            row.values["due_on"] = due_on
            row.values["original_due_on"] = due_on


def _apply(session: Session, campaign_id: int, rows: list[_Row]) -> tuple[int, int, int]:
    new = {
        row.finding_id: row.values
        for row in rows
        if row.item is None and row.finding_id is not None
    }
    created = create_rectification_items(session=session, campaign_id=campaign_id, items=new)
    updated = 0
    for row in rows:
        if row.item is None or not row.values:
            continue
        changes = {k: v for k, v in row.values.items() if getattr(row.item, k) != v}
        if not changes:
            continue
        for key, value in changes.items():
            setattr(row.item, key, value)
        row.item.updated_at = utcnow()
        session.add(row.item)
        updated += 1
    session.flush()
    return created, updated, len(rows) - created - updated
