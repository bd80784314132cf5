"""A file's type told from its bytes: the extension a user gives is never believed.

Zip-based documents (XLSX, DOCX) are told by the parts their zip holds, and refused when the
zip's directory promises more than :data:`MAX_EXPANDED` bytes or :data:`MAX_MEMBERS` files (a
zip bomb). Text is UTF-8 or GB18030 without control characters.
"""

from __future__ import annotations

import io
import zipfile

from qinglian.core.errors import QinglianError
from qinglian.exchange.compound_file import OLE2_MAGIC, DamagedCompoundFile, read_compound_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS = "application/vnd.ms-excel"  # Excel 97–2003 .xls and WPS .et (an OLE2 compound file)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
EVIDENCE_TYPES = frozenset({PDF, DOCX, XLSX, XLS, PNG, JPEG, TEXT})
LABELS = {
    XLSX: "Excel 工作簿 (.xlsx)",
    XLS: "Excel 97–2003 / WPS 工作簿 (.xls/.et)",
    DOCX: "Word 文档 (.docx)",
    PDF: "PDF",
    PNG: "PNG 图片",
    JPEG: "JPEG 图片",
    TEXT: "纯文本 (.txt)",
}
MAX_EXPANDED = 200 * 1024 * 1024
MAX_MEMBERS = 10_000
_CONTROL = frozenset(range(32)) - {9, 10, 13}


class ZipBomb(QinglianError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name}：压缩内容异常（解压后过大或文件过多），疑似压缩炸弹，未保存",
            f"{name}: the archive expands too far or holds too many files (a zip bomb?); "
            "nothing saved",
        )


def detect_type(name: str, data: bytes) -> str | None:
    """The media type of ``data`` if it is one the portal knows, else ``None``."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _office(name, data)
    if data.startswith(OLE2_MAGIC):
        # An old workbook only: a Word .doc or an encrypted xlsx (also OLE2) is not one.
        try:
            return XLS if read_compound_file(data).workbook_stream() is not None else None
        except DamagedCompoundFile:
            return None
    if _is_text(data):
        return TEXT
    return None


def _office(name: str, data: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_EXPANDED:
        raise ZipBomb(name)
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names:
        return None
    if "xl/workbook.xml" in names:
        return XLSX
    if "word/document.xml" in names:
        return DOCX
    return None


def _is_text(data: bytes) -> bool:
    sample = data[:65536]
    if any(byte in _CONTROL for byte in sample):
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the sample's end is still text.
            if exc.start >= len(sample) - 4 and len(data) > len(sample):
                return True
            continue
        return True
    return False
