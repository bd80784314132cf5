"""The `qinglian` command, end to end through typer's runner, on SQLite and PostgreSQL.

`phase run` and `demo` start Prefect and are tested with the flows.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest
from sqlmodel import select

from models import Campaign, Deliverable, LeadingGroupMember, Phase, Unit
from qinglian.campaigns.templates import get_template
from qinglian.cli import lazy
from qinglian.cli.main import _Qinglian
from qinglian.core import db, migrations
from tests.databases import PG_URL
from tests.factories import (
    CADRE_HEADERS,
    CADRES,
    CHAIN,
    DEPUTIES,
    FB,
    FB_OBSTETRICS,
    FB_SUPERVISION,
    JS,
    LEADERS,
    LYG,
    MOH,
    OFFICE,
    UNIT_HEADERS,
    UNITS,
    Qinglian,
    assert_one_error,
    qinglian_cli,
    write_cadres,
    write_table,
    write_units,
)

RATE_KEYS = (
    "expected",
    "received",
    "on_time",
    "late",
    "missing",
    "pending",
    "rate",
    "on_time_rate",
)
COUNT_KEYS = ("expected", "received", "on_time", "late", "missing", "pending")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def tree(cli: Qinglian, tmp_path: Path) -> Qinglian:
    """The seeds' chain 卫生部 → … → 连妇保 → two departments."""
    cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
    return cli


@pytest.fixture
def campaign(tree: Qinglian) -> int:
    """coi-2012 launched on 卫生部 at the template's own start (2012-07-16)."""
    return int(tree.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH).stdout)


def _dues(cli: Qinglian, campaign_id: int) -> dict[tuple[str, str], date]:
    """(unit code, deliverable kind) → due date."""
    with cli.session() as session:
        rows = session.exec(
            select(Unit.code, Deliverable.kind, Deliverable.due_on)
            .join(Unit, Unit.id == Deliverable.unit_id)
            .where(Deliverable.campaign_id == campaign_id)
        ).all()
    return {(code, kind): due for code, kind, due in rows}


def _status(cli: Qinglian, campaign_id: int, *args: str) -> dict[str, Any]:
    result = cli.ok("status", str(campaign_id), "--json", *args)
    return json.loads(result.stdout)


def _node(tree: dict[str, Any], code: str) -> dict[str, Any]:
    if tree["code"] == code:
        return tree
    for child in tree["children"]:
        try:
            return _node(child, code)
        except KeyError:
            continue
    raise KeyError(code)


# --- db -------------------------------------------------------------------------------------


def test_db_upgrade_reports_the_head_and_is_repeatable(cli: Qinglian) -> None:
    first = cli.ok("db", "upgrade")
    again = cli.ok("db", "upgrade")
    revision = migrations.current_revision(db.get_engine())
    assert first.stdout.strip() == f"数据库已是最新版本 / database at revision {revision}"
    assert first.stdout == again.stdout
    assert all(count == 0 for count in cli.counts().values())


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("sqlite-url", id="sqlite-url"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(
                not PG_URL, reason="QINGLIAN_TEST_PG_URL is not set: PostgreSQL variant skipped"
            ),
        ),
    ],
)
def test_a_configured_database_must_be_upgraded_by_hand(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with qinglian_cli(kind, tmp_path, monkeypatch, upgrade=False) as cli:
        for args in (
            ("units", "tree"),
            ("status", "1"),
            ("campaign", "launch", "--template", "coi-2012", "--root", MOH),
        ):
            line = assert_one_error(cli(*args))
            assert "请先运行 `qinglian db upgrade`" in line
            assert "run `qinglian db upgrade` first" in line
        cli.ok("db", "upgrade")
        assert "还没有单位" in cli.ok("units", "tree").stdout


def test_the_embedded_database_is_migrated_on_the_fly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as cli:
        result = cli.ok("units", "tree")
        assert "还没有单位" in result.stdout
        assert (cli.home / "qinglian.db").is_file()


# --- units and cadres -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_units_and_cadres_import_then_reimport_is_unchanged(
    cli: Qinglian, tmp_path: Path, suffix: str
) -> None:
    units = write_units(tmp_path / f"单位.{suffix}")
    cadres = write_cadres(tmp_path / f"干部.{suffix}")

    first = cli.ok("units", "import", units)
    assert f"新增 {len(UNITS)}，更新 0，未变 0，拒绝 0" in first.stdout
    assert f"created {len(UNITS)}, updated 0, unchanged 0, rejected 0" in first.stdout
    again = cli.ok("units", "import", units)
    assert f"新增 0，更新 0，未变 {len(UNITS)}，拒绝 0" in again.stdout

    first = cli.ok("cadres", "import", cadres)
    assert f"created {len(CADRES)}, updated 0" in first.stdout
    before = cli.counts()
    again = cli.ok("cadres", "import", cadres)
    assert f"新增 0，更新 0，未变 {len(CADRES)}，拒绝 0" in again.stdout
    assert cli.counts() == before
    assert before["unit"] == len(UNITS) and before["cadre"] == len(CADRES)


def test_units_import_reports_an_update(cli: Qinglian, tmp_path: Path) -> None:
    cli.ok("units", "import", write_units(tmp_path / "units.csv"))
    renamed = [dict(row) for row in UNITS]
    renamed[-1]["单位名称"] = "纪检监察室"
    result = cli.ok("units", "import", write_units(tmp_path / "units.csv", renamed))
    assert "新增 0，更新 1，未变 5" in result.stdout
    assert "纪检监察室" in cli.ok("units", "tree", FB).stdout


def test_the_import_summary_names_file_and_sheet(cli: Qinglian, tmp_path: Path) -> None:
    result = cli.ok("units", "import", write_units(tmp_path / "units.csv"))
    assert result.stdout.startswith("units.csv [units]: ")


@pytest.mark.parametrize("command", ["units", "cadres"])
def test_skip_invalid_imports_the_rest_and_says_where_the_rejects_are(
    tree: Qinglian, tmp_path: Path, command: str
) -> None:
    if command == "units":
        rows = [
            {
                "单位编码": "JS-LYG-FB-EK",
                "单位名称": "儿科",
                "层级": "科室",
                "类型": "医疗",
                "上级单位编码": FB,
            },
            {
                "单位编码": "JS-LYG-FB-XX",
                "单位名称": "某科",
                "层级": "火星",
                "类型": "医疗",
                "上级单位编码": FB,
            },
        ]
        path = write_table(tmp_path / "more-units.csv", UNIT_HEADERS, rows)
    else:
        rows = [
            {"工号": "FB102", "姓名": "许成", "单位编码": FB_SUPERVISION, "适用类别": 4},
            {"工号": "FB103", "姓名": "彭润民", "单位编码": "NOPE", "适用类别": 4},
        ]
        path = write_table(tmp_path / "more-cadres.csv", CADRE_HEADERS, rows)
    before = tree.counts()

    rejected = tree(command, "import", path)
    assert rejected.exit_code == 1
    assert isinstance(rejected.exception, SystemExit)
    assert "Traceback" not in rejected.output
    assert "未导入任何数据" in rejected.stderr and "nothing imported" in rejected.stderr
    assert "第3行" in rejected.stderr and "--skip-invalid" in rejected.stderr
    assert tree.counts() == before

    result = tree.ok(command, "import", path, "--skip-invalid")
    quarantine = tmp_path / (path.stem + ".rejected.csv")
    assert "新增 1" in result.stdout and "rejected 1" in result.stdout
    assert f"rejected rows written to {quarantine}" in result.stdout
    assert quarantine.is_file()
    text = quarantine.read_text(encoding="utf-8-sig")
    assert ("火星" if command == "units" else "NOPE") in text
    table = "unit" if command == "units" else "cadre"
    assert tree.counts()[table] == before[table] + 1


BAD_FILES: list[tuple[str, bytes | None, str]] = [
    ("missing.csv", None, "文件不存在"),
    ("broken.xlsx", b"this is not a workbook", "不是有效的 .xlsx 文件"),
    ("empty.csv", b"", "表格是空的"),
    ("wrong.csv", "姓名,职务\n张三,院长\n".encode(), "缺少必填列"),
    ("utf16.csv", "单位编码\n".encode("utf-16-le"), "不是可识别的表格文件"),
]


@pytest.mark.parametrize("command", ["units", "cadres"])
def test_a_bad_file_exits_1_with_a_bilingual_message(
    cli: Qinglian, tmp_path: Path, command: str
) -> None:
    cli.ok("db", "upgrade")
    problems: dict[str, str] = {}
    for name, content, expected in BAD_FILES:
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        before = cli.counts()
        try:
            assert expected in assert_one_error(cli(command, "import", path))
            assert cli.counts() == before
        except AssertionError as exc:
            problems[name] = str(exc)
    assert problems == {}


def test_units_tree_prints_the_names(tree: Qinglian) -> None:
    result = tree.ok("units", "tree")
    for row in UNITS:
        assert row["单位名称"] in result.stdout
        assert row["单位编码"] in result.stdout
    assert "连云港市妇幼保健院（连妇保）" in result.stdout
    assert "└──" in result.stdout or "├──" in result.stdout

    below = tree.ok("units", "tree", LYG).stdout
    assert below.splitlines()[0].startswith("连云港市卫生局")
    assert "卫生部" not in below and "江苏省卫生厅" not in below
    assert "产科" in below and "院监察室" in below

    shallow = tree.ok("units", "tree", JS, "--depth", "1").stdout
    assert "连云港市卫生局" in shallow and "连云港市妇幼保健院" not in shallow


def test_units_tree_of_an_unknown_code(tree: Qinglian) -> None:
    line = assert_one_error(tree("units", "tree", "NOPE"))
    assert "没有单位编码「NOPE」" in line and "no unit with code 'NOPE'" in line


def test_an_error_quoting_markup_like_input_still_prints_one_line(tree: Qinglian) -> None:
    line = assert_one_error(tree("units", "tree", "[/bold]"))
    assert "[/bold]" in line


# --- templates ------------------------------------------------------------------------------


def test_templates_list(cli: Qinglian) -> None:
    result = cli.ok("templates", "list")
    for key in ("coi-2012", "conduct-2007", "conduct-2023"):
        assert key in result.stdout
    assert "动员部署 → 查找问题 → 整改纠正 → 检查总结" in result.stdout


def test_templates_show_coi_2012(cli: Qinglian) -> None:
    out = cli.ok("templates", "show", "coi-2012").stdout
    assert "动员部署 (mobilize) 2012-07-16 – 2012-08-05" in out
    for key, title in [
        ("leading_group", "成立领导小组和专项活动办公室"),
        ("mobilization_meeting", "召开动员会"),
        ("implementation_plan", "制定实施方案"),
        ("study_session", "组织学习相关文件"),
        ("mobilization_report", "学习动员情况书面报告"),
        ("mobilize_summary", "动员部署阶段性总结"),
        ("forms_collected", "收齐《报告表》并上报"),
        ("comprehensive_report", "书面综合情况报告"),
    ]:
        assert key in out and title in out
    assert "（或 mobilization_meeting 后 7 天）" in out
    assert "每级提前 2 个工作日" in out


def test_templates_show_an_unknown_template(cli: Qinglian) -> None:
    line = assert_one_error(cli("templates", "show", "coi-2013"))
    assert "coi-2013" in line and "coi-2012" in line


# --- campaign launch ------------------------------------------------------------------------


def test_launch_prints_the_id_and_relaunch_creates_nothing(tree: Qinglian) -> None:
    args = ("campaign", "launch", "--template", "coi-2012", "--root", MOH)
    first = tree.ok(*args)
    assert first.stdout.strip().isdigit()
    assert "已发起 / launched" in first.stderr
    after_first = tree.counts()
    assert after_first["campaign"] == 1 and after_first["phase"] == 4

    for start in ((), ("--start", "2012-07-16"), ("--start", "2012年7月16日")):
        again = tree.ok(*args, *start)  # the template's own start, however it is written
        assert again.stdout == first.stdout
        assert "already launched" in again.stderr
    assert tree.counts() == after_first

    listed = tree.ok("campaign", "list").stdout
    assert "coi-2012" in listed and "卫生部" in listed


def test_every_unit_gets_its_deliverables(tree: Qinglian, campaign: int) -> None:
    """Each unit gets every item of the template meant for its level, and nothing else."""
    template = get_template("coi-2012")
    dues = _dues(tree, campaign)
    with tree.session() as session:
        levels = dict(session.exec(select(Unit.code, Unit.level)).all())
    for code, level in levels.items():
        meant = {
            item.key
            for phase in template.phases
            for item in phase.deliverables
            if level in item.levels
        }
        assert {kind for unit, kind in dues if unit == code} == meant, code
    assert {"leading_group", "mobilization_report", "comprehensive_report"} <= {
        kind for unit, kind in dues if unit == FB
    }
    for code in (FB_OBSTETRICS, FB_SUPERVISION):
        # Departments only study and hand in their heads' forms.
        assert {kind for unit, kind in dues if unit == code} == {
            "study_session",
            "forms_collected",
        }


def test_deadlines_cascade_down_the_tree(tree: Qinglian, campaign: int) -> None:
    dues = _dues(tree, campaign)
    with tree.session() as session:
        phase_start = {
            kind: starts
            for kind, starts in session.exec(
                select(Deliverable.kind, Phase.starts_on)
                .join(Phase, Phase.id == Deliverable.phase_id)
                .where(Deliverable.campaign_id == campaign)
            )
        }
    # 组织学习相关文件 is due everywhere: 8-3 at the ministry, two working days less per level.
    assert [dues[(code, "study_session")] for code in CHAIN] == [
        date(2012, 8, 3),
        date(2012, 8, 1),
        date(2012, 7, 30),
        date(2012, 7, 26),
        date(2012, 7, 24),
    ]
    for kind, starts in phase_start.items():
        # A deep tree in a short phase is held at the phase's first working day.
        floor = chinese_calendar.find_workday(0, starts)
        chain = [dues[(code, kind)] for code in CHAIN if (code, kind) in dues]
        for parent, child in itertools.pairwise(chain):
            if child == floor:
                assert child <= parent, (kind, chain)
            else:
                # Exactly two working days earlier than the level above.
                between = chinese_calendar.get_workdays(child, parent)
                assert (len(between), between[0], between[-1]) == (3, child, parent), (kind, chain)
    # 书面综合情况报告: 检查总结 starts on Saturday 12-01, so 连妇保 is held at Monday 12-03.
    assert [dues[(code, "comprehensive_report")] for code in (MOH, JS, LYG, FB)] == [
        date(2012, 12, 10),
        date(2012, 12, 6),
        date(2012, 12, 4),
        date(2012, 12, 3),
    ]


def test_deadlines_respect_holidays_and_make_up_working_days(tree: Qinglian) -> None:
    # Started 33 days late, 制度清单 falls due on 2012-10-03 (National Day): it moves back to
    # Saturday 2012-09-29, a make-up working day, and each level below loses two working days.
    result = tree.ok(
        "campaign", "launch", "--template", "coi-2012", "--root", MOH, "--start", "2012-08-18"
    )
    dues = _dues(tree, int(result.stdout))
    assert [dues[(code, "rules_review")] for code in (MOH, JS, LYG, FB)] == [
        date(2012, 9, 29),
        date(2012, 9, 27),
        date(2012, 9, 25),
        date(2012, 9, 21),
    ]


def test_start_shifts_every_deadline(tree: Qinglian, campaign: int) -> None:
    result = tree.ok(
        "campaign", "launch", "--template", "coi-2012", "--root", MOH, "--start", "2012-07-23"
    )
    shifted = int(result.stdout)
    assert shifted != campaign
    assert "2012-07-23" in result.stderr
    original, later = _dues(tree, campaign), _dues(tree, shifted)
    assert later[(MOH, "leading_group")] == date(2012, 7, 27)
    assert later[(MOH, "comprehensive_report")] == date(2012, 12, 17)
    assert later[(FB_OBSTETRICS, "study_session")] == date(2012, 7, 31)
    assert all(later[key] > original[key] for key in original)
    with tree.session() as session:
        launched = session.get(Campaign, shifted)
        assert launched is not None and launched.start_on == date(2012, 7, 23)
        phases = session.exec(select(Phase).where(Phase.campaign_id == shifted)).all()
        assert {p.key: p.starts_on for p in phases}["mobilize"] == date(2012, 7, 23)


def test_every_due_date_is_a_working_day(tree: Qinglian, campaign: int) -> None:
    off = {
        key: due
        for key, due in _dues(tree, campaign).items()
        if not chinese_calendar.is_workday(due)
    }
    assert off == {}


def test_launch_on_a_subtree_and_every_template(tree: Qinglian) -> None:
    sub = tree.ok("campaign", "launch", "--template", "coi-2012", "--root", LYG).stdout
    dues = _dues(tree, int(sub))
    assert {code for code, _ in dues} == {LYG, FB, FB_OBSTETRICS, FB_SUPERVISION}
    assert dues[(LYG, "leading_group")] == date(2012, 7, 20)  # the root keeps its own date
    for template in ("conduct-2007", "conduct-2023"):
        tree.ok("campaign", "launch", "--template", template, "--root", MOH)
    assert tree.counts()["campaign"] == 3


# --- deliver record / leading-group ---------------------------------------------------------


def test_deliver_record_and_the_report_a_week_after_the_meeting(
    tree: Qinglian, campaign: int
) -> None:
    before = _dues(tree, campaign)[(FB, "mobilization_report")]
    result = tree.ok(
        "deliver",
        "record",
        str(campaign),
        FB,
        "mobilization_meeting",
        "--on",
        "2012-07-25",
        "--note",
        "全院动员大会",
    )
    assert "已登记 / recorded" in result.stdout and "召开动员会" in result.stdout
    assert _dues(tree, campaign)[(FB, "mobilization_report")] == date(2012, 8, 1) != before
    with tree.session() as session:
        row = session.exec(
            select(Deliverable)
            .join(Unit, Unit.id == Deliverable.unit_id)
            .where(Unit.code == FB, Deliverable.kind == "mobilization_meeting")
        ).one()
        assert row.submitted_on == date(2012, 7, 25) and row.note == "全院动员大会"
    # Only this unit's report follows its meeting.
    assert _dues(tree, campaign)[(LYG, "mobilization_report")] == date(2012, 7, 31)


def test_deliver_leading_group_records_seed_002s_group(tree: Qinglian, campaign: int) -> None:
    args = ["deliver", "leading-group", str(campaign), FB, "--on", "2012-07-18", "--office", OFFICE]
    for name in LEADERS:
        args += ["--leader", name]
    for name in DEPUTIES:
        args += ["--deputy", name]
    result = tree.ok(*args)
    assert "已登记领导小组" in result.stdout
    again = tree.ok(*args)  # recording it again replaces the group, never duplicates it
    assert again.exit_code == 0

    with tree.session() as session:
        members = session.exec(
            select(LeadingGroupMember.role, LeadingGroupMember.name).where(
                LeadingGroupMember.campaign_id == campaign
            )
        ).all()
        row = session.exec(
            select(Deliverable)
            .join(Unit, Unit.id == Deliverable.unit_id)
            .where(Unit.code == FB, Deliverable.kind == "leading_group")
        ).one()
    assert sorted(name for role, name in members if role == "leader") == sorted(LEADERS)
    assert sorted(name for role, name in members if role == "deputy") == sorted(DEPUTIES)
    assert len(members) == 5
    assert row.submitted_on == date(2012, 7, 18)
    assert row.detail["office"] == OFFICE


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--leader", " ", "--office", OFFICE], "至少要有一名组长"),
        (["--leader", "施庆喜", "--office", " "], "办公室设在何处"),
    ],
)
def test_deliver_leading_group_needs_a_leader_and_an_office(
    tree: Qinglian, campaign: int, extra: list[str], expected: str
) -> None:
    before = tree.counts()
    args = ["deliver", "leading-group", str(campaign), FB, "--on", "2012-07-18", *extra]
    line = assert_one_error(tree(*args))
    assert expected in line
    assert tree.counts() == before


def test_deliver_leading_group_folds_padding_inside_names(tree: Qinglian, campaign: int) -> None:
    tree.ok(
        "deliver",
        "leading-group",
        str(campaign),
        FB,
        "--on",
        "2012-07-18",
        "--office",
        OFFICE,
        "--leader",
        "施庆喜",
        "--deputy",
        "顾  扬",
    )
    with tree.session() as session:
        names = set(session.exec(select(LeadingGroupMember.name)).all())
    assert names == {"施庆喜", "顾扬"}


# --- status ---------------------------------------------------------------------------------


def _check_rollup(node: dict[str, Any]) -> None:
    for rate in (node["own"], node["subtree"]):
        assert set(rate) >= set(RATE_KEYS)
        assert rate["received"] == rate["on_time"] + rate["late"]
        assert rate["expected"] == rate["received"] + rate["missing"] + rate["pending"]
        due = rate["received"] + rate["missing"]  # DHIS2: of the reports due (or already in)
        assert rate["rate"] == (round(rate["received"] / due, 4) if due else 1.0)
        assert rate["on_time_rate"] == (round(rate["on_time"] / due, 4) if due else 1.0)
    for key in COUNT_KEYS:
        below = sum(child["subtree"][key] for child in node["children"])
        assert node["subtree"][key] == node["own"][key] + below, (node["code"], key)
    for child in node["children"]:
        _check_rollup(child)


def test_status_json_schema_and_rollup(tree: Qinglian, campaign: int) -> None:
    for code, day in ((FB, "2012-07-16"), (JS, "2012-07-19")):
        tree.ok(
            "deliver", "leading-group", str(campaign), code, "--on", day, "--office", OFFICE,
            "--leader", "施庆喜",
        )  # fmt: skip
    payload = _status(tree, campaign, "--as-of", "2012-07-20")

    # The documented keys; a later version of the schema may add more beside them.
    assert set(payload) >= {"schema", "campaign", "phase", "as_of", "unit"}
    assert payload["schema"] == "qinglian.status/1"
    assert payload["campaign"]["id"] == campaign
    assert payload["campaign"]["template"] == "coi-2012"
    assert payload["campaign"]["title"].startswith("集中开展落实")
    assert payload["phase"] is None
    assert payload["as_of"] == "2012-07-20"
    root = payload["unit"]
    assert set(root) >= {"code", "name", "level", "own", "subtree", "children"}
    assert (root["code"], root["name"], root["level"]) == (MOH, "卫生部", "ministry")
    assert [child["code"] for child in root["children"]] == [JS]
    _check_rollup(root)
    assert root["subtree"]["expected"] == tree.counts()["deliverable"]
    assert root["subtree"]["received"] == 2
    # JS (due 7-18, in on 7-19) is late; 连妇保 (held at 7-16, in on 7-16) is on time.
    assert _node(root, JS)["own"]["late"] == 1
    assert _node(root, FB)["own"]["on_time"] == 1


def test_status_for_a_unit_and_a_phase(tree: Qinglian, campaign: int) -> None:
    whole = _status(tree, campaign, "--as-of", "2012-07-20", "--unit", FB)["unit"]
    assert whole["code"] == FB and whole["level"] == "institution"
    assert [c["code"] for c in whole["children"]] == [FB_OBSTETRICS, FB_SUPERVISION]
    in_subtree = [code for code, _ in _dues(tree, campaign) if code.startswith(FB)]
    assert whole["subtree"]["expected"] == len(in_subtree)
    _check_rollup(whole)

    payload = _status(tree, campaign, "--as-of", "2012-07-20", "--unit", FB, "--phase", "mobilize")
    assert payload["phase"] == "mobilize"
    unit = payload["unit"]
    assert unit["own"]["expected"] == 6
    assert [c["subtree"]["expected"] for c in unit["children"]] == [1, 1]
    assert unit["subtree"]["expected"] == 8


def test_status_follows_as_of(tree: Qinglian, campaign: int) -> None:
    # 产科's 组织学习相关文件 is due 2012-07-24; 院监察室 hands it in late, on 7-26.
    def study(as_of: str, code: str) -> dict[str, Any]:
        payload = _status(tree, campaign, "--as-of", as_of, "--unit", code, "--phase", "mobilize")
        return payload["unit"]["own"]

    assert study("2012-07-24", FB_OBSTETRICS)["pending"] == 1
    assert study("2012-07-25", FB_OBSTETRICS)["missing"] == 1
    tree.ok(
        "deliver", "record", str(campaign), FB_OBSTETRICS, "study_session", "--on", "2012-07-24"
    )
    tree.ok(
        "deliver", "record", str(campaign), FB_SUPERVISION, "study_session", "--on", "2012-07-26"
    )
    assert study("2012-07-25", FB_OBSTETRICS)["on_time"] == 1
    assert study("2012-07-23", FB_OBSTETRICS)["pending"] == 1  # not yet handed in on 7-23
    assert study("2012-07-25", FB_SUPERVISION)["missing"] == 1
    late = study("2012-07-27", FB_SUPERVISION)
    assert (late["late"], late["received"], late["rate"], late["on_time_rate"]) == (1, 1, 1.0, 0.0)


def test_status_table(tree: Qinglian, campaign: int) -> None:
    out = tree.ok("status", str(campaign), "--as-of", "2012-07-25", "--unit", FB).stdout
    assert f"专项活动 {campaign}" in out
    assert "截至 2012-07-25" in out
    for name in (
        "连云港市妇幼保健院",
        "产科",
        "院监察室",
        "本级事项",
        "成立领导小组和专项活动办公室",
    ):
        assert name in out
    assert "缺报" in out and "未到期" in out


# --- bad input, for every command -----------------------------------------------------------

BAD_INPUT: list[Any] = [
    pytest.param(
        ("campaign", "launch", "--template", "nope", "--root", MOH), "nope", id="launch-template"
    ),
    pytest.param(
        ("campaign", "launch", "--template", "coi-2012", "--root", "NOPE"), "NOPE", id="launch-root"
    ),
    pytest.param(
        ("campaign", "launch", "--template", "coi-2012", "--root", MOH, "--start", "yesterday"),
        "yesterday",
        id="launch-start",
    ),
    pytest.param(
        ("campaign", "launch", "--template", "coi-2012", "--root", MOH, "--start", "2012-13-45"),
        "2012-13-45",
        id="launch-start-month-13",
    ),
    pytest.param(("templates", "show", "nope"), "nope", id="templates-show"),
    pytest.param(("units", "tree", "NOPE"), "NOPE", id="units-tree"),
    pytest.param(("status", "{c}", "--phase", "nope"), "nope", id="status-phase"),
    pytest.param(("status", "{c}", "--as-of", "2012-13-45"), "2012-13-45", id="status-as-of"),
    pytest.param(("status", "{c}", "--unit", "NOPE"), "NOPE", id="status-unit"),
    pytest.param(("status", "99"), "99", id="status-no-campaign"),
    pytest.param(("status", "abc"), "abc", id="status-not-a-number"),
    pytest.param(("status", "--", "-1"), "-1", id="status-negative"),
    pytest.param(
        ("deliver", "record", "99", FB, "implementation_plan", "--on", "2012-07-20"),
        "99",
        id="record-campaign",
    ),
    pytest.param(
        ("deliver", "record", "abc", FB, "implementation_plan", "--on", "2012-07-20"),
        "abc",
        id="record-id",
    ),
    pytest.param(
        ("deliver", "record", "{c}", "NOPE", "implementation_plan", "--on", "2012-07-20"),
        "NOPE",
        id="record-unit",
    ),
    pytest.param(
        ("deliver", "record", "{c}", FB, "nope", "--on", "2012-07-20"), "nope", id="record-item"
    ),
    pytest.param(
        ("deliver", "record", "{c}", FB_OBSTETRICS, "implementation_plan", "--on", "2012-07-20"),
        "implementation_plan",
        id="record-item-not-for-departments",
    ),
    pytest.param(
        ("deliver", "record", "{c}", FB, "implementation_plan", "--on", "2012-07-32"),
        "2012-07-32",
        id="record-date",
    ),
    pytest.param(
        ("deliver", "record", "{c}", FB, "implementation_plan", "--on", "2012-07-01"),
        "2012-07-16",
        id="record-before-start",
    ),
    pytest.param(
        ("deliver", "record", "{c}", FB, "implementation_plan", "--on", "2099-07-01"),
        "2099-07-01",
        id="record-future",
    ),
    pytest.param(
        ("deliver", "record", "{c}", FB, "leading_group", "--on", "2012-07-18"),
        "deliver leading-group",
        id="record-leading-group-without-its-names",
    ),
    pytest.param(
        (
            "deliver",
            "leading-group",
            "{c}",
            "NOPE",
            "--on",
            "2012-07-20",
            "--office",
            OFFICE,
            "--leader",
            "施庆喜",
        ),
        "NOPE",
        id="leading-group-unit",
    ),
    pytest.param(
        (
            "deliver",
            "leading-group",
            "99",
            FB,
            "--on",
            "2012-07-20",
            "--office",
            OFFICE,
            "--leader",
            "施庆喜",
        ),
        "99",
        id="leading-group-campaign",
    ),
    pytest.param(
        (
            "deliver",
            "leading-group",
            "{c}",
            FB,
            "--on",
            "tomorrow",
            "--office",
            OFFICE,
            "--leader",
            "施庆喜",
        ),
        "tomorrow",
        id="leading-group-date",
    ),
    pytest.param(
        ("deliver", "import", "missing.csv", "--campaign", "{c}"), "missing.csv", id="import-file"
    ),
    pytest.param(
        ("deliver", "import", "missing.csv", "--campaign", "x1"), "x1", id="import-campaign-id"
    ),
    pytest.param(("units", "import", "missing.xlsx"), "missing.xlsx", id="units-import-file"),
    pytest.param(("cadres", "import", "missing.xlsx"), "missing.xlsx", id="cadres-import-file"),
]


def _check_bad_input(cli: Qinglian, campaign: int, args: tuple[str, ...], quoted: str) -> None:
    argv = [arg.format(c=campaign) for arg in args]
    before = cli.counts()
    line = assert_one_error(cli(*argv))
    assert quoted in line
    assert cli.counts() == before


def test_bad_input_is_one_bilingual_line_and_writes_nothing(tree: Qinglian, campaign: int) -> None:
    """Every case in one database (each must write nothing); all failing cases are reported."""
    problems: dict[str, str] = {}
    for case in BAD_INPUT:
        try:
            _check_bad_input(tree, campaign, *case.values)
        except AssertionError as exc:
            problems[case.id] = str(exc)
    assert problems == {}


def test_a_campaign_id_too_large_for_the_database(tree: Qinglian, campaign: int) -> None:
    _check_bad_input(tree, campaign, ("status", "99999999999999999999"), "99999999999999999999")


def test_a_campaign_id_of_superscript_digits(tree: Qinglian, campaign: int) -> None:
    _check_bad_input(tree, campaign, ("status", "¹"), "¹")


def test_a_bad_date_is_explained_once_in_each_language(tree: Qinglian, campaign: int) -> None:
    for as_of in ("2012-13-45", "2012-02-30", "yesterday"):
        line = assert_one_error(tree("status", str(campaign), "--as-of", as_of))
        zh, _, en = line.removeprefix("错误 / error: ").partition(" / ")
        assert line.count("无法识别的日期") == 1
        assert line.count("unrecognised date") == 1
        assert as_of in zh and as_of in en
        assert not CJK.search(en.replace("2012年8月9日", "")), en


def test_an_empty_date_is_explained_in_english_too(tree: Qinglian, campaign: int) -> None:
    line = assert_one_error(tree("status", str(campaign), "--as-of", ""))
    _, _, en = line.removeprefix("错误 / error: ").partition(" / ")
    assert "must not be empty" in en
    assert not CJK.search(en), en


def test_an_error_stays_on_one_line_in_a_narrow_console(tree: Qinglian, campaign: int) -> None:
    tree.env.pop("COLUMNS")
    assert_one_error(tree("status", str(campaign), "--phase", "nope"))


def test_the_root_listing_says_what_each_command_says_of_itself() -> None:
    """`qinglian --help` lists commands without importing them; their one-line helps must not
    drift from the commands' own."""
    for name, entry in _Qinglian.lazy.items():
        real = lazy._load(name, entry)
        assert (real.help or "").strip().splitlines()[0] == entry.help, name
