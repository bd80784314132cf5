"""Import the rules review (制度清单) from an XLSX or CSV file: validate all, then upsert.

One row per rule of a unit: 单位编码, 制度名称, 处理意见 (保留/修订/废止/新建), 理由, 完成时限,
完成日期. Rows are keyed by (campaign, unit, title), so re-importing a file changes nothing
and an edited file updates what changed. Rules missing from a later file are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.enums import RuleDecision
from models.finding import RuleReviewItem
from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.core.clock import today_in_china
from qinglian.core.sql import chunked
from qinglian.exchange.cells import parse_date, parse_text, word_key
from qinglian.exchange.pipeline import run_upsert
from qinglian.exchange.report import ImportReport
from qinglian.exchange.row_checks import check_date_window, check_length, flag_repeats
from qinglian.exchange.rows import CellsRow, RowCells
from qinglian.exchange.table import ColumnSpec, TableRead
from qinglian.exchange.unit_lookup import campaign_unit
from qinglian.rectification.regulations import normalise_title

RULES_REVIEW_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("unit_code", "单位编码", ("unit", "unit code", "单位代码"), required=True),
    ColumnSpec(
        "title",
        "制度名称",
        ("rule", "rule title", "title", "制度", "规章制度名称", "制度规定名称"),
        required=True,
    ),
    ColumnSpec(
        "decision",
        "处理意见",
        ("decision", "action", "处理方式", "处理结果", "处理"),
        required=True,
    ),
    ColumnSpec("reason", "理由", ("reason", "原因", "说明", "理由说明")),
    ColumnSpec("due_on", "完成时限", ("due", "due on", "due date", "deadline", "时限", "完成期限")),
    ColumnSpec(
        "done_on",
        "完成日期",
        ("done", "done on", "done date", "completed on", "实际完成日期", "完成时间"),
    ),
)

_DECISION_WORDS: dict[str, RuleDecision] = {
    **{decision.value.replace("_", ""): decision for decision in RuleDecision},
    **{decision.label: decision for decision in RuleDecision},
    "retain": RuleDecision.keep,
    "继续执行": RuleDecision.keep,
    "维持": RuleDecision.keep,
    "修改": RuleDecision.revise,
    "修正": RuleDecision.revise,
    "修订完善": RuleDecision.revise,
    "amend": RuleDecision.revise,
    "废除": RuleDecision.abolish,
    "取消": RuleDecision.abolish,
    "repeal": RuleDecision.abolish,
    "新制定": RuleDecision.draft_new,
    "制定": RuleDecision.draft_new,
    "起草": RuleDecision.draft_new,
    "新增": RuleDecision.draft_new,
    "建立": RuleDecision.draft_new,
    "new": RuleDecision.draft_new,
    "draft": RuleDecision.draft_new,
}
# Widths come from the table, so PostgreSQL never meets a value it would refuse.
_COLUMNS = RuleReviewItem.__table__.columns  # type: ignore[attr-defined]
_MAX_TITLE: int = _COLUMNS["title"].type.length
_MAX_REASON: int = _COLUMNS["reason"].type.length


class _UnitRef(NamedTuple):
    id: int
    path: str


def parse_decision(value: Any) -> RuleDecision:
    """处理意见: 保留/修订/废止/新建, or keep/revise/abolish/draft_new (and a few synonyms)."""
    text = word_key(value)
    if not text:
        raise ValueError("处理意见不能为空 / the decision is empty")
    decision = _DECISION_WORDS.get(text)
    if decision is None:
        raise ValueError(
            f"无法识别的处理意见「{parse_text(value)}」（应为 保留/修订/废止/新建）"
            f" / unknown decision {parse_text(value)!r} (expected keep, revise, abolish or"
            " draft_new)"
        )
    return decision


@dataclass
class _RuleRow(CellsRow):
    unit_id: int | None = None
    title: str = ""
    values: dict[str, Any] = field(default_factory=dict)


def import_rules_review(
    *,
    session: Session,
    campaign_id: int,
    path: Path,
    skip_invalid: bool = False,
    as_of: date | None = None,
) -> ImportReport:
    """Upsert a file of units' rules by (unit, title); all or nothing unless ``skip_invalid``.

    ``as_of`` is "today" for refusing completion dates in the future.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    units = {
        code: _UnitRef(id=unit_id, path=unit_path)
        for unit_id, code, unit_path in session.exec(select(Unit.id, Unit.code, Unit.path)).all()
    }
    root_path = campaign_root(session=session, campaign=campaign).path
    as_of = as_of or today_in_china()

    return run_upsert(
        path,
        RULES_REVIEW_COLUMNS,
        validate=lambda table: _validate(table, units, campaign, root_path, as_of=as_of),
        upsert=lambda rows: _apply(session, campaign_id, rows),
        skip_invalid=skip_invalid,
    )


def _validate(
    table: TableRead,
    units: Mapping[str, _UnitRef],
    campaign: Campaign,
    root_path: str,
    *,
    as_of: date,
) -> list[_RuleRow]:
    """Parse and check every row, then refuse a title listed twice for one unit."""
    rows = [
        _parse_row(table, number, record, units, campaign, root_path, as_of)
        for number, record in table.rows
    ]
    flag_repeats(
        rows,
        lambda row: (row.unit_id, row.title) if row.unit_id is not None and row.title else None,
        "title",
        "同一单位的制度「{row.title}」重复",
        "rule {row.title!r} is listed twice for this unit",
    )
    return rows


def _parse_row(
    table: TableRead,
    number: int,
    record: dict[str, Any],
    units: Mapping[str, _UnitRef],
    campaign: Campaign,
    root_path: str,
    as_of: date,
) -> _RuleRow:
    cells = RowCells(table, RULES_REVIEW_COLUMNS, number, record)
    row = _RuleRow(cells=cells)
    row.unit_id = _unit(cells, units, root_path)

    row.title = normalise_title(cells.get("title", parse_text, ""))
    if not row.title and not cells.failed("title"):
        cells.fail("title", "制度名称不能为空", "the rule title is empty")
    else:
        check_length(cells, "title", row.title, _MAX_TITLE, "制度名称", "title")

    decision = cells.get("decision", parse_decision, None)
    if decision is not None:
        row.values["decision"] = decision

    if cells.has("reason"):
        reason = cells.get("reason", parse_text, "")
        check_length(cells, "reason", reason, _MAX_REASON, "理由", "reason")
        row.values["reason"] = reason

    due_on = cells.get("due_on", parse_date, None)
    if due_on is not None:
        check_date_window(
            cells, "due_on", due_on, "完成时限", "due date", start_on=campaign.start_on
        )
    if (
        decision is not None
        and decision is not RuleDecision.keep
        and due_on is None
        and not cells.failed("due_on")
    ):
        cells.fail(
            "due_on",
            f"处理意见为「{decision.label}」时必须填写完成时限",
            f"a {decision.value} decision needs a due date",
        )
    if cells.has("due_on"):
        row.values["due_on"] = due_on

    done_on = cells.get("done_on", parse_date, None)
    if done_on is not None:
        check_date_window(
            cells,
            "done_on",
            done_on,
            "完成日期",
            "completion date",
            start_on=campaign.start_on,
            as_of=as_of,
        )
        # An empty cell never erases a recorded completion; mark_rule_done can reopen one.
        row.values["done_on"] = done_on
    return row


def _unit(cells: RowCells, units: Mapping[str, _UnitRef], root_path: str) -> int | None:
    unit = campaign_unit(cells, units, root_path)
    return unit.id if unit is not None else None


def _apply(session: Session, campaign_id: int, rows: Sequence[_RuleRow]) -> tuple[int, int, int]:
    unit_ids = sorted({row.unit_id for row in rows if row.unit_id is not None})
    existing = {(item.unit_id, item.title): item for item in _load(session, campaign_id, unit_ids)}
    new: list[dict[str, Any]] = []
    updated = 0
    for row in rows:
        item = existing.get((row.unit_id or 0, row.title))
        if item is None:
            new.append(
                {
                    "campaign_id": campaign_id,
                    "unit_id": row.unit_id,
                    "title": row.title,
                    "reason": "",
                    "due_on": None,
                    "done_on": None,
                    **row.values,
                }
            )
            continue
        changes = {key: value for key, value in row.values.items() if getattr(item, key) != value}
        if changes:
            for key, value in changes.items():
                setattr(item, key, value)
            session.add(item)
            updated += 1
    if new:
        session.exec(insert(RuleReviewItem), params=new)  # type: ignore[call-overload]
    session.flush()
    return len(new), updated, len(rows) - len(new) - updated


def _load(session: Session, campaign_id: int, unit_ids: Sequence[int]) -> Iterator[RuleReviewItem]:
    for chunk in chunked(unit_ids):
        yield from session.exec(
            select(RuleReviewItem).where(
                col(RuleReviewItem.campaign_id) == campaign_id,
                col(RuleReviewItem.unit_id).in_(chunk),
            )
        )
