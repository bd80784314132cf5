"""The text of a phase-summary narrative handed in as a file: a Word document (its paragraphs)
or a plain text file (UTF-8, UTF-16 with a BOM, or GB18030, told as a CSV's encoding is)."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.opc.exceptions import OpcError
from lxml.etree import XMLSyntaxError

from qinglian.core.errors import QinglianError
from qinglian.exchange.encodings import decode_csv
from qinglian.uploads import DOCX, TEXT, Incoming

NARRATIVE_TYPES = frozenset({DOCX, TEXT})


def narrative_text(incoming: Incoming) -> str:
    """The narrative ``incoming`` holds; a file that cannot be read is refused, never guessed."""
    if incoming.media_type == DOCX:
        return _docx_text(incoming)
    if incoming.media_type == TEXT:
        try:
            return decode_csv(incoming.filename, incoming.data).removeprefix("\ufeff")
        except QinglianError:
            raise QinglianError(
                f"{incoming.filename}：无法识别文件编码（应为 UTF-8、带 BOM 的 UTF-16 或 GB18030"
                " 文本），未保存",
                f"{incoming.filename}: not UTF-8, UTF-16 (with a BOM) or GB18030 text; "
                "nothing saved",
            ) from None
    raise QinglianError(
        f"{incoming.filename}：阶段性总结只接受 Word 文档 (.docx) 或纯文本 (.txt)，未保存",
        f"{incoming.filename}: a narrative is a .docx or .txt file; nothing saved",
    )


def _docx_text(incoming: Incoming) -> str:
    try:
        document = Document(io.BytesIO(incoming.data))
    except (OpcError, XMLSyntaxError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise QinglianError(
            f"{incoming.filename}：无法读取该 Word 文档，未保存",
            f"{incoming.filename}: the Word document cannot be read ({exc.__class__.__name__});"
            " nothing saved",
        ) from None
    return "\n".join(paragraph.text for paragraph in document.paragraphs)
