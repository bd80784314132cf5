"""Evidence files (佐证材料) a unit attaches to one of its records: a deliverable, a
rectification item. Stored once by hash, acknowledged with a receipt (回执), listed back by what
they are attached to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from models.account import Receipt, Upload
from models.enums import UploadPurpose
from qinglian.uploads import Incoming, issue_receipt, store_upload


def attach_evidence(
    *,
    session: Session,
    incoming: Incoming,
    campaign_id: int,
    unit_id: int,
    account_id: int,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> Receipt:
    """Store ``incoming`` as evidence for ``subject`` (``deliverable:12``) and issue its receipt."""
    upload = store_upload(
        session=session,
        incoming=incoming,
        purpose=UploadPurpose.evidence,
        campaign_id=campaign_id,
        unit_id=unit_id,
        account_id=account_id,
        subject=subject,
    )
    return issue_receipt(
        session=session,
        campaign_id=campaign_id,
        unit_id=unit_id,
        account_id=account_id,
        kind=UploadPurpose.evidence,
        upload_id=upload.id,
        detail={
            "subject": subject,
            "filename": upload.filename,
            "size": upload.size,
            **(detail or {}),
        },
    )


def evidence_files(
    *, session: Session, campaign_id: int, unit_id: int, subjects: Iterable[str]
) -> dict[str, list[Upload]]:
    """The unit's evidence files by subject, oldest first."""
    wanted = list(dict.fromkeys(subjects))
    found: dict[str, list[Upload]] = {subject: [] for subject in wanted}
    if not wanted:
        return found
    rows = session.exec(
        select(Upload)
        .where(
            Upload.campaign_id == campaign_id,
            Upload.unit_id == unit_id,
            Upload.purpose == UploadPurpose.evidence,
            col(Upload.subject).in_(wanted),
        )
        .order_by(col(Upload.created_at), col(Upload.id))
    ).all()
    for row in rows:
        found[row.subject].append(row)
    return found


def unit_receipt(*, session: Session, unit_id: int, number: str) -> Receipt | None:
    """The unit's receipt with this number (a receipt of another unit is none of its own)."""
    if len(number) > 40:
        return None
    return session.exec(
        select(Receipt).where(Receipt.number == number, Receipt.unit_id == unit_id)
    ).first()
