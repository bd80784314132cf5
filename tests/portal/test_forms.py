"""The 报告表 page: download the unit's pre-filled workbook, upload it filled in (all or
nothing), the receipt (回执), amendments, and another unit's workbook refused."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.exchange.legacy_files import xls_copy
from tests.portal.conftest import Portal, PortalClient
from tests.portal.workbooks import RELATIVE, XLSX_TYPE, fill, staff_numbers

FB = "JS-LYG-FB"
FORMS = f"/units/{FB}/forms"


def template_of(client: PortalClient, code: str = FB) -> bytes:
    response = client.get(f"/units/{code}/forms/template.xlsx")
    assert response.status_code == 200, response.text
    return response.content


def upload(
    client: PortalClient, data: bytes, *, reason: str = "", name: str = "报告表.xlsx"
) -> object:
    return client.post(
        FORMS,
        data={"csrf_token": client.csrf, "reason": reason},
        files={"file": (name, data, XLSX_TYPE)},
    )


def receipt_of(response: object) -> str:
    location = response.headers["location"]  # type: ignore[attr-defined]
    found = re.search(r"receipt=(HZ\d{8}-[A-Z0-9]{8})", location)
    assert found, location
    return found.group(1)


def test_the_template_is_the_units_own_prefilled_workbook(portal: Portal) -> None:
    client = portal.client("FB", "office")
    response = client.get(f"{FORMS}/template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX_TYPE
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert encoded and unquote(encoded.group(1)) == f"报告表-{FB}.xlsx"
    # Its own in-scope cadres only: not the department's head, not the city's leader.
    assert staff_numbers(response.content) == ["FB001", "FB002", "FB003"]


def test_upload_gives_a_receipt_and_the_forms_count_on_time(portal: Portal) -> None:
    client = portal.client("FB", "office")
    response = upload(client, fill(template_of(client)))
    assert response.status_code == 303
    receipt = receipt_of(response)
    page = client.get(response.headers["location"]).text
    assert f'<strong class="receipt">{receipt}</strong>' in page
    assert "新提交 3 份" in page
    tasks = client.get(f"/units/{FB}").text
    row = re.search(
        r"<tr[^>]*>\s*<td>查找问题</td>\s*<td>收齐《报告表》并上报</td>.*?</tr>", tasks, re.S
    )
    assert row and 'class="status-on_time">按时' in row.group(0)
    assert "本单位干部的报告表已全部收齐" in tasks
    # The file is kept with the receipt, listed on the page.
    listed = client.get(FORMS).text
    assert receipt in listed and "报告表.xlsx" in listed


@pytest.mark.parametrize("name", ["报告表.xls", "报告表.et"])
def test_an_old_excel_or_wps_workbook_is_taken_like_an_xlsx(
    portal: Portal, tmp_path: Path, name: str
) -> None:
    """Filled in and saved as Excel 97–2003 (or by WPS as .et): read by content, same receipt."""
    client = portal.client("FB", "office")
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill(template_of(client)))
    old = xls_copy(filled, tmp_path / name).read_bytes()
    response = upload(client, old, name=name)
    assert response.status_code == 303, getattr(response, "text", "")
    receipt = receipt_of(response)
    page = client.get(response.headers["location"]).text
    assert "新提交 3 份" in page
    assert receipt in client.get(FORMS).text


def test_a_broken_workbook_lists_every_error_and_writes_nothing(portal: Portal) -> None:
    client = portal.client("FB", "office")
    before = portal.cli.counts()
    broken = fill(template_of(client), on="2012-02-30", rows=2)
    response = upload(client, broken)
    assert response.status_code == 422
    assert portal.cli.counts() == before
    cells = re.findall(
        r"<tr><td>报告表\.xlsx</td><td>(.*?)</td><td>(\d+)</td><td>(.*?)</td>", response.text
    )
    assert ("基本情况", "2", "填报日期") in cells and ("基本情况", "3", "填报日期") in cells
    assert "未导入任何数据" in response.text and "nothing imported" in response.text


def test_an_amendment_asks_for_the_reason(portal: Portal) -> None:
    client = portal.client("FB", "office")
    template = template_of(client)
    assert upload(client, fill(template)).status_code == 303
    before = portal.cli.counts()
    changed = fill(template, nothing="否", relatives=[RELATIVE], rows=1)
    asked = upload(client, changed)
    assert asked.status_code == 400
    assert "修改原因" in asked.text and "施庆喜（FB001）" in asked.text
    assert "required autofocus" in asked.text
    assert portal.cli.counts() == before
    amended = upload(client, changed, reason="补报配偶从业情况")
    assert amended.status_code == 303
    page = client.get(amended.headers["location"]).text
    assert "修改 1 份" in page and "补报配偶从业情况" in page


def test_another_units_workbook_is_refused_naming_that_unit(portal: Portal) -> None:
    city = portal.client("LYG", "office")
    theirs = fill(template_of(city, "JS-LYG"))
    client = portal.client("FB", "office")
    before = portal.cli.counts()
    response = upload(client, theirs)
    assert response.status_code == 400
    assert "JS-LYG" in response.text and "连云港市卫生局" in response.text
    assert "LYG001" in response.text
    assert portal.cli.counts() == before


@pytest.mark.parametrize(
    ("data", "zh"),
    [
        pytest.param(b"", "文件是空的", id="empty"),
        pytest.param(b"PK\x03\x04 not really a workbook", "不是可接受的类型", id="corrupt"),
        pytest.param("工号,姓名\nFB001,施庆喜\n".encode(), "不是可接受的类型", id="csv"),
    ],
)
def test_an_empty_or_corrupt_file_is_one_clear_message(
    portal: Portal, data: bytes, zh: str
) -> None:
    client = portal.client("FB", "office")
    before = portal.cli.counts()
    response = upload(client, data)
    assert response.status_code == 400
    assert zh in response.text and "nothing saved" in response.text
    assert response.text.count('class="error"') == 1
    assert portal.cli.counts() == before


def test_a_blank_template_is_not_a_submission(portal: Portal) -> None:
    client = portal.client("FB", "office")
    before = portal.cli.counts()
    response = upload(client, template_of(client))
    assert response.status_code == 400
    assert "没有填写任何报告表" in response.text
    assert portal.cli.counts() == before


def test_a_receipt_is_shown_only_to_its_unit(portal: Portal) -> None:
    client = portal.client("FB", "office")
    receipt = receipt_of(upload(client, fill(template_of(client))))
    city = portal.client("LYG", "office")
    page = city.get(f"/units/JS-LYG/forms?receipt={receipt}").text
    assert receipt not in page
    assert "尚未上传过报告表" in page


def test_without_csrf_or_outside_scope_nothing_is_written(portal: Portal) -> None:
    client = portal.client("FB", "office")
    data = fill(template_of(client))
    discipline, city = portal.client("FB", "discipline"), portal.client("LYG", "office")
    before = portal.cli.counts()
    no_token = client.post(FORMS, files={"file": ("a.xlsx", data, XLSX_TYPE)})
    assert no_token.status_code == 403
    assert upload(discipline, data).status_code == 404
    assert city.get(f"{FORMS}/template.xlsx").status_code == 404
    assert upload(city, data).status_code == 404
    assert portal.cli.counts() == before
