"""Rectification items: the status rules as tables, persistence, extensions, verification, import."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models.enums import (
    FindingCategory,
    FindingSource,
    FindingStatus,
    RectificationStatus,
    VerificationOutcome,
)
from models.finding import Finding
from models.rectification import (
    RectificationExtension,
    RectificationItem,
    RectificationItemUpdate,
    RectificationVerification,
)
from qinglian.core.errors import ImportRejected, QinglianError
from qinglian.rectification.creation import ensure_rectification_items
from qinglian.rectification.import_ledger import import_rectification
from qinglian.rectification.progress import (
    extend_rectification,
    list_extensions,
    rectification_for_finding,
    update_rectification,
    update_rectification_status,
)
from qinglian.rectification.rollup import list_rectification_items
from qinglian.rectification.status import (
    RectificationState,
    TransitionError,
    check_transition,
    rectification_state,
    verification_result,
)
from qinglian.rectification.verification import verify_rectification
from tests.factories import write_table
from tests.oversight.test_escalation import SECRET_TEXT, Tree, build_tree

S = RectificationStatus
V = VerificationOutcome
DUE = date(2012, 10, 15)
GRANTED = datetime(2012, 10, 10, 9, tzinfo=UTC)
HEADERS = ("问题编号", "整改措施", "责任人", "整改时限", "状态", "完成日期", "整改证据")
EN_HEADERS = ("finding", "measure", "responsible", "deadline", "status", "done on", "evidence")


# --- pure rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (S.planned, S.planned, True),
        (S.planned, S.in_progress, True),
        (S.planned, S.done, True),
        (S.planned, S.verified, False),
        (S.in_progress, S.planned, False),
        (S.in_progress, S.in_progress, True),
        (S.in_progress, S.done, True),
        (S.in_progress, S.verified, False),
        (S.done, S.planned, False),
        (S.done, S.in_progress, True),  # reopened
        (S.done, S.done, True),
        (S.done, S.verified, False),  # only through verification
        (S.verified, S.planned, False),
        (S.verified, S.in_progress, False),
        (S.verified, S.done, False),
        (S.verified, S.verified, True),
    ],
)
def test_transitions(current: S, new: S, allowed: bool) -> None:
    if allowed:
        check_transition(current, new)
        return
    with pytest.raises(TransitionError) as caught:
        check_transition(current, new)
    assert caught.value.zh and caught.value.en and " / " in str(caught.value)


@pytest.mark.parametrize(
    ("status", "outcome", "expected"),
    [
        (S.done, V.passed, S.verified),
        (S.done, V.rejected, S.in_progress),
        (S.planned, V.passed, None),
        (S.in_progress, V.rejected, None),
        (S.verified, V.passed, None),
    ],
)
def test_verification_result(status: S, outcome: V, expected: S | None) -> None:
    if expected is None:
        with pytest.raises(TransitionError):
            verification_result(status, outcome)
    else:
        assert verification_result(status, outcome) is expected


@pytest.mark.parametrize(
    ("status", "done_on", "verified_on", "as_of", "expected"),
    [
        (S.planned, None, None, date(2012, 10, 15), RectificationState.open),
        (S.in_progress, None, None, date(2012, 10, 16), RectificationState.overdue),
        (S.done, date(2012, 10, 20), None, date(2012, 10, 21), RectificationState.done),
        (S.done, date(2012, 10, 20), None, date(2012, 10, 19), RectificationState.overdue),
        (
            S.verified,
            date(2012, 10, 1),
            date(2012, 10, 10),
            date(2012, 10, 21),
            RectificationState.verified,
        ),
        # Replayed between completion and verification: done, not yet verified (the counts
        # of rectification_status_on say the same).
        (
            S.verified,
            date(2012, 10, 1),
            date(2012, 10, 10),
            date(2012, 10, 5),
            RectificationState.done,
        ),
    ],
)
def test_rectification_state(
    status: S,
    done_on: date | None,
    verified_on: date | None,
    as_of: date,
    expected: RectificationState,
) -> None:
    assert rectification_state(status, DUE, done_on, verified_on, as_of) is expected


# --- persistence ---------------------------------------------------------------------------


@pytest.fixture
def tree(session: Session) -> Tree:
    built = build_tree(session)
    session.commit()
    return built


def _finding(session: Session, tree: Tree, n: int, status: FindingStatus, unit: int) -> int:
    finding = Finding(
        campaign_id=tree.campaign_id,
        unit_id=unit,
        source=FindingSource.inspection,
        category=FindingCategory.unapproved_or_paid_post,
        status=status,
        summary=SECRET_TEXT,
        fingerprint=f"{n:064d}",
        found_on=date(2012, 8, 25),
    )
    session.add(finding)
    session.flush()
    assert finding.id is not None
    return finding.id


def test_every_confirmed_finding_gets_one_item(session: Session, tree: Tree) -> None:
    no_cadre = _finding(session, tree, 1, FindingStatus.confirmed, tree.fb)
    _finding(session, tree, 2, FindingStatus.open, tree.fb)
    _finding(session, tree, 3, FindingStatus.dismissed, tree.fb)
    created = ensure_rectification_items(
        session=session, campaign_id=tree.campaign_id, default_due=DUE
    )
    assert created == 2
    assert (
        ensure_rectification_items(session=session, campaign_id=tree.campaign_id, default_due=DUE)
        == 0
    )
    items = {i.finding_id: i for i in session.exec(select(RectificationItem)).all()}
    assert set(items) == {tree.finding_id, no_cadre}
    # the cadre's managing unit verifies; without a cadre, the unit's parent
    assert items[tree.finding_id].managing_unit_id == tree.lyg
    assert items[no_cadre].managing_unit_id == tree.lyg
    assert items[no_cadre].status == S.planned and items[no_cadre].due_on == DUE
    assert session.get(Finding, no_cadre).status == FindingStatus.rectifying  # type: ignore[union-attr]
    with pytest.raises(QinglianError):
        ensure_rectification_items(
            session=session, campaign_id=tree.campaign_id, default_due=date(2012, 1, 1)
        )


def _item(session: Session, tree: Tree) -> int:
    ensure_rectification_items(session=session, campaign_id=tree.campaign_id, default_due=DUE)
    return rectification_for_finding(
        session=session, campaign_id=tree.campaign_id, finding_id=tree.finding_id
    ).id


def test_status_extensions_and_verification(session: Session, tree: Tree) -> None:
    item_id = _item(session, tree)
    update_rectification(
        session=session,
        item_id=item_id,
        item_in=RectificationItemUpdate(measure="责令其妻退出配送业务", responsible="院纪委"),
    )
    started = update_rectification_status(
        session=session, item_id=item_id, status=S.in_progress, changed_on=date(2012, 9, 20)
    )
    assert started.status == S.in_progress and started.measure == "责令其妻退出配送业务"

    with pytest.raises(QinglianError, match="延期须说明理由"):
        extend_rectification(
            session=session,
            item_id=item_id,
            new_due_on=date(2012, 10, 31),
            reason=" ",
            granted_by="连云港市卫生局",
            granted_at=GRANTED,
        )
    with pytest.raises(QinglianError, match="须晚于现有时限"):
        extend_rectification(
            session=session,
            item_id=item_id,
            new_due_on=DUE,
            reason="合同未到期",
            granted_by="连云港市卫生局",
            granted_at=GRANTED,
        )
    for new_due in (date(2012, 10, 31), date(2012, 11, 15)):
        extended = extend_rectification(
            session=session,
            item_id=item_id,
            new_due_on=new_due,
            reason="配送合同到期后解除",
            granted_by="连云港市卫生局",
            granted_at=GRANTED,
        )
    assert extended.due_on == date(2012, 11, 15) and extended.original_due_on == DUE
    history = list_extensions(session=session, item_id=item_id)
    assert [(e.old_due_on, e.new_due_on) for e in history] == [
        (DUE, date(2012, 10, 31)),
        (date(2012, 10, 31), date(2012, 11, 15)),
    ]

    with pytest.raises(TransitionError, match="管理单位验收"):
        update_rectification_status(
            session=session, item_id=item_id, status=S.verified, changed_on=date(2012, 11, 1)
        )
    with pytest.raises(TransitionError):
        verify_rectification(
            session=session,
            item_id=item_id,
            by="王局长",
            outcome=V.passed,
            verified_on=date(2012, 11, 1),
        )
    done = update_rectification_status(
        session=session,
        item_id=item_id,
        status=S.done,
        changed_on=date(2012, 11, 1),
        evidence="解除合同",
    )
    assert done.done_on == date(2012, 11, 1) and done.evidence == "解除合同"
    with pytest.raises(QinglianError, match="无需延期"):
        extend_rectification(
            session=session,
            item_id=item_id,
            new_due_on=date(2012, 12, 1),
            reason="x",
            granted_by="y",
            granted_at=GRANTED,
        )

    rejected = verify_rectification(
        session=session,
        item_id=item_id,
        by="连云港市卫生局纪检组",
        outcome=V.rejected,
        note="未见解除合同原件",
        verified_on=date(2012, 11, 5),
    )
    assert rejected.status == S.in_progress and rejected.done_on is None
    update_rectification_status(
        session=session, item_id=item_id, status=S.done, changed_on=date(2012, 11, 8)
    )
    verified = verify_rectification(
        session=session,
        item_id=item_id,
        by="连云港市卫生局纪检组",
        outcome=V.passed,
        verified_on=date(2012, 11, 10),
    )
    assert verified.status == S.verified and verified.verified_on == date(2012, 11, 10)
    finding = session.get(Finding, tree.finding_id)
    assert finding is not None and finding.status == FindingStatus.rectified
    outcomes = session.exec(select(RectificationVerification.outcome)).all()
    assert outcomes == [V.rejected, V.passed]
    assert len(session.exec(select(RectificationExtension)).all()) == 2
    with pytest.raises(TransitionError):
        update_rectification(
            session=session, item_id=item_id, item_in=RectificationItemUpdate(measure="改")
        )

    views = list_rectification_items(
        session=session, campaign_id=tree.campaign_id, as_of=date(2012, 11, 20)
    )
    assert [(v.state, v.extensions, v.unit_code) for v in views] == [
        (RectificationState.verified, 2, "JS-LYG-FB")
    ]
    assert SECRET_TEXT not in views[0].model_dump_json()


# --- import --------------------------------------------------------------------------------


def _row(finding: int, **cells: object) -> dict[str, object]:
    return {"问题编号": finding, **cells}


def test_import_creates_updates_and_is_a_no_op_again(
    session: Session, tree: Tree, tmp_path: Path
) -> None:
    other = _finding(session, tree, 7, FindingStatus.confirmed, tree.ck)
    ensure_rectification_items(
        session=session, campaign_id=tree.campaign_id, default_due=DUE
    )  # both get an item; "other" is re-planned by the file below
    session.commit()
    fresh = _finding(session, tree, 8, FindingStatus.confirmed, tree.fb)
    path = write_table(
        tmp_path / "整改台账.xlsx",
        HEADERS,
        [
            _row(
                tree.finding_id,
                整改措施="责令其妻退出配送业务",
                责任人="施庆喜",
                整改时限="2012年10月20日",
                状态="整改中",
            ),
            _row(other, 整改措施="修订采购制度", 整改时限="2012/10/25"),
            _row(
                fresh,
                整改措施="清退兼职报酬",
                整改时限=date(2012, 10, 30),
                状态="已完成",
                完成日期="2012-09-28",
                整改证据="退款凭证",
            ),
        ],
    )
    report = import_rectification(
        session=session, campaign_id=tree.campaign_id, path=path, as_of=date(2012, 10, 1)
    )
    assert (report.created, report.updated, report.unchanged) == (1, 2, 0)
    items = {i.finding_id: i for i in session.exec(select(RectificationItem)).all()}
    first = items[tree.finding_id]
    assert (first.status, first.due_on, first.responsible) == (
        S.in_progress,
        date(2012, 10, 20),
        "施庆喜",
    )
    assert items[fresh].status == S.done and items[fresh].done_on == date(2012, 9, 28)
    assert items[other].due_on == items[other].original_due_on == date(2012, 10, 25)

    again = import_rectification(
        session=session, campaign_id=tree.campaign_id, path=path, as_of=date(2012, 10, 1)
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    english = write_table(
        tmp_path / "progress.csv",
        EN_HEADERS,
        [
            {
                "finding": tree.finding_id,
                "status": "done",
                "done on": "2012-10-18",
                "evidence": "解除协议",
            }
        ],
    )
    report = import_rectification(
        session=session, campaign_id=tree.campaign_id, path=english, as_of=date(2012, 10, 19)
    )
    assert report.updated == 1
    session.refresh(first)
    assert (first.status, first.done_on, first.evidence) == (S.done, date(2012, 10, 18), "解除协议")


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"问题编号": 999}, "问题编号", "没有编号为 999 的问题"),
        ({"问题编号": "abc"}, "问题编号", "不是整数"),
        ({"状态": "随便"}, "状态", "无法识别的状态"),
        ({"状态": "已验收"}, "状态", "管理单位验收"),
        ({"状态": "已完成"}, "完成日期", "须填写完成日期"),
        ({"状态": "已完成", "完成日期": "2012-12-01"}, "完成日期", "晚于今天"),
        ({"完成日期": "2012-09-20"}, "完成日期", "状态应为「已完成」"),
        ({"整改时限": "2012-01-01"}, "整改时限", "早于专项活动开始日期"),
        ({"整改时限": "2012-10-10"}, "整改时限", "须办理延期"),  # as_of is past the deadline
        ({"整改措施": "措" * 1001}, "整改措施", "过长"),
    ],
)
def test_import_rejects_bad_rows_whole_file(
    session: Session,
    tree: Tree,
    tmp_path: Path,
    cells: dict[str, object],
    column: str,
    reason: str,
) -> None:
    ensure_rectification_items(session=session, campaign_id=tree.campaign_id, default_due=DUE)
    session.commit()
    good = _row(tree.finding_id, 责任人="院纪委")
    bad = {**_row(tree.finding_id), **cells}
    path = write_table(
        tmp_path / "bad.csv", HEADERS, [good, bad] if cells.get("问题编号") else [bad]
    )
    with pytest.raises(ImportRejected) as caught:
        import_rectification(
            session=session, campaign_id=tree.campaign_id, path=path, as_of=date(2012, 10, 16)
        )
    errors = caught.value.errors
    assert any(e.column == column and reason in e.zh and e.en for e in errors), errors
    item = session.exec(select(RectificationItem)).one()
    assert item.responsible == "" and item.status == S.planned  # all or nothing


def test_import_duplicates_unconfirmed_and_skip_invalid(
    session: Session, tree: Tree, tmp_path: Path
) -> None:
    unconfirmed = _finding(session, tree, 5, FindingStatus.verifying, tree.fb)
    fresh = _finding(session, tree, 6, FindingStatus.confirmed, tree.fb)
    session.commit()
    path = write_table(
        tmp_path / "mixed.xlsx",
        HEADERS,
        [
            _row(tree.finding_id, 整改时限="2012-10-20"),
            _row(tree.finding_id, 整改时限="2012-10-21"),
            _row(unconfirmed, 整改时限="2012-10-20"),
            _row(fresh, 整改措施="清退"),  # a new item needs its deadline
            _row(fresh + 100, 整改时限="2012-10-20"),
        ],
    )
    with pytest.raises(ImportRejected) as caught:
        import_rectification(
            session=session, campaign_id=tree.campaign_id, path=path, as_of=date(2012, 10, 1)
        )
    assert {e.row for e in caught.value.errors} == {2, 3, 4, 5, 6}
    assert any("重复" in e.zh for e in caught.value.errors)
    assert any("尚未确认" in e.zh for e in caught.value.errors)
    assert any("须填写整改时限" in e.zh for e in caught.value.errors)

    ok = write_table(
        tmp_path / "partly.xlsx",
        HEADERS,
        [
            _row(fresh, 整改时限="2012-10-20", 整改措施="清退"),
            _row(unconfirmed, 整改时限="2012-10-20"),
        ],
    )
    report = import_rectification(
        session=session,
        campaign_id=tree.campaign_id,
        path=ok,
        as_of=date(2012, 10, 1),
        skip_invalid=True,
    )
    assert report.created == 1 and report.rejected_rows == 1
    assert report.rejected_file is not None and report.rejected_file.exists()
    assert session.exec(select(RectificationItem.finding_id)).all() == [fresh]
