"""Receipts (回执): a number for every accepted submission, which the unit keeps."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from models.account import Receipt
from models.enums import UploadPurpose

# No 0/O, 1/I: a receipt number is read out on the telephone.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def receipt_number(day: datetime) -> str:
    """``HZ20120720-7KQ3M9XA``: the day received and 40 random bits."""
    return f"HZ{day:%Y%m%d}-{''.join(secrets.choice(_ALPHABET) for _ in range(8))}"


def issue_receipt(
    *,
    session: Session,
    campaign_id: int,
    unit_id: int,
    account_id: int,
    kind: UploadPurpose,
    upload_id: int | None,
    detail: dict[str, Any],
) -> Receipt:
    row = Receipt(
        number=receipt_number(datetime.now(UTC)),
        campaign_id=campaign_id,
        unit_id=unit_id,
        account_id=account_id,
        kind=kind,
        upload_id=upload_id,
        detail=detail,
    )
    session.add(row)
    session.flush()
    return row
