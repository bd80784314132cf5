"""`qinglian plan adopt|show` as an office types it: a .docx plan, a dry run beside the parent's
dates, re-adoption, a late plan refused then recorded (and flagged in the written report), and
every bad input one bilingual line with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from tests.campaigns.test_plans import CITY_PLAN
from tests.factories import FB, FB_OBSTETRICS, JS, LYG, Qinglian, assert_one_error, write_units
from tests.rules.test_plan_text import seed


def write_docx(path: Path, text: str) -> Path:
    document = Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    document.save(str(path))
    return path


@pytest.fixture
def campaign(cli: Qinglian, tmp_path: Path) -> str:
    """连云港市卫生局's campaign for its subtree, with the city's own plan adopted."""
    cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
    launched = cli.ok("campaign", "launch", "--template", "coi-2012", "--root", LYG).stdout.strip()
    city = tmp_path / "city.yaml"
    city.write_text(CITY_PLAN, encoding="utf-8")
    cli.ok("plan", "adopt", launched, "--unit", LYG, "--file", city, "--by", "市卫生局办公室")
    return launched


def test_a_dry_run_shows_the_plan_beside_the_parents_dates_and_writes_nothing(
    cli: Qinglian, campaign: str, tmp_path: Path
) -> None:
    plan = write_docx(tmp_path / "连妇保实施方案.docx", seed("002"))
    before = cli.dump()

    shown = cli.ok("plan", "adopt", campaign, "--unit", FB, "--file", plan, "--dry-run").stdout

    assert cli.dump() == before
    assert "上级时限 parent's due" in shown and "方案时限 plan's due" in shown
    forms = next(line for line in shown.splitlines() if "收齐《报告表》并上报" in line)
    assert "2012-10-10" in forms and "2012-10-08 → 2012-09-30（提前 8 天）" in forms
    assert "未采用的日期 unplaced: 二○一二年十月八日" in shown
    assert "试运行，未写入" in shown


def test_adopt_then_show_then_adopt_the_same_file_again(
    cli: Qinglian, campaign: str, tmp_path: Path
) -> None:
    plan = write_docx(tmp_path / "连妇保实施方案.docx", seed("002"))

    adopted = cli.ok("plan", "adopt", campaign, "--unit", FB, "--file", plan, "--by", "院监察室")
    assert "已采用第 1 版方案" in adopted.stdout
    assert f"{FB_OBSTETRICS} 产科 · 收齐《报告表》并上报: 2012-09-28 → 2012-09-27" in adopted.stdout

    before = cli.dump()
    again = cli.ok("plan", "adopt", campaign, "--unit", FB, "--file", plan)
    assert "未作改动" in again.stdout
    assert cli.dump() == before

    own = cli.ok("plan", "show", campaign, "--unit", FB).stdout
    forms = next(line for line in own.splitlines() if "收齐《报告表》并上报" in line)
    assert "2012-09-30" in forms and "本单位方案（第 1 版，连妇保实施方案.docx）" in forms
    leading = next(line for line in own.splitlines() if "成立领导小组" in line)
    assert "逐级提前（自模板）" in leading
    assert "院监察室" in own and "现行 current" in own
    department = cli.ok("plan", "show", campaign, "--unit", FB_OBSTETRICS).stdout
    assert "逐级提前（自 连云港市妇幼保健院 的方案）" in department
    assert "本单位未采用自己的实施方案" in department
    city = cli.ok("plan", "show", campaign, "--unit", LYG).stdout
    assert "模板" in city and "本单位方案（第 1 版，city.yaml）" in city


def test_a_late_plan_is_refused_then_recorded_with_its_reason_and_flagged_in_the_report(
    cli: Qinglian, campaign: str, tmp_path: Path
) -> None:
    late = tmp_path / "late.yaml"
    late.write_text(
        "phases:\n  - key: find\n    deliverables:\n      - {key: forms_collected, due: 2012-10-20}\n",
        encoding="utf-8",
    )
    before = cli.dump()
    line = assert_one_error(cli("plan", "adopt", campaign, "--unit", FB, "--file", late))
    assert "收齐《报告表》并上报" in line and "2012-10-20" in line and "2012-10-10" in line
    assert "连云港市卫生局" in line
    assert cli.dump() == before

    cli.ok(
        "plan", "adopt", campaign, "--unit", FB, "--file", late,
        "--allow-late", "--reason", "院内科室多，需延至十月下旬",
    )  # fmt: skip

    shown = cli.ok("plan", "show", campaign, "--unit", FB).stdout
    assert "计划时限晚于上级要求（院内科室多，需延至十月下旬）" in shown
    out = tmp_path / "report.md"
    cli.ok(
        "report", campaign, "--unit", LYG, "--format", "md", "--out", out, "--as-of", "2012-12-31"
    )
    report = out.read_text(encoding="utf-8")
    assert (
        "计划时限晚于上级要求的下级单位1个：连云港市妇幼保健院（收齐《报告表》并上报 2012-10-20"
        in report
    )


def _old_doc(path: Path) -> Path:
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 512)
    return path


BAD = [
    pytest.param(FB, "empty.txt", "为深入贯彻落实若干规定，制定本方案。", "没有找到可用的日期", id="no-dates"),
    pytest.param(FB, "backwards.txt", "（一）动员部署（2012年8月5日至7月16日）", "前后颠倒", id="backwards"),
    pytest.param(
        FB, "unknown.txt", "（二）宣传发动阶段（2012年8月1日至8月5日）", "宣传发动阶段", id="unknown-phase"
    ),
    pytest.param(
        FB, "unknown.yaml", "phases:\n  - {key: publicity, starts: 2012-08-01}\n", "publicity",
        id="unknown-phase-yaml",
    ),
    pytest.param(FB, "方案.doc", None, "另存为 .docx", id="old-doc"),
    pytest.param(FB, "方案.docx", b"PK\x03\x04 not really a zip", "已损坏", id="corrupt-docx"),
    pytest.param(JS, "002.txt", seed("002"), "不在专项活动", id="unit-outside-campaign"),
    pytest.param("NOPE", "002.txt", seed("002"), "没有单位编码「NOPE」", id="unknown-unit"),
]  # fmt: skip


@pytest.mark.parametrize(("unit", "name", "content", "quoted"), BAD)
def test_bad_input_is_one_bilingual_line_and_writes_nothing(
    cli: Qinglian,
    campaign: str,
    tmp_path: Path,
    unit: str,
    name: str,
    content: str | bytes | None,
    quoted: str,
) -> None:
    path = tmp_path / name
    if content is None:
        _old_doc(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    before = cli.dump()

    line = assert_one_error(cli("plan", "adopt", campaign, "--unit", unit, "--file", path))

    assert quoted in line
    assert cli.dump() == before
