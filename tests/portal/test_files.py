"""A stored upload served back: to a user who may see its unit, as an attachment with safe
headers and a type from the allow-list; anything else, or another unit's upload, is a 404."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlmodel import select

from models import Deliverable, Unit
from models.account import Upload
from qinglian.core import db
from tests.factories import FB, LYG
from tests.portal.conftest import Portal

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML_BYTES = "<html><script>alert(1)</script>通知</html>\n".encode()


def deliverable_id(portal: Portal, unit: str, kind: str) -> int:
    with portal.cli.session() as session:
        found = session.exec(
            select(Deliverable.id)
            .join(Unit, Unit.id == Deliverable.unit_id)  # type: ignore[arg-type]
            .where(Unit.code == unit, Deliverable.kind == kind)
        ).first()
    assert found is not None
    return found


def upload(portal: Portal, unit: str, short: str, name: str, data: bytes, kind: str) -> Upload:
    """A file attached as evidence through the deliverables page, as its office does."""
    client = portal.client(short, "office")
    item = deliverable_id(portal, unit, kind)
    response = client.post(
        f"/units/{unit}/deliverables/{item}/evidence",
        data={"csrf_token": client.csrf},
        files={"file": (name, data, "application/octet-stream")},
    )
    assert response.status_code == 303, response.text
    with portal.cli.session() as session:
        return session.exec(select(Upload).order_by(Upload.id.desc())).first()  # type: ignore[union-attr]


def set_media_type(upload_id: int, media_type: str) -> None:
    with db.session_scope() as session:
        row = session.get(Upload, upload_id)
        assert row is not None
        row.media_type = media_type
        session.add(row)


def test_a_stored_file_is_served_as_an_attachment(portal: Portal) -> None:
    stored = upload(portal, FB, "FB", "实施方案.pdf", PDF_BYTES, "implementation_plan")
    response = portal.client("FB", "office").get(f"/units/{FB}/files/{stored.id}")
    assert response.status_code == 200
    assert response.content == PDF_BYTES
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert f"filename*=UTF-8''{quote('实施方案.pdf')}" in disposition
    assert "sandbox" in response.headers["content-security-policy"]
    # The unit's head and an admin above may read it too; a discipline account has no unit
    # pages yet (its case desk comes with the confidentiality work).
    for short, role in (("FB", "head"), ("LYG", "admin")):
        again = portal.client(short, role).get(f"/units/{FB}/files/{stored.id}")
        assert (again.status_code, again.content) == (200, PDF_BYTES), (short, role)
    assert (
        portal.client("FB", "discipline").get(f"/units/{FB}/files/{stored.id}").status_code == 404
    )


def test_text_is_served_as_utf8_plain_text(portal: Portal) -> None:
    data = "会议纪要：全院动员大会\n".encode()
    stored = upload(portal, FB, "FB", "纪要.txt", data, "mobilization_meeting")
    response = portal.client("FB", "office").get(f"/units/{FB}/files/{stored.id}")
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_another_units_upload_and_unknown_ids_are_not_found(portal: Portal) -> None:
    theirs = upload(portal, LYG, "LYG", "方案.pdf", PDF_BYTES, "implementation_plan")
    mine = upload(portal, FB, "FB", "方案.pdf", PDF_BYTES, "implementation_plan")
    client = portal.client("FB", "office")
    for path in (
        f"/units/{FB}/files/{theirs.id}",  # another unit's upload under my unit
        f"/units/{LYG}/files/{theirs.id}",  # a unit out of my scope
        f"/units/{LYG}/files/{mine.id}",  # my upload under a unit out of scope
        f"/units/{FB}/files/999999",
        f"/units/NO-SUCH/files/{mine.id}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "没有找到该页面或单位" in response.text
        assert response.content != PDF_BYTES
    # An upper level's office sees rates, not its children's files.
    assert portal.client("LYG", "office").get(f"/units/{FB}/files/{mine.id}").status_code == 404
    assert portal.anonymous().get(f"/units/{FB}/files/{mine.id}").status_code == 303


@pytest.mark.parametrize(
    "media_type",
    [
        "text/html",
        "TEXT/HTML; charset=utf-8",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/javascript",
        "application/x-msdownload",
        "",
    ],
)
def test_a_stored_html_type_is_never_served_as_such(portal: Portal, media_type: str) -> None:
    # Stored as text; the row then says otherwise (an older row, or a tampered one).
    stored = upload(portal, FB, "FB", "页面.html", HTML_BYTES, "implementation_plan")
    assert stored.media_type == "text/plain"
    set_media_type(stored.id or 0, media_type)
    response = portal.client("FB", "office").get(f"/units/{FB}/files/{stored.id}")
    assert response.status_code == 200 and response.content == HTML_BYTES
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith(".html.bin")


def test_a_name_is_given_the_suffix_of_its_type(portal: Portal) -> None:
    stored = upload(portal, FB, "FB", "页面.html", HTML_BYTES, "implementation_plan")
    response = portal.client("FB", "office").get(f"/units/{FB}/files/{stored.id}")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"].endswith(f"''{quote('页面.html.txt')}")


def test_a_missing_stored_file_is_not_found(portal: Portal) -> None:
    stored = upload(portal, FB, "FB", "实施方案.pdf", PDF_BYTES, "implementation_plan")
    path = portal.home / "uploads" / stored.sha256[:2] / stored.sha256
    path.chmod(0o600)
    path.unlink()
    assert portal.client("FB", "office").get(f"/units/{FB}/files/{stored.id}").status_code == 404
