"""The demo's org tree and cadres, written as the exchange files an office would import."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from qinglian.org.import_units import UNIT_COLUMNS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国华明丽红军平海燕玉英文杰志强秀兰桂芳伟敏静洁磊涛斌超鹏飞宇浩然晨曦佳琪子涵雨欣梓萱思远博文嘉怡俊杰欣怡"
DEPARTMENTS = (
    "院办公室",
    "监察室",
    "医务科",
    "内科",
    "外科",
    "妇产科",
    "儿科",
    "医学检验科",
    "药剂科",
)


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    level: str
    kind: str
    parent: str | None
    alias: str = ""


def demo_units() -> list[DemoUnit]:
    """卫生部 → 3 provinces → cities → counties → hospitals/clinics → departments."""
    units = [DemoUnit("MOH", "卫生部", "ministry", "health_admin", None)]

    def add(code: str, name: str, level: str, kind: str, parent: str, alias: str = "") -> str:
        units.append(DemoUnit(code, name, level, kind, parent, alias))
        return code

    def hospital(code: str, name: str, parent: str, departments: int, alias: str = "") -> None:
        add(code, name, "institution", "public_medical", parent, alias)
        for index, department in enumerate(DEPARTMENTS[:departments], start=1):
            add(f"{code}-D{index:02d}", f"{name}{department}", "department", "public_medical", code)

    nm = add("NM", "内蒙古自治区卫生厅", "province", "health_admin", "MOH", "内蒙古卫生厅")
    hospital("NM-YXY", "内蒙古医学院附属医院", nm, 5, "内医附院")
    for city_code, city, counties in (
        ("NM-HHHT", "呼和浩特市卫生局", (("SH", "赛罕区"), ("HL", "和林格尔县"))),
        ("NM-BT", "包头市卫生局", (("KDL", "昆都仑区"), ("GY", "固阳县"))),
        ("NM-CF", "赤峰市卫生局", (("HS", "红山区"),)),
    ):
        add(city_code, city, "city", "health_admin", nm)
        hospital(f"{city_code}-FY", city.replace("卫生局", "妇幼保健院"), city_code, 4)
        for county_code, county in counties:
            code = add(
                f"{city_code}-{county_code}", f"{county}卫生局", "county", "health_admin", city_code
            )
            hospital(f"{code}-RM", f"{county}人民医院", code, 4)
            hospital(f"{code}-WSY", f"{county}中心卫生院", code, 2)

    js = add("JS", "江苏省卫生厅", "province", "health_admin", "MOH", "江苏卫生厅")
    lyg = add("JS-LYG", "连云港市卫生局", "city", "health_admin", js, "连卫")
    hospital("JS-LYG-FB", "连云港市妇幼保健院", lyg, 9, "连妇保")
    hospital("JS-LYG-DY", "连云港市第一人民医院", lyg, 5, "连一院")
    for county_code, county in (("HZ", "海州区"), ("DH", "东海县"), ("GN", "灌南县")):
        code = add(f"JS-LYG-{county_code}", f"{county}卫生局", "county", "health_admin", lyg)
        hospital(f"{code}-RM", f"{county}人民医院", code, 4)
        hospital(f"{code}-SQ", f"{county}社区卫生服务中心", code, 2)
    nj = add("JS-NJ", "南京市卫生局", "city", "health_admin", js)
    hospital("JS-NJ-FY", "南京市妇幼保健院", nj, 4)
    code = add("JS-NJ-JN", "江宁区卫生局", "county", "health_admin", nj)
    hospital(f"{code}-RM", "江宁区人民医院", code, 4)

    gz = add("GZ", "贵州省卫生厅", "province", "health_admin", "MOH")
    anshun = add("GZ-AS", "安顺市卫生局", "city", "health_admin", gz)
    zn = add("GZ-AS-ZN", "镇宁县卫食局", "county", "health_admin", anshun, "镇宁卫食局")
    hospital(f"{zn}-XX", "Xx乡计卫服务中心", zn, 2, "Xx乡计卫中心")
    hospital(f"{zn}-RM", "镇宁县人民医院", zn, 3)
    return units


def person_name(rng: random.Random) -> str:
    """A synthetic name: no real person beyond those the seeds publish."""
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def demo_cadres(units: list[DemoUnit], rng: random.Random) -> list[dict[str, object]]:
    """In-scope cadres by Article 2: leadership teams, 处级 at provinces, department heads."""
    rows: list[dict[str, object]] = []
    by_code = {unit.code: unit for unit in units}
    for unit in units:
        if unit.level == "department":
            specs = [("科室主任", "科级", 4)]
        elif unit.kind == "health_admin":
            specs = [("局长", "正职", 1), ("副局长", "副职", 1), ("纪检组长", "副职", 1)]
            if unit.level in ("ministry", "province"):
                specs += [("处长", "处级", 2), ("副处长", "处级", 2)]
            elif unit.level == "city":
                specs += [("科长", "科级", 2)]
        else:
            specs = [("院长", "正职", 3), ("副院长", "副职", 3), ("党支部书记", "正职", 3)]
        for index, (post, rank, category) in enumerate(specs, start=1):
            parent = by_code[unit.parent] if unit.parent else None
            retired = rng.random() < 0.03
            rows.append(
                {
                    "工号": f"{unit.code}-{index:02d}",
                    "姓名": HOMONYMS.get(f"{unit.code}-{index:02d}") or person_name(rng),
                    "单位编码": unit.code,
                    "职务": post,
                    "职级": rank,
                    "适用类别": category,
                    "管理单位编码": (parent.code if parent and category != 4 else unit.code)
                    if unit.level != "department"
                    else unit.parent,
                    "是否离退休": "是" if retired else "否",
                    "离任日期": "2011年3月1日" if retired else "",
                }
            )
    return rows


# Two hospital directors in 包头 share a name: a complaint naming only 王建国 at 包头市卫生局 must
# go to a person, never be assigned automatically.
HOMONYMS = {"NM-BT-KDL-RM-01": "王建国", "NM-BT-GY-RM-01": "王建国"}


def write_units_xlsx(units: list[DemoUnit], path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "单位"
    sheet.append([column.header for column in UNIT_COLUMNS])
    for unit in units:
        sheet.append(
            [
                unit.code,
                unit.name,
                unit.alias,
                unit.level,
                unit.kind,
                unit.parent or "",
                # No e-mail in the demo: every reminder goes to the webhook receiver it starts.
                "",
                "demo_webhook",
                "",
                "",
            ]
        )
    workbook.save(path)


def write_csv(rows: list[dict[str, object]], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
