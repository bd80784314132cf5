"""Importing report forms (qinglian.declarations.import_forms): validation, versions, deadlines."""

from __future__ import annotations

import csv
import gc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from models import (
    BusinessType,
    Cadre,
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
    Deliverable,
    EmployerType,
    Level,
    OrgType,
    RecusalSituation,
    Relation,
    Unit,
    UnitKind,
)
from qinglian.campaigns.launch import launch_campaign
from qinglian.core.errors import ImportRejected, QinglianError, RowError
from qinglian.declarations.columns import (
    SECTIONS,
    parse_business_type,
    parse_recusal_situation,
    parse_relation,
    section_for_sheet,
)
from qinglian.declarations.import_forms import (
    AmendmentReasonRequired,
    FormImportReport,
    import_forms,
)
from qinglian.rules.scope import three_years_before
from tests.factories import UnitRow, add_cadre, add_units, write_csv_rows

AS_OF = date(2012, 9, 1)

# --- a small world: the seeds' 江苏 → 连云港 → 连妇保 → 妇产科, plus a tree outside the campaign ---


@dataclass
class World:
    campaign_id: int
    units: dict[str, Unit]
    cadres: dict[str, Cadre]


UNITS: list[UnitRow] = [
    ("MOH", "卫生部", Level.ministry, UnitKind.health_admin, None),
    ("JS", "江苏省卫生厅", Level.province, UnitKind.health_admin, "MOH"),
    ("LYG", "连云港市卫生局", Level.city, UnitKind.health_admin, "JS"),
    ("FB", "连云港市妇幼保健院", Level.institution, UnitKind.public_medical, "LYG"),
    ("FB-FCK", "妇产科", Level.department, UnitKind.public_medical, "FB"),
    ("NM", "内蒙古自治区卫生厅", Level.province, UnitKind.health_admin, "MOH"),
]
CADRES: list[dict[str, Any]] = [
    {"staff_no": "F001", "name": "顾扬", "unit": "FB", "post": "院长", "scope_category": 3},
    {"staff_no": "F002", "name": "李敏", "unit": "FB", "post": "副院长", "scope_category": 3},
    {
        "staff_no": "F003",
        "name": "王建国",
        "unit": "FB",
        "post": "原副院长",
        "scope_category": 3,
        "retired": True,
        "left_on": date(2011, 1, 1),
    },
    {
        "staff_no": "F004",
        "name": "赵老",
        "unit": "FB",
        "post": "原院长",
        "scope_category": 3,
        "retired": True,
        "left_on": date(2008, 1, 1),
    },
    {"staff_no": "K001", "name": "陈静", "unit": "FB-FCK", "post": "科主任", "scope_category": 4},
    {"staff_no": "L001", "name": "李局长", "unit": "LYG", "post": "局长", "scope_category": 1},
    {"staff_no": "N001", "name": "巴特尔", "unit": "NM", "post": "厅长", "scope_category": 1},
]


def build_world(session: Session) -> World:
    """Units, cadres and coi-2012 launched on 江苏省卫生厅; committed."""
    units = add_units(session, UNITS)
    cadres: dict[str, Cadre] = {}
    for spec in CADRES:
        values = dict(spec)
        cadre = add_cadre(session, units[values.pop("unit")], **values)
        cadres[cadre.staff_no] = cadre
    campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code="JS")
    session.commit()
    assert campaign.id is not None
    return World(campaign_id=campaign.id, units=units, cadres=cadres)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


# --- writing form files -----------------------------------------------------------------------

Sheets = Mapping[str, Sequence[Mapping[str, Any]]]


def headers_of(sheet: str) -> list[str]:
    section = section_for_sheet(sheet)
    assert section is not None
    return [spec.header for spec in section.columns]


def table_of(sheet: str, records: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """A sheet as rows: Chinese headers, then each record by header (or by key)."""
    section = section_for_sheet(sheet)
    assert section is not None
    rows: list[list[Any]] = [headers_of(sheet)]
    for record in records:
        rows.append([record.get(spec.header, record.get(spec.key)) for spec in section.columns])
    return rows


def write_xlsx(path: Path, sheets: Sheets) -> Path:
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    for name, records in sheets.items():
        worksheet = workbook.create_sheet(name)
        for row in table_of(name, records):
            worksheet.append(row)
    workbook.save(path)
    return path


def write_csv_dir(directory: Path, sheets: Sheets, encoding: str = "utf-8-sig") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, records in sheets.items():
        write_csv_rows(directory / f"{name}.csv", table_of(name, records), encoding=encoding)
    return directory


def valid_sheets() -> dict[str, list[dict[str, Any]]]:
    """Four valid forms of the 连妇保 tree and the city bureau."""
    return {
        "基本情况": [
            {"工号": "F001", "姓名": "顾扬", "填报日期": "2012-08-05", "签名日期": "2012-08-05"},
            {"工号": "F002", "姓名": "李敏", "无报告事项": "是", "填报日期": "2012/8/9"},
            {"工号": "F003", "是否离职或退休三年内": "是", "填报日期": "2012年8月6日"},
            {"工号": "K001", "姓名": "陈 静", "无报告事项": "否", "填报日期": "2012-08-06"},
            {"工号": "L001", "无报告事项": "是", "填报日期": "2012-08-07"},
        ],
        "亲属从业": [
            {
                "工号": "F001",
                "亲属姓名": "张三",
                "关系": "配偶",
                "工作单位": "连云港某医药公司",
                "职务": "销售经理",
                "经营类型": "药品销售",
                "是否在管辖地区和业务范围内": "是",
            },
            {"工号": "F001", "亲属姓名": "顾小明", "关系": "子女", "工作单位": "某中学"},
        ],
        "本人兼职": [
            {
                "工号": "K001",
                "兼职单位": "连云港市医学会",
                "单位类型": "卫生社会组织",
                "兼任职务": "理事",
                "是否领导职务": "否",
                "是否经批准": "是",
                "是否领取报酬": "否",
            }
        ],
        "离退休后从业": [
            {
                "工号": "F003",
                "从业单位": "某民营医院",
                "单位类型": "营利性医疗卫生机构",
                "是否在原管辖范围内": "是",
                "从业开始日期": "2011-06-01",
            }
        ],
        "回避事项": [
            {
                "工号": "F003",
                "回避情形": "招投标采购、基建承发包、重大资金拨付",
                "事项": "2010年设备采购评标",
                "日期": "2010-05-04",
                "是否已回避": "是",
            }
        ],
    }


def counts(session: Session) -> dict[str, int]:
    """Rows per table, for "the database did not change"."""
    session.expire_all()
    return {
        name: session.exec(select(func.count()).select_from(table)).one()
        for name, table in SQLModel.metadata.tables.items()
    }


def run_import(session: Session, world: World, path: Path, **options: Any) -> FormImportReport:
    options.setdefault("as_of", AS_OF)
    report = import_forms(session=session, path=path, campaign_id=world.campaign_id, **options)
    session.commit()
    return report


def rejected(session: Session, world: World, path: Path, **options: Any) -> list[RowError]:
    before = counts(session)
    with pytest.raises(ImportRejected) as caught:
        run_import(session, world, path, **options)
    session.rollback()
    assert counts(session) == before
    return caught.value.errors


def declarations(session: Session, world: World, staff_no: str) -> list[Declaration]:
    session.expire_all()
    cadre = world.cadres[staff_no]
    return list(
        session.exec(
            select(Declaration)
            .where(Declaration.cadre_id == cadre.id, Declaration.campaign_id == world.campaign_id)
            .order_by(Declaration.version)
        ).all()
    )


def rows_of(session: Session, table: Any, declaration: Declaration) -> list[Any]:
    return list(
        session.exec(select(table).where(table.declaration_id == declaration.id)).all()  # type: ignore[attr-defined]
    )


# --- the format's pure parts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("配偶", Relation.spouse),
        ("spouse", Relation.spouse),
        ("妻子", Relation.spouse),
        ("子女", Relation.child),
        ("女儿", Relation.child),
        ("子女的配偶", Relation.child_spouse),
        ("女婿", Relation.child_spouse),
        (" child_spouse ", Relation.child_spouse),
        ("", None),
    ],
)
def test_parse_relation(value: str, expected: Relation | None) -> None:
    assert parse_relation(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("药品销售", BusinessType.pharma_sales),
        ("医疗器械销售", BusinessType.device_sales),
        ("外资/合资医药企业外方委派高级职务", BusinessType.foreign_pharma_senior_post),
        ("外资合资医药企业外方委派高级职务", BusinessType.foreign_pharma_senior_post),
        ("foreign_pharma_senior_post", BusinessType.foreign_pharma_senior_post),
        ("其他营利性医疗卫生经营活动", BusinessType.other_for_profit_health),
        ("其他", BusinessType.other),
        ("医疗器械", BusinessType.device_sales),
    ],
)
def test_parse_business_type(value: str, expected: BusinessType) -> None:
    assert parse_business_type(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, RecusalSituation.personnel),
        ("2", RecusalSituation.procurement),
        ("第三种", RecusalSituation.evaluation),
        ("(4)", RecusalSituation.product_review),
        ("本人认为有利害关系", RecusalSituation.self_declared),
        ("其他可能影响公正执行公务", RecusalSituation.other),
        ("招投标采购", RecusalSituation.procurement),
        ("招投标采购，基建承发包，重大资金拨付", RecusalSituation.procurement),
        ("other", RecusalSituation.other),
    ],
)
def test_parse_recusal_situation(value: Any, expected: RecusalSituation) -> None:
    assert parse_recusal_situation(value) == expected


@pytest.mark.parametrize("value", ["7", "0", "考核", "表哥的公司"])
def test_parse_recusal_situation_rejects(value: str) -> None:
    with pytest.raises(ValueError, match=" / "):
        parse_recusal_situation(value)


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("基本情况", "基本情况"),
        ("basics", "基本情况"),
        ("表1 基本情况", "基本情况"),
        ("亲属从业情况", "亲属从业"),
        ("Relatives", "亲属从业"),
        ("本人兼职", "本人兼职"),
        ("离退休后从业", "离退休后从业"),
        ("retirement_jobs", "离退休后从业"),
        ("回避事项", "回避事项"),
        ("填报说明", None),
        ("Sheet1", None),
    ],
)
def test_section_for_sheet(name: str, sheet: str | None) -> None:
    section = section_for_sheet(name)
    assert (section.sheet if section else None) == sheet


@pytest.mark.parametrize(
    ("start", "cutoff"),
    [(date(2012, 7, 16), date(2009, 7, 16)), (date(2012, 2, 29), date(2009, 2, 28))],
)
def test_scope_cutoff(start: date, cutoff: date) -> None:
    assert three_years_before(start) == cutoff


def test_sections_have_unique_headers() -> None:
    for section in SECTIONS:
        headers = [spec.header for spec in section.columns]
        assert len(set(headers)) == len(headers)
        assert section.columns[0].key == "staff_no"


# --- a valid import ---------------------------------------------------------------------------


def test_import_a_valid_workbook(session: Session, world: World, tmp_path: Path) -> None:
    report = run_import(session, world, write_xlsx(tmp_path / "forms.xlsx", valid_sheets()))
    assert (report.created, report.amended, report.unchanged) == (5, 0, 0)
    assert gc.isenabled()  # paused during the import only
    assert report.rejected == [] and report.rejected_file is None
    assert report.rows_read == 5 + 2 + 1 + 1 + 1
    assert report.sheets == ["基本情况", "亲属从业", "本人兼职", "离退休后从业", "回避事项"]

    (f001,) = declarations(session, world, "F001")
    assert (f001.version, f001.is_current, f001.nothing_to_declare) == (1, True, False)
    assert (f001.submitted_on, f001.signed_on) == (date(2012, 8, 5), date(2012, 8, 5))
    assert f001.unit_id == world.units["FB"].id
    assert f001.source_file == "forms.xlsx" and len(f001.content_hash) == 64
    relatives = sorted(rows_of(session, DeclaredRelative, f001), key=lambda r: r.row)
    assert [(r.name, r.relation, r.business_type, r.within_jurisdiction) for r in relatives] == [
        ("张三", Relation.spouse, BusinessType.pharma_sales, True),
        ("顾小明", Relation.child, BusinessType.other, False),
    ]
    assert (relatives[0].sheet, relatives[0].row, relatives[0].employer) == (
        "亲属从业",
        2,
        "连云港某医药公司",
    )

    (f002,) = declarations(session, world, "F002")
    assert f002.nothing_to_declare and f002.submitted_on == date(2012, 8, 9)
    (f003,) = declarations(session, world, "F003")
    assert f003.left_within_3_years
    (job,) = rows_of(session, DeclaredRetirementJob, f003)
    assert (job.employer_type, job.within_former_jurisdiction, job.started_on) == (
        EmployerType.for_profit_medical,
        True,
        date(2011, 6, 1),
    )
    (recusal,) = rows_of(session, DeclaredRecusal, f003)
    assert (recusal.situation, recusal.recused) == (RecusalSituation.procurement, True)
    (k001,) = declarations(session, world, "K001")
    (post,) = rows_of(session, DeclaredPost, k001)
    assert (post.org_type, post.approved, post.paid, post.is_leadership) == (
        OrgType.health_social_org,
        True,
        False,
        False,
    )


def test_on_time_and_late_against_the_cascaded_deadline(
    session: Session, world: World, tmp_path: Path
) -> None:
    dues = dict(
        session.exec(
            select(Deliverable.unit_id, Deliverable.due_on).where(
                Deliverable.campaign_id == world.campaign_id,
                Deliverable.kind == "forms_collected",
            )
        ).all()
    )
    units = world.units
    # Deadlines cascade: the hospital reports before the city bureau, the bureau before the root.
    assert dues[units["JS"].id] == date(2012, 8, 10)
    assert dues[units["FB"].id] < dues[units["LYG"].id] < dues[units["JS"].id]
    fb_due, lyg_due = dues[units["FB"].id], dues[units["LYG"].id]
    assert (fb_due, lyg_due) == (date(2012, 8, 6), date(2012, 8, 8))

    sheets: dict[str, list[dict[str, Any]]] = {
        "基本情况": [
            # on the hospital's deadline: on time
            {"工号": "F001", "无报告事项": "是", "填报日期": fb_due.isoformat()},
            # the day after the hospital's deadline: late, though the city's is later
            {"工号": "F002", "无报告事项": "是", "填报日期": "2012-08-07"},
            # the same day at the city bureau: on time
            {"工号": "L001", "无报告事项": "是", "填报日期": "2012-08-07"},
            # no date: submitted on the import's as_of, long after every deadline
            {"工号": "K001", "无报告事项": "是"},
        ]
    }
    report = run_import(session, world, write_csv_dir(tmp_path / "forms", sheets))
    assert (report.created, report.on_time, report.late) == (4, 2, 2)
    (k001,) = declarations(session, world, "K001")
    assert k001.submitted_on == AS_OF


def test_unfilled_template_rows_import_nothing(
    session: Session, world: World, tmp_path: Path
) -> None:
    sheets = {
        "基本情况": [
            {"工号": "F001", "姓名": "顾扬", "单位编码": "FB", "职务": "院长", "适用类别": 3},
            {"工号": "F002", "姓名": "李敏", "单位编码": "FB", "职务": "副院长", "适用类别": 3},
            {"工号": "K001", "无报告事项": "是"},
        ]
    }
    report = run_import(session, world, write_xlsx(tmp_path / "forms.xlsx", sheets))
    assert (report.created, report.not_filled) == (1, 2)
    assert declarations(session, world, "F001") == []


def test_english_headers_and_values(session: Session, world: World, tmp_path: Path) -> None:
    directory = tmp_path / "forms"
    directory.mkdir()
    write_csv_rows(
        directory / "basics.csv",
        [
            ["staff_no", "nothing_to_declare", "submitted_on"],
            ["F001", "no", "2012-08-05"],
            ["F002", "yes", "2012-08-05"],
        ],
    )
    write_csv_rows(
        directory / "relatives.csv",
        [
            ["Staff No", "Relative Name", "Relation", "Business Type", "Within Jurisdiction"],
            ["F001", "Zhang San", "spouse", "device_sales", "Y"],
        ],
    )
    report = run_import(session, world, directory)
    assert report.created == 2
    (f001,) = declarations(session, world, "F001")
    (relative,) = rows_of(session, DeclaredRelative, f001)
    assert (relative.relation, relative.business_type, relative.within_jurisdiction) == (
        Relation.spouse,
        BusinessType.device_sales,
        True,
    )
    assert relative.sheet == "relatives"


# --- every validation rule --------------------------------------------------------------------


def _case_unknown_staff(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"].append({"工号": "X999", "无报告事项": "是"})


def _case_other_tree(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"].append({"工号": "N001", "无报告事项": "是"})


def _case_left_long_ago(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"].append({"工号": "F004", "无报告事项": "是"})


def _case_no_basics_row(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"].pop()  # L001
    s["本人兼职"].append({"工号": "L001", "兼职单位": "某协会", "单位类型": "其他"})


def _case_no_relation(s: dict[str, list[dict[str, Any]]]) -> None:
    s["亲属从业"][1]["关系"] = None


def _case_no_relative_name(s: dict[str, list[dict[str, Any]]]) -> None:
    s["亲属从业"][1]["亲属姓名"] = " "


def _case_nothing_but_rows(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][0]["无报告事项"] = "是"


def _case_no_but_no_rows(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][1]["无报告事项"] = "否"


def _case_silent_form(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][1]["无报告事项"] = None


def _case_signed_after_as_of(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][0]["签名日期"] = "2012-09-05"


def _case_submitted_before_start(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][0]["填报日期"] = "2012-07-01"


def _case_recusal_before_1900(s: dict[str, list[dict[str, Any]]]) -> None:
    s["回避事项"][0]["日期"] = "1899-12-31"


def _case_job_before_leaving(s: dict[str, list[dict[str, Any]]]) -> None:
    s["离退休后从业"][0]["从业开始日期"] = "2010-12-01"


def _case_job_without_leaving(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][2]["是否离职或退休三年内"] = "否"


def _case_duplicate_basics(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"].append({"工号": "F002", "无报告事项": "是"})


def _case_duplicate_section_row(s: dict[str, list[dict[str, Any]]]) -> None:
    s["亲属从业"].append(dict(s["亲属从业"][0], 工作单位=" 连云港某医药公司 "))


def _case_bad_relation(s: dict[str, list[dict[str, Any]]]) -> None:
    s["亲属从业"][1]["关系"] = "表哥"


def _case_bad_business(s: dict[str, list[dict[str, Any]]]) -> None:
    s["亲属从业"][0]["经营类型"] = "卖保险"


def _case_bad_org_type(s: dict[str, list[dict[str, Any]]]) -> None:
    s["本人兼职"][0]["单位类型"] = "学校"


def _case_bad_employer_type(s: dict[str, list[dict[str, Any]]]) -> None:
    s["离退休后从业"][0]["单位类型"] = "政府"


def _case_bad_recusal(s: dict[str, list[dict[str, Any]]]) -> None:
    s["回避事项"][0]["回避情形"] = "7"


def _case_bad_yes_no(s: dict[str, list[dict[str, Any]]]) -> None:
    s["本人兼职"][0]["是否经批准"] = "也许"


def _case_excel_error(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][0]["填报日期"] = "#N/A"


def _case_text_date(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][0]["签名日期"] = "八月五日"


def _case_name_mismatch(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][0]["姓名"] = "顾杨"


def _case_bad_category(s: dict[str, list[dict[str, Any]]]) -> None:
    s["基本情况"][0]["适用类别"] = "5"


def _case_formula_text(s: dict[str, list[dict[str, Any]]]) -> None:
    s["亲属从业"][1]["工作单位"] = "=HYPERLINK(A1)"


def _case_too_long(s: dict[str, list[dict[str, Any]]]) -> None:
    s["亲属从业"][1]["亲属姓名"] = "名" * 101


def _case_empty_staff_no(s: dict[str, list[dict[str, Any]]]) -> None:
    s["回避事项"].append({"回避情形": "1", "事项": "职称评审"})


RULES = [
    # (case, sheet, row, column, Chinese reason contains)
    (_case_unknown_staff, "基本情况", 7, "工号", "不在干部名册中"),
    (_case_other_tree, "基本情况", 7, "工号", "不在本专项活动的范围内"),
    (_case_left_long_ago, "基本情况", 7, "工号", "已超过三年"),
    (_case_no_basics_row, "本人兼职", 3, "工号", "没有对应的行"),
    (_case_no_relation, "亲属从业", 3, "关系", "「关系」不能为空"),
    (_case_no_relative_name, "亲属从业", 3, "亲属姓名", "「亲属姓名」不能为空"),
    (_case_nothing_but_rows, "基本情况", 2, "无报告事项", "两者矛盾"),
    (_case_nothing_but_rows, "亲属从业", 2, "工号", "本行与之矛盾"),
    (_case_nothing_but_rows, "亲属从业", 3, "工号", "本行与之矛盾"),
    (_case_no_but_no_rows, "基本情况", 3, "无报告事项", "为“否”"),
    (_case_silent_form, "基本情况", 3, "无报告事项", "未填“无报告事项”"),
    (_case_signed_after_as_of, "基本情况", 2, "签名日期", "晚于导入日期"),
    (_case_submitted_before_start, "基本情况", 2, "填报日期", "早于专项活动开始日期"),
    (_case_recusal_before_1900, "回避事项", 2, "日期", "早于 1900 年"),
    (_case_job_before_leaving, "离退休后从业", 2, "从业开始日期", "早于离任日期"),
    (_case_job_without_leaving, "离退休后从业", 2, "工号", "不应填写离退休后从业"),
    (_case_duplicate_basics, "基本情况", 3, "工号", "重复"),
    (_case_duplicate_basics, "基本情况", 7, "工号", "重复"),
    (_case_duplicate_section_row, "亲属从业", 4, "工号", "完全相同"),
    (_case_bad_relation, "亲属从业", 3, "关系", "无法识别的关系"),
    (_case_bad_business, "亲属从业", 2, "经营类型", "无法识别的经营类型"),
    (_case_bad_org_type, "本人兼职", 2, "单位类型", "无法识别的兼职单位类型"),
    (_case_bad_employer_type, "离退休后从业", 2, "单位类型", "无法识别的从业单位类型"),
    (_case_bad_recusal, "回避事项", 2, "回避情形", "编号「7」无效"),
    (_case_bad_yes_no, "本人兼职", 2, "是否经批准", "无法识别的是/否值"),
    (_case_excel_error, "基本情况", 2, "填报日期", "Excel 错误值 #N/A"),
    (_case_text_date, "基本情况", 2, "签名日期", "无法识别的日期"),
    (_case_name_mismatch, "基本情况", 2, "姓名", "不一致"),
    (_case_bad_category, "基本情况", 2, "适用类别", "适用类别「5」无效"),
    (_case_formula_text, "亲属从业", 3, "工作单位", "是公式"),
    (_case_too_long, "亲属从业", 3, "亲属姓名", "内容过长"),
    (_case_empty_staff_no, "回避事项", 3, "工号", "工号不能为空"),
]


@pytest.mark.parametrize(
    ("case", "sheet", "row", "column", "reason"),
    RULES,
    ids=[f"{case.__name__[6:]}-{sheet}-{row}" for case, sheet, row, _, _ in RULES],
)
def test_validation_rule(
    session: Session,
    world: World,
    tmp_path: Path,
    case: Any,
    sheet: str,
    row: int,
    column: str,
    reason: str,
) -> None:
    sheets = valid_sheets()
    case(sheets)
    errors = rejected(session, world, write_csv_dir(tmp_path / "forms", sheets))
    matching = [
        error
        for error in errors
        if (error.sheet, error.row, error.column) == (sheet, row, column) and reason in error.zh
    ]
    assert matching, "\n".join(str(error) for error in errors)
    # Exactly the cells the rule names, nothing else in an otherwise valid file.
    expected = {(s, r, c) for rule, s, r, c, _ in RULES if rule is case}
    assert {(error.sheet, error.row, error.column) for error in errors} == expected
    for error in errors:
        assert error.file.endswith(".csv") and error.zh and error.en and error.en != error.zh


def test_a_valid_file_is_the_baseline_of_the_rule_table(
    session: Session, world: World, tmp_path: Path
) -> None:
    report = run_import(session, world, write_csv_dir(tmp_path / "forms", valid_sheets()))
    assert report.created == 5 and not report.rejected


# --- versions: re-import, amendments ----------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "forms.xlsx", valid_sheets())
    run_import(session, world, path)
    before = counts(session)
    again = run_import(session, world, path, as_of=date(2012, 9, 20))
    assert (again.created, again.amended, again.unchanged) == (0, 0, 5)
    assert (again.on_time, again.late) == (0, 0)
    assert counts(session) == before


def test_content_hash_ignores_order_spacing_and_the_submission_date(
    session: Session, world: World, tmp_path: Path
) -> None:
    run_import(session, world, write_csv_dir(tmp_path / "a", valid_sheets()))
    sheets = valid_sheets()
    sheets["亲属从业"].reverse()
    sheets["亲属从业"][0]["工作单位"] = "\u3000某中学\u3000"  # full-width spaces around
    sheets["基本情况"].reverse()
    sheets["基本情况"][-1]["填报日期"] = "2012-08-20"  # F001: not part of the content
    sheets["本人兼职"][0]["单位类型"] = "health_social_org"
    report = run_import(session, world, write_csv_dir(tmp_path / "b", sheets))
    assert (report.created, report.amended, report.unchanged) == (0, 0, 5)


def test_an_amendment_without_a_reason_is_refused_whole(
    session: Session, world: World, tmp_path: Path
) -> None:
    run_import(session, world, write_csv_dir(tmp_path / "a", valid_sheets()))
    sheets = valid_sheets()
    sheets["亲属从业"][1]["经营类型"] = "医疗器械销售"  # F001 changes
    sheets["基本情况"][1]["无报告事项"] = None  # F002 now declares a relative
    sheets["亲属从业"].append({"工号": "F002", "亲属姓名": "李四", "关系": "子女的配偶"})
    sheets["基本情况"].append({"工号": "X999", "无报告事项": "是"})  # invalid: unknown
    before = counts(session)
    with pytest.raises(ImportRejected):
        run_import(session, world, write_csv_dir(tmp_path / "b", sheets))
    session.rollback()
    # Quarantining bad rows does not lift the need for a reason.
    with pytest.raises(AmendmentReasonRequired) as caught:
        run_import(session, world, write_csv_dir(tmp_path / "c", sheets), skip_invalid=True)
    session.rollback()
    assert counts(session) == before
    assert caught.value.staff_nos == ["F001", "F002"]
    assert "顾扬（F001）" in caught.value.zh and "李敏（F002）" in caught.value.zh
    assert "amendment needs a reason" in caught.value.en


def test_an_amendment_with_a_reason_adds_a_version_and_keeps_history(
    session: Session, world: World, tmp_path: Path
) -> None:
    run_import(session, world, write_csv_dir(tmp_path / "a", valid_sheets()))
    (first,) = declarations(session, world, "F001")
    old_rows = {r.id for r in rows_of(session, DeclaredRelative, first)}
    sheets = valid_sheets()
    sheets["亲属从业"][1]["经营类型"] = "医疗器械销售"
    sheets["基本情况"][0]["填报日期"] = "2012-08-20"
    report = run_import(
        session, world, write_csv_dir(tmp_path / "b", sheets), reason="补报子女从业情况"
    )
    assert (report.created, report.amended, report.updated, report.unchanged) == (0, 1, 1, 4)
    assert (report.on_time, report.late) == (0, 1)
    old, new = declarations(session, world, "F001")
    assert (old.version, old.is_current, old.amendment_reason) == (1, False, "")
    assert (new.version, new.is_current, new.amendment_reason) == (2, True, "补报子女从业情况")
    assert new.submitted_on == date(2012, 8, 20) and new.content_hash != old.content_hash
    assert {r.id for r in rows_of(session, DeclaredRelative, old)} == old_rows
    assert sorted(r.business_type for r in rows_of(session, DeclaredRelative, new)) == [
        BusinessType.device_sales,
        BusinessType.pharma_sales,
    ]
    # The amended form again: unchanged. Back to the first content: a third version.
    assert run_import(session, world, write_csv_dir(tmp_path / "b", sheets)).unchanged == 5
    third = run_import(session, world, write_csv_dir(tmp_path / "a", valid_sheets()), reason="撤回")
    assert third.amended == 1
    assert [d.version for d in declarations(session, world, "F001")] == [1, 2, 3]
    assert [d.is_current for d in declarations(session, world, "F001")] == [False, False, True]


# --- inputs: CSV per sheet, single CSV, GB18030 ------------------------------------------------


def test_csv_per_sheet_directory_with_missing_sheets(
    session: Session, world: World, tmp_path: Path
) -> None:
    sheets = valid_sheets()
    only = {"基本情况": sheets["基本情况"][1:3], "离退休后从业": sheets["离退休后从业"]}
    only["基本情况"][1]["无报告事项"] = None
    report = run_import(session, world, write_csv_dir(tmp_path / "forms", only, "gb18030"))
    assert report.created == 2 and report.sheets == ["基本情况", "离退休后从业"]


def test_a_single_basics_csv(session: Session, world: World, tmp_path: Path) -> None:
    path = write_csv_rows(
        tmp_path / "基本情况.csv",
        table_of(
            "基本情况", [{"工号": "F002", "无报告事项": "是"}, {"工号": "L001", "无报告事项": "是"}]
        ),
    )
    assert run_import(session, world, path).created == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [("亲属从业.csv", "缺少「基本情况」"), ("forms.csv", "CSV 文件名须为工作表名称")],
)
def test_a_single_csv_must_be_the_basics(
    session: Session, world: World, tmp_path: Path, name: str, message: str
) -> None:
    path = write_csv_rows(
        tmp_path / name, table_of("基本情况", [{"工号": "F002", "无报告事项": "是"}])
    )
    with pytest.raises(QinglianError, match=message):
        run_import(session, world, path)


# --- skip_invalid: whole forms out, every row of them quarantined ------------------------------


def test_skip_invalid_rejects_whole_forms(session: Session, world: World, tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["亲属从业"][1]["关系"] = "表哥"  # F001's second relative is bad
    sheets["基本情况"].append({"工号": "X999", "无报告事项": "是"})
    directory = write_csv_dir(tmp_path / "forms", sheets)
    report = run_import(session, world, directory, skip_invalid=True)
    assert (report.created, report.forms_rejected) == (4, 2)
    assert declarations(session, world, "F001") == []
    assert len(declarations(session, world, "F002")) == 1
    # F001's basics row and both relatives, and X999: four rows, each with its reason.
    assert report.rejected_rows == 4
    assert report.rejected_file == tmp_path / "forms.rejected.csv"
    with report.rejected_file.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(line["工作表"], line["行号"], line["工号"]) for line in lines] == [
        ("基本情况", "2", "F001"),
        ("基本情况", "7", "X999"),
        ("亲属从业", "2", "F001"),
        ("亲属从业", "3", "F001"),
    ]
    assert "整体未导入" in lines[0]["原因"] and "whole form" in lines[0]["reason"]
    assert "无法识别的关系" in lines[3]["原因"] and lines[3]["亲属姓名"] == "顾小明"
    assert lines[3]["列"] == "关系"


def test_an_amendment_reason_is_only_recorded_on_amendments(
    session: Session, world: World, tmp_path: Path
) -> None:
    report = run_import(
        session, world, write_csv_dir(tmp_path / "a", valid_sheets()), reason="首次"
    )
    assert report.created == 5
    assert all(d.amendment_reason == "" for d in declarations(session, world, "F001"))
