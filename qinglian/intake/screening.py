"""Which attachments may be opened: told from their bytes and size, never by opening them.

An attachment is taken only as a workbook the importers read: an ``.xlsx`` (a zip holding
``xl/workbook.xml``, as :func:`qinglian.uploads.detect_type` tells it, which also refuses zip
bombs) or a text table (``.csv``/``.tsv``/``.txt`` whose bytes are UTF-8 or GB18030 text).
Anything else makes the whole mail quarantined, unopened, with the reason:

- ``oversize``: larger than ``QINGLIAN_INTAKE_MAX_MB`` (checked first, on the size alone);
- ``macro``: a macro-enabled workbook (``.xlsm``/``.xlsb``/…, a ``vbaProject.bin``, Excel 4
  macro sheets or ActiveX controls inside, or a macro-enabled content type);
- ``encrypted``: an OLE compound file holding ``EncryptionInfo``/``EncryptedPackage`` (what
  Excel and WPS make of a password-protected workbook), or a zip with encrypted members;
- ``legacy``: any other OLE compound file (an old ``.xls`` or ``.et``: it may carry VBA, and the
  importers do not read it);
- ``zip_bomb``: a zip whose directory promises too much;
- ``unreadable``: damaged transfer encoding, or an empty file;
- ``not_workbook``: anything else (executables, archives, documents, pictures, a forwarded mail,
  a ``.et`` that is not a workbook).

Names are never believed: the kind comes from the content, and a name only adds refusals (a
macro-enabled extension) or says a text is meant as a table.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from qinglian.exchange.compound_file import OLE2_MAGIC
from qinglian.intake.messages import Attachment
from qinglian.uploads.sniff import TEXT, XLSX, ZipBomb, detect_type

MIB = 1024 * 1024
_MACRO_SUFFIXES = frozenset({".xlsm", ".xlsb", ".xltm", ".xlam", ".xla", ".xlm", ".docm"})
_TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
_MACRO_PARTS = ("vbaproject.bin", "xl/macrosheets/", "xl/activex/", "vbadata.xml")
# Directory entries of an OLE compound file are UTF-16LE names.
_ENCRYPTED_STREAMS = (
    "EncryptionInfo".encode("utf-16-le"),
    "EncryptedPackage".encode("utf-16-le"),
)
_VBA_STREAMS = ("_VBA_PROJECT".encode("utf-16-le"), "VBA".encode("utf-16-le") + b"\x00\x00")
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
_CONTENT_TYPES_MAX = 1 * MIB


class TableKind(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


class Problem(StrEnum):
    oversize = "oversize"
    macro = "macro"
    encrypted = "encrypted"
    legacy = "legacy"
    zip_bomb = "zip_bomb"
    unreadable = "unreadable"
    not_workbook = "not_workbook"


_SAID: dict[Problem, tuple[str, str]] = {
    Problem.oversize: ("附件超过 {mb} MB", "an attachment is larger than {mb} MB"),
    Problem.macro: ("附件是含宏的工作簿（宏不会被打开或运行）", "an attachment holds macros"),
    Problem.encrypted: (
        "附件是加密或设了打开密码的工作簿",
        "an attachment is an encrypted or password-protected workbook",
    ),
    Problem.legacy: (
        "附件是旧版 .xls/.et 格式，请用 Excel/WPS 另存为 .xlsx（不加密、不含宏）",
        "an attachment is an old .xls/.et file; save it as .xlsx (no password, no macros)",
    ),
    Problem.zip_bomb: ("附件解压后异常巨大（疑似压缩炸弹）", "an attachment is a zip bomb"),
    Problem.unreadable: ("附件无法读取（编码损坏或为空）", "an attachment is damaged or empty"),
    Problem.not_workbook: (
        "附件不是工作簿（只接受 .xlsx 或 CSV）",
        "an attachment is not a workbook (only .xlsx or CSV are accepted)",
    ),
}


@dataclass(frozen=True, slots=True)
class Screened:
    """An attachment judged: a table to read (``kind``) or a reason to quarantine."""

    attachment: Attachment
    kind: TableKind | None = None
    problem: Problem | None = None


def describe(problem: Problem, *, max_mb: int) -> tuple[str, str]:
    """The reason a mail was quarantined, in Chinese and English."""
    zh, en = _SAID[problem]
    return zh.format(mb=max_mb), en.format(mb=max_mb)


def screen(attachment: Attachment, *, max_bytes: int) -> Screened:
    """What the attachment is, from its size and bytes alone (see the module's docs)."""
    data = attachment.data
    if len(data) > max_bytes:
        return Screened(attachment, problem=Problem.oversize)
    if attachment.content_type.startswith("message/"):
        return Screened(attachment, problem=Problem.not_workbook)
    if attachment.damaged or not data:
        return Screened(attachment, problem=Problem.unreadable)
    suffix = PurePath(attachment.filename).suffix.lower()
    if data.startswith(OLE2_MAGIC):
        return Screened(attachment, problem=_compound_file(data))
    if data.startswith(b"PK\x03\x04"):
        return _zip(attachment, suffix)
    if data.startswith(_EXECUTABLE_MAGIC):
        return Screened(attachment, problem=Problem.not_workbook)
    if suffix in _TABLE_SUFFIXES and detect_type(attachment.filename, data) == TEXT:
        return Screened(attachment, kind=TableKind.csv)
    return Screened(attachment, problem=Problem.not_workbook)


def _compound_file(data: bytes) -> Problem:
    if any(name in data for name in _ENCRYPTED_STREAMS):
        return Problem.encrypted
    if any(name in data for name in _VBA_STREAMS):
        return Problem.macro
    return Problem.legacy


def _zip(attachment: Attachment, suffix: str) -> Screened:
    try:
        media_type = detect_type(attachment.filename, attachment.data)
    except ZipBomb:
        return Screened(attachment, problem=Problem.zip_bomb)
    try:
        archive = zipfile.ZipFile(io.BytesIO(attachment.data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return Screened(attachment, problem=Problem.unreadable)
    names = [member.filename.lower() for member in members]
    if suffix in _MACRO_SUFFIXES or any(part in name for name in names for part in _MACRO_PARTS):
        return Screened(attachment, problem=Problem.macro)
    if any(member.flag_bits & 0x1 for member in members):
        return Screened(attachment, problem=Problem.encrypted)
    if media_type != XLSX:
        return Screened(attachment, problem=Problem.not_workbook)
    if _macro_content_type(archive):
        return Screened(attachment, problem=Problem.macro)
    return Screened(attachment, kind=TableKind.xlsx)


def _macro_content_type(archive: zipfile.ZipFile) -> bool:
    """A workbook whose content types say macro-enabled (a renamed .xlsm), read within bounds."""
    try:
        info = archive.getinfo("[Content_Types].xml")
        if info.file_size > _CONTENT_TYPES_MAX:
            return True  # no workbook has a content-type list this long
        text = archive.read(info)[:_CONTENT_TYPES_MAX]
    # NotImplementedError: zipfile's answer to a compression method it lacks. Unreadable here,
    # the workbook is refused by the importer's own guarded reader, with its reason.
    except (KeyError, zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return False
    return b"macroenabled" in text.lower() or b"vbaproject" in text.lower()
