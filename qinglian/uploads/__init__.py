"""Files the portal accepts: read with a size limit, typed from their content (never the
extension), stored once by content hash, and acknowledged with a receipt (回执)."""

from qinglian.uploads.receipts import issue_receipt
from qinglian.uploads.sniff import (
    DOCX,
    EVIDENCE_TYPES,
    JPEG,
    PDF,
    PNG,
    TEXT,
    XLS,
    XLSX,
    detect_type,
)
from qinglian.uploads.store import Incoming, read_upload, store_upload, stored_bytes, upload_path

__all__ = [
    "DOCX",
    "EVIDENCE_TYPES",
    "JPEG",
    "PDF",
    "PNG",
    "TEXT",
    "XLS",
    "XLSX",
    "Incoming",
    "detect_type",
    "issue_receipt",
    "read_upload",
    "store_upload",
    "stored_bytes",
    "upload_path",
]
