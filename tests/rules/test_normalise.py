"""Normalisation of complaint text (qinglian.rules text, names, unit_names, categories): tables of what goes in and out."""

from __future__ import annotations

import pytest

from models.enums import FindingCategory
from qinglian.rules.categories import parse_alleged_category
from qinglian.rules.names import NameQuery, normalise_name, pinyin_key, strip_title, title_relation
from qinglian.rules.text import (
    normalise_content,
    normalise_text,
    strip_pinyin_glosses,
    to_halfwidth,
    to_simplified,
)
from qinglian.rules.unit_names import (
    NO_UNIT,
    UNKNOWN_UNIT,
    UnitDirectory,
    UnitEntry,
    normalise_unit,
    unit_core,
)

# The first line of seed 001 as the web copy has it, glosses and all.
SEED_001 = "各盟市衛(wèi)生局,廳直屬各單位,內(nèi)蒙古醫(yī)學(xué)院各附屬醫(yī)院,廳機(jī)關(guān)各處室:"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (SEED_001, "各盟市卫生局,厅直属各单位,内蒙古医学院各附属医院,厅机关各处室:"),
        ("衛(wèi)生局", "卫生局"),
        ("衛（wèi）生局", "卫生局"),
        ("衛(wei4)生局", "卫生局"),
        ("衛 ( wei ) 生局", "卫生局"),
        ("沖(chōng)突", "冲突"),
        ("自治區(qū)", "自治区"),
        ("綠(lǜ)色", "绿色"),
        ("綠(lv4)色", "绿色"),
        ("衛(wèi shēng)局", "卫局"),
        ("卫生局(health bureau)", "卫生局(health bureau)"),
        ("卫生局(2012)", "卫生局(2012)"),
        ("(wèi)开头", "(wèi)开头"),
        ("ＡＢＣ１２３", "ABC123"),
        ("０４７１－６９４４５８３", "0471-6944583"),
        ("连云港\u3000卫生局", "连云港 卫生局"),
        ("  前后  空白  ", "前后 空白"),
        ("、。「」保持", "、。「」保持"),
        ("", ""),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ＧＵ　Ｙａｎｇ", "GU Yang"), ("（）", "()"), ("中文不变", "中文不变")],
)
def test_to_halfwidth(raw: str, expected: str) -> None:
    assert to_halfwidth(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("顧揚", "顾扬"), ("連雲港市婦幼保健院", "连云港市妇幼保健院"), ("abc", "abc")],
)
def test_to_simplified(raw: str, expected: str) -> None:
    assert to_simplified(raw) == expected


def test_glosses_are_removed_only_after_a_character() -> None:
    assert strip_pinyin_glosses("A(wei)") == "A(wei)"
    assert strip_pinyin_glosses("卫(xyzzy)") == "卫(xyzzy)"


@pytest.mark.parametrize(
    ("raw", "name", "surname", "title", "deputy"),
    [
        ("顾扬", "顾扬", "顾", "", False),
        ("顾  扬", "顾扬", "顾", "", False),
        ("顾\u3000扬", "顾扬", "顾", "", False),
        ("顧揚", "顾扬", "顾", "", False),
        ("顧(gù)揚(yáng)", "顾扬", "顾", "", False),
        ("王院长", "", "王", "院长", False),
        ("王副院长", "", "王", "院长", True),
        ("李主任", "", "李", "主任", False),
        ("张局长", "", "张", "局长", False),
        ("刘书记", "", "刘", "书记", False),
        ("赵处长", "", "赵", "处长", False),
        ("孙科长", "", "孙", "科长", False),
        ("周党委书记", "", "周", "党委书记", False),
        ("吴秘书长", "", "吴", "秘书长", False),
        ("欧阳院长", "", "欧阳", "院长", False),
        ("王建国院长", "王建国", "王", "院长", False),
        ("院长王建国", "王建国", "王", "院长", False),
        ("副院长王建国", "王建国", "王", "院长", True),
        ("施庆喜同志", "施庆喜", "施", "", False),
        ("潘医生", "", "潘", "", False),
        ("欧阳修", "欧阳修", "欧阳", "", False),
        ("阿依古丽·买买提", "阿依古丽·买买提", "阿", "", False),
        ("院长", "", "", "院长", False),
    ],
)
def test_normalise_name(raw: str, name: str, surname: str, title: str, deputy: bool) -> None:
    query = normalise_name(raw)
    assert (query.name, query.surname, query.title, query.deputy) == (name, surname, title, deputy)
    assert not query.latin


@pytest.mark.parametrize(
    ("raw", "pinyin", "swapped"),
    [
        ("Gu Yang", "guyang", "yanggu"),
        ("gu yang", "guyang", "yanggu"),
        ("GU YANG", "guyang", "yanggu"),
        ("ＧＵ　ＹＡＮＧ", "guyang", "yanggu"),
        ("Gù Yáng", "guyang", "yanggu"),
        ("gu4 yang2", "guyang", "yanggu"),
        ("Guyang", "guyang", ""),
        ("Lü Xin", "luxin", "xinlu"),
        ("Lv Xin", "luxin", "xinlu"),
    ],
)
def test_names_in_pinyin(raw: str, pinyin: str, swapped: str) -> None:
    query = normalise_name(raw)
    assert query.latin
    assert (query.pinyin, query.pinyin_swapped) == (pinyin, swapped)
    assert query.name == ""


@pytest.mark.parametrize("raw", ["", "   ", "\u3000", "123", "--"])
def test_empty_names(raw: str) -> None:
    assert normalise_name(raw).empty


def test_name_query_repr_hides_the_name() -> None:
    assert "顾" not in repr(normalise_name("顾扬"))
    assert "guyang" not in repr(normalise_name("Gu Yang"))


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("顾扬", "guyang"),
        ("曾丽", "zengli"),
        ("单田芳", "shantianfang"),
        ("解晓东", "xiexiaodong"),
        ("欧阳修", "ouyangxiu"),
        ("吕欣", "luxin"),
        ("", ""),
    ],
)
def test_pinyin_key(name: str, key: str) -> None:
    assert pinyin_key(name) == key


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("王院长", ("王", "院长", False)),
        ("王副院长", ("王", "院长", True)),
        ("顾扬", ("顾扬", "", False)),
        ("院长", ("", "院长", False)),
        ("副院长", ("", "院长", True)),
    ],
)
def test_strip_title(name: str, expected: tuple[str, str, bool]) -> None:
    assert strip_title(name) == expected


@pytest.mark.parametrize(
    ("title", "deputy", "post", "relation"),
    [
        ("院长", False, "院长", "same"),
        ("院长", False, "副院长", "deputy"),
        ("院长", True, "副院长", "same"),
        ("院长", True, "院长", "principal"),
        ("院长", False, "党委书记兼院长", "same"),
        ("院长", False, "院长助理", None),
        ("主任", False, "产科主任", "same"),
        ("主任", False, "产科副主任", "deputy"),
        ("书记", False, "党委书记", "same"),
        ("局长", False, "院长", None),
        ("", False, "院长", None),
    ],
)
def test_title_relation(title: str, deputy: bool, post: str, relation: str | None) -> None:
    assert title_relation(title, deputy, post) == relation


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("连云港市卫生局", ("连云港", "admin")),
        ("连云港卫生局", ("连云港", "admin")),
        ("连云港市第一人民医院", ("连云港第一人民", "hospital")),
        ("连云港市妇幼保健院", ("连云港", "mch")),
        ("镇宁县卫食局", ("镇宁", "admin")),
        ("内蒙古自治区卫生厅", ("内蒙古", "admin")),
        ("卫生部", ("卫生部", "")),
    ],
)
def test_unit_core(name: str, core: tuple[str, str]) -> None:
    assert unit_core(name) == core


UNITS = [
    UnitEntry(1, "卫生部", "/1/"),
    UnitEntry(2, "江苏省卫生厅", "/1/2/"),
    UnitEntry(3, "连云港市卫生局", "/1/2/3/"),
    UnitEntry(4, "连云港市妇幼保健院", "/1/2/3/4/", ("连妇保",)),
    UnitEntry(5, "产科", "/1/2/3/4/5/"),
    UnitEntry(6, "连云港市第一人民医院", "/1/2/3/6/"),
    UnitEntry(7, "产科", "/1/2/3/6/7/"),
    UnitEntry(8, "内蒙古自治区卫生厅", "/1/8/"),
    UnitEntry(9, "呼和浩特市卫生局", "/1/8/9/"),
    UnitEntry(10, "镇宁县卫食局", "/1/10/"),
    UnitEntry(11, "Xx乡计卫中心", "/1/10/11/"),
]


@pytest.mark.parametrize(
    ("written", "ids", "how"),
    [
        ("连云港市妇幼保健院", (4,), "exact"),
        ("连妇保", (4,), "alias"),
        (" 连 妇 保 ", (4,), "alias"),
        ("連雲港市婦幼保健院", (4,), "exact"),
        ("連(lián)雲(yún)港市婦幼保健院", (4,), "exact"),
        ("内蒙古自治區衛(wèi)生廳", (8,), "exact"),
        ("连妇保产科", (4 + 1,), "nested"),
        ("连云港市妇幼保健院产科", (5,), "nested"),
        ("连云港市第一人民医院产科", (7,), "nested"),
        ("连妇保办公室", (4,), "parent"),
        ("江苏省连云港市卫生局", (3,), "suffix"),
        ("连云港卫生局", (3,), "core"),
        ("连云港第一人民医院", (6,), "core"),
        ("镇宁卫食局", (10,), "core"),
        ("呼和浩特卫生局", (9,), "core"),
        ("连云港市第一人民醫院", (6,), "exact"),
        ("连云港市第一人名医院", (6,), "fuzzy"),
        ("产科", (5, 7), "exact"),
    ],
)
def test_unit_directory_resolves(written: str, ids: tuple[int, ...], how: str) -> None:
    match = UnitDirectory(UNITS).resolve(written)
    assert (match.unit_ids, match.how) == (ids, how)
    assert match.reason


@pytest.mark.parametrize("written", ["不存在的医院", "某某公司", "北京市朝阳区卫生局", "ABC"])
def test_unknown_units(written: str) -> None:
    assert UnitDirectory(UNITS).resolve(written) is UNKNOWN_UNIT


def test_no_unit_written() -> None:
    assert UnitDirectory(UNITS).resolve("  ") is NO_UNIT


def test_a_bare_department_name_anchors_nothing() -> None:
    # 产科 is a unit name, but 产科医院… is not a department of every hospital.
    assert not UnitDirectory(UNITS).resolve("产科医院附属诊所").known


def test_unit_normalisation() -> None:
    assert normalise_unit(" 連雲港市 衛(wèi)生局 ") == "连云港市卫生局"


@pytest.mark.parametrize(
    ("written", "category"),
    [
        ("亲属经商", FindingCategory.relative_business),
        ("亲属经商办企业", FindingCategory.relative_business),
        ("兼职取酬", FindingCategory.unapproved_or_paid_post),
        ("外资任职", FindingCategory.relative_foreign_post),
        ("兼任领导", FindingCategory.concurrent_leadership),
        ("离职从业", FindingCategory.post_retirement_employment),
        ("未回避", FindingCategory.recusal_not_observed),
        ("隐瞒不报", FindingCategory.concealment),
        ("弄虚作假、隐瞒不报", FindingCategory.concealment),
        ("relative_business", FindingCategory.relative_business),
        ("Relative_Business", FindingCategory.relative_business),
        ("未经批准兼职或兼职领取报酬", FindingCategory.unapproved_or_paid_post),
        (FindingCategory.recusal_not_observed.label, FindingCategory.recusal_not_observed),
        ("亲属经商（药品销售）", FindingCategory.relative_business),
        ("親屬經商", FindingCategory.relative_business),
        (" 亲属 经商 ", FindingCategory.relative_business),
        ("其他", None),
        ("", None),
        ("亲属经商、兼职取酬", None),
    ],
)
def test_parse_alleged_category(written: str, category: FindingCategory | None) -> None:
    assert parse_alleged_category(written) is category


def test_content_normalisation_folds_what_copies_differ_in() -> None:
    a = normalise_content("他的妻子在 卖药，  金额很大！")
    b = normalise_content("他的妻子在賣藥,金額很大!")
    assert a == b
    assert isinstance(NameQuery(name=""), NameQuery)
