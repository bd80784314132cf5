"""阶段性总结 in the portal: a narrative written or handed in as .docx/.txt, submitted upward with
a receipt; what was written is escaped on the page; refusals write nothing."""

from __future__ import annotations

import io
import re
from datetime import date

from docx import Document
from sqlmodel import select

from models.account import Receipt, Upload
from models.enums import UploadPurpose
from models.summary import PhaseSummary
from tests.factories import FB, LYG
from tests.portal.conftest import Portal

PAGE = f"/units/{FB}/summaries"
NARRATIVE = "我院成立领导小组，召开动员大会，组织全院学习《若干规定》。"


def narrative_row(portal: Portal) -> PhaseSummary:
    with portal.cli.session() as session:
        return session.exec(select(PhaseSummary)).one()


def docx_bytes(*paragraphs: str) -> bytes:
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_one_section_per_phase_with_its_deadline(portal: Portal) -> None:
    page = portal.client("FB", "office").get(PAGE)
    assert page.status_code == 200
    for phase in ("mobilize", "find", "rectify", "summarize"):
        assert f'id="phase-{phase}"' in page.text
    assert "截止日期" in page.text and "尚未提交总结正文" in page.text


def test_a_written_narrative_is_submitted_with_a_receipt(portal_db: Portal) -> None:
    portal = portal_db
    client = portal.client("FB", "office")
    response = client.post(
        f"{PAGE}/mobilize", data={"csrf_token": client.csrf, "text": NARRATIVE, "on": "2012-07-19"}
    )
    assert response.status_code == 303
    number = re.search(r"receipt=(HZ[0-9A-Z-]+)", response.headers["location"])
    assert number
    page = client.get(response.headers["location"])
    assert number.group(1) in page.text and NARRATIVE in page.text and "按时" in page.text
    row = narrative_row(portal)
    assert row.narrative == NARRATIVE and row.narrative_by == "fb-office"
    assert row.submitted_on == date(2012, 7, 19)
    with portal.cli.session() as session:
        receipt = session.exec(select(Receipt)).one()
    assert receipt.kind == UploadPurpose.summary and receipt.detail["phase"] == "mobilize"
    shown = portal.cli.ok("summary", "show", str(portal.campaign_id), "--unit", FB)
    assert NARRATIVE in shown.output


def test_a_script_in_a_narrative_is_escaped(portal: Portal) -> None:
    client = portal.client("FB", "office")
    text = "总结<script>alert('x')</script>完"
    response = client.post(f"{PAGE}/mobilize", data={"csrf_token": client.csrf, "text": text})
    assert response.status_code == 303
    page = client.get(PAGE).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_a_word_document_becomes_the_narrative(portal: Portal) -> None:
    client = portal.client("FB", "office")
    data = docx_bytes("一、工作开展情况", "二、下一步打算")
    response = client.post(
        f"{PAGE}/mobilize",
        data={"csrf_token": client.csrf},
        files={"file": ("总结.docx", data, "application/octet-stream")},
    )
    assert response.status_code == 303, response.text
    assert narrative_row(portal).narrative == "一、工作开展情况\n二、下一步打算"
    with portal.cli.session() as session:
        upload = session.exec(select(Upload)).one()
        receipt = session.exec(select(Receipt)).one()
    assert upload.purpose == UploadPurpose.summary and upload.subject == "summary:mobilize"
    assert receipt.upload_id == upload.id


def test_a_gb18030_text_file_becomes_the_narrative(portal: Portal) -> None:
    client = portal.client("FB", "office")
    response = client.post(
        f"{PAGE}/mobilize",
        data={"csrf_token": client.csrf},
        files={"file": ("总结.txt", NARRATIVE.encode("gb18030"), "text/plain")},
    )
    assert response.status_code == 303, response.text
    assert narrative_row(portal).narrative == NARRATIVE


def test_resubmitting_replaces_the_text_and_keeps_the_first_date(portal: Portal) -> None:
    client = portal.client("FB", "office")
    for text, on in (("初稿", "2012-07-18"), (NARRATIVE, "2012-07-20")):
        response = client.post(
            f"{PAGE}/mobilize", data={"csrf_token": client.csrf, "text": text, "on": on}
        )
        assert response.status_code == 303
    row = narrative_row(portal)
    assert row.narrative == NARRATIVE and row.submitted_on == date(2012, 7, 18)
    assert "已更新" in client.get(response.headers["location"]).text


def test_refused_submissions_write_nothing(portal: Portal) -> None:
    client = portal.client("FB", "office")
    cases = [
        ("mobilize", {"text": NARRATIVE, "on": "2012-07-21"}, "晚于今天"),
        ("find", {"text": NARRATIVE}, "早于查找问题阶段开始"),
        ("mobilize", {"text": " \u200b "}, "内容为空"),
        ("mobilize", {"text": "长" * 20_001}, "过长"),
    ]
    for phase, data, message in cases:
        before = portal.cli.dump()
        response = client.post(f"{PAGE}/{phase}", data={"csrf_token": client.csrf, **data})
        assert response.status_code == 400, (phase, data)
        assert message in response.text and 'id="phase-mobilize"' in response.text
        assert portal.cli.dump() == before


def test_an_unreadable_file_is_refused(portal: Portal) -> None:
    client = portal.client("FB", "office")
    before = portal.cli.dump()
    response = client.post(
        f"{PAGE}/mobilize",
        data={"csrf_token": client.csrf},
        files={"file": ("总结.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
    )
    assert response.status_code == 400
    assert "不是可接受的类型" in response.text
    assert portal.cli.dump() == before


def test_no_phase_other_unit_or_discipline_is_not_found(portal: Portal) -> None:
    office = portal.client("FB", "office")
    discipline = portal.client("FB", "discipline")
    before = portal.cli.dump()
    for client, path in (
        (office, f"{PAGE}/nosuchphase"),
        (office, f"/units/{LYG}/summaries/mobilize"),
        (discipline, f"{PAGE}/mobilize"),
    ):
        response = client.post(path, data={"csrf_token": client.csrf, "text": NARRATIVE})
        assert response.status_code == 404, path
    assert portal.cli.dump() == before
    assert discipline.get(PAGE).status_code == 404
