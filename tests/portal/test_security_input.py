"""The portal under attack, its input (issue 13): hostile uploads (too large, streamed past
the limit, a zip bomb, a program or a page in disguise, names that climb folders or carry NUL
bytes), script in unit names and narratives, SQL-looking unit codes and NUL bytes in fields.
Each refusal is checked for what it must not do: write a row or a file."""

from __future__ import annotations

import io
import secrets
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from models import Unit
from models.account import Upload
from qinglian.core import db
from qinglian.core.settings import get_settings
from tests.factories import FB, LYG
from tests.portal.conftest import PASSWORD, Portal, PortalClient, csrf_of
from tests.portal.test_security import (
    FORMS,
    UNIT_PAGES,
    assert_security_headers,
    template,
    written,
)
from tests.portal.workbooks import XLSX_TYPE, fill

SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
MB = 1024 * 1024


# --- helpers -------------------------------------------------------------------------------------


def upload(client: PortalClient, data: bytes, name: str = "报告表.xlsx") -> Any:
    return client.post(
        FORMS, data={"csrf_token": client.csrf}, files={"file": (name, data, XLSX_TYPE)}
    )


def raw_upload(client: PortalClient, filename: bytes, data: bytes) -> Any:
    """A multipart upload built by hand, so the file name keeps raw bytes (NUL included)."""
    boundary = secrets.token_hex(16)
    body = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'.encode(),
            client.csrf.encode(),
            f"\r\n--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n',
            f"Content-Type: {XLSX_TYPE}\r\n\r\n".encode(),
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return client.post(
        FORMS, content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )


def zip_bomb() -> bytes:
    """A workbook's parts and one member of zeros expanding past the sniffer's limit."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            zeros = bytes(MB)
            for _ in range(256):
                member.write(zeros)
    return out.getvalue()


# --- uploads -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        b"../../../../etc/passwd.xlsx",
        b"..\\..\\windows\\win.ini.xlsx",
        b"/etc/cron.d/evil.xlsx",
        b"evil\x00.exe.xlsx",
        "报告表\x00/../逃逸.xlsx".encode(),
    ],
    ids=["dot-dot", "backslashes", "absolute", "nul", "nul-and-dot-dot"],
)
def test_a_hostile_file_name_is_stored_and_shown_sanitised(
    portal: Portal, tmp_path: Path, name: bytes
) -> None:
    client = portal.client("FB", "office")
    response = raw_upload(client, name, fill(template(client)))
    assert response.status_code == 303, response.text
    with db.session_scope() as session:
        stored = session.exec(select(Upload)).one()
    shown = stored.filename
    assert shown.endswith(".xlsx") and shown.strip("._")
    assert not set(shown) & {"/", "\\", "\x00"} and ".." not in shown
    page = client.get(FORMS).text
    assert f"<td>{shown}</td>" in page and "\x00" not in page
    files = [p for p in (portal.home / "uploads").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [stored.sha256]
    assert not (tmp_path / "etc").exists() and not Path("/etc/cron.d/evil.xlsx").exists()
    served = client.get(f"/units/{FB}/files/{stored.id}")
    assert served.status_code == 200
    disposition = served.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".." not in disposition
    assert "/" not in disposition.split("filename=", 1)[1].split(";")[0]


@pytest.mark.parametrize("path", [FORMS, f"/api/units/{FB}/forms"], ids=["page", "api"])
def test_a_50_mb_upload_is_413_and_writes_nothing(portal: Portal, path: str) -> None:
    client = portal.client("FB", "office")
    before = written(portal)
    big = b"PK\x03\x04" + bytes(50 * MB)
    response = client.post(
        path,
        data={"csrf_token": client.csrf},
        headers={"X-CSRF-Token": client.csrf},
        files={"file": ("big.xlsx", big, XLSX_TYPE)},
    )
    assert response.status_code == 413
    assert "文件过大" in response.text and "20 MB" in response.text
    assert_security_headers(response)  # the refusal is a page like any other
    assert written(portal) == before


def test_a_streamed_body_past_the_limit_is_413_too(portal: Portal) -> None:
    client = portal.client("FB", "office")
    before = written(portal)

    boundary = secrets.token_hex(16)

    def chunks() -> Any:  # no Content-Length: only counting the body can stop it
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"'
            f"\r\nContent-Type: {XLSX_TYPE}\r\n\r\nPK\x03\x04"
        ).encode()
        for _ in range(30):
            yield bytes(MB)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        f"/api/units/{FB}/forms",
        content=chunks(),
        headers={
            "X-CSRF-Token": client.csrf,
            "content-type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert response.status_code == 413, response.text
    assert written(portal) == before


def test_the_limit_follows_the_setting(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGLIAN_PORTAL_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    client = portal.client("FB", "office")
    before = written(portal)
    response = upload(client, b"PK\x03\x04" + bytes(2 * MB))
    assert response.status_code == 413 and "最大 1 MB" in response.text
    assert written(portal) == before


def program() -> bytes:
    return b"MZ\x90\x00\x03" + bytes(4096)  # a Windows executable's header


def page_with_script() -> bytes:
    return b"<html><script>alert(1)</script></html>"


@pytest.mark.parametrize(
    ("make", "zh"),
    [
        pytest.param(zip_bomb, "压缩炸弹", id="zip-bomb"),
        pytest.param(program, "不是可接受的类型", id="exe"),
        pytest.param(page_with_script, "不是可接受的类型", id="html"),
    ],
)
def test_a_file_in_disguise_is_refused(portal: Portal, make: Callable[[], bytes], zh: str) -> None:
    client = portal.client("FB", "office")
    before = written(portal)
    response = upload(client, make(), name="报告表.xlsx")
    assert response.status_code == 400
    assert zh in response.text and "nothing saved" in response.text
    assert written(portal) == before


# --- script and SQL in what is shown or asked for --------------------------------------------


def test_script_in_a_unit_name_is_escaped_on_every_page(portal: Portal) -> None:
    with db.session_scope() as session:
        unit = session.exec(select(Unit).where(Unit.code == FB)).one()
        unit.name = f"{SCRIPT}连妇保"
        session.add(unit)
    pages = [(portal.client("FB", "office"), f"/units/{FB}{tail}") for tail in UNIT_PAGES]
    city = portal.client("LYG", "admin")  # an admin above sees the subtree
    pages += [(city, f"/units/{LYG}/rates"), (city, f"/units/{FB}"), (city, f"/units/{FB}/forms")]
    for client, path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.text, path
        assert ESCAPED in page.text, path


def test_script_in_a_narrative_is_escaped_wherever_it_is_shown(portal: Portal) -> None:
    client = portal.client("FB", "office")
    posted = client.post(
        f"/units/{FB}/summaries/mobilize",
        data={"csrf_token": client.csrf, "text": f"总结{SCRIPT}完"},
    )
    assert posted.status_code == 303
    readers = [client, portal.client("LYG", "admin")]
    for reader in readers:
        for tail in UNIT_PAGES:
            page = reader.get(f"/units/{FB}{tail}")
            assert page.status_code == 200 and SCRIPT not in page.text, tail
    assert ESCAPED in client.get(f"/units/{FB}/summaries").text


@pytest.mark.parametrize(
    "path",
    [
        "/units/' OR '1'='1",
        "/units/' OR '1'='1/forms",
        "/units/JS%00",
        "/units/JS-LYG-FB%00/forms",
        "/units/JS-LYG-FB'--/summaries",
        "/units/%25",
        "/api/units/' OR 1=1 --/status",
        "/api/units/JS%00/forms/template.xlsx",
    ],
)
def test_sql_looking_codes_are_not_found(portal_db: Portal, path: str) -> None:
    portal = portal_db
    client = portal.client("FB", "office")
    before = written(portal)
    response = client.get(path)
    assert response.status_code == 404
    body = response.text
    assert "没有找到该页面或单位" in body
    for leak in ("Traceback", "SELECT", "sqlalchemy", "psycopg", "连妇保"):
        assert leak not in body, leak
    assert written(portal) == before


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/login", {"login": "fb-office\x00", "password": PASSWORD}),
        ("/api/login", {"login": "fb\x00", "password": PASSWORD}),
        (f"/units/{FB}/summaries/mobilize", {"text": "总结\x00完"}),
        (f"/units/{FB}/summaries/mobi%00lize", {"text": "总结"}),
        (f"/units/{FB}/deliverables/leading-group", {"leaders": "甲\x00", "office": "办"}),
    ],
    ids=["login-form", "api-login", "narrative", "phase-key", "leading-group"],
)
def test_a_nul_byte_in_a_field_is_never_a_server_error(
    portal_db: Portal, path: str, fields: dict[str, str]
) -> None:
    portal = portal_db
    client = portal.client("FB", "office")
    before = written(portal)
    if path == "/api/login":
        response = portal.anonymous().post(path, json=fields)
    elif path == "/login":
        anonymous = portal.anonymous()
        token = csrf_of(anonymous.get("/login").text)
        response = anonymous.post(path, data={**fields, "csrf_token": token})
    else:
        response = client.post(path, data={**fields, "csrf_token": client.csrf})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert written(portal) == before
