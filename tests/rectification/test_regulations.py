"""The rules review 制度清单 (qinglian.rectification.import_regulations, qinglian.rectification.regulations)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from models import Campaign, RuleDecision, RuleReviewItem, Unit
from qinglian.core.errors import ImportRejected, NotFoundError, QinglianError
from qinglian.rectification.import_regulations import import_rules_review, parse_decision
from qinglian.rectification.regulations import (
    RuleReviewState,
    count_states,
    mark_rule_done,
    review_state,
    rules_review_status,
)
from tests.factories import CODED_UNITS, add_units, write_csv_rows, write_xlsx_rows

AS_OF = date(2012, 9, 10)
HEADERS = ["单位编码", "制度名称", "处理意见", "理由", "完成时限", "完成日期"]
ROWS: list[list[Any]] = [
    ["3207", "药品采购管理办法", "修订", "未规定亲属回避", "2012-10-31", None],
    ["3207", "干部任免议事规则", "保留", "", None, None],
    ["320701", "医疗设备招标采购制度", "废止", "主要条款存在利益冲突隐患", "2012/11/15", None],
    ["320701", "领导干部兼职管理规定", "新建", "尚无相关制度", "2012年11月30日", "2012-09-05"],
]


# --- the pure rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "due_on", "done_on", "as_of", "expected"),
    [
        pytest.param(RuleDecision.keep, None, None, AS_OF, "done", id="keep-needs-no-change"),
        pytest.param(RuleDecision.keep, date(2012, 9, 1), None, AS_OF, "done", id="keep-past-due"),
        pytest.param(RuleDecision.revise, date(2012, 10, 31), None, AS_OF, "pending", id="early"),
        pytest.param(
            RuleDecision.revise, date(2012, 9, 10), None, AS_OF, "pending", id="on-due-date"
        ),
        pytest.param(
            RuleDecision.abolish, date(2012, 9, 9), None, AS_OF, "overdue", id="a-day-late"
        ),
        pytest.param(
            RuleDecision.draft_new,
            date(2012, 9, 1),
            date(2012, 9, 8),
            AS_OF,
            "done",
            id="done-late-is-done",
        ),
        pytest.param(
            RuleDecision.revise,
            date(2012, 9, 1),
            date(2012, 9, 20),
            AS_OF,
            "overdue",
            id="done-after-as-of-not-yet",
        ),
        pytest.param(RuleDecision.revise, None, None, AS_OF, "pending", id="no-due-date"),
    ],
)
def test_review_state(
    decision: RuleDecision, due_on: date | None, done_on: date | None, as_of: date, expected: str
) -> None:
    assert review_state(decision, due_on, done_on, as_of) is RuleReviewState(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("保留", RuleDecision.keep),
        ("修订", RuleDecision.revise),
        ("废止", RuleDecision.abolish),
        ("新建", RuleDecision.draft_new),
        ("keep", RuleDecision.keep),
        (" Revise ", RuleDecision.revise),
        ("ABOLISH", RuleDecision.abolish),
        ("draft_new", RuleDecision.draft_new),
        ("draft new", RuleDecision.draft_new),
        ("修改", RuleDecision.revise),
    ],
)
def test_parse_decision(text: str, expected: RuleDecision) -> None:
    assert parse_decision(text) is expected


@pytest.mark.parametrize("text", ["", "待定", "delete"])
def test_parse_decision_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="处理意见"):
        parse_decision(text)


# --- files ---------------------------------------------------------------------------------


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> Path:
    # A title row above the header, as offices head their sheets.
    table = [["连云港市卫生系统制度清单"], headers, *rows]
    return write_xlsx_rows(path, table, title="制度清单")


def write_csv(path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> Path:
    return write_csv_rows(path, [headers, *rows])


@pytest.fixture
def campaign(session: Session) -> Campaign:
    """A campaign rooted at 连云港市卫生局; 南京市卫生局 sits outside it."""
    city = add_units(session, CODED_UNITS[:4])["3207"]  # no department
    campaign = Campaign(
        template_key="coi-2012", title="专项活动", root_unit_id=city.id, start_on=date(2012, 7, 16)
    )
    session.add(campaign)
    session.commit()
    return campaign


def _items(session: Session) -> dict[tuple[str, str], RuleReviewItem]:
    rows = session.exec(
        select(RuleReviewItem, Unit.code).join(Unit, Unit.id == RuleReviewItem.unit_id)
    ).all()
    return {(code, item.title): item for item, code in rows}


def _import(session: Session, campaign: Campaign, path: Path, **options: Any) -> Any:
    assert campaign.id is not None
    return import_rules_review(
        session=session, campaign_id=campaign.id, path=path, as_of=AS_OF, **options
    )


@pytest.mark.parametrize("writer", [write_xlsx, write_csv], ids=["xlsx", "csv"])
def test_import_creates_every_rule(
    session: Session, campaign: Campaign, tmp_path: Path, writer: Any
) -> None:
    path = writer(tmp_path / f"rules.{'xlsx' if writer is write_xlsx else 'csv'}", ROWS)

    report = _import(session, campaign, path)
    session.commit()

    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    items = _items(session)
    revise = items[("3207", "药品采购管理办法")]
    assert revise.decision is RuleDecision.revise
    assert revise.reason == "未规定亲属回避"
    assert revise.due_on == date(2012, 10, 31)
    assert revise.done_on is None
    assert items[("3207", "干部任免议事规则")].decision is RuleDecision.keep
    assert items[("320701", "医疗设备招标采购制度")].due_on == date(2012, 11, 15)
    new = items[("320701", "领导干部兼职管理规定")]
    assert (new.decision, new.due_on, new.done_on) == (
        RuleDecision.draft_new,
        date(2012, 11, 30),
        date(2012, 9, 5),
    )
    assert report.rejected == []


def test_english_headers_and_decisions(
    session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    headers = ["unit code", "title", "decision", "reason", "due date", "done on"]
    rows = [["3207", "Procurement rules", "draft_new", "", "2012-10-01", ""]]

    report = _import(session, campaign, write_csv(tmp_path / "en.csv", rows, headers))

    assert report.created == 1
    assert _items(session)[("3207", "Procurement rules")].decision is RuleDecision.draft_new


def test_reimport_is_a_no_op_and_changes_update(
    session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "rules.xlsx", ROWS)
    _import(session, campaign, path)
    session.commit()

    again = _import(session, campaign, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)

    changed = [list(row) for row in ROWS]
    changed[0] = ["3207", " 药品采购管理办法 ", "废止", "整体不适用", "2012-11-30", "2012-09-01"]
    changed.append(["320701", "接受捐赠资助管理办法", "修订", "", "2012-10-15", None])
    report = _import(session, campaign, write_xlsx(tmp_path / "rules2.xlsx", changed))
    session.commit()

    assert (report.created, report.updated, report.unchanged) == (1, 1, 3)
    item = _items(session)[("3207", "药品采购管理办法")]
    assert (item.decision, item.reason, item.due_on, item.done_on) == (
        RuleDecision.abolish,
        "整体不适用",
        date(2012, 11, 30),
        date(2012, 9, 1),
    )
    assert session.exec(select(func.count()).select_from(RuleReviewItem)).one() == 5


def test_empty_done_date_keeps_a_recorded_completion(
    session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "rules.csv", ROWS)
    _import(session, campaign, path)
    assert campaign.id is not None
    mark_rule_done(
        session=session,
        campaign_id=campaign.id,
        unit_code="3207",
        title="药品采购管理办法",
        done_on=date(2012, 9, 3),
    )

    report = _import(session, campaign, path)

    assert report.updated == 0
    assert _items(session)[("3207", "药品采购管理办法")].done_on == date(2012, 9, 3)


def test_absent_optional_columns_keep_what_is_recorded(
    session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    _import(session, campaign, write_csv(tmp_path / "rules.csv", ROWS))
    short = [[row[0], row[1], row[2]] for row in ROWS if row[2] == "保留"]

    report = _import(
        session,
        campaign,
        write_csv(tmp_path / "short.csv", short, ["单位编码", "制度名称", "处理意见"]),
    )

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


BAD_ROWS: list[tuple[str, list[Any], str, str]] = [
    ("unknown-unit", ["9999", "某制度", "保留", "", None, None], "单位编码", "不存在"),
    ("outside-campaign", ["3201", "某制度", "保留", "", None, None], "单位编码", "范围"),
    ("empty-unit", [None, "某制度", "保留", "", None, None], "单位编码", "不能为空"),
    ("empty-title", ["3207", None, "保留", "", None, None], "制度名称", "不能为空"),
    ("bad-decision", ["3207", "某制度", "待定", "", None, None], "处理意见", "无法识别"),
    ("revise-no-due", ["3207", "某制度", "修订", "", None, None], "完成时限", "必须填写"),
    ("abolish-no-due", ["3207", "某制度", "废止", "", None, None], "完成时限", "必须填写"),
    ("new-no-due", ["3207", "某制度", "新建", "", None, None], "完成时限", "必须填写"),
    ("bad-due", ["3207", "某制度", "修订", "", "下个月", None], "完成时限", "无法识别的日期"),
    ("due-before-start", ["3207", "某制度", "修订", "", "2012-01-01", None], "完成时限", "早于"),
    ("done-future", ["3207", "某制度", "修订", "", "2012-10-01", "2012-09-11"], "完成日期", "晚于"),
    (
        "done-before-start",
        ["3207", "某制度", "修订", "", "2012-10-01", "2012-07-01"],
        "完成日期",
        "早于",
    ),
    ("excel-error", ["3207", "某制度", "#N/A", "", "2012-10-01", None], "处理意见", "Excel 错误值"),
]


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [pytest.param(row, column, reason, id=name) for name, row, column, reason in BAD_ROWS],
)
def test_invalid_row_rejects_the_whole_file(
    session: Session, campaign: Campaign, tmp_path: Path, row: list[Any], column: str, reason: str
) -> None:
    path = write_xlsx(tmp_path / "bad.xlsx", [*ROWS, row])

    with pytest.raises(ImportRejected) as caught:
        _import(session, campaign, path)

    (error,) = caught.value.errors
    assert (error.file, error.sheet, error.row, error.column) == ("bad.xlsx", "制度清单", 7, column)
    assert reason in error.zh
    assert error.en and error.en != error.zh
    assert _items(session) == {}


def test_duplicate_title_within_a_unit(
    session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    rows = [
        *ROWS,
        ["3207", "药品采购管理办法 ", "保留", "", None, None],  # same title, stray space
        ["320701", "药品采购管理办法", "保留", "", None, None],  # other unit: fine
    ]

    with pytest.raises(ImportRejected) as caught:
        _import(session, campaign, write_csv(tmp_path / "dup.csv", rows))

    assert sorted((error.row, error.column) for error in caught.value.errors) == [
        (2, "制度名称"),
        (6, "制度名称"),
    ]
    assert "另见第6行" in caught.value.errors[0].zh


def test_skip_invalid_imports_the_rest_and_quarantines(
    session: Session, campaign: Campaign, tmp_path: Path
) -> None:
    rows = [
        *ROWS,
        ["3201", "某制度", "保留", "", None, None],
        ["3207", "某制度", "修订", "", None, None],
    ]
    path = write_csv(tmp_path / "mixed.csv", rows)

    report = _import(session, campaign, path, skip_invalid=True)

    assert report.created == 4
    assert report.rejected_rows == 2
    assert report.rejected_file == tmp_path / "mixed.rejected.csv"
    with report.rejected_file.open(encoding="utf-8-sig", newline="") as handle:
        quarantined = list(csv.reader(handle))
    assert quarantined[0] == [*HEADERS, "行号", "列", "原因", "reason"]
    assert [line[6] for line in quarantined[1:]] == ["6", "7"]
    assert "必须填写完成时限" in quarantined[2][8]
    assert "due date" in quarantined[2][9]


def test_unknown_campaign(session: Session, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        import_rules_review(
            session=session, campaign_id=42, path=write_csv(tmp_path / "r.csv", ROWS)
        )


# --- status and completion -----------------------------------------------------------------


def test_status_advances_with_as_of(session: Session, campaign: Campaign, tmp_path: Path) -> None:
    _import(session, campaign, write_xlsx(tmp_path / "rules.xlsx", ROWS))
    session.commit()
    assert campaign.id is not None

    def states(as_of: date, unit_id: int | None = None) -> dict[str, RuleReviewState]:
        return {
            status.title: status.state
            for status in rules_review_status(
                session=session, campaign_id=campaign.id, as_of=as_of, unit_id=unit_id
            )
        }

    assert states(AS_OF) == {
        "药品采购管理办法": RuleReviewState.pending,
        "干部任免议事规则": RuleReviewState.done,
        "医疗设备招标采购制度": RuleReviewState.pending,
        "领导干部兼职管理规定": RuleReviewState.done,
    }
    assert states(date(2012, 11, 1)) == {
        "药品采购管理办法": RuleReviewState.overdue,
        "干部任免议事规则": RuleReviewState.done,
        "医疗设备招标采购制度": RuleReviewState.pending,
        "领导干部兼职管理规定": RuleReviewState.done,
    }
    hospital = session.exec(select(Unit).where(Unit.code == "320701")).one()
    assert set(states(date(2012, 12, 1), hospital.id).values()) == {
        RuleReviewState.overdue,
        RuleReviewState.done,
    }
    assert len(states(date(2012, 12, 1), hospital.id)) == 2

    statuses = rules_review_status(
        session=session, campaign_id=campaign.id, as_of=date(2012, 11, 3)
    )
    overdue = [status for status in statuses if status.state is RuleReviewState.overdue]
    assert [(s.unit_code, s.unit_name, s.days_overdue) for s in overdue] == [
        ("3207", "连云港市卫生局", 3)
    ]
    assert count_states(statuses) == {
        RuleReviewState.done: 2,
        RuleReviewState.pending: 1,
        RuleReviewState.overdue: 1,
    }


def test_mark_rule_done(session: Session, campaign: Campaign, tmp_path: Path) -> None:
    _import(session, campaign, write_csv(tmp_path / "rules.csv", ROWS))
    assert campaign.id is not None

    item = mark_rule_done(
        session=session,
        campaign_id=campaign.id,
        unit_code="3207",
        title="药品采购管理办法",
        done_on=date(2012, 11, 5),
    )

    assert item.done_on == date(2012, 11, 5)
    by_title = {
        s.title: s
        for s in rules_review_status(
            session=session, campaign_id=campaign.id, as_of=date(2012, 11, 5)
        )
    }
    assert by_title["药品采购管理办法"].state is RuleReviewState.done
    # The day before, replaying the campaign, it was still overdue.
    before = rules_review_status(session=session, campaign_id=campaign.id, as_of=date(2012, 11, 4))
    assert {s.title: s.state for s in before}["药品采购管理办法"] is RuleReviewState.overdue

    reopened = mark_rule_done(
        session=session,
        campaign_id=campaign.id,
        unit_code="3207",
        title="药品采购管理办法",
        done_on=None,
    )
    assert reopened.done_on is None

    with pytest.raises(NotFoundError):
        mark_rule_done(
            session=session,
            campaign_id=campaign.id,
            unit_code="3207",
            title="无此制度",
            done_on=AS_OF,
        )
    with pytest.raises(NotFoundError):
        mark_rule_done(
            session=session, campaign_id=campaign.id, unit_code="0000", title="x", done_on=AS_OF
        )
    with pytest.raises(QinglianError, match="早于专项活动开始日期"):
        mark_rule_done(
            session=session,
            campaign_id=campaign.id,
            unit_code="3207",
            title="药品采购管理办法",
            done_on=date(2012, 1, 1),
        )
