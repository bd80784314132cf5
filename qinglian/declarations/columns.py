"""The report form's exchange format: one sheet per section, keyed by 工号, Chinese headers.

《卫生系统领导干部防止利益冲突有关事项报告表》 travels as a workbook (or one CSV per sheet)
with the five sheets below. Chinese headers are what offices write; English aliases and the
field keys are accepted too. Choice columns take the Chinese labels of ``models.form``, the
enum values, or an unambiguous part of a label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from models.enums import (
    BUSINESS_TYPE_LABELS,
    EMPLOYER_TYPE_LABELS,
    ORG_TYPE_LABELS,
    RECUSAL_LABELS,
    RELATION_LABELS,
    Relation,
)
from qinglian.exchange.cells import parse_int, parse_text
from qinglian.exchange.table import ColumnSpec

E = TypeVar("E", bound=StrEnum)

# The campaign deliverable whose deadline is the unit's deadline for collecting the forms.
# Cadres who left office longer ago than this before the campaign started no longer file.
INSTRUCTIONS_SHEET = "填报说明"
OPTIONS_SHEET = "选项"
YES, NO = "是", "否"

_STAFF_NO = ColumnSpec(
    "staff_no", "工号", ("staff no", "staff number", "employee no", "人员编号"), required=True
)


@dataclass(frozen=True, slots=True)
class Section:
    """One sheet of the form: its name, its columns and the table its rows go to."""

    key: str
    sheet: str
    title_en: str
    columns: tuple[ColumnSpec, ...]
    # Sheet (or CSV stem) names accepted besides ``sheet`` and ``key``.
    aliases: tuple[str, ...] = ()

    def column(self, key: str) -> ColumnSpec:
        return next(spec for spec in self.columns if spec.key == key)


BASICS = Section(
    "basics",
    "基本情况",
    "basics",
    (
        _STAFF_NO,
        ColumnSpec("name", "姓名", ("cadre name", "full name")),
        ColumnSpec("unit_code", "单位编码", ("unit code", "单位代码", "unit")),
        ColumnSpec("post", "职务", ("position", "title")),
        ColumnSpec(
            "scope_category", "适用类别", ("scope category", "category", "类别", "适用对象类别")
        ),
        ColumnSpec(
            "left_within_3_years",
            "是否离职或退休三年内",
            ("left within 3 years", "离职或退休三年内", "是否离退休三年内", "离退休三年内"),
        ),
        ColumnSpec(
            "nothing_to_declare",
            "无报告事项",
            ("nothing to declare", "无", "无事项报告", "是否无报告事项"),
        ),
        ColumnSpec(
            "submitted_on", "填报日期", ("submitted on", "submission date", "报送日期", "提交日期")
        ),
        ColumnSpec("signed_on", "签名日期", ("signed on", "date signed", "签字日期")),
    ),
    ("基本信息", "basic", "basics"),
)

RELATIVES = Section(
    "relatives",
    "亲属从业",
    "relatives' employment",
    (
        _STAFF_NO,
        ColumnSpec("name", "亲属姓名", ("relative name", "relative", "姓名"), required=True),
        ColumnSpec("relation", "关系", ("relation", "relationship", "与本人关系"), required=True),
        ColumnSpec("employer", "工作单位", ("employer", "单位")),
        ColumnSpec("position", "职务", ("position", "title")),
        ColumnSpec(
            "business_type", "经营类型", ("business type", "business", "从业类型", "经营活动类型")
        ),
        ColumnSpec(
            "within_jurisdiction",
            "是否在管辖地区和业务范围内",
            (
                "within jurisdiction",
                "是否在管辖范围内",
                "是否在本人管辖地区和业务范围内",
                "管辖地区和业务范围内",
            ),
        ),
    ),
    ("亲属从业情况", "配偶子女从业", "relatives"),
)

POSTS = Section(
    "posts",
    "本人兼职",
    "concurrent posts",
    (
        _STAFF_NO,
        ColumnSpec("organisation", "兼职单位", ("organisation", "organization"), required=True),
        ColumnSpec("org_type", "单位类型", ("organisation type", "org type", "兼职单位类型")),
        ColumnSpec("post", "兼任职务", ("post", "position", "兼职职务")),
        ColumnSpec("is_leadership", "是否领导职务", ("leadership", "is leadership")),
        ColumnSpec("approved", "是否经批准", ("approved", "经批准")),
        ColumnSpec("paid", "是否领取报酬", ("paid", "领取报酬", "是否取酬")),
    ),
    ("兼职情况", "本人兼职情况", "posts"),
)

RETIREMENT_JOBS = Section(
    "retirement_jobs",
    "离退休后从业",
    "post-retirement employment",
    (
        _STAFF_NO,
        ColumnSpec("employer", "从业单位", ("employer", "工作单位"), required=True),
        ColumnSpec("employer_type", "单位类型", ("employer type", "从业单位类型")),
        ColumnSpec(
            "within_former_jurisdiction",
            "是否在原管辖范围内",
            ("within former jurisdiction", "原管辖范围内", "是否在原管辖地区和业务范围内"),
        ),
        ColumnSpec("started_on", "从业开始日期", ("started on", "start date", "开始日期")),
    ),
    ("离退休后从业情况", "retirement", "retirement jobs"),
)

RECUSALS = Section(
    "recusals",
    "回避事项",
    "recusals",
    (
        _STAFF_NO,
        ColumnSpec("situation", "回避情形", ("situation", "回避类型"), required=True),
        ColumnSpec("matter", "事项", ("matter", "回避事项", "事项内容"), required=True),
        ColumnSpec("occurred_on", "日期", ("date", "occurred on", "发生日期")),
        ColumnSpec("recused", "是否已回避", ("recused", "已回避", "是否回避")),
    ),
    ("执行公务回避", "公务回避", "recusal"),
)

SECTIONS: tuple[Section, ...] = (BASICS, RELATIVES, POSTS, RETIREMENT_JOBS, RECUSALS)
ROW_SECTIONS: tuple[Section, ...] = SECTIONS[1:]


def _fold(text: str) -> str:
    """A sheet name or choice as compared: NFKC, case and spacing/punctuation ignored."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-/、,，;；:：.。()（）\[\]【】·•]+", "", text)


_SECTION_NAMES: dict[str, Section] = {
    _fold(name): section
    for section in SECTIONS
    for name in (section.sheet, section.key, *section.aliases)
}


def section_for_sheet(name: str) -> Section | None:
    """The section a sheet (or CSV stem) holds: by its name, or by a name containing the
    section's Chinese name once (``表1 基本情况``)."""
    folded = _fold(name)
    if folded in _SECTION_NAMES:
        return _SECTION_NAMES[folded]
    matches = [section for section in SECTIONS if _fold(section.sheet) in folded]
    return matches[0] if len(matches) == 1 else None


# --- choices -------------------------------------------------------------------------------


def _choice_parser(
    labels: Mapping[E, str],
    extra: Mapping[str, E],
    what_zh: str,
    what_en: str,
    numbered: bool = False,
) -> Callable[[Any], E | None]:
    exact: dict[str, E] = {}
    for member, label in labels.items():
        exact[_fold(label)] = member
        exact[_fold(member.value)] = member
    exact.update({_fold(word): member for word, member in extra.items()})
    folded_labels = [(_fold(label), member) for member, label in labels.items()]
    members = list(labels)
    shown = "、".join(labels.values())

    def parse(value: Any) -> E | None:
        text = parse_text(value)
        if not text:
            return None
        if numbered:
            number = _number(text)
            if number is not None:
                if 1 <= number <= len(members):
                    return members[number - 1]
                raise ValueError(
                    f"{what_zh}编号「{text}」无效，应为 1–{len(members)}"
                    f" / invalid {what_en} number {text!r}; expected 1–{len(members)}"
                )
        folded = _fold(text)
        if folded in exact:
            return exact[folded]
        # An unambiguous part of a label: 招投标采购 for 招投标采购、基建承发包、重大资金拨付.
        if len(folded) >= 2:
            found = {member for label, member in folded_labels if folded in label}
            if len(found) == 1:
                return found.pop()
        raise ValueError(
            f"无法识别的{what_zh}「{text}」（应为：{shown}）"
            f" / unknown {what_en} {text!r} (expected one of: {', '.join(m.value for m in members)})"
        )

    return parse


def _number(text: str) -> int | None:
    core = re.sub(r"^第|[种类项]$|^[(（]|[)）]$", "", unicodedata.normalize("NFKC", text))
    core = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6"}.get(core, core)
    try:
        return parse_int(core)
    except ValueError:
        return None


parse_relation = _choice_parser(
    RELATION_LABELS,
    {
        "夫": Relation.spouse,
        "妻": Relation.spouse,
        "丈夫": Relation.spouse,
        "妻子": Relation.spouse,
        "爱人": Relation.spouse,
        "子": Relation.child,
        "女": Relation.child,
        "儿子": Relation.child,
        "女儿": Relation.child,
        "子女配偶": Relation.child_spouse,
        "儿媳": Relation.child_spouse,
        "儿媳妇": Relation.child_spouse,
        "女婿": Relation.child_spouse,
    },
    "关系",
    "relation",
)
parse_business_type = _choice_parser(BUSINESS_TYPE_LABELS, {}, "经营类型", "business type")
parse_org_type = _choice_parser(ORG_TYPE_LABELS, {}, "兼职单位类型", "organisation type")
parse_employer_type = _choice_parser(EMPLOYER_TYPE_LABELS, {}, "从业单位类型", "employer type")
parse_recusal_situation = _choice_parser(
    RECUSAL_LABELS, {}, "回避情形", "recusal situation", numbered=True
)

# Drop-down lists of the template: column key -> the choices offered.
CHOICES: dict[str, tuple[str, ...]] = {
    "relation": tuple(RELATION_LABELS.values()),
    "business_type": tuple(BUSINESS_TYPE_LABELS.values()),
    "org_type": tuple(ORG_TYPE_LABELS.values()),
    "employer_type": tuple(EMPLOYER_TYPE_LABELS.values()),
    "situation": tuple(RECUSAL_LABELS.values()),
    "yes_no": (YES, NO),
}
YES_NO_KEYS = frozenset(
    {
        "left_within_3_years",
        "nothing_to_declare",
        "within_jurisdiction",
        "is_leadership",
        "approved",
        "paid",
        "within_former_jurisdiction",
        "recused",
    }
)
DATE_KEYS = frozenset({"submitted_on", "signed_on", "started_on", "occurred_on"})
# Columns of 基本情况 filled in from the cadre register; the cadre does not change them.
READ_ONLY_KEYS = frozenset({"name", "unit_code", "post", "scope_category"})
