"""The category a complaint alleges (问题类别), read from what it wrote."""

from __future__ import annotations

from functools import lru_cache

from models.enums import CATEGORY_LABELS, FindingCategory
from qinglian.rules.text import normalise_content

CATEGORY_SHORT_FORMS: dict[FindingCategory, tuple[str, ...]] = {
    FindingCategory.relative_business: (
        "亲属经商",
        "亲属经商办企业",
        "亲属从事药品销售",
        "亲属从事医疗器械销售",
        "亲属药品销售",
        "亲属医疗器械销售",
        "配偶子女经商",
        "亲属营利性活动",
    ),
    FindingCategory.relative_foreign_post: (
        "外资任职",
        "亲属外资任职",
        "亲属在外资企业任职",
        "外资企业任职",
        "合资企业任职",
    ),
    FindingCategory.concurrent_leadership: ("兼任领导", "兼任领导职务", "违规兼任领导职务"),
    FindingCategory.unapproved_or_paid_post: (
        "兼职取酬",
        "违规兼职",
        "未经批准兼职",
        "兼职领取报酬",
    ),
    FindingCategory.post_retirement_employment: (
        "离职从业",
        "离退休后从业",
        "退休从业",
        "离职后从业",
        "违规从业",
    ),
    FindingCategory.recusal_not_observed: ("未回避", "应回避未回避", "不回避", "未执行回避"),
    FindingCategory.concealment: ("隐瞒不报", "弄虚作假", "瞒报", "不如实报告", "不如实申报"),
}


@lru_cache(maxsize=1)
def _category_lookup() -> tuple[dict[str, FindingCategory], list[tuple[str, FindingCategory]]]:
    exact: dict[str, FindingCategory] = {}
    for category in FindingCategory:
        for form in (category.value, category.name, CATEGORY_LABELS[category]):
            exact[normalise_content(form)] = category
        for form in CATEGORY_SHORT_FORMS[category]:
            exact[normalise_content(form)] = category
    contained = sorted(
        (
            (normalise_content(form), category)
            for category, forms in CATEGORY_SHORT_FORMS.items()
            for form in forms
        ),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    return exact, contained


def parse_alleged_category(raw: str) -> FindingCategory | None:
    """问题类别 as written: a category label, a short form (亲属经商, 兼职取酬 …) or the value.

    ``None`` when the text is empty or names no single category.
    """
    key = normalise_content(raw)
    if not key:
        return None
    exact, contained = _category_lookup()
    if key in exact:
        return exact[key]
    found = {category for form, category in contained if form in key}
    return found.pop() if len(found) == 1 else None
