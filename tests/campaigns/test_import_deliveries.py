"""`qinglian deliver import FILE --campaign ID`: deliverables recorded from a real XLSX/CSV file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from models import Deliverable, GroupRole, LeadingGroupMember, Unit
from tests.databases import DATABASES
from tests.factories import (
    DEPUTIES,
    FB,
    FB_OBSTETRICS,
    LEADERS,
    LYG,
    MEMBERS,
    MOH,
    OFFICE,
    Qinglian,
    assert_one_error,
    delivery,
    leading_group_row,
    qinglian_cli,
    write_deliveries,
    write_table,
    write_units,
)


@pytest.fixture(params=DATABASES)
def cli(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Qinglian]:
    with qinglian_cli(request.param, tmp_path, monkeypatch) as harness:
        harness.ok("units", "import", write_units(tmp_path / "units.xlsx"))
        yield harness


@pytest.fixture
def campaign(cli: Qinglian) -> str:
    """coi-2012 on 卫生部, from 2012-07-16; its id as typed on the command line."""
    return cli.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH).stdout.strip()


def _row(cli: Qinglian, campaign: str, code: str, kind: str) -> Deliverable:
    with cli.session() as session:
        return session.exec(
            select(Deliverable)
            .join(Unit, Unit.id == Deliverable.unit_id)
            .where(
                Deliverable.campaign_id == int(campaign),
                Unit.code == code,
                Deliverable.kind == kind,
            )
        ).one()


def _group(cli: Qinglian, campaign: str) -> dict[GroupRole, list[str]]:
    with cli.session() as session:
        members = session.exec(
            select(LeadingGroupMember).where(LeadingGroupMember.campaign_id == int(campaign))
        ).all()
    return {role: sorted(m.name for m in members if m.role == role) for role in GroupRole}


def _submitted(cli: Qinglian, campaign: str) -> dict[tuple[str, str], date]:
    with cli.session() as session:
        rows = session.exec(
            select(Unit.code, Deliverable.kind, Deliverable.submitted_on)
            .join(Unit, Unit.id == Deliverable.unit_id)
            .where(Deliverable.campaign_id == int(campaign), Deliverable.submitted_on != None)  # noqa: E711
        ).all()
    return {(code, kind): on for code, kind, on in rows}


VALID: list[dict[str, Any]] = [
    leading_group_row(FB, "2012-07-18"),
    delivery(FB, "mobilization_meeting", "2012年7月25日", 说明="全院动员大会"),
    delivery(FB_OBSTETRICS, "组织学习相关文件", "2012/7/24"),
    delivery(LYG, "制定实施方案", date(2012, 7, 30)),
]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_valid_rows_are_recorded_and_reimport_is_a_no_op(
    cli: Qinglian, campaign: str, tmp_path: Path, suffix: str
) -> None:
    path = write_deliveries(tmp_path / f"上报事项.{suffix}", VALID)

    result = cli.ok("deliver", "import", path, "--campaign", campaign)
    assert "新增 0，更新 4，未变 0，拒绝 0" in result.stdout
    assert "updated 4, unchanged 0, rejected 0" in result.stdout
    assert _submitted(cli, campaign) == {
        (FB, "leading_group"): date(2012, 7, 18),
        (FB, "mobilization_meeting"): date(2012, 7, 25),
        (FB_OBSTETRICS, "study_session"): date(2012, 7, 24),
        (LYG, "implementation_plan"): date(2012, 7, 30),
    }
    assert _row(cli, campaign, FB, "mobilization_meeting").note == "全院动员大会"
    assert _group(cli, campaign) == {
        GroupRole.leader: sorted(LEADERS),
        GroupRole.deputy: sorted(DEPUTIES),
        GroupRole.member: sorted(MEMBERS),
    }
    assert _row(cli, campaign, FB, "leading_group").detail["office"] == OFFICE
    recorded = _row(cli, campaign, FB, "leading_group").recorded_at

    before = cli.counts()
    again = cli.ok("deliver", "import", path, "--campaign", campaign)
    assert "新增 0，更新 0，未变 4，拒绝 0" in again.stdout
    assert cli.counts() == before
    assert _row(cli, campaign, FB, "leading_group").recorded_at == recorded


def test_a_changed_row_is_updated_and_the_group_replaced(
    cli: Qinglian, campaign: str, tmp_path: Path
) -> None:
    path = tmp_path / "d.csv"
    cli.ok("deliver", "import", write_deliveries(path, VALID), "--campaign", campaign)
    changed = [
        leading_group_row(FB, "2012-07-19", 副组长="程学亮", 成员=""),
        *VALID[1:],
    ]
    result = cli.ok("deliver", "import", write_deliveries(path, changed), "--campaign", campaign)
    assert "更新 1，未变 3" in result.stdout
    assert _row(cli, campaign, FB, "leading_group").submitted_on == date(2012, 7, 19)
    assert _group(cli, campaign) == {
        GroupRole.leader: sorted(LEADERS),
        GroupRole.deputy: ["程学亮"],
        GroupRole.member: [],
    }


def test_the_mobilization_report_is_due_a_week_after_the_meeting(
    cli: Qinglian, campaign: str, tmp_path: Path
) -> None:
    planned = _row(cli, campaign, FB, "mobilization_report").due_on
    assert planned == date(2012, 7, 27)  # 8-6 at the ministry, 2 working days less per level
    path = write_deliveries(tmp_path / "meeting.csv", [delivery(FB, "召开动员会", "2012-07-19")])
    cli.ok("deliver", "import", path, "--campaign", campaign)
    assert _row(cli, campaign, FB, "mobilization_report").due_on == date(2012, 7, 26)
    # The other units keep their planned date; only 连妇保 held its meeting.
    assert _row(cli, campaign, LYG, "mobilization_report").due_on == date(2012, 7, 31)
    status = cli.ok(
        "status", campaign, "--unit", FB, "--phase", "mobilize", "--as-of", "2012-07-27", "--json"
    )
    own = json.loads(status.stdout)["unit"]["own"]
    # On 7-27 the meeting is in on time; the report (due 7-26 now) is missing with the
    # leading group, the plan and the study session; only the phase summary is still to come.
    assert (own["on_time"], own["missing"], own["pending"]) == (1, 4, 1)


BAD_ROWS = [
    pytest.param(
        delivery("JS-XX", "leading_group", "2012-07-18"), "没有单位编码「JS-XX」", id="unknown-unit"
    ),
    pytest.param(delivery("", "leading_group", "2012-07-18"), "单位编码不能为空", id="empty-unit"),
    pytest.param(
        delivery(FB, "mobilisation_party", "2012-07-18"),
        "没有事项「mobilisation_party」",
        id="unknown-item",
    ),
    pytest.param(
        delivery(FB_OBSTETRICS, "implementation_plan", "2012-07-18"),
        "没有事项",
        id="item-not-for-departments",
    ),
    pytest.param(delivery(FB, "implementation_plan", "上周五"), "无法识别的日期", id="date-text"),
    pytest.param(
        delivery(FB, "implementation_plan", "2012-02-30"), "无法识别的日期", id="date-impossible"
    ),
    pytest.param(delivery(FB, "implementation_plan", ""), "完成日期不能为空", id="date-empty"),
    pytest.param(
        delivery(FB, "implementation_plan", "2012-07-15"),
        "早于专项活动开始日期 2012-07-16",
        id="before-start",
    ),
    pytest.param(delivery(FB, "implementation_plan", "2099-07-18"), "日期晚于今天", id="future"),
    pytest.param(
        delivery(LYG, "mobilization_meeting", "2012-07-20"), "重复出现（另见第2行）", id="duplicate"
    ),
    pytest.param(leading_group_row(LYG, 组长=""), "领导小组须填写组长", id="group-without-leader"),
    pytest.param(
        leading_group_row(LYG, 办公室=""), "须填写办公室设在何处", id="group-without-office"
    ),
]


def _rejects_whole_file(
    cli: Qinglian, campaign: str, folder: Path, bad: dict[str, Any], reason: str
) -> None:
    """Row 2 is valid, row 3 is not: all or nothing, so row 2 is not recorded either."""
    folder.mkdir()
    good = delivery(LYG, "mobilization_meeting", "2012-07-19")
    path = write_deliveries(folder / "bad.csv", [good, bad])
    before = cli.counts()

    result = cli("deliver", "import", path, "--campaign", campaign)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert "未导入任何数据" in result.stderr and "nothing imported" in result.stderr
    assert "bad.csv [bad] 第3行" in result.stderr
    assert reason in result.stderr
    assert cli.counts() == before
    assert _submitted(cli, campaign) == {}
    assert not (folder / "bad.rejected.csv").exists()


def test_a_bad_row_rejects_the_whole_file(cli: Qinglian, campaign: str, tmp_path: Path) -> None:
    """Every case on one database (none may write anything); all failing cases are reported."""
    problems: dict[str, str] = {}
    for case in BAD_ROWS:
        try:
            _rejects_whole_file(cli, campaign, tmp_path / str(case.id), *case.values)
        except AssertionError as exc:
            problems[str(case.id)] = str(exc)
    assert problems == {}


def test_skip_invalid_records_the_valid_rows_and_quarantines_the_rest(
    cli: Qinglian, campaign: str, tmp_path: Path
) -> None:
    rows = [
        *VALID,
        delivery("JS-XX", "leading_group", "2012-07-18"),
        leading_group_row(LYG, 办公室=""),
        delivery(FB, "implementation_plan", "2099-01-01"),
    ]
    path = write_deliveries(tmp_path / "mixed.xlsx", rows)
    result = cli.ok("deliver", "import", path, "--campaign", campaign, "--skip-invalid")

    quarantine = tmp_path / "mixed.rejected.csv"
    assert "更新 4" in result.stdout and "拒绝 3" in result.stdout
    assert f"被拒绝的行已写入 / rejected rows written to {quarantine}" in result.stdout
    assert len(_submitted(cli, campaign)) == 4
    with quarantine.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [row["行号"] for row in table] == ["6", "7", "8"]
    assert "没有单位编码" in table[0]["原因"]
    assert "办公室" in table[1]["原因"]
    assert "future" in table[2]["reason"]

    again = cli.ok("deliver", "import", path, "--campaign", campaign, "--skip-invalid")
    assert "更新 0，未变 4，拒绝 3" in again.stdout


def test_english_headers_are_accepted(cli: Qinglian, campaign: str, tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "english.csv",
        ["unit code", "item", "date", "note"],
        [{"unit code": FB, "item": "study_session", "date": "2012-07-20", "note": "ok"}],
    )
    result = cli.ok("deliver", "import", path, "--campaign", campaign)
    assert "更新 1" in result.stdout
    assert _row(cli, campaign, FB, "study_session").submitted_on == date(2012, 7, 20)


@pytest.mark.parametrize(
    ("campaign_arg", "content", "expected"),
    [
        pytest.param("99", None, "没有编号为 99 的专项活动", id="no-campaign"),
        pytest.param(
            "一", None, "专项活动编号应为 1 到 2147483647 之间的整数", id="campaign-not-a-number"
        ),
        pytest.param(
            "{c}", "单位编码,完成日期\nJS,2012-07-20\n", "缺少必填列「事项」", id="no-item-column"
        ),
        pytest.param("{c}", "", "表格是空的", id="empty-file"),
    ],
)
def test_a_bad_file_or_campaign_is_one_bilingual_line(
    cli: Qinglian,
    campaign: str,
    tmp_path: Path,
    campaign_arg: str,
    content: str | None,
    expected: str,
) -> None:
    path = tmp_path / "d.csv"
    write_deliveries(path, VALID) if content is None else path.write_text(content, "utf-8")
    before = cli.counts()
    line = assert_one_error(
        cli("deliver", "import", path, "--campaign", campaign_arg.format(c=campaign))
    )
    assert expected in line
    assert cli.counts() == before
