"""The written comprehensive report rendered from hand-built ``ReportData``: Markdown, Word, PDF."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from docx import Document

from models.rate import ReportingRate
from models.report import (
    BurnDownPoint,
    ChildLine,
    InspectionLine,
    LaggingLine,
    NarrativeLine,
    PhaseLine,
    ReportData,
)
from qinglian.reporting.document import output, pdf
from qinglian.reporting.document.charts import ReportCharts, format_percent, render_charts
from qinglian.reporting.document.markdown import render_markdown
from qinglian.reporting.document.pdf import LibreOfficeMissing, convert_to_pdf
from qinglian.reporting.document.render import write_report
from qinglian.reporting.document.sections import SECTIONS
from qinglian.reporting.document.word import write_docx
from tests.core.clean_fonts import draw_in_clean_fonts

PNG = b"\x89PNG\r\n\x1a\n"
AS_OF = date(2012, 10, 15)


def full_data() -> ReportData:
    """A county health bureau's subtree mid-campaign: three hospitals, one of them lagging."""
    start = date(2012, 8, 1)
    return ReportData(
        campaign_title="医疗卫生系统廉洁从业专项治理",
        basis="卫政法发〔2011〕92号",
        unit_name="东城区卫生局",
        unit_code="DC",
        parent_name="市卫生局",
        as_of=AS_OF,
        units=4,
        cadres=312,
        phases=[
            PhaseLine(
                title="动员部署",
                starts_on=date(2012, 8, 1),
                ends_on=date(2012, 8, 31),
                deliverables=ReportingRate(expected=8, on_time=7, late=1),
            ),
            PhaseLine(
                title="自查自纠",
                starts_on=date(2012, 9, 1),
                ends_on=date(2012, 10, 31),
                deliverables=ReportingRate(expected=34, on_time=30, late=1, missing=1, pending=2),
            ),
        ],
        leading_group=["组长：王建国", "副组长：李华"],
        # 37 of the 40 due reports are in: 92.5%.
        deliverables=ReportingRate(expected=42, on_time=35, late=2, missing=3, pending=2),
        forms=ReportingRate(expected=312, on_time=300, late=4, missing=8),
        findings_by_category={"收受回扣": 4, "违规兼职": 2, "应回避未回避": 1},
        findings_by_source={"个人报告自查": 5, "检查组抽查": 2},
        cases_by_outcome={"属实": 2, "核实中": 1},
        rectification_by_status={"整改中": 3, "已完成": 2, "已验收": 2},
        rectification_overdue=1,
        burn_down=[
            BurnDownPoint(day=start + timedelta(days=7 * week), open_items=n)
            for week, n in enumerate([0, 2, 5, 7, 6, 5, 4, 3, 3, 3, 3])
        ],
        rules_by_decision={"保留": 10, "修订": 3, "废止": 1, "新建": 2},
        escalations=2,
        lagging=[LaggingLine(name="第三人民医院", reason="逾期事项 1 项，未整改问题 3 个")],
        inspections=[
            InspectionLine(name="第三人民医院", score=72.5, problems=2),
            InspectionLine(name="第一人民医院"),
        ],
        children=[
            ChildLine(
                name="第一人民医院",
                level_label="医院",
                deliverables=ReportingRate(expected=14, on_time=13, pending=1),
                forms=ReportingRate(expected=150, on_time=150),
                findings=2,
                rectification_items=2,
                rectified=2,
            ),
            ChildLine(
                name="第二人民医院",
                level_label="医院",
                deliverables=ReportingRate(expected=14, on_time=12, late=1, pending=1),
                forms=ReportingRate(expected=100, on_time=96, late=4),
                findings=2,
                rectification_items=2,
                rectified=1,
            ),
            ChildLine(
                name="第三人民医院",
                level_label="医院",
                deliverables=ReportingRate(expected=12, on_time=8, late=1, missing=3),
                forms=ReportingRate(expected=60, on_time=52, missing=8),
                findings=3,
                rectification_items=3,
                rectified=1,
                lagging=True,
            ),
        ],
        narratives=[
            NarrativeLine(
                phase_title="动员部署",
                text="召开全系统动员大会，印发实施方案。\n各单位逐级签订承诺书。",
                submitted_on=date(2012, 8, 30),
            )
        ],
    )


def empty_data() -> ReportData:
    """A unit just enrolled: nothing due, nothing found, no children."""
    return ReportData(
        campaign_title="医疗卫生系统廉洁从业专项治理",
        unit_name="西城区卫生监督所",
        unit_code="XC-JD",
        as_of=AS_OF,
        units=1,
        cadres=0,
    )


def _section(markdown: str, heading: str) -> str:
    """The text of one ``## 一、…`` section, up to the next section."""
    start = markdown.index(f"## {heading}")
    following = [markdown.find("\n## ", start + 1), markdown.find("\n　", start + 1)]
    ends = [end for end in following if end != -1]
    return markdown[start : min(ends) if ends else len(markdown)]


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> ReportCharts:
    return render_charts(full_data(), tmp_path_factory.mktemp("charts"))


def test_format_percent() -> None:
    assert format_percent(37 / 40) == "92.5%"
    assert format_percent(1.0) == "100.0%"
    assert format_percent(0.0) == "0.0%"


def test_markdown_has_the_five_sections_in_order() -> None:
    markdown = render_markdown(full_data())

    positions = [markdown.index(f"\n## {heading}\n") for heading in SECTIONS]
    assert positions == sorted(positions)
    assert "# 关于医疗卫生系统廉洁从业专项治理的书面综合情况报告" in markdown
    assert "〔2012〕" in markdown
    assert "\n市卫生局：\n" in markdown
    assert [line.strip("　") for line in markdown.strip().splitlines()[-3:]] == [
        "东城区卫生局",
        "",
        "2012年10月15日",
    ]


def test_markdown_figures() -> None:
    markdown = render_markdown(full_data())

    basic = _section(markdown, SECTIONS[0])
    assert "| 工作材料 | 42 | 35 | 2 | 3 | 2 | 92.5% | 87.5% |" in basic
    assert "| 《报告表》 | 312 | 300 | 4 | 8 | 0 | 97.4% | 96.2% |" in basic
    assert "报送率92.5%" in basic
    assert "单位共4个（含本单位），适用对象干部312人" in basic
    assert "| 第三人民医院 | 医院 | 9/12 | 75.0% | 86.7% | 3 | 1/3 | 工作滞后 |" in basic

    measures = _section(markdown, SECTIONS[1])
    assert "组长：王建国" in measures
    assert "| 动员部署 | 8 | 7 | 1 | 0 | 0 | 100.0% | 87.5% |" in measures
    assert "| 第三人民医院 | 72.5 | 2 |" in measures
    assert "| 第一人民医院 | — | 0 |" in measures
    assert "> 召开全系统动员大会，印发实施方案。\n>\n> 各单位逐级签订承诺书。" in measures

    findings = _section(markdown, SECTIONS[2])
    assert "共发现问题7个" in findings
    assert "| 收受回扣 | 4 | 57.1% |" in findings
    assert "| 合计 | 7 | 100.0% |" in findings
    assert "| 个人报告自查 | 5 |" in findings
    assert "属实2件、核实中1件" in findings
    assert "共建立整改事项7项，已完成4项，未完成3项" in findings
    assert "其中逾期未完成1项" in findings
    assert "| 其中：逾期未完成 | 1 |" in findings
    assert "由2012年8月1日的0项变为2012年10月10日的3项" in findings
    assert "| 废止 | 1 |" in findings
    assert "| 合计 | 16 |" in findings


def test_shortcomings_and_next_steps_come_from_the_data() -> None:
    markdown = render_markdown(full_data())

    shortcomings = _section(markdown, SECTIONS[3])
    assert "第三人民医院（逾期事项 1 项，未整改问题 3 个）" in shortcomings
    assert "工作材料未报3份、逾期报送2份，未报涉及第三人民医院" in shortcomings
    assert "《报告表》尚有8份未报" in shortcomings
    assert "3项整改事项未完成，其中逾期1项" in shortcomings
    assert shortcomings.count("是") >= 4 and "一是" in shortcomings

    next_steps = _section(markdown, SECTIONS[4])
    assert "督促第三人民医院尽快补报未报的11份材料" in next_steps
    assert "持续督促3项未完成的整改事项整改到位，对逾期的1项加强督办" in next_steps
    assert "待验收的2项整改事项" in next_steps
    assert "对第三人民医院加强督导" in next_steps
    assert "核实中的1件问题线索" in next_steps


def test_markdown_links_charts_relative(charts: ReportCharts) -> None:
    markdown = render_markdown(full_data(), charts)
    folder = charts.reporting_rate.parent.name if charts.reporting_rate else ""

    assert f"![图1　所属单位材料报送率]({folder}/reporting_rate.png)" in markdown
    assert f"![图2　发现问题分类统计]({folder}/findings_by_category.png)" in markdown
    assert f"![图3　整改事项销号进度]({folder}/rectification_burn_down.png)" in markdown
    relative = render_markdown(full_data(), charts, image_root=charts.drawn()[0].parent.parent)
    assert f"]({folder}/reporting_rate.png)" in relative
    assert "![" not in render_markdown(full_data())


def test_nothing_lacking_is_said_plainly() -> None:
    data = empty_data()
    markdown = render_markdown(data)

    assert [markdown.index(f"## {heading}") for heading in SECTIONS] == sorted(
        markdown.index(f"## {heading}") for heading in SECTIONS
    )
    assert "尚无应报送的工作材料" in markdown
    assert "未发现问题" in markdown
    assert "尚未报送阶段性工作总结" in markdown
    assert "未发现材料未报或逾期、整改未完成、工作滞后的情况" in _section(markdown, SECTIONS[3])
    assert "暂无待办事项" in _section(markdown, SECTIONS[4])
    assert "：\n" not in markdown.split("## ")[0]  # no 主送 line without a parent
    assert "|" not in markdown  # no table of zeros
    assert "100.0%" not in markdown


def test_a_rate_with_nothing_due_is_a_dash(tmp_path: Path) -> None:
    waiting = ChildLine(
        name="第四人民医院", level_label="医院", deliverables=ReportingRate(expected=4, pending=4)
    )
    data = full_data().model_copy(update={"children": [*full_data().children, waiting]})

    markdown = render_markdown(data)
    charts = render_charts(data.model_copy(update={"children": [waiting]}), tmp_path)

    assert "| 第四人民医院 | 医院 | 0/0 | — | — | 0 | 0/0 |  |" in markdown
    assert charts.reporting_rate is None


def test_markdown_escapes_names() -> None:
    data = full_data().model_copy(update={"lagging": [LaggingLine(name="A|B*医院", reason="#1")]})
    markdown = render_markdown(data)

    assert "A|B\\*医院（#1）" in _section(markdown, SECTIONS[3])


def test_charts_are_png(charts: ReportCharts) -> None:
    assert len(charts.drawn()) == 3
    for path in charts.drawn():
        assert path.read_bytes()[:8] == PNG
        assert path.stat().st_size > 5_000


def test_empty_data_skips_every_chart(tmp_path: Path) -> None:
    folder = tmp_path / "charts"
    charts = render_charts(empty_data(), folder)

    assert charts == ReportCharts()
    assert not folder.exists()


def test_a_chart_without_data_is_removed_from_an_earlier_run(tmp_path: Path) -> None:
    render_charts(full_data(), tmp_path)
    data = full_data().model_copy(update={"findings_by_category": {}, "burn_down": []})

    charts = render_charts(data, tmp_path)

    assert charts.reporting_rate and charts.reporting_rate.exists()
    assert charts.findings_by_category is None and charts.burn_down is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reporting_rate.png"]


def test_the_charts_draw_chinese_without_any_system_font(tmp_path: Path) -> None:
    """All three charts, in a process that sees no font but matplotlib's own: the shipped
    Noto Sans SC draws every label, and not one glyph falls back."""
    report = draw_in_clean_fonts(
        f"""
        from pathlib import Path
        from qinglian.reporting.document.charts import render_charts
        from tests.reporting.test_report_render import full_data

        def draw():
            charts = render_charts(full_data(), Path({str(tmp_path / "charts")!r}))
            assert len(charts.drawn()) == 3, charts
            return charts.drawn()[0].read_bytes()
        """,
        tmp_path,
    )
    assert report["foreign"] == []  # nothing but matplotlib's own fonts was visible
    assert report["fallbacks"] == []
    assert report["control"], "the control drew Chinese in DejaVu Sans: a fallback must be seen"
    assert bytes.fromhex(report["signature"]) == PNG


def test_docx(tmp_path: Path, charts: ReportCharts) -> None:
    path = write_docx(full_data(), tmp_path / "报告.docx", charts)

    document = Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == list(SECTIONS)
    texts = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    assert "关于医疗卫生系统廉洁从业专项治理的书面综合情况报告" in texts
    assert "市卫生局：" in texts
    assert texts[-2:] == ["东城区卫生局", "2012年10月15日"]  # the 落款, then the 版记's table
    assert any("第三人民医院（逾期事项 1 项" in text for text in texts)
    assert len(document.inline_shapes) == 3
    assert len(document.tables) == 9 + 1  # the body's and the 版记
    first = document.tables[0]
    assert [cell.text for cell in first.rows[1].cells] == [
        "工作材料", "42", "35", "2", "3", "2", "92.5%", "87.5%",
    ]  # fmt: skip
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    fonts = document.styles["Heading 1"].element.rPr.rFonts
    assert (
        fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        == "黑体"
    )
    assert not list(tmp_path.glob(".*.tmp"))


def test_docx_of_empty_data(tmp_path: Path) -> None:
    path = write_report(empty_data(), tmp_path / "empty.docx", "docx")

    document = Document(str(path))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == list(SECTIONS)
    assert len(document.inline_shapes) == 0
    assert not (tmp_path / "empty_charts").exists()


def test_write_report_markdown(tmp_path: Path) -> None:
    path = write_report(full_data(), tmp_path / "out" / "report.md", "md")

    markdown = path.read_text(encoding="utf-8")
    assert "](report_charts/reporting_rate.png)" in markdown
    assert (tmp_path / "out" / "report_charts" / "reporting_rate.png").read_bytes()[:8] == PNG
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.md", "report_charts"]


def test_write_report_rejects_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(output.ReportError):
        write_report(full_data(), tmp_path / "report.html", "html")  # type: ignore[arg-type]

    assert list(tmp_path.iterdir()) == []


def test_pdf_without_libreoffice_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)

    with pytest.raises(LibreOfficeMissing) as raised:
        write_report(full_data(), tmp_path / "report.pdf", "pdf")
    with pytest.raises(LibreOfficeMissing):
        convert_to_pdf(tmp_path / "whatever.docx", tmp_path / "x.pdf")

    assert "LibreOffice" in raised.value.zh and "--format docx" in raised.value.en
    assert "apt-get install" in raised.value.en
    assert list(tmp_path.iterdir()) == []


def test_failed_conversion_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pdf.shutil, "which", lambda name: str(fake) if name == "soffice" else None)
    out = tmp_path / "out"

    with pytest.raises(pdf.PdfConversionFailed, match="could not be loaded"):
        write_report(full_data(), out / "report.pdf", "pdf")

    assert list(out.iterdir()) == []


@pytest.mark.skipif(
    shutil.which("soffice") is None and shutil.which("libreoffice") is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)
def test_pdf(tmp_path: Path) -> None:
    path = write_report(full_data(), tmp_path / "综合情况报告.pdf", "pdf")

    assert path.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["综合情况报告.pdf", "综合情况报告_charts"]
