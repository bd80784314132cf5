"""The written comprehensive report and the phase-summary commands, through the CLI.

`report`, `summary submit|import|show` and `findings confirm|dismiss` run in-process on SQLite
and PostgreSQL; ``produce_report`` and ``complete_campaign`` are called directly on a session.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from sqlmodel import Session, func, select

from models import Deliverable, Finding, Unit
from models.complaint import Complaint, VerificationCase
from models.enums import FindingCategory, FindingSource
from models.summary import NARRATIVE_MAX_CHARS, PhaseSummary
from qinglian.campaigns.launch import complete_campaign
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.intake import add_complaint
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.reporting.document.data import collect_report_data
from qinglian.reporting.document.files import produce_report
from tests.factories import (
    CADRES,
    FB,
    JS,
    LYG,
    MOH,
    UNITS,
    Qinglian,
    assert_one_error,
    qinglian_cli,
    write_cadres,
    write_table,
    write_units,
)
from tests.reporting.test_summaries import NARRATIVE_HEADERS, World, add_finding, build_world

AS_OF = "2012-09-20"
ZJ, HZ, HZ_RM, XJB = "ZJ", "ZJ-HZ", "ZJ-HZ-RM", "XJB"
# A sibling province under 卫生部, and a root of its own that no campaign covers.
MORE_UNITS: tuple[dict[str, Any], ...] = (
    {
        "单位编码": ZJ,
        "单位名称": "浙江省卫生厅",
        "层级": "省",
        "类型": "卫生行政部门",
        "上级单位编码": MOH,
    },
    {
        "单位编码": HZ,
        "单位名称": "杭州市卫生局",
        "层级": "市",
        "类型": "卫生行政部门",
        "上级单位编码": ZJ,
    },
    {
        "单位编码": HZ_RM,
        "单位名称": "杭州市第一人民医院",
        "层级": "单位",
        "类型": "公立医疗卫生单位",
        "上级单位编码": HZ,
    },
    {"单位编码": XJB, "单位名称": "新疆生产建设兵团卫生局", "层级": "省", "类型": "卫生行政部门"},
)
# The five parts every 书面综合情况报告 has, in this order.
SECTIONS = (
    "一、基本情况",
    "二、主要做法",
    "三、发现问题及整改情况",
    "四、存在不足",
    "五、下一步工作",
)
SIBLING_NAMES = ("浙江省卫生厅", "杭州市卫生局", "杭州市第一人民医院")
MOH_NARRATIVE = "卫生部机关查找问题阶段工作总结：各司局均已完成自查。"

# Distinctive enough that finding them anywhere in a report can only mean a leak.
COMPLAINT_TEXT = "绝密线索：顾扬之妻张秀英经营康泰医药公司，回扣账本藏于办公室保险柜"
COMPLAINANT = "举报人李红梅 13912345678 lihongmei@example.cn"
SECRETS = (
    COMPLAINT_TEXT,
    COMPLAINANT,
    "张秀英",
    "康泰医药",
    "回扣账本",
    "李红梅",
    "13912345678",
    "lihongmei",
    "顾扬",  # the accused: a report names units, never cadres
)


@pytest.fixture
def sqlite_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Qinglian]:
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as harness:
        yield harness


def launch(cli: Qinglian, tmp_path: Path, *, cadres: bool = False) -> str:
    """The seeds' chain plus 浙江 and 兵团, coi-2012 launched on 卫生部; the campaign id."""
    cli.ok("units", "import", write_units(tmp_path / "units.xlsx", (*UNITS, *MORE_UNITS)))
    if cadres:
        cli.ok("cadres", "import", write_cadres(tmp_path / "cadres.xlsx", CADRES))
    return cli.ok("campaign", "launch", "--template", "coi-2012", "--root", MOH).stdout.strip()


@pytest.fixture
def campaign(cli: Qinglian, tmp_path: Path) -> str:
    return launch(cli, tmp_path)


@pytest.fixture
def filled(cli: Qinglian, tmp_path: Path, complaint_key: str) -> str:
    """The campaign mid-way: a leading group and a narrative at 卫生部, findings in both
    provinces, and a named complaint about 顾扬 cross-checked into an open case."""
    campaign_id = launch(cli, tmp_path, cadres=True)
    cli.ok(
        "deliver", "leading-group", campaign_id, MOH, "--on", "2012-07-20",
        "--office", "驻部监察局", "--leader", "部长甲", "--deputy", "副部长乙",
    )  # fmt: skip
    cli.ok(
        "summary", "submit", campaign_id, "--phase", "find", "--unit", MOH,
        "--text", MOH_NARRATIVE, "--on", "2012-09-03", "--by", "部办公厅",
    )  # fmt: skip
    with cli.session() as session:
        world = World(int(campaign_id), dict(session.exec(select(Unit.code, Unit.id)).all()))
        add_finding(
            session, world, HZ_RM, FindingSource.inspection,
            FindingCategory.unapproved_or_paid_post, date(2012, 9, 5),
        )  # fmt: skip
        add_complaint(
            session=session,
            campaign_id=world.campaign_id,
            channel="来信",
            received_on=date(2012, 8, 30),
            anonymous=False,
            accused_name="顾扬",
            accused_unit="连云港市妇幼保健院",
            alleged_category="亲属经商",
            content=COMPLAINT_TEXT,
            contact=COMPLAINANT,
            as_of=date(2012, 9, 1),
        )
        cross_check(session=session, campaign_id=world.campaign_id, as_of=date(2012, 9, 10))
        session.commit()
        assert session.exec(select(func.count()).select_from(VerificationCase)).one() == 1
    return campaign_id


def report(cli: Qinglian, campaign_id: str, unit: str, fmt: str, out: Path) -> Path:
    result = cli.ok(
        "report", campaign_id, "--unit", unit, "--format", fmt, "--out", out, "--as-of", AS_OF
    )
    assert result.stdout.strip() == str(out)
    assert out.is_file()
    return out


def docx_text(path: Path) -> str:
    """Every XML part of the Word file, so nothing hides in a table, header or property."""
    with zipfile.ZipFile(path) as archive:
        return "".join(
            archive.read(name).decode("utf-8", "replace")
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        )


def headings(path: Path) -> list[str]:
    return [
        paragraph.text
        for paragraph in Document(str(path)).paragraphs
        if paragraph.style is not None and (paragraph.style.name or "").startswith("Heading")
    ]


def table_text(path: Path) -> str:
    return "\n".join(
        cell.text
        for table in Document(str(path)).tables
        for row in table.rows
        for cell in row.cells
    )


# --- report --------------------------------------------------------------------------------


def test_the_root_report_in_markdown_and_word(cli: Qinglian, filled: str, tmp_path: Path) -> None:
    md = report(cli, filled, MOH, "md", tmp_path / "out" / "卫生部.md").read_text(encoding="utf-8")
    section_lines = [line for line in md.splitlines() if line.lstrip("#").strip() in SECTIONS]
    assert [line.lstrip("#").strip() for line in section_lines] == list(SECTIONS)
    assert all(line.startswith("## ") for line in section_lines)
    assert MOH_NARRATIVE in md  # the unit's own narrative is quoted
    for name in ("江苏省卫生厅", "浙江省卫生厅"):
        assert name in md  # both provinces are 卫生部's children
    assert "新疆生产建设兵团卫生局" not in md

    docx = report(cli, filled, MOH, "docx", tmp_path / "out" / "卫生部.docx")
    document = Document(str(docx))
    found = headings(docx)
    assert [text for text in found if text in SECTIONS] == list(SECTIONS)
    assert len(document.tables) >= 1
    cells = table_text(docx)
    assert "江苏省卫生厅" in cells and "浙江省卫生厅" in cells


def test_a_province_report_holds_its_own_subtree_only(
    cli: Qinglian, filled: str, tmp_path: Path
) -> None:
    md = report(cli, filled, JS, "md", tmp_path / "江苏.md").read_text(encoding="utf-8")
    docx = docx_text(report(cli, filled, JS, "docx", tmp_path / "江苏.docx"))
    for text in (md, docx):
        assert "江苏省卫生厅" in text and "连云港市卫生局" in text
        for name in SIBLING_NAMES:
            assert name not in text
        assert MOH_NARRATIVE not in text  # 卫生部's narrative is not 江苏's
    assert "卫生部：" in md  # addressed to the parent


def test_no_complaint_text_or_complainant_reaches_a_report(
    cli: Qinglian, filled: str, tmp_path: Path
) -> None:
    with cli.session() as session:
        [complaint] = session.exec(select(Complaint)).all()
        assert complaint.content_enc  # stored, encrypted
    out = tmp_path / "reports"
    texts: dict[str, str] = {}
    for unit in (MOH, JS, LYG, FB):
        md = report(cli, filled, unit, "md", out / f"{unit}.md").read_text(encoding="utf-8")
        texts[f"{unit}.md"] = md
        texts[f"{unit}.docx"] = docx_text(report(cli, filled, unit, "docx", out / f"{unit}.docx"))
    # The case is counted where it is verified (the cadre's managing unit), never told.
    assert "核查处置情况" in texts[f"{LYG}.md"] and "核实中" in texts[f"{LYG}.md"]
    # …and its concealment finding by its source and category, nothing of the text.
    assert "信访举报" in texts[f"{FB}.md"] and "隐瞒不报" in texts[f"{FB}.md"]
    for where, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {where}"
    for path in out.rglob("*"):
        if path.is_file() and path.suffix not in (".docx",):
            data = path.read_bytes()
            for secret in SECRETS:
                assert secret.encode() not in data, f"{secret!r} leaked into {path.name}"


BAD_REPORTS = [
    pytest.param(("--unit", XJB), XJB, id="unit-outside-the-campaign"),
    pytest.param(("--unit", "NOPE"), "NOPE", id="unknown-unit"),
    pytest.param(("--unit", MOH, "--format", "html"), "html", id="unknown-format"),
    pytest.param(("--unit", MOH, "--as-of", "2012-13-45"), "2012-13-45", id="bad-as-of"),
    pytest.param(("--unit", MOH, "--as-of", "2012-07-01"), "2012-07-01", id="before-the-start"),
    pytest.param(("--unit", MOH, "--as-of", ""), "as-of", id="empty-as-of"),
]


@pytest.mark.parametrize(("args", "quoted"), BAD_REPORTS)
def test_a_bad_report_request_is_one_line_and_writes_no_file(
    cli: Qinglian, campaign: str, tmp_path: Path, args: tuple[str, ...], quoted: str
) -> None:
    out = tmp_path / "reports" / "报告.docx"
    options = dict(zip(args[::2], args[1::2], strict=True))
    options = {"--format": "docx", "--as-of": AS_OF, **options}
    argv = [item for pair in options.items() for item in pair]
    before = cli.counts()
    result = cli("report", campaign, *argv, "--out", out)
    assert result.exit_code == 1
    line = assert_one_error(result)
    assert quoted in line
    assert not out.exists()
    assert not out.parent.exists() or not any(out.parent.iterdir())
    assert cli.counts() == before


def test_a_report_of_an_unknown_campaign(cli: Qinglian, campaign: str, tmp_path: Path) -> None:
    out = tmp_path / "报告.md"
    result = cli("report", "999", "--unit", MOH, "--format", "md", "--out", out)
    assert result.exit_code == 1
    assert "999" in assert_one_error(result)
    assert not out.exists()


def test_a_pdf_report(sqlite_cli: Qinglian, tmp_path: Path) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: no PDF can be made here")
    campaign_id = launch(sqlite_cli, tmp_path)
    pdf = report(sqlite_cli, campaign_id, JS, "pdf", tmp_path / "江苏.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


# --- produce_report and complete_campaign, on a session ------------------------------------


def test_produce_report_then_complete_the_campaign(session: Session, tmp_path: Path) -> None:
    world = build_world(session)
    out = tmp_path / "out" / "综合情况报告.md"
    written = produce_report(
        session=session,
        campaign_id=world.campaign_id,
        unit_code="MOH",
        as_of=date(2012, 12, 10),
        fmt="md",
        out=out,
    )
    assert written == out and out.read_text(encoding="utf-8").count("## ") >= len(SECTIONS)

    campaign = complete_campaign(
        session=session,
        campaign_id=world.campaign_id,
        completed_on=date(2012, 12, 10),
        report_path=str(out),
    )
    session.commit()
    assert (campaign.completed_on, campaign.report_path) == (date(2012, 12, 10), str(out))

    def submitted(code: str) -> date | None:
        return session.exec(
            select(Deliverable.submitted_on).where(
                Deliverable.campaign_id == world.campaign_id,
                Deliverable.unit_id == world.id(code),
                Deliverable.kind == "comprehensive_report",
            )
        ).one()

    assert submitted("MOH") == date(2012, 12, 10)
    assert submitted("JS") is None  # only the root's report completes the campaign

    again = complete_campaign(
        session=session,
        campaign_id=world.campaign_id,
        completed_on=date(2012, 12, 20),
        report_path="v2.md",
    )
    session.commit()
    # A later report moves the completion with it; the deliverable keeps its first date.
    assert (again.completed_on, again.report_path) == (date(2012, 12, 20), "v2.md")
    assert submitted("MOH") == date(2012, 12, 10)


def test_the_report_data_of_a_subtree(session: Session) -> None:
    world = build_world(session)
    add_finding(
        session, world, "HZ", FindingSource.self_declared,
        FindingCategory.relative_business, date(2012, 9, 1),
    )  # fmt: skip
    add_finding(
        session, world, "RM", FindingSource.inspection,
        FindingCategory.unapproved_or_paid_post, date(2012, 9, 1),
    )  # fmt: skip
    session.commit()
    data = collect_report_data(
        session=session, campaign_id=world.campaign_id, unit_code="JS", as_of=date(2012, 9, 20)
    )
    assert (data.unit_name, data.parent_name, data.units) == ("江苏省卫生厅", "卫生部", 5)
    assert [child.name for child in data.children] == ["连云港市卫生局"]
    assert sum(data.findings_by_category.values()) == 1
    assert {line.name for line in data.lagging} <= {
        "江苏省卫生厅", "连云港市卫生局", "连云港市妇幼保健院", "产科", "连云港市第一人民医院",
    }  # fmt: skip
    root = collect_report_data(
        session=session, campaign_id=world.campaign_id, unit_code="MOH", as_of=date(2012, 9, 20)
    )
    assert (root.parent_name, root.units) == (None, 8)
    assert sum(root.findings_by_category.values()) == 2


@pytest.mark.parametrize(
    ("unit_code", "as_of", "error", "zh"),
    [
        pytest.param("XJB", date(2012, 9, 20), NotFoundError, "不在专项活动", id="outside"),
        pytest.param("NOPE", date(2012, 9, 20), NotFoundError, "没有单位编码", id="unknown"),
        pytest.param("MOH", date(2012, 7, 15), QinglianError, "早于专项活动开始", id="too-early"),
    ],
)
def test_produce_report_writes_nothing_on_bad_input(
    session: Session,
    tmp_path: Path,
    unit_code: str,
    as_of: date,
    error: type[Exception],
    zh: str,
) -> None:
    world = build_world(session)
    out = tmp_path / "out" / "报告.docx"
    with pytest.raises(error) as caught:
        produce_report(
            session=session,
            campaign_id=world.campaign_id,
            unit_code=unit_code,
            as_of=as_of,
            fmt="docx",
            out=out,
        )
    assert isinstance(caught.value, QinglianError) and zh in caught.value.zh
    assert not out.parent.exists()


# --- summary submit, import, show ------------------------------------------------------------


def _summary_rows(cli: Qinglian) -> list[tuple[str, Any]]:
    with cli.session() as session:
        return [
            (row.narrative, row.submitted_on) for row in session.exec(select(PhaseSummary)).all()
        ]


def _find_summary_submitted(cli: Qinglian, campaign_id: str, code: str) -> date | None:
    with cli.session() as session:
        return session.exec(
            select(Deliverable.submitted_on)
            .join(Unit, Unit.id == Deliverable.unit_id)  # type: ignore[arg-type]
            .where(
                Deliverable.campaign_id == int(campaign_id),
                Unit.code == code,
                Deliverable.kind == "find_summary",
            )
        ).one()


@pytest.mark.parametrize(
    ("content", "quoted"),
    [
        pytest.param(("整改" * (5 * 1024 * 1024 // 6)).encode(), "文件过大", id="5-MB"),
        pytest.param(b"", "为空", id="empty"),
        pytest.param(b" \r\n\t\r\n", "为空", id="blank"),
        pytest.param("\ufeff\u3000\n".encode(), "为空", id="bom-and-full-width-space"),
        pytest.param(("廉" * (NARRATIVE_MAX_CHARS + 1)).encode(), "过长", id="one-over"),
        pytest.param(b"\xff\xfe\x00\xd8 not text", "无法识别文件编码", id="not-text"),
        pytest.param(
            "衛生部關於開展醫療衛生機構領導幹部防止利益衝突專項治理工作的通知".encode("big5"),
            "无法识别文件编码",
            id="big5",
        ),
    ],
)
def test_a_narrative_file_that_is_no_narrative_is_refused(
    cli: Qinglian, campaign: str, tmp_path: Path, content: bytes, quoted: str
) -> None:
    path = tmp_path / "总结.txt"
    path.write_bytes(content)
    before = cli.counts()
    result = cli(
        "summary", "submit", campaign, "--phase", "find", "--unit", FB, "--file", path,
        "--on", "2012-08-20",
    )  # fmt: skip
    assert result.exit_code == 1
    line = assert_one_error(result)
    assert quoted in line
    assert len(line) < 500  # the size is quoted, never the text
    assert cli.counts() == before
    assert _summary_rows(cli) == []
    assert _find_summary_submitted(cli, campaign, FB) is None


@pytest.mark.parametrize(
    ("args", "quoted"),
    [
        pytest.param(("--text", "总结", "--file", "总结.txt"), "二选一", id="text-and-file"),
        pytest.param((), "二选一", id="neither"),
        pytest.param(("--file", "没有.txt"), "找不到文件", id="no-such-file"),
        pytest.param(("--text", "总结", "--on", "2012-08-01"), "早于", id="before-the-phase"),
        pytest.param(("--text", "总结", "--on", "8月"), "无法识别的日期", id="bad-date"),
    ],
)
def test_summary_submit_bad_input(
    cli: Qinglian, campaign: str, tmp_path: Path, args: tuple[str, ...], quoted: str
) -> None:
    (tmp_path / "总结.txt").write_text("总结", encoding="utf-8")
    before = cli.counts()
    argv = [str(tmp_path / arg) if arg.endswith(".txt") else arg for arg in args]
    result = cli("summary", "submit", campaign, "--phase", "find", "--unit", FB, *argv)
    assert result.exit_code == 1
    assert quoted in assert_one_error(result)
    assert cli.counts() == before


def test_summary_submit_refuses_a_future_date(cli: Qinglian, campaign: str) -> None:
    before = cli.counts()
    result = cli(
        "summary", "submit", campaign, "--phase", "find", "--unit", FB,
        "--text", "总结", "--on", "2099-01-01",
    )  # fmt: skip
    assert result.exit_code == 1
    assert cli.counts() == before


def test_summary_submit_from_a_file_then_show(cli: Qinglian, campaign: str, tmp_path: Path) -> None:
    path = tmp_path / "总结.txt"
    path.write_bytes("连妇保查找问题阶段工作总结\r\n共自查干部五人。\r\n".encode("gb18030"))
    result = cli.ok(
        "summary", "submit", campaign, "--phase", "find", "--unit", FB, "--file", path,
        "--on", "2012-08-24", "--by", "院监察室",
    )  # fmt: skip
    assert "已提交" in result.stdout and "按时" in result.stdout and "2012-08-24" in result.stdout
    assert _find_summary_submitted(cli, campaign, FB) == date(2012, 8, 24)

    again = cli.ok(
        "summary", "submit", campaign, "--phase", "find", "--unit", FB,
        "--text", "修订稿", "--on", "2012-08-30",
    )  # fmt: skip
    assert "已更新" in again.stdout and "2012-08-24" in again.stdout

    shown = json.loads(cli.ok("summary", "show", campaign, "--unit", FB, "--json").stdout)
    assert [(s["phase_key"], s["narrative"], s["submitted_on"]) for s in shown] == [
        ("find", "修订稿", "2012-08-24")
    ]
    text = cli.ok("summary", "show", campaign, "--unit", FB).stdout
    assert "查找问题阶段性总结" in text and "修订稿" in text
    line = assert_one_error(cli("summary", "show", campaign, "--unit", XJB))
    assert XJB in line


def test_summary_import_through_the_cli(cli: Qinglian, campaign: str, tmp_path: Path) -> None:
    rows = [
        dict(
            zip(NARRATIVE_HEADERS, (FB, "查找问题", "本院总结。", "2012-08-24", "甲"), strict=True)
        ),
        dict(zip(NARRATIVE_HEADERS, (LYG, "find", "全市总结。", "2012-08-27", "乙"), strict=True)),
    ]
    path = write_table(tmp_path / "总结.xlsx", NARRATIVE_HEADERS, rows)
    first = cli.ok("summary", "import", campaign, path, "--as-of", AS_OF)
    assert "新增 2" in first.stdout
    assert "未变 2" in cli.ok("summary", "import", campaign, path, "--as-of", AS_OF).stdout
    assert _find_summary_submitted(cli, campaign, LYG) == date(2012, 8, 27)

    bad = write_table(
        tmp_path / "坏.csv",
        NARRATIVE_HEADERS,
        [dict(zip(NARRATIVE_HEADERS, (XJB, "find", "总结", "2012-08-24", ""), strict=True))],
    )
    before = cli.counts()
    result = cli("summary", "import", campaign, bad, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "第2行" in result.stderr and "单位编码" in result.stderr
    assert cli.counts() == before


# --- findings confirm / dismiss ---------------------------------------------------------------


def test_findings_are_confirmed_and_dismissed_through_the_cli(cli: Qinglian, campaign: str) -> None:
    with cli.session() as session:
        world = World(int(campaign), dict(session.exec(select(Unit.code, Unit.id)).all()))
        ids = [
            str(
                add_finding(
                    session, world, FB, FindingSource.self_declared, category, date(2012, 8, 20)
                )
            )
            for category in (FindingCategory.relative_business, FindingCategory.concealment)
        ]
        session.commit()
    assert "已确认 / confirmed: 1 条" in cli.ok("findings", "confirm", campaign, ids[0]).stdout
    assert "已排除 / dismissed: 1 条" in cli.ok("findings", "dismiss", campaign, ids[1]).stdout

    for args, quoted, code in (
        (("confirm", campaign, ids[1]), ids[1], 1),  # dismissed: cannot be confirmed
        (("dismiss", campaign, ids[0], "424242"), "424242", 1),
        (("confirm", campaign, "x1"), "x1", 2),  # not an id: a usage error
    ):
        before = cli.counts()
        result = cli("findings", *args)
        assert result.exit_code == code
        assert quoted in assert_one_error(result)
        assert cli.counts() == before
    with cli.session() as session:
        statuses = [session.get(Finding, int(i)).status.value for i in ids]  # type: ignore[union-attr]
        assert statuses == ["confirmed", "dismissed"]
