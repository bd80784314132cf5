"""The text of a unit's plan document (实施方案): a .docx from Word/WPS, or a .txt.

A .docx gives its paragraphs and its tables in document order, a table row as one line with its
cells apart (a tab), so that 动员部署 | 7月16日至8月5日 reads as a heading and its window. A .txt
may be UTF-8 or GB18030 (as Notepad and WPS save it), with or without a BOM. The old binary
.doc, a damaged .docx and any other type are refused with a message that names the file.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from qinglian.core.errors import QinglianError
from qinglian.exchange.compound_file import OLE2_MAGIC  # the old Word .doc (also .xls, .ppt)
from qinglian.exchange.encodings import decode_csv

_ZIP = b"PK\x03\x04"


def read_plan_text(path: Path) -> str:
    """The plan's text, one paragraph (or table row) a line."""
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QinglianError(
            f"{path.name}: 无法读取方案文件（{exc.strerror}）",
            f"{path.name}: cannot read the plan file ({exc.strerror})",
        ) from exc
    if suffix == ".doc" or data.startswith(OLE2_MAGIC):
        raise QinglianError(
            f"{path.name}: 是旧版 Word（.doc）格式，无法读取；请在 Word/WPS 中另存为 .docx 后再导入",
            f"{path.name}: is in the old Word format (.doc), which cannot be read;"
            " please save it as .docx in Word/WPS and import that",
        )
    if suffix == ".docx":
        return _docx_text(path, data)
    if suffix == ".txt":
        return _txt_text(path, data)
    raise QinglianError(
        f"{path.name}: 不支持的方案文件类型「{suffix or '无扩展名'}」；请提供 .docx 或 .txt",
        f"{path.name}: unsupported plan file type {suffix or '(no extension)'!r};"
        " please give a .docx or a .txt",
    )


def _docx_text(path: Path, data: bytes) -> str:
    if not data.startswith(_ZIP):
        raise _corrupt(path)
    try:
        document = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise _corrupt(path) from exc
    return "\n".join(_lines(document))


def _lines(document: DocumentObject) -> list[str]:
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend(_table_lines(block))
    return lines


def _table_lines(table: Table) -> list[str]:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            # A merged cell is returned once for every grid column it spans.
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            lines.append("\t".join(cells))
    return lines


def _txt_text(path: Path, data: bytes) -> str:
    if not data.strip():
        raise QinglianError(f"{path.name}: 方案文件是空的", f"{path.name}: the plan file is empty")
    try:
        return decode_csv(path.name, data)
    except QinglianError as exc:
        raise QinglianError(
            f"{path.name}: 不是可识别的文本文件（请另存为 UTF-8 或 GB18030 编码的 .txt，或 .docx）",
            f"{path.name}: not a recognisable text file (save it as a UTF-8 or GB18030 .txt,"
            " or as .docx)",
        ) from exc


def _corrupt(path: Path) -> QinglianError:
    return QinglianError(
        f"{path.name}: 不是有效的 .docx 文件（文件可能已损坏）；请在 Word/WPS 中重新另存为 .docx",
        f"{path.name}: not a valid .docx file (it may be damaged); please save it again as"
        " .docx in Word/WPS",
    )
