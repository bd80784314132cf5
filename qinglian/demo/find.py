"""The problem-finding phase of the demo: every cadre's 报告表 and every unit's 制度清单.

Most forms come in on time, some late, some never; a handful declare each of the four key
problems, a post-retirement job and a recusal not observed — and some declare near misses
(outside the jurisdiction, approved and unpaid) that must not become findings.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from models.enums import BUSINESS_TYPE_LABELS, BusinessType
from qinglian.declarations.columns import SECTIONS, Section
from qinglian.demo.mobilize import DueItem
from qinglian.demo.tree import DemoUnit, person_name

FIND_STARTS = date(2012, 8, 6)

# Each kind of declared conflict, and how many cadres declare it.
CONFLICTS = {
    "relative_business": 3,
    "relative_foreign_post": 2,
    "concurrent_leadership": 2,
    "unapproved_or_paid_post": 3,
    "recusal_not_observed": 2,
    "near_miss": 6,
}


def demo_forms(
    cadres: list[dict[str, object]],
    units: list[DemoUnit],
    dues: Iterable[DueItem],
    rng: random.Random,
) -> dict[Section, list[list[object]]]:
    """Rows for each sheet of one workbook holding every demo cadre's form."""
    kinds = {unit.code: unit.kind for unit in units}
    due_by_unit = {item.unit_code: item.due_on for item in dues if item.kind == "forms_collected"}
    sheets: dict[Section, list[list[object]]] = {section: [] for section in SECTIONS}
    basics, relatives, posts, retirement, recusals = SECTIONS
    assigned = _assign_conflicts(cadres, kinds, rng)
    for cadre in cadres:
        staff_no, unit_code = str(cadre["工号"]), str(cadre["单位编码"])
        roll = rng.random()
        if roll > 0.94 or unit_code not in due_by_unit:
            continue  # never filed: shows as missing
        due = due_by_unit[unit_code]
        submitted = (
            max(FIND_STARTS, due - timedelta(days=rng.randint(0, 4)))
            if roll < 0.86
            else due + timedelta(days=rng.randint(1, 9))
        )
        conflict = assigned.get(staff_no)
        retired = cadre["是否离退休"] == "是"
        declared = _declare(staff_no, conflict, retired, rng, sheets)
        sheets[basics].append(
            [
                staff_no,
                cadre["姓名"],
                unit_code,
                cadre["职务"],
                cadre["适用类别"],
                "是" if retired else "否",
                "否" if declared else "是",
                submitted,
                submitted,
            ]
        )
    _ = (relatives, posts, retirement, recusals)
    return sheets


def _assign_conflicts(
    cadres: list[dict[str, object]], kinds: dict[str, str], rng: random.Random
) -> dict[str, str]:
    """Which cadres declare what, chosen so every rule has the cadres it applies to."""
    chosen: dict[str, str] = {}
    pools = {
        "concurrent_leadership": [
            c for c in cadres if kinds[str(c["单位编码"])] == "health_admin" and c["适用类别"] == 1
        ],
        "relative_foreign_post": [c for c in cadres if c["适用类别"] in (1, 2, 3)],
    }
    for kind, count in CONFLICTS.items():
        pool = [c for c in pools.get(kind, cadres) if str(c["工号"]) not in chosen]
        for cadre in rng.sample(pool, count):
            chosen[str(cadre["工号"])] = kind
    return chosen


def _declare(
    staff_no: str,
    conflict: str | None,
    retired: bool,
    rng: random.Random,
    sheets: dict[Section, list[list[object]]],
) -> bool:
    """Add the cadre's section rows; returns whether anything was declared."""
    _, relatives, posts, retirement, recusals = SECTIONS
    if retired:  # left office in 2011: a job with a for-profit hospital in the old jurisdiction
        sheets[retirement].append(
            [staff_no, "某民营医院", "营利性医疗卫生机构", "是", date(2012, 3, 1)]
        )
    if conflict == "relative_business":
        sheets[relatives].append(
            [
                staff_no,
                person_name(rng),
                "配偶",
                "某医药贸易有限公司",
                "销售经理",
                BUSINESS_TYPE_LABELS[BusinessType.pharma_sales],
                "是",
            ]
        )
    elif conflict == "relative_foreign_post":
        sheets[relatives].append(
            [
                staff_no,
                person_name(rng),
                "子女",
                "某中外合资制药有限公司",
                "区域总监",
                BUSINESS_TYPE_LABELS[BusinessType.foreign_pharma_senior_post],
                "是",
            ]
        )
    elif conflict == "concurrent_leadership":
        sheets[posts].append(
            [staff_no, "辖区某人民医院", "管辖范围内医疗卫生单位", "院长", "是", "是", "否"]
        )
    elif conflict == "unapproved_or_paid_post":
        paid = rng.random() < 0.5
        sheets[posts].append(
            [
                staff_no,
                "某市医学会",
                "卫生社会组织",
                "副会长",
                "否",
                "是" if paid else "否",
                "是" if paid else "否",
            ]
        )
    elif conflict == "recusal_not_observed":
        sheets[recusals].append(
            [
                staff_no,
                "招投标采购、基建承发包、重大资金拨付",
                "医用设备采购评标",
                date(2012, 5, 8),
                "否",
            ]
        )
    elif conflict == "near_miss":
        sheets[relatives].append(
            [
                staff_no,
                person_name(rng),
                "子女",
                "外省某医疗器械公司",
                "职员",
                BUSINESS_TYPE_LABELS[BusinessType.device_sales],
                "否",
            ]
        )
        sheets[posts].append(
            [staff_no, "省医学会某专科分会", "卫生社会组织", "委员", "否", "是", "否"]
        )
    return retired or conflict is not None


def write_forms_xlsx(sheets: dict[Section, list[list[object]]], path: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for section, rows in sheets.items():
        sheet = workbook.create_sheet(section.sheet)
        sheet.append([column.header for column in section.columns])
        for row in rows:
            sheet.append(row)
    workbook.save(path)


RULES = (
    ("药品和医用耗材采购管理制度", "revise", date(2012, 10, 31)),
    ("干部选拔任用工作回避规定", "draft_new", date(2012, 11, 15)),
    ("职工外出兼职管理办法", "revise", date(2012, 9, 28)),
    ("财务报销审批制度", "keep", None),
)
RULE_LABELS = {"keep": "保留", "revise": "修订", "abolish": "废止", "draft_new": "新建"}


def demo_rules_review(units: list[DemoUnit], rng: random.Random) -> list[dict[str, object]]:
    """Each unit above the departments lists a few rules; most finish on time, some late."""
    rows: list[dict[str, object]] = []
    for unit in units:
        if unit.level == "department" or rng.random() < 0.1:
            continue
        for title, decision, due in rng.sample(RULES, 2):
            done = None
            if due is not None and rng.random() < 0.5:
                done = due - timedelta(days=rng.randint(0, 20))
            rows.append(
                {
                    "单位编码": unit.code,
                    "制度名称": title,
                    "处理意见": RULE_LABELS[decision],
                    "理由": "对照《若干规定》查找可能导致利益冲突的条款",
                    "完成时限": due or "",
                    "完成日期": done if done and done <= date(2012, 8, 31) else "",
                }
            )
    return rows
