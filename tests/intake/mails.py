"""Returned mails as a unit's mail client writes them, and the workbooks they carry."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session

from qinglian.declarations.workbook import write_form_template
from tests.portal.workbooks import fill

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
NARRATIVE_HEADERS = ("单位编码", "阶段", "总结内容", "提交日期", "提交人")
LEDGER_HEADERS = ("问题编号", "整改措施", "责任人", "整改时限", "状态")

Attachment = tuple[str, bytes] | tuple[str, bytes, tuple[str, str]]


def returned_mail(
    *,
    sender: str,
    to: str = "intake@lyg.example.cn",
    subject: str = "回复：请报送《报告表》",
    attachments: Sequence[Attachment] = (),
    body: str = "附件是本单位填好的工作簿，请查收。",
    message_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"连妇保办公室 <{sender}>"
    mail["To"] = to
    mail["Subject"] = subject
    if message_id != "":
        mail["Message-ID"] = message_id or make_msgid(domain="fb.example.cn")
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    for attachment in attachments:
        name, data = attachment[0], attachment[1]
        maintype, subtype = attachment[2] if len(attachment) == 3 else XLSX  # type: ignore[misc]
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes(policy=policy.SMTP)  # CRLF, as mail travels


def forms_workbook(session: Session, campaign_id: int, unit_code: str, **filled: Any) -> bytes:
    """The unit's own 报告表 template as the portal hands it out, filled in as an office does."""
    with tempfile.TemporaryDirectory() as directory:
        path = write_form_template(
            session=session,
            campaign_id=campaign_id,
            unit_code=unit_code,
            path=Path(directory) / "template.xlsx",
        )
        return fill(path.read_bytes(), **filled)


def table_workbook(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_member(workbook: bytes, name: str, data: bytes = b"\x00" * 64) -> bytes:
    """The workbook with one more zip member (``xl/vbaProject.bin``: a macro project)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr(name, data)
    return out.getvalue()
