"""A two-province tree with cadres, their report forms and some deliveries: the find phase's
input on both provinces (late, missing and on-time forms; a relative in business; a post
held in a unit under the cadre's own management)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, select

from models import Unit
from qinglian.campaigns.launch import launch_campaign, record_delivery, record_leading_group
from qinglian.declarations.columns import BASICS, POSTS, RELATIVES, SECTIONS
from qinglian.declarations.import_forms import import_forms
from qinglian.demo.find import write_forms_xlsx
from qinglian.org.import_cadres import import_cadres
from qinglian.org.import_units import import_units
from tests.factories import CADRE_HEADERS, write_csv_rows, write_table

PROVINCES = ("JS", "ZJ")
PHASE = "find"
ON_TIME, LATE, END = date(2012, 8, 6), date(2012, 8, 8), date(2012, 8, 31)

# code, name, level, kind, parent
UNITS = (
    ("MOH", "卫生部", "ministry", "health_admin", ""),
    ("JS", "江苏省卫生厅", "province", "health_admin", "MOH"),
    ("JS-LYG", "连云港市卫生局", "city", "health_admin", "JS"),
    ("JS-LYG-FB", "连云港市妇幼保健院", "institution", "public_medical", "JS-LYG"),
    ("JS-LYG-FB-D1", "连云港市妇幼保健院监察室", "department", "public_medical", "JS-LYG-FB"),
    ("JS-LYG-HZ", "海州区卫生局", "county", "health_admin", "JS-LYG"),
    ("ZJ", "浙江省卫生厅", "province", "health_admin", "MOH"),
    ("ZJ-HZ", "杭州市卫生局", "city", "health_admin", "ZJ"),
    ("ZJ-HZ-YY", "杭州市第一人民医院", "institution", "public_medical", "ZJ-HZ"),
    ("ZJ-HZ-YY-D1", "杭州市第一人民医院院办", "department", "public_medical", "ZJ-HZ-YY"),
    ("ZJ-HZ-XH", "西湖区卫生局", "county", "health_admin", "ZJ-HZ"),
)
# 工号, 姓名, unit, 职务, 适用类别
CADRES = (
    ("LYG001", "王局长", "JS-LYG", "局长", 1),
    ("FB001", "施庆喜", "JS-LYG-FB", "院长", 3),
    ("FB002", "邵亚玲", "JS-LYG-FB", "党委书记", 3),
    ("FB003", "顾扬", "JS-LYG-FB", "副院长", 3),
    ("HZ001", "钱局长", "ZJ-HZ", "局长", 1),
    ("YY001", "孙院长", "ZJ-HZ-YY", "院长", 3),
    ("YY002", "李书记", "ZJ-HZ-YY", "党委书记", 3),
)


def _basics(staff_no: str, name: str, unit: str, nothing: bool, on: date) -> list[object]:
    return [staff_no, name, unit, "", "", "否", "是" if nothing else "否", on, on]


def _forms(path: Path) -> Path:
    sheets: dict = {section: [] for section in SECTIONS}
    sheets[BASICS] += [
        _basics("LYG001", "王局长", "JS-LYG", True, ON_TIME),
        _basics("FB001", "施庆喜", "JS-LYG-FB", False, ON_TIME),
        _basics("FB002", "邵亚玲", "JS-LYG-FB", True, LATE),  # FB003 顾扬 never files
        _basics("HZ001", "钱局长", "ZJ-HZ", False, LATE),
        _basics("YY001", "孙院长", "ZJ-HZ-YY", False, ON_TIME),  # YY002 never files
    ]
    sheets[RELATIVES] += [
        ["FB001", "施某", "配偶", "某医药公司", "销售", "药品销售", "是"],
        ["YY001", "孙某", "子女", "某器械公司", "经理", "医疗器械销售", "是"],
    ]
    sheets[POSTS].append(
        ["HZ001", "辖区人民医院", "管辖范围内医疗卫生单位", "院长", "是", "是", "否"]
    )
    write_forms_xlsx(sheets, path)
    return path


def build(session: Session, folder: Path) -> int:
    """The tree, its cadres, a launched coi-2012 campaign, forms and deliveries; its id."""
    units = write_csv_rows(
        folder / "units.csv",
        [["单位编码", "单位名称", "简称", "层级", "类型", "上级单位编码"]]
        + [[code, name, "", level, kind, parent] for code, name, level, kind, parent in UNITS],
    )
    import_units(session=session, path=units)
    cadres = [
        {"工号": no, "姓名": name, "单位编码": unit, "职务": post, "适用类别": category}
        for no, name, unit, post, category in CADRES
    ]
    import_cadres(session=session, path=write_table(folder / "cadres.csv", CADRE_HEADERS, cadres))
    campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code="MOH")
    assert campaign.id is not None
    record_leading_group(
        session=session,
        campaign_id=campaign.id,
        unit_code="JS-LYG-FB",
        submitted_on=date(2012, 7, 16),
        office="院监察室",
        leaders=["施庆喜", "邵亚玲"],
    )
    for unit, kind, on in (
        ("JS-LYG-FB", "mobilization_meeting", date(2012, 7, 30)),
        ("JS-LYG-FB-D1", "study_session", date(2012, 7, 20)),
        ("ZJ-HZ-YY", "mobilization_meeting", date(2012, 7, 18)),
        ("ZJ-HZ-YY-D1", "study_session", date(2012, 8, 2)),
    ):
        record_delivery(
            session=session, campaign_id=campaign.id, unit_code=unit, kind=kind, submitted_on=on
        )
    report = import_forms(
        session=session, path=_forms(folder / "forms.xlsx"), campaign_id=campaign.id, as_of=END
    )
    assert report.created == 5
    return campaign.id


def unit_ids(session: Session, province: str) -> set[int]:
    """The ids of a province's units, the province included."""
    rows = session.exec(select(Unit.id, Unit.code)).all()
    return {
        unit_id
        for unit_id, code in rows
        if unit_id is not None and (code == province or code.startswith(f"{province}-"))
    }
