"""A unit's report-form workbook (报告表): the pre-filled template to download, and one upload
imported all or nothing, stored and acknowledged with a receipt (回执). The 报告表 page and the
API share these functions, so both refuse and accept alike."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from fastapi.responses import Response
from sqlmodel import Session, col, select

from models import Campaign, Unit
from models.account import Receipt, Upload
from models.enums import UploadPurpose
from qinglian.accounts.sessions import SessionUser
from qinglian.core import db
from qinglian.core.clock import CHINA, as_utc
from qinglian.core.errors import ImportRejected, QinglianError, RowError
from qinglian.core.settings import get_settings
from qinglian.declarations.completeness import cadre_forms, sync_forms_deliverable
from qinglian.declarations.import_forms import (
    AmendmentReasonRequired,
    FormImportReport,
    import_forms,
)
from qinglian.declarations.workbook import write_form_template
from qinglian.portal.deps import inputs_write, portal_day, scoped_unit, unit_campaign, writable_unit
from qinglian.portal.pages import attachment
from qinglian.uploads import XLS, XLSX, Incoming, issue_receipt, read_upload, store_upload

XLSX_MEDIA_TYPE = XLSX
SUBJECT = "forms"
_COUNTS = ("created", "amended", "unchanged", "not_filled", "on_time", "late")


class FormsRejected(ImportRejected):
    """Invalid rows in an uploaded workbook: nothing imported (the portal never skips rows)."""

    def __init__(self, file: str, errors: list[RowError]) -> None:
        super().__init__(file, errors)
        self.zh = f"{file}：{len(errors)} 处错误，未导入任何数据；请按下表逐项修改后重新上传"
        self.en = (
            f"{file}: {len(errors)} error(s), nothing imported; correct each cell listed "
            "and upload the workbook again"
        )


class ReasonRequired(QinglianError):
    """Changed forms of cadres who already filed, uploaded without a reason: nothing written."""

    def __init__(self, exc: AmendmentReasonRequired) -> None:
        super().__init__(
            exc.zh.replace("（--reason）", "（请填写“修改原因”后重新上传）"),
            exc.en.replace("(--reason)", "(give the amendment reason and upload again)"),
        )
        self.staff_nos = exc.staff_nos


@dataclass(frozen=True, slots=True)
class FormsAccepted:
    """An imported upload: its receipt number and what the import counted."""

    receipt: str
    file: str
    counts: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {"receipt": self.receipt, "file": self.file, **self.counts}


@dataclass(frozen=True, slots=True)
class PastReceipt:
    number: str
    file: str
    received_at: datetime
    detail: dict[str, Any]


def template_response(user: SessionUser, code: str, campaign_id: int | None) -> Response:
    """The unit's pre-filled workbook, as an attachment named ``报告表-<code>.xlsx``."""
    with db.session_scope() as session:
        unit = scoped_unit(session, user, code)
        campaign = unit_campaign(session, unit, campaign_id)
        assert campaign.id is not None
        with tempfile.TemporaryDirectory(prefix="qinglian-template-") as directory:
            path = write_form_template(
                session=session,
                campaign_id=campaign.id,
                unit_code=unit.code,
                path=Path(directory) / "template.xlsx",
            )
            data = path.read_bytes()
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": attachment(f"报告表-{unit.code}.xlsx")},
    )


def submit_forms(
    user: SessionUser, code: str, campaign_id: int | None, upload: UploadFile, reason: str | None
) -> FormsAccepted:
    """Import one uploaded workbook for a unit the user may change: all or nothing."""
    with db.session_scope() as session:
        unit = writable_unit(session, user, code)
        campaign = unit_campaign(session, unit, campaign_id)
        unit_id, unit_code = unit.id, unit.code
        assert campaign.id is not None and unit_id is not None
        the_campaign, day = campaign.id, portal_day(campaign)
    incoming = read_upload(
        upload,
        allowed=frozenset({XLSX, XLS}),
        max_bytes=get_settings().portal_max_upload_mb * 1024 * 1024,
    )
    # The lock is taken once the workbook is read and checked, and held until the session has
    # committed (the ExitStack closes after the session): uploads run side by side, and each
    # lands wholly before or after a phase run.
    with _saved(incoming) as path, ExitStack() as held, db.session_scope() as session:
        try:
            report = import_forms(
                session=session,
                path=path,
                campaign_id=the_campaign,
                as_of=day,
                reason=reason,
                unit_code=unit_code,
                before_writing=lambda: held.enter_context(inputs_write()),
            )
        except ImportRejected as exc:
            raise FormsRejected(incoming.filename, exc.errors) from None
        except AmendmentReasonRequired as exc:
            raise ReasonRequired(exc) from None
        counts = _counts(report)
        if not (report.created or report.amended or report.unchanged):
            raise QinglianError(
                f"{incoming.filename}：没有填写任何报告表（模板中的干部均未填报），未导入任何数据",
                f"{incoming.filename}: no form is filled in (the template's cadres are all "
                "blank); nothing imported",
            )
        _sync_collected(session, the_campaign, unit_id, day)
        stored = store_upload(
            session=session,
            incoming=incoming,
            purpose=UploadPurpose.forms,
            campaign_id=the_campaign,
            unit_id=unit_id,
            account_id=user.account_id,
            subject=SUBJECT,
        )
        receipt = issue_receipt(
            session=session,
            campaign_id=the_campaign,
            unit_id=unit_id,
            account_id=user.account_id,
            kind=UploadPurpose.forms,
            upload_id=stored.id,
            detail={"file": incoming.filename, **counts, "reason": (reason or "").strip()},
        )
        return FormsAccepted(receipt=receipt.number, file=incoming.filename, counts=counts)


def form_receipts(*, session: Session, campaign_id: int, unit_id: int) -> list[PastReceipt]:
    """The unit's report-form receipts in the campaign, newest first."""
    rows = session.exec(
        select(Receipt, Upload.filename)
        .join(Upload, col(Upload.id) == Receipt.upload_id, isouter=True)
        .where(
            Receipt.campaign_id == campaign_id,
            Receipt.unit_id == unit_id,
            Receipt.kind == UploadPurpose.forms,
        )
        .order_by(col(Receipt.created_at).desc(), col(Receipt.id).desc())
    ).all()
    return [
        PastReceipt(
            number=receipt.number,
            file=filename or str(receipt.detail.get("file", "")),
            received_at=as_utc(receipt.created_at).astimezone(CHINA),
            detail=receipt.detail,
        )
        for receipt, filename in rows
    ]


def _sync_collected(session: Session, campaign_id: int, unit_id: int, day: date) -> None:
    """Mark the unit's 收齐《报告表》 item as a phase pass would, so its office sees it at once."""
    campaign, unit = session.get(Campaign, campaign_id), session.get(Unit, unit_id)
    assert campaign is not None and unit is not None
    forms = cadre_forms(session=session, campaign=campaign, root=unit, as_of=day, own_only=True)
    sync_forms_deliverable(
        session=session, campaign_id=campaign_id, unit_id=unit_id, forms=forms.get(unit_id, [])
    )


def _counts(report: FormImportReport) -> dict[str, int]:
    return {name: int(getattr(report, name)) for name in _COUNTS}


@contextmanager
def _saved(incoming: Incoming) -> Iterator[Path]:
    """The upload in a private temporary file named as it was given (errors name that file)."""
    name = incoming.filename
    # Reading goes by content; the name only shows in messages (an .xls stays .xls).
    if Path(name).suffix.lower() not in {".xlsx", ".xls", ".et"}:
        name = f"{Path(name).stem or 'forms'}.xlsx"
    with tempfile.TemporaryDirectory(prefix="qinglian-forms-") as directory:
        path = Path(directory) / name
        path.write_bytes(incoming.data)
        yield path
