"""An office's day in a real browser (issue 13): log in through the form, download the unit's
报告表, fill it in with openpyxl as Excel would, upload it through the page, keep the receipt
(回执), see the forms counted 按时 on 我的任务; a broken workbook lists its errors by sheet, row
and column and writes nothing.

Headless Chromium against ``qinglian portal`` running as a real uvicorn process; the session
cookie is ``Secure``, which Chromium accepts on http://127.0.0.1 (a secure context)."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page

from tests.portal.browser import LivePortal, browser, live_portal, page  # noqa: F401  (fixtures)
from tests.portal.conftest import PASSWORD
from tests.portal.workbooks import fill

FB = "JS-LYG-FB"
FORMS = f"/units/{FB}/forms"
UNKNOWN_ROW = 5  # after the header and the unit's three cadres


def log_in_through_the_form(tab: Page, live: LivePortal, target: str) -> None:
    tab.goto(live.url(target))
    assert "/login?next=" in tab.url
    tab.fill('input[name="login"]', "fb-office")
    tab.fill('input[name="password"]', PASSWORD)
    with tab.expect_navigation():
        tab.click('button:has-text("登录")')
    assert tab.url == live.url(target)
    cookies = {c["name"]: c for c in tab.context.cookies()}
    session = cookies["qinglian_session"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"


def download_template(tab: Page, folder: Path) -> bytes:
    with tab.expect_download() as download:
        tab.click("a.download")
    assert download.value.suggested_filename == f"报告表-{FB}.xlsx"
    saved = folder / "template.xlsx"
    download.value.save_as(saved)
    return saved.read_bytes()


def with_unknown_cadre(workbook: bytes) -> bytes:
    """The workbook with one more 基本情况 row, for a 工号 the unit does not have."""
    book = load_workbook(io.BytesIO(workbook))
    basics = book["基本情况"]
    assert basics.max_row + 1 == UNKNOWN_ROW
    basics.append(["ZZ999", "无名氏", FB, "主任", 4, "否", "是", date(2012, 7, 19)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload_through_the_page(tab: Page, path: Path) -> None:
    tab.set_input_files('input[name="file"]', str(path))
    with tab.expect_navigation():
        tab.click('button:has-text("上传")')


def test_an_office_downloads_fills_and_uploads_its_forms(
    live_portal: LivePortal,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    log_in_through_the_form(page, live_portal, FORMS)
    assert page.title().startswith("报告表")
    template = download_template(page, tmp_path)

    filled = tmp_path / "报告表-已填.xlsx"
    filled.write_bytes(fill(template))
    upload_through_the_page(page, filled)
    receipt = page.text_content("strong.receipt") or ""
    assert re.fullmatch(r"HZ\d{8}-[A-Z0-9]{8}", receipt), receipt
    assert "新提交 3 份" in (page.text_content("p.ok") or "")
    assert receipt in (page.text_content("table.receipts") or "")

    page.click('nav.tabs a:has-text("我的任务")')
    assert page.url.startswith(live_portal.url(f"/units/{FB}"))
    row = page.locator("tr", has=page.locator('td:text-is("收齐《报告表》并上报")'))
    assert row.locator("td.status-on_time").text_content() == "按时"
    # The forms' rate: expected, received, on time, late, missing, pending.
    rate = page.locator("table.forms-rate tbody td").all_text_contents()
    assert [cell.strip() for cell in rate] == ["3", "3", "3", "0", "0", "0"]
    assert "本单位干部的报告表已全部收齐" in (page.text_content("main") or "")


def test_a_broken_workbook_shows_each_error_in_the_page(
    live_portal: LivePortal,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    log_in_through_the_form(page, live_portal, FORMS)
    template = download_template(page, tmp_path)
    broken = tmp_path / "报告表-有误.xlsx"
    broken.write_bytes(with_unknown_cadre(fill(template, on="2012-02-30", rows=1)))
    before = live_portal.portal.cli.counts()

    upload_through_the_page(page, broken)
    assert "未导入任何数据" in (page.text_content("p.error") or "")
    cells = [
        tuple(cell.strip() for cell in row.locator("td").all_text_contents()[:4])
        for row in page.locator("table.errors tbody tr").all()
    ]
    assert (broken.name, "基本情况", "2", "填报日期") in cells
    assert (broken.name, "基本情况", str(UNKNOWN_ROW), "工号") in cells
    assert page.locator("strong.receipt").count() == 0
    assert live_portal.portal.cli.counts() == before
