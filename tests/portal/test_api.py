"""The scripts' API: JSON login, the unit's status (the CLI's own JSON), the template and the
upload with its receipt or its errors."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.portal.conftest import DAY, PASSWORD, Portal
from tests.portal.workbooks import XLSX_TYPE, fill, staff_numbers

FB = "JS-LYG-FB"


def api_client(portal: Portal, login: str = "fb-office") -> tuple[TestClient, str]:
    client = portal.anonymous()
    response = client.post("/api/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "qinglian_session" in client.cookies
    return client, body["csrf_token"]


def test_login_answers_json_with_the_csrf_token(portal: Portal) -> None:
    client = portal.anonymous()
    response = client.post("/api/login", json={"login": "fb-office", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["login"] == "fb-office" and body["role"] == "office"
    assert body["unit"] == {"code": FB, "name": "连云港市妇幼保健院"}
    assert len(body["csrf_token"]) > 20
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie


def test_login_refuses_wrong_passwords_and_other_content_types(portal: Portal) -> None:
    client = portal.anonymous()
    wrong = client.post("/api/login", json={"login": "fb-office", "password": "nope-nope"})
    assert wrong.status_code == 401
    assert set(wrong.json()) == {"zh", "en"} and "登录名或密码错误" in wrong.json()["zh"]
    form = client.post("/api/login", data={"login": "fb-office", "password": PASSWORD})
    assert form.status_code == 415 and form.json()["en"]
    assert (
        client.post(
            "/api/login", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert "qinglian_session" not in client.cookies


def test_without_a_session_the_api_answers_401(portal: Portal) -> None:
    client = portal.anonymous()
    response = client.get(f"/api/units/{FB}/status")
    assert response.status_code == 401 and set(response.json()) == {"zh", "en"}


def test_status_is_the_clis_json_for_the_same_day(portal: Portal) -> None:
    client, _csrf = api_client(portal)
    response = client.get(f"/api/units/{FB}/status", params={"campaign": portal.campaign_id})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    cli = portal.cli.ok(
        "status", str(portal.campaign_id), "--json", "--unit", FB, "--as-of", DAY.isoformat()
    ).stdout
    assert response.text == cli
    document = json.loads(response.text)
    assert document["schema"] == "qinglian.status/1" and document["as_of"] == "2012-07-20"
    phase = client.get(f"/api/units/{FB}/status", params={"phase": "find"})
    cli_phase = portal.cli.ok(
        "status",
        str(portal.campaign_id),
        "--json",
        "--unit",
        FB,
        "--as-of",
        DAY.isoformat(),
        "--phase",
        "find",
    ).stdout
    assert phase.text == cli_phase
    assert client.get(f"/api/units/{FB}/status", params={"phase": "nope"}).status_code in {400, 404}
    assert client.get("/api/units/JS-LYG/status").status_code == 404


def test_template_upload_and_receipt(portal: Portal) -> None:
    client, csrf = api_client(portal)
    template = client.get(f"/api/units/{FB}/forms/template.xlsx")
    assert template.status_code == 200 and template.headers["content-type"] == XLSX_TYPE
    assert staff_numbers(template.content) == ["FB001", "FB002", "FB003"]
    data = fill(template.content)
    files = {"file": ("报告表.xlsx", data, XLSX_TYPE)}
    assert client.post(f"/api/units/{FB}/forms", files=files).status_code == 403  # no CSRF
    response = client.post(f"/api/units/{FB}/forms", files=files, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["receipt"].startswith("HZ") and body["file"] == "报告表.xlsx"
    assert (body["created"], body["amended"], body["on_time"], body["late"]) == (3, 0, 3, 0)
    status = client.get(f"/api/units/{FB}/status").json()
    assert status["unit"]["forms"]["own"]["on_time"] == 3
    assert status["missing_forms"] == []


def test_a_broken_upload_is_422_with_every_cell(portal: Portal) -> None:
    client, csrf = api_client(portal)
    before = portal.cli.counts()
    template = client.get(f"/api/units/{FB}/forms/template.xlsx").content
    response = client.post(
        f"/api/units/{FB}/forms",
        files={"file": ("bad.xlsx", fill(template, on="2012-02-30", rows=1), XLSX_TYPE)},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["zh"] and body["en"]
    assert {"file": "bad.xlsx", "sheet": "基本情况", "row": 2, "column": "填报日期"} in [
        {key: error[key] for key in ("file", "sheet", "row", "column")} for error in body["errors"]
    ]
    assert all(error["zh"] and error["en"] for error in body["errors"])
    assert portal.cli.counts() == before


def test_other_refusals_are_400_and_out_of_scope_404(portal: Portal) -> None:
    client, csrf = api_client(portal)
    headers = {"X-CSRF-Token": csrf}
    empty = client.post(
        f"/api/units/{FB}/forms", files={"file": ("a.xlsx", b"", XLSX_TYPE)}, headers=headers
    )
    assert empty.status_code == 400 and "文件是空的" in empty.json()["zh"]
    city, _ = api_client(portal, "lyg-office")
    theirs = fill(city.get("/api/units/JS-LYG/forms/template.xlsx").content)
    refused = client.post(
        f"/api/units/{FB}/forms", files={"file": ("a.xlsx", theirs, XLSX_TYPE)}, headers=headers
    )
    assert refused.status_code == 400 and "连云港市卫生局" in refused.json()["zh"]
    outside = client.post(
        "/api/units/JS-LYG/forms", files={"file": ("a.xlsx", theirs, XLSX_TYPE)}, headers=headers
    )
    assert outside.status_code == 404


def test_logout_ends_the_session(portal: Portal) -> None:
    client, csrf = api_client(portal)
    assert client.post("/api/logout").status_code == 403
    assert client.post("/api/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get(f"/api/units/{FB}/status").status_code == 401
