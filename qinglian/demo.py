"""`qinglian demo`: the 2012 conflict-of-interest campaign on a tree built from the seeds.

The units are the ones the seeds name (卫生部, 内蒙古自治区卫生厅 and its 盟市卫生局, 连云港市卫生局
and 连云港市妇幼保健院, 镇宁县卫食局 and its 乡计卫中心) plus ordinary county bureaus, hospitals and
departments around them. Cadres are synthetic, except the leading-group names that seed 002
itself publishes for 连妇保. Everything goes through the same importers and flows a campaign
office uses: the demo writes XLSX/CSV files and imports them.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, col, select

from models import Deliverable, Unit
from qinglian import db
from qinglian.campaigns import get_campaign, get_phase, launch_campaign
from qinglian.importers.cadres import import_cadres
from qinglian.importers.deliveries import import_deliveries
from qinglian.importers.units import import_units
from qinglian.progress import campaign_progress
from qinglian.reporting import percent
from qinglian.settings import get_settings

SEED = 2012
TEMPLATE = "coi-2012"
ROOT = "MOH"
# Points on the 2012 timeline at which the mobilisation phase is run (mid-phase, then after).
MOBILIZE_AS_OF = (date(2012, 7, 27), date(2012, 8, 8))

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


def _name(rng: random.Random) -> str:
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
                    "姓名": _name(rng),
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


def write_units_xlsx(units: list[DemoUnit], path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "单位"
    sheet.append(
        [
            "单位编码",
            "单位名称",
            "简称",
            "层级",
            "类型",
            "上级单位编码",
            "办公室邮箱",
            "办公室Webhook",
            "负责人",
            "纪检邮箱",
        ]
    )
    for unit in units:
        sheet.append(
            [
                unit.code,
                unit.name,
                unit.alias,
                unit.level,
                unit.kind,
                unit.parent or "",
                f"office.{unit.code.lower()}@example.org",
                "demo_webhook",
                "",
                f"jijian.{unit.code.lower()}@example.org",
            ]
        )
    workbook.save(path)


def write_csv(rows: list[dict[str, object]], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@dataclass(frozen=True)
class DueItem:
    unit_code: str
    kind: str
    title: str
    due_on: date


def due_items(session: Session, campaign_id: int, phase_key: str) -> list[DueItem]:
    """Every unit's deliverables of a phase with the deadline the cascade gave it."""
    phase = get_phase(
        session=session,
        campaign=get_campaign(session=session, campaign_id=campaign_id),
        key=phase_key,
    )
    rows = session.exec(
        select(Unit.code, Deliverable.kind, Deliverable.title, Deliverable.due_on)
        .join(Unit, col(Unit.id) == Deliverable.unit_id)
        .where(Deliverable.phase_id == phase.id)
        .order_by(Unit.code, Deliverable.due_on, Deliverable.id)
    ).all()
    return [DueItem(*row) for row in rows]


def demo_deliveries(
    items: list[DueItem], start_on: date, rng: random.Random
) -> list[dict[str, object]]:
    """Most units on time, some late, some never: the mobilisation phase as it really went."""
    behaviour: dict[str, float] = {}
    meetings: dict[str, date] = {}
    rows: list[dict[str, object]] = []
    for item in items:
        # A unit is diligent, sluggish or absent across the whole phase.
        mood = behaviour.setdefault(item.unit_code, rng.random())
        if mood > 0.93 and rng.random() < 0.8:
            continue  # never submitted: shows as missing
        if item.kind == "mobilization_report" and item.unit_code in meetings:
            on = meetings[item.unit_code] + timedelta(days=rng.randint(2, 9))
        else:
            slack = rng.randint(-5, 0) if mood < 0.8 else rng.randint(1, 6)
            on = max(start_on, item.due_on + timedelta(days=slack))
        if item.kind == "mobilization_meeting":
            meetings[item.unit_code] = on
        row: dict[str, object] = {"单位编码": item.unit_code, "事项": item.title, "完成日期": on}
        if item.kind == "leading_group":
            row.update(_leading_group(item.unit_code, rng))
        rows.append(row)
    return rows


def _leading_group(unit_code: str, rng: random.Random) -> dict[str, object]:
    if unit_code == "JS-LYG-FB":  # as published in seed 002 (连妇保〔2012〕88号)
        return {
            "组长": "施庆喜、邵亚玲",
            "副组长": "程学亮、顾扬、王泰康",
            "成员": "潘菁、许成、彭润民、丁贤、卢云",
            "办公室": "院监察室",
        }
    office = "纪检监察室" if unit_code.count("-") < 2 else "监察室"
    return {
        "组长": _name(rng),
        "副组长": "、".join(_name(rng) for _ in range(2)),
        "成员": "、".join(_name(rng) for _ in range(4)),
        "办公室": office,
    }


def write_deliveries_xlsx(rows: list[dict[str, object]], path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "上报事项"
    header = ["单位编码", "事项", "完成日期", "说明", "组长", "副组长", "成员", "办公室"]
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(column, "") for column in header])
    workbook.save(path)


def run_demo(console: Console) -> None:
    from flows.phase import PhaseRunInput, start_phase  # Prefect is slow to import; only here

    settings = get_settings()
    rng = random.Random(SEED)
    folder = settings.home / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    units = demo_units()
    files = {
        "units": folder / "units.xlsx",
        "cadres": folder / "cadres.csv",
        "deliveries": folder / "mobilize_deliveries.xlsx",
    }
    write_units_xlsx(units, files["units"])
    write_csv(demo_cadres(units, rng), files["cadres"])

    db.ensure_schema(settings)
    with db.session_scope(settings) as session:
        unit_report = import_units(session=session, path=files["units"])
        cadre_report = import_cadres(session=session, path=files["cadres"])
        campaign, _ = launch_campaign(session=session, template_key=TEMPLATE, root_code=ROOT)
        assert campaign.id is not None
        items = due_items(session, campaign.id, "mobilize")
        write_deliveries_xlsx(demo_deliveries(items, campaign.start_on, rng), files["deliveries"])
        delivery_report = import_deliveries(
            session=session, campaign_id=campaign.id, path=files["deliveries"]
        )
    console.print(
        f"单位 units {unit_report.created + unit_report.updated + unit_report.unchanged}，"
        f"干部 cadres {cadre_report.created + cadre_report.updated + cadre_report.unchanged}，"
        f"上报记录 deliveries {delivery_report.created + delivery_report.updated + delivery_report.unchanged}"
        f"；专项活动 campaign {campaign.id}: {campaign.title}",
        highlight=False,
    )
    assert campaign.id is not None
    for as_of in MOBILIZE_AS_OF:
        console.print(f"\n动员部署 mobilize — as of {as_of}（Prefect 流程运行中 / running）")
        outcome = start_phase(PhaseRunInput(campaign_id=campaign.id, phase="mobilize", as_of=as_of))
        console.print(
            f"  {outcome.units} 个单位，上报率 {percent(outcome.subtree.rate)}，"
            f"按时率 {percent(outcome.subtree.on_time_rate)}，缺报 {outcome.subtree.missing} 项",
            highlight=False,
        )

    with db.session_scope(settings) as session:
        progress = campaign_progress(
            session=session, campaign_id=campaign.id, as_of=MOBILIZE_AS_OF[-1], phase_key="mobilize"
        )
    table = Table(
        "单位 unit",
        "应报",
        "按时",
        "逾期",
        "缺报",
        "上报率",
        title=f"动员部署逐级汇总（截至 {MOBILIZE_AS_OF[-1]}）",
    )
    rows = [(progress, "")]
    for province in progress.children:
        rows.append((province, "  "))
        rows.extend((city, "    ") for city in province.children)
    for node, indent in rows:
        rate = node.subtree
        table.add_row(
            f"{indent}{node.name}",
            str(rate.expected),
            str(rate.on_time),
            str(rate.late),
            str(rate.missing),
            percent(rate.rate),
        )
    console.print(table)
    console.print(
        f"\n数据库 database: {settings.effective_database_url}\n"
        f"导入文件 input files: {folder}\n"
        f"查看进度 status: qinglian status {campaign.id} --phase mobilize --as-of {MOBILIZE_AS_OF[-1]}\n"
        "Prefect 界面 UI: run `prefect server start`, then open http://127.0.0.1:4200/runs "
        "(flow runs 「动员部署 · …」 and their artifacts)",
        highlight=False,
    )
