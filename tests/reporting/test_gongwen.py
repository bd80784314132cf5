"""The Word report as a 公文 (GB/T 9704-2012): its frame, an office's own template, the PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table as DocxTable

from qinglian.core.settings import Settings, SettingsError, get_settings
from qinglian.reporting.document.blocks import Heading, Para
from qinglian.reporting.document.frame import (
    BUILT_IN_TEMPLATE,
    REQUIRED_FIELDS,
    DocumentFrame,
    FrameOptions,
    TemplateRefused,
    document_frame,
)
from qinglian.reporting.document.render import write_report
from qinglian.reporting.document.sections import SECTIONS
from qinglian.reporting.document.word import compact_leading_group, write_docx
from tests.factories import JS, MOH, Qinglian, assert_one_error, qinglian_cli
from tests.reporting.test_report_cli import launch
from tests.reporting.test_report_render import empty_data, full_data

ROOT = Path(__file__).resolve().parents[2]
DOC_NUMBER = re.compile(r"^[^〔]+〔\d{4}〕\d+号$")
OPTIONS = FrameOptions(number=12, code="东卫发", cc="区纪委、区监察局")


def frame_of(options: FrameOptions = OPTIONS, **settings: str) -> DocumentFrame:
    return document_frame(full_data(), Settings(**settings), options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def gongwen(tmp_path_factory: pytest.TempPathFactory) -> DocxDocument:
    path = tmp_path_factory.mktemp("gongwen") / "报告.docx"
    return Document(str(write_docx(full_data(), path, frame=frame_of())))


def texts(document: DocxDocument) -> list[str]:
    return [p.text.strip() for p in document.paragraphs if p.text.strip()]


def east_asian_font(paragraph_runs: list) -> set[str]:
    return {run._r.rPr.rFonts.get(qn("w:eastAsia")) for run in paragraph_runs}


# --- the frame: who issues it, its number, who it goes to ---------------------------------


@pytest.mark.parametrize(
    ("data", "settings", "options", "expected"),
    [
        pytest.param(
            "sub", {}, FrameOptions(),
            ("东城区卫生局", "东城区卫生局〔2012〕　　号", "市卫生局", "东城区卫生局办公室"),
            id="a-sub-unit-reports-up-in-its-own-name-number-left-blank",
        ),
        pytest.param(
            "sub", {"issuer_name": "卫生部", "issuer_code": "卫办发", "report_recipients": "各省"},
            FrameOptions(number=3),
            ("东城区卫生局", "东城区卫生局〔2012〕3号", "市卫生局", "东城区卫生局办公室"),
            id="the-settings-speak-for-the-root-only",
        ),
        pytest.param(
            "root", {}, FrameOptions(number=1),
            ("西城区卫生监督所", "西城区卫生监督所〔2012〕1号", "各有关单位", "西城区卫生监督所办公室"),
            id="the-root-without-settings",
        ),
        pytest.param(
            "root",
            {"issuer_name": "中华人民共和国卫生部", "issuer_code": "卫办监察发",
             "issuer_office": "卫生部办公厅", "report_recipients": "各省、自治区、直辖市卫生厅局"},
            FrameOptions(number=86),
            ("中华人民共和国卫生部", "卫办监察发〔2012〕86号", "各省、自治区、直辖市卫生厅局",
             "卫生部办公厅"),
            id="the-root-issued-by-the-settings-office",
        ),
        pytest.param(
            "root", {"issuer_name": "卫生部", "issuer_office": "卫生部办公厅"},
            FrameOptions(issuer="卫生部纠风办", code="卫纠发", number=7, recipients="国务院纠风办："),
            ("卫生部纠风办", "卫纠发〔2012〕7号", "国务院纠风办", "卫生部纠风办办公室"),
            id="the-options-come-first",
        ),
    ],
)  # fmt: skip
def test_the_frame_of_a_report(
    data: str, settings: dict[str, str], options: FrameOptions, expected: tuple[str, ...]
) -> None:
    report = full_data() if data == "sub" else empty_data()
    frame = document_frame(report, Settings(**settings), options)  # type: ignore[arg-type]

    assert (frame.issuer, frame.doc_number, frame.recipients, frame.printed_by) == expected
    assert frame.signer == frame.issuer
    assert frame.date_cn == frame.printed_on == "2012年10月15日"  # Arabic numerals (2012 standard)


def test_the_leading_group_is_one_paragraph() -> None:
    group = [
        Heading("（一）组织领导", 2),
        Para("成立专项活动领导小组，成员4人："),
        Para("组长：王建国"),
        Para("副组长：李华"),
        Para("成员：赵一"),
        Para("成员：钱二"),
    ]
    after = [Heading("（二）分阶段推进", 2), Para("组长：不是名单，是正文")]

    assert compact_leading_group([*group, *after]) == [
        *group[:2],
        Para("组长：王建国；副组长：李华；成员：赵一、钱二。"),
        *after,  # a line like a member's, but not after the group, is kept as it is
    ]
    assert compact_leading_group(group[2:]) == group[2:]


# --- the built-in template -------------------------------------------------------------------


def test_the_red_masthead_and_the_document_number(gongwen: DocxDocument) -> None:
    lines = texts(gongwen)
    masthead = next(p for p in gongwen.paragraphs if p.text.strip())
    assert masthead.text == "东城区卫生局文件"
    assert {str(run.font.color.rgb) for run in masthead.runs} == {"FF0000"}
    assert east_asian_font(masthead.runs) == {"方正小标宋简体"}
    assert lines[1] == "东卫发〔2012〕12号" and DOC_NUMBER.match(lines[1])
    number = next(p for p in gongwen.paragraphs if p.text == lines[1])
    rule = number._p.pPr.find(f"{qn('w:pBdr')}/{qn('w:bottom')}")
    assert rule.get(qn("w:color")) == "FF0000"  # the red separator line under the 文号
    assert lines[2:4] == ["关于医疗卫生系统廉洁从业专项治理的书面综合情况报告", "市卫生局："]


def test_the_body_is_set_in_fangsong_with_black_and_kai_headings(gongwen: DocxDocument) -> None:
    paragraphs = gongwen.paragraphs
    opening = next(p for p in paragraphs if p.text.startswith("东城区卫生局按照"))
    assert east_asian_font(opening.runs) == {"仿宋_GB2312"}
    assert opening.runs[0].font.size.pt == 16  # 三号
    headings = [p for p in paragraphs if p.style.name == "Heading 1"]
    assert [p.text for p in headings] == list(SECTIONS)
    assert all(east_asian_font(p.runs) == {"黑体"} for p in headings)
    assert all(
        east_asian_font(p.runs) == {"楷体_GB2312"}
        for p in paragraphs
        if p.style.name == "Heading 2"
    )
    assert "组长：王建国；副组长：李华。" in texts(gongwen)


def test_the_signature_date_and_imprint(gongwen: DocxDocument) -> None:
    assert texts(gongwen)[-2:] == ["东城区卫生局", "2012年10月15日"]
    imprint = gongwen.tables[-1]
    assert [row.cells[0].text for row in imprint.rows] == [
        "抄送：区纪委、区监察局。",
        "东城区卫生局办公室\t2012年10月15日印发",
    ]
    position = imprint._tbl.tblPr.find(qn("w:tblpPr"))
    assert position.get(qn("w:tblpYSpec")) == "bottom"  # at the foot of the last page


def test_names_are_text_never_markup(tmp_path: Path) -> None:
    options = FrameOptions(issuer="东城区<卫生>&局", recipients="{{ title }}", number=1)
    document = Document(str(write_docx(full_data(), tmp_path / "r.docx", frame=frame_of(options))))

    lines = texts(document)
    assert lines[0] == "东城区<卫生>&局文件"
    assert "{{ title }}：" in lines  # a value is printed as it is, never filled in again


def test_page_numbers_at_the_outside_corners(gongwen: DocxDocument) -> None:
    section = gongwen.sections[0]
    assert gongwen.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        assert paragraph._p.find(qn("w:fldSimple")).get(qn("w:instr")) == "PAGE"
        assert "".join(t.text for t in paragraph._p.iter(qn("w:t"))) == "— 1 —"
        assert paragraph._p.pPr.find(qn("w:jc")).get(qn("w:val")) == align


def _table(document: DocxDocument, first_cell: str) -> DocxTable:
    return next(table for table in document.tables if table.cell(0, 0).text == first_cell)


def test_the_total_row_is_never_alone(gongwen: DocxDocument) -> None:
    table = _table(gongwen, "整改状态")
    rows = table.rows
    assert [row.cells[0].text for row in rows[-2:]] == ["合计", "其中：逾期未完成"]
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in rows)
    assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    kept = [row.cells[0].paragraphs[0].paragraph_format.keep_with_next for row in rows]
    assert kept == [True] * (len(rows) - 1) + [False]


def test_a_long_table_keeps_its_head_and_its_tail(tmp_path: Path) -> None:
    categories = {f"类别{n}": n for n in range(1, 21)}
    data = full_data().model_copy(update={"findings_by_category": categories})
    document = Document(str(write_docx(data, tmp_path / "long.docx", frame=frame_of())))

    rows = _table(document, "问题类别").rows
    kept = [row.cells[0].paragraphs[0].paragraph_format.keep_with_next for row in rows]
    assert rows[-1].cells[0].text == "合计"
    assert kept[0] and not any(kept[1:-3]) and kept[-3:] == [True, True, False]


def test_the_committed_template_is_what_the_script_makes(tmp_path: Path) -> None:
    out = tmp_path / "gongwen.docx"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_report_template.py"), str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == BUILT_IN_TEMPLATE.read_bytes()


# --- an office's own template ----------------------------------------------------------------


def office_template(path: Path, lines: tuple[str, ...]) -> Path:
    """A letterhead as an office would make it in Word: fixed text and docxtpl fields."""
    document = Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))
    return path


LETTERHEAD = (
    "江苏省卫生厅纪检监察室",  # printed as it is: no {{ issuer }} needed
    "{{ doc_number }}",
    "{{ title }}",
    "{{ recipients }}：",
    "{{p body }}",
    "{{ signer }}",
    "{{ date_cn }}",
)


def test_an_office_template_is_used(tmp_path: Path) -> None:
    template = office_template(tmp_path / "信笺.docx", LETTERHEAD)
    settings = Settings(report_template=template)  # type: ignore[call-arg]

    path = write_report(full_data(), tmp_path / "报告.docx", "docx", OPTIONS, settings=settings)

    lines = texts(Document(str(path)))
    assert lines[:4] == [
        "江苏省卫生厅纪检监察室",
        "东卫发〔2012〕12号",
        "关于医疗卫生系统廉洁从业专项治理的书面综合情况报告",
        "市卫生局：",
    ]
    assert [line for line in lines if line in SECTIONS] == list(SECTIONS)
    assert lines[-2:] == ["东城区卫生局", "2012年10月15日"]


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
def test_a_template_without_a_required_field_is_refused(tmp_path: Path, field: str) -> None:
    lines = tuple(line for line in LETTERHEAD if field not in line)
    template = office_template(tmp_path / "信笺.docx", lines)
    out = tmp_path / "out"
    settings = Settings(report_template=template)  # type: ignore[call-arg]

    with pytest.raises(TemplateRefused) as refused:
        write_report(full_data(), out / "报告.docx", "docx", settings=settings)

    assert f"{{{{ {field} }}}}" in refused.value.zh and field in refused.value.en
    assert not out.exists()


@pytest.mark.parametrize(
    ("lines", "quoted"),
    [
        pytest.param((*LETTERHEAD, "{{ titel }}"), "titel", id="unknown-field"),
        pytest.param(
            tuple(line.replace("{{p body }}", "正文：{{ body }}") for line in LETTERHEAD),
            "{{p body }}",
            id="body-inside-a-line",
        ),
        pytest.param((*LETTERHEAD, "{% if cc %}"), "字段写法有误", id="unclosed-tag"),
    ],
)
def test_a_malformed_template_is_refused(
    tmp_path: Path, lines: tuple[str, ...], quoted: str
) -> None:
    settings = Settings(report_template=office_template(tmp_path / "t.docx", lines))  # type: ignore[call-arg]
    out = tmp_path / "out"

    with pytest.raises(TemplateRefused) as refused:
        write_report(full_data(), out / "报告.pdf", "pdf", settings=settings)

    assert quoted in str(refused.value)
    assert not out.exists()


def test_a_template_that_is_no_word_file(tmp_path: Path) -> None:
    fake = tmp_path / "模板.docx"
    fake.write_text("not a zip", encoding="utf-8")

    with pytest.raises(TemplateRefused, match="not a readable Word file"):
        write_report(
            full_data(),
            tmp_path / "out" / "r.docx",
            "docx",
            settings=Settings(report_template=fake),
        )  # type: ignore[call-arg]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("value", "quoted"),
    [("/no/such/模板.docx", "no such file"), (__file__, "not a Word template")],
)
def test_the_template_setting_is_checked(
    monkeypatch: pytest.MonkeyPatch, value: str, quoted: str
) -> None:
    monkeypatch.setenv("QINGLIAN_REPORT_TEMPLATE", value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as refused:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert "QINGLIAN_REPORT_TEMPLATE" in refused.value.zh and quoted in refused.value.en


# --- through the command line ----------------------------------------------------------------


@pytest.fixture
def sqlite_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Qinglian]:
    with qinglian_cli("sqlite", tmp_path, monkeypatch) as harness:
        yield harness


def test_report_options_fill_the_frame(sqlite_cli: Qinglian, tmp_path: Path) -> None:
    campaign = launch(sqlite_cli, tmp_path)
    out = tmp_path / "卫生部.docx"
    sqlite_cli.ok(
        "report", campaign, "--unit", MOH, "--as-of", "2012-09-20", "--out", out,
        "--number", "86", "--code", "卫办监察发", "--to", "各省、自治区、直辖市卫生厅局",
        "--cc", "驻部纪检组",
    )  # fmt: skip
    document = Document(str(out))
    lines = texts(document)
    assert lines[1] == "卫办监察发〔2012〕86号"
    assert "各省、自治区、直辖市卫生厅局：" in lines
    assert document.tables[-1].rows[0].cells[0].text == "抄送：驻部纪检组。"

    province = tmp_path / "江苏.docx"
    sqlite_cli.ok("report", campaign, "--unit", JS, "--as-of", "2012-09-20", "--out", province)
    assert "卫生部：" in texts(Document(str(province)))  # a province reports up to its parent


def test_a_refused_template_through_the_cli_is_one_line(
    sqlite_cli: Qinglian, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = launch(sqlite_cli, tmp_path)
    lines = tuple(line for line in LETTERHEAD if "doc_number" not in line)
    monkeypatch.setenv("QINGLIAN_REPORT_TEMPLATE", str(office_template(tmp_path / "t.docx", lines)))
    get_settings.cache_clear()
    out = tmp_path / "reports" / "报告.docx"

    result = sqlite_cli("report", campaign, "--unit", MOH, "--as-of", "2012-09-20", "--out", out)

    assert "{{ doc_number }}" in assert_one_error(result)
    assert not out.parent.exists()


@pytest.mark.parametrize(
    ("args", "quoted", "code"),
    [
        (("--number", "0"), "发文顺序号", 2),
        (("--number", "十二"), "发文顺序号", 2),
        (("--to", "甲\n乙"), "--to", 1),
        (("--code", "字" * 21), "--code", 1),
    ],
)
def test_bad_frame_options(
    sqlite_cli: Qinglian, tmp_path: Path, args: tuple[str, ...], quoted: str, code: int
) -> None:
    out = tmp_path / "报告.docx"
    result = sqlite_cli("report", "1", "--unit", MOH, "--out", out, *args)
    assert result.exit_code == code
    assert quoted in assert_one_error(result)
    assert not out.exists()


# --- the PDF ---------------------------------------------------------------------------------


def _pdf_text(path: Path) -> tuple[int, str]:
    """Pages and text of a PDF: poppler's pdfinfo/pdftotext, else pypdf."""
    if shutil.which("pdftotext") and shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
        pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)[1])  # type: ignore[index]
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        return pages, text
    pypdf = pytest.importorskip(
        "pypdf", reason="neither poppler-utils (pdftotext) nor pypdf is installed"
    )
    reader = pypdf.PdfReader(str(path))
    return len(reader.pages), "".join(page.extract_text() for page in reader.pages)


@pytest.mark.skipif(
    shutil.which("soffice") is None and shutil.which("libreoffice") is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)
def test_the_pdf(tmp_path: Path) -> None:
    path = write_report(full_data(), tmp_path / "报告.pdf", "pdf", OPTIONS, settings=Settings())

    pages, text = _pdf_text(path)
    assert 5 <= pages <= 12
    flat = re.sub(r"\s+", "", text)
    for heading in ("东城区卫生局文件", "东卫发〔2012〕12号", *SECTIONS, "2012年10月15日印发"):
        assert heading in flat, heading
    assert f"—{pages}—" in flat  # the last page is numbered
    if shutil.which("pdffonts"):
        fonts = subprocess.run(
            ["pdffonts", str(path)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb
