"""Uploads: typed from their content, names made safe, limits kept, stored once by hash."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

import pytest
from docx import Document
from openpyxl import Workbook
from sqlmodel import Session

from models import Campaign
from models.account import Account
from models.enums import AccountRole, Level, UnitKind, UploadPurpose
from qinglian.core.errors import QinglianError
from qinglian.core.settings import get_settings
from qinglian.uploads import (
    DOCX,
    EVIDENCE_TYPES,
    JPEG,
    PDF,
    PNG,
    TEXT,
    XLSX,
    detect_type,
    read_upload,
    store_upload,
    upload_path,
)
from qinglian.uploads.sniff import ZipBomb
from qinglian.uploads.store import sanitise_filename
from tests.factories import add_unit


def _xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def _docx() -> bytes:
    out = io.BytesIO()
    document = Document()
    document.add_paragraph("会议纪要")
    document.save(out)
    return out.getvalue()


def _zip(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.xlsx", _xlsx(), XLSX),
        ("a.docx", _docx(), DOCX),
        ("a.pdf", b"%PDF-1.7\n...", PDF),
        ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, PNG),
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 20, JPEG),
        ("a.txt", "阶段性总结：本单位……".encode(), TEXT),
        ("a.txt", "阶段性总结".encode("gb18030"), TEXT),
        # The extension is never believed.
        ("virus.xlsx", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\0" * 50, None),
        ("page.xlsx", b"<html><script>alert(1)</script>\x00", None),
        ("plain.zip.xlsx", _zip(**{"a.txt": b"x"}), None),
        ("a.xlsx", b"PK\x03\x04 not really a zip", None),
        ("a.bin", bytes(range(256)), None),
    ],
)
def test_type_comes_from_the_content(name: str, data: bytes, expected: str | None) -> None:
    assert detect_type(name, data) == expected


def test_a_zip_bomb_is_refused_before_it_is_expanded() -> None:
    bomb = _zip(**{"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"0" * (250 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    with pytest.raises(ZipBomb, match="压缩炸弹"):
        detect_type("bomb.xlsx", bomb)


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("报告表-连妇保.xlsx", "报告表-连妇保.xlsx"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\evil.xlsx", "evil.xlsx"),
        ("a\x00b.xlsx", "ab.xlsx"),
        ("line\nbreak.pdf", "line_break.pdf"),
        ("<script>.txt", "script_.txt"),
        ("..", "file"),
        ("", "file"),
        (None, "file"),
        ("长" * 300 + ".docx", "长" * 115 + ".docx"),
    ],
)
def test_names_are_made_safe(given: str | None, safe: str) -> None:
    assert sanitise_filename(given) == safe


@dataclass
class _Upload:
    filename: str | None
    file: BinaryIO


def test_a_file_over_the_limit_is_refused_without_reading_it_all() -> None:
    stream = io.BytesIO(b"x" * (3 * 1024 * 1024))
    with pytest.raises(QinglianError, match="文件过大"):
        read_upload(_Upload("big.txt", stream), allowed=EVIDENCE_TYPES, max_bytes=1024 * 1024)
    assert stream.tell() <= 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("data", "message"), [(b"", "文件是空的"), (b"%PDF-1.4", "不是可接受的类型")]
)
def test_empty_or_wrong_type_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(QinglianError, match=message):
        read_upload(_Upload("a.xlsx", io.BytesIO(data)), allowed=frozenset({XLSX}), max_bytes=1024)


def test_store_keeps_one_read_only_copy_per_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    monkeypatch.setenv("QINGLIAN_HOME", str(tmp_path))
    get_settings.cache_clear()
    incoming = read_upload(
        _Upload("纪要.txt", io.BytesIO("会议纪要".encode())), allowed=EVIDENCE_TYPES, max_bytes=1024
    )
    unit = add_unit(
        session, None, code="MOH", name="卫生部", level=Level.ministry, kind=UnitKind.health_admin
    )
    campaign = Campaign(
        template_key="coi-2012", title="t", root_unit_id=unit.id, start_on=date(2012, 7, 16)
    )
    account = Account(login="x1", unit_id=unit.id, role=AccountRole.office, password_hash="x")
    session.add_all([campaign, account])
    session.flush()
    assert campaign.id and unit.id and account.id
    rows = [
        store_upload(
            session=session,
            incoming=incoming,
            purpose=UploadPurpose.evidence,
            campaign_id=campaign.id,
            unit_id=unit.id,
            account_id=account.id,
            subject="deliverable:1",
        )
        for _ in range(2)
    ]
    path = upload_path(get_settings(), incoming.sha256)
    try:
        assert path.read_bytes() == "会议纪要".encode()
        assert path.stat().st_mode & 0o777 == 0o440
        assert [row.sha256 for row in rows] == [incoming.sha256] * 2
        assert [p.name for p in path.parent.iterdir()] == [incoming.sha256]
    finally:
        get_settings.cache_clear()
