"""上报率 in the portal: the subtree's table equals `qinglian status --json`, drills down to each
child, names the lagging units and those with missing reports, colours each rate, exports the
same numbers as XLSX, and opens only to the unit's and its ancestors' office, head and admin."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from models.rate import ReportingRate
from qinglian.core import db
from qinglian.oversight.lagging import find_lagging_units
from qinglian.reporting.rate_table import rate_class
from tests.factories import FB, FB_OBSTETRICS, FB_SUPERVISION, JS, LYG, MOH
from tests.portal.conftest import DAY, Portal, set_portal_day

COLUMNS = ("expected", "received", "on_time", "late", "missing", "pending")
# Late in the find phase: the mobilisation deliverables are long overdue everywhere.
LATE_DAY = date(2012, 9, 20)


def status(portal: Portal, unit: str, *extra: str) -> dict[str, Any]:
    result = portal.cli.ok(
        "status",
        str(portal.campaign_id),
        "--json",
        "--as-of",
        DAY.isoformat(),
        "--unit",
        unit,
        *extra,
    )
    return json.loads(result.output)["unit"]


def row_cells(html: str, row_id: str) -> list[str]:
    """The numeric cells of one table row: the counts, then the rate's class and value."""
    found = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', html, re.S)
    assert found, row_id
    return re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', found.group(1))


def row_figures(html: str, row_id: str, *, own_column: bool) -> dict[str, Any]:
    cells = row_cells(html, row_id)[1 if own_column else 0 :]
    found = re.search(rf'<tr id="{re.escape(row_id)}">.*?data-rate="([0-9.]+)"', html, re.S)
    assert found
    return {**dict(zip(COLUMNS, map(int, cells[:6]), strict=True)), "rate": float(found.group(1))}


def expected_figures(rate: dict[str, Any]) -> dict[str, Any]:
    return {**{key: rate[key] for key in COLUMNS}, "rate": round(rate["rate"], 4)}


def nodes(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [document, *document["children"]]


@pytest.mark.parametrize(("viewer", "unit"), [("LYG", LYG), ("JS", LYG), ("JS", JS), ("FB", FB)])
def test_the_table_equals_status_json(portal: Portal, viewer: str, unit: str) -> None:
    document = status(portal, unit)
    page = portal.client(viewer, "office").get(f"/units/{unit}/rates")
    assert page.status_code == 200
    assert "截至 2012-07-20" in page.text
    for node in nodes(document):
        assert row_figures(page.text, f"unit-{node['code']}", own_column=True) == (
            expected_figures(node["subtree"])
        ), node["code"]
        assert row_figures(page.text, f"forms-{node['code']}", own_column=False) == (
            expected_figures(node["forms"]["subtree"])
        ), node["code"]


def test_one_phase_equals_status_json_of_that_phase(portal_db: Portal) -> None:
    portal = portal_db
    document = status(portal, LYG, "--phase", "mobilize")
    page = portal.client("LYG", "admin").get(f"/units/{LYG}/rates?phase=mobilize")
    assert page.status_code == 200 and "<strong>动员部署</strong>" in page.text
    for node in nodes(document):
        assert row_figures(page.text, f"unit-{node['code']}", own_column=True) == (
            expected_figures(node["subtree"])
        )
    assert ("forms" in document) == ('id="forms-rate"' in page.text)
    assert portal.client("LYG", "admin").get(f"/units/{LYG}/rates?phase=nosuch").status_code == 404


def test_each_child_links_to_its_own_table(portal: Portal) -> None:
    client = portal.client("JS", "office")
    campaign = f"campaign={portal.campaign_id}"
    trail = [(JS, LYG), (LYG, FB), (FB, FB_OBSTETRICS)]
    for unit, child in trail:
        page = client.get(f"/units/{unit}/rates?{campaign}")
        assert page.status_code == 200
        links = re.findall(r'<a class="drill" href="([^"]+)"', page.text)
        assert f"/units/{child}/rates?{campaign}" in [link.replace("&amp;", "&") for link in links]
    leaves = re.findall(r'<a class="drill" href="([^"]+)"', client.get(f"/units/{FB}/rates").text)
    # Each child appears in both tables, deliverables and 报告表.
    assert sorted(leaves) == sorted(
        2 * [f"/units/{code}/rates?{campaign}" for code in (FB_OBSTETRICS, FB_SUPERVISION)]
    )
    # A phase chosen stays chosen down the drill.
    page = client.get(f"/units/{JS}/rates?{campaign}&phase=find")
    assert f"/units/{LYG}/rates?{campaign}&amp;phase=find" in page.text


def test_units_behind_and_lagging_are_named(portal: Portal) -> None:
    page = portal.client("LYG", "office").get(f"/units/{LYG}/rates").text
    behind = re.findall(r'<li class="behind-unit">([^（<]+)（([^）]+)）', page)
    document = status(portal, LYG)
    missing = {
        node["code"]
        for node in [document, *document["children"], *document["children"][0]["children"]]
        if node["own"]["missing"] or node["forms"]["own"]["missing"]
    }
    assert missing and {code for _, code in behind} == missing

    set_portal_day(portal.campaign_id, LATE_DAY)
    with db.session_scope() as session:
        lagging = find_lagging_units(
            session=session, campaign_id=portal.campaign_id, as_of=LATE_DAY
        )
    in_lyg = {unit.code for unit in lagging if unit.code.startswith(LYG)}
    assert in_lyg, lagging
    page = portal.client("LYG", "office").get(f"/units/{LYG}/rates").text
    named = set(re.findall(r'<li class="lagging-unit">[^（<]+（([^）]+)）', page))
    assert named == in_lyg
    for code in in_lyg & {FB}:
        assert re.search(rf'<tr id="unit-{code}">.*?工作滞后', page, re.S)
    # The province sees the city's lagging units too; a unit's page names only its subtree.
    province = portal.client("JS", "office").get(f"/units/{JS}/rates").text
    assert named <= set(re.findall(r'<li class="lagging-unit">[^（<]+（([^）]+)）', province))
    fb_page = portal.client("FB", "office").get(f"/units/{FB}/rates").text
    assert LYG not in set(re.findall(r'<li class="lagging-unit">[^（<]+（([^）]+)）', fb_page))


def rate_of(figures: dict[str, Any]) -> ReportingRate:
    return ReportingRate(
        **{key: figures[key] for key in ("expected", "on_time", "late", "missing", "pending")}
    )


def test_each_rate_has_its_colour_class(portal: Portal) -> None:
    document = status(portal, LYG)
    page = portal.client("LYG", "office").get(f"/units/{LYG}/rates").text
    seen = set()
    for node in nodes(document):
        for row_id, figures in (
            (f"unit-{node['code']}", node["subtree"]),
            (f"forms-{node['code']}", node["forms"]["subtree"]),
        ):
            found = re.search(
                rf'<tr id="{row_id}">.*?<td class="num (rate-\w+)" data-rate', page, re.S
            )
            assert found, row_id
            assert found.group(1) == rate_class(rate_of(figures)), row_id
            seen.add(found.group(1))
    # Nothing received of what is due (deliverables), nothing due yet (报告表).
    assert seen == {"rate-bad", "rate-good"}
    assert "≥90% 为良好" in page and "≥60% 为预警" in page


def test_the_workbook_has_the_same_numbers(portal: Portal) -> None:
    document = status(portal, LYG)
    response = portal.client("JS", "office").get(f"/units/{LYG}/rates.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''%E4%B8%8A%E6%8A%A5%E7%8E%87-JS-LYG-2012-07-20.xlsx" in disposition
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    title = str(sheet["A1"].value)
    assert "集中开展落实" in title and "连云港市卫生局" in title and "2012-07-20" in title
    assert sheet["B2"].value == "单位" and sheet["D2"].value.startswith("动员部署等事项")
    assert [sheet.cell(row=3, column=c).value for c in range(4, 11)] == [
        "应报",
        "已报",
        "按时",
        "逾期提交",
        "缺报",
        "未到期",
        "上报率",
    ]
    assert sheet["K2"].value.startswith("《报告表》")
    rows = {sheet.cell(row=r, column=1).value: r for r in range(4, sheet.max_row + 1)}
    for node in nodes(document):
        line = rows[node["code"]]
        for start, rate in ((4, node["subtree"]), (11, node["forms"]["subtree"])):
            values = [sheet.cell(row=line, column=start + i).value for i in range(7)]
            assert values == [*(rate[key] for key in COLUMNS), pytest.approx(rate["rate"])]
            assert sheet.cell(row=line, column=start + 6).number_format == "0.0%"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    notes = [str(sheet.cell(row=r, column=1).value) for r in range(4, sheet.max_row + 1)]
    assert any(note.startswith("有缺报的单位：") and "连云港市妇幼保健院" in note for note in notes)


@pytest.mark.parametrize(
    ("viewer", "role", "unit", "status_code"),
    [
        ("JS", "office", LYG, 200),
        ("JS", "head", FB, 200),
        ("JS", "admin", FB_OBSTETRICS, 200),
        ("LYG", "office", FB, 200),
        ("FB", "office", FB, 200),
        ("FB", "head", FB_SUPERVISION, 200),
        ("LYG", "office", JS, 404),
        ("FB", "office", LYG, 404),
        ("FB", "admin", LYG, 404),
        ("LYG", "head", MOH, 404),
        ("FB", "discipline", FB, 404),
        ("LYG", "discipline", FB, 404),
        ("JS", "discipline", JS, 404),
        ("JS", "office", "NO-SUCH-UNIT", 404),
    ],
)
def test_who_may_open_a_units_rates(
    portal: Portal, viewer: str, role: str, unit: str, status_code: int
) -> None:
    client = portal.client(viewer, role)
    page = client.get(f"/units/{unit}/rates")
    workbook = client.get(f"/units/{unit}/rates.xlsx")
    assert (page.status_code, workbook.status_code) == (status_code, status_code)
    if status_code == 404:
        assert "没有找到该页面或单位" in page.text and unit not in page.text.replace(
            "NO-SUCH-UNIT", ""
        )


def test_the_tab_bar_shows_only_where_the_other_pages_open(portal: Portal) -> None:
    own = portal.client("FB", "office").get(f"/units/{FB}/rates").text
    above = portal.client("LYG", "office").get(f"/units/{FB}/rates").text
    assert 'class="tabs"' in own and f"/units/{FB}/deliverables" in own
    assert 'class="tabs"' not in above and f"/units/{FB}/deliverables" not in above


def test_anonymous_is_sent_to_the_login(portal: Portal) -> None:
    response = portal.anonymous().get(f"/units/{FB}/rates")
    assert response.status_code == 303 and "/login" in response.headers["location"]
