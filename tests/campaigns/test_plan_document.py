"""Reading a unit's plan document: real .docx files, .txt in UTF-8 and GB18030, and bad files."""

import codecs
from datetime import date
from pathlib import Path

import pytest
from docx import Document

from qinglian.campaigns.plan_document import read_plan_text
from qinglian.campaigns.templates import get_template
from qinglian.core.errors import QinglianError
from qinglian.rules.plan_text import check_plan, extract_plan

PLAN = (
    "（一）动员部署（2012年7月16日至8月5日）\n"
    "（二）查找问题（2012年8月6日-8月31日）\n"
    "组织单位领导干部填报《报告表》，由单位收齐于8月10日前统一交市卫生局专项活动办公室。"
)


def write_docx(path: Path, *, table: bool = False) -> Path:
    document = Document()
    document.add_heading("集中开展落实《若干规定》活动实施方案", level=1)
    if table:
        document.add_paragraph("五、方法步骤")
        grid = document.add_table(rows=3, cols=2)
        rows = [("阶段", "时间"), ("动员部署", "7月16日至8月5日"), ("查找问题", "8月6日-8月31日")]
        for row, (name, window) in zip(grid.rows, rows, strict=True):
            row.cells[0].text, row.cells[1].text = name, window
        document.add_paragraph("《报告表》由单位收齐，于8月10日前统一上报。")
    else:
        for line in PLAN.splitlines():
            document.add_paragraph(line)
    document.save(str(path))
    return path


def extracted(text: str) -> list[tuple[str, object, object]]:
    plan = extract_plan(text, template=get_template("coi-2012"), year=2012)
    check_plan(plan)
    return [(p.key, p.start_on, p.end_on) for p in plan.phases] + [
        (d.deliverable_key, d.due_on, None) for d in plan.deadlines
    ]


EXPECTED = [
    ("mobilize", date(2012, 7, 16), date(2012, 8, 5)),
    ("find", date(2012, 8, 6), date(2012, 8, 31)),
    ("forms_collected", date(2012, 8, 10), None),
]


@pytest.mark.parametrize(
    ("name", "write"),
    [
        ("plan.docx", lambda path: write_docx(path)),
        ("方案（表格）.DOCX", lambda path: write_docx(path, table=True)),
        ("plan.txt", lambda path: path.write_bytes(PLAN.encode("utf-8"))),
        ("bom.txt", lambda path: path.write_bytes(codecs.BOM_UTF8 + PLAN.encode("utf-8"))),
        ("gb.txt", lambda path: path.write_bytes(PLAN.encode("gb18030"))),
        ("crlf.txt", lambda path: path.write_bytes(PLAN.replace("\n", "\r\n").encode("gb18030"))),
    ],
)
def test_a_plan_document_reads_to_the_same_plan(tmp_path: Path, name: str, write) -> None:
    path = tmp_path / name
    write(path)
    text = read_plan_text(path)
    assert "动员部署" in text
    assert extracted(text) == EXPECTED


def test_a_docx_table_row_is_one_line_with_its_cells_apart(tmp_path: Path) -> None:
    text = read_plan_text(write_docx(tmp_path / "plan.docx", table=True))
    assert "动员部署\t7月16日至8月5日" in text.splitlines()


def _old_doc(path: Path) -> None:
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 512)


def _renamed_doc(path: Path) -> None:
    _old_doc(path)  # a .doc saved under a .docx name


@pytest.mark.parametrize(
    ("name", "write", "zh", "en"),
    [
        ("方案.doc", _old_doc, "另存为 .docx", "save it as .docx"),
        ("方案.docx", _renamed_doc, "旧版 Word", "old Word format"),
        ("broken.docx", lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "已损坏", "damaged"),
        ("text.docx", lambda p: p.write_text("（一）动员部署", encoding="utf-8"), "已损坏", "damaged"),
        ("plan.pdf", lambda p: p.write_bytes(b"%PDF-1.4"), "不支持", "unsupported"),
        ("plan", lambda p: p.write_bytes(b"x"), "无扩展名", "no extension"),
        ("empty.txt", lambda p: p.write_bytes(b""), "空的", "empty"),
        ("big5.txt", lambda p: p.write_bytes(PLAN.encode("big5", errors="ignore") * 5),
         "不是可识别的文本文件", "not a recognisable text file"),
    ],
)  # fmt: skip
def test_unreadable_plan_files_are_refused_by_name(
    tmp_path: Path, name: str, write, zh: str, en: str
) -> None:
    path = tmp_path / name
    write(path)
    with pytest.raises(QinglianError) as caught:
        read_plan_text(path)
    assert path.name in caught.value.zh and path.name in caught.value.en
    assert zh in caught.value.zh
    assert en in caught.value.en


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(QinglianError, match=r"missing\.docx"):
        read_plan_text(tmp_path / "missing.docx")
