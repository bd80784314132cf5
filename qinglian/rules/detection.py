"""The four key problems and the two rules on conduct, detected from one declaration form.

Pure functions over small frozen facts: no database, no Prefect. The rule texts quoted in the
docstrings are those of the implementation plans (seed 000 篇3, seed 002, 《若干规定》).

Each rule yields :class:`Hit` values. A hit's ``key`` names the declared fact itself (who,
where), not the row it sits on, so an amended form that keeps the fact yields the same key and
persistence can tell it was already found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from models.enums import (
    BusinessType,
    EmployerType,
    FindingCategory,
    OrgType,
    RecusalSituation,
    Relation,
    UnitKind,
)
from qinglian.rules.scope import add_years

SheetRow = tuple[str, int]

# 《若干规定》第二条第一项至第三项: leadership of health administrations, 处级/科级 officials of
# administrations, leadership of public medical/health units. Category 4 (internal department
# heads) is outside key problem 2.
FOREIGN_POST_CATEGORIES = frozenset({1, 2, 3})
# Leaders of a health administration: its leadership team (1) and its 处级/科级 officials (2).
ADMIN_LEADER_CATEGORIES = frozenset({1, 2})
FOR_PROFIT_HEALTH_BUSINESS = frozenset(
    {
        BusinessType.pharma_sales,
        BusinessType.device_sales,
        BusinessType.other_for_profit_health,
    }
)
RESTRICTED_EMPLOYERS = frozenset(
    {EmployerType.for_profit_medical, EmployerType.health_product_company}
)
RETIREMENT_RESTRICTION_YEARS = 3
_SPACES = re.compile(r"[\s\u3000]+")
_SUMMARY_MAX = 200


@dataclass(frozen=True, slots=True)
class RelativeFact:
    """One row of 亲属从业: a spouse's, child's or child's spouse's employment."""

    sheet: str
    row: int
    name: str
    relation: Relation
    employer: str = ""
    position: str = ""
    business_type: BusinessType = BusinessType.other
    within_jurisdiction: bool = False


@dataclass(frozen=True, slots=True)
class PostFact:
    """One row of 本人兼职: a concurrent post of the cadre."""

    sheet: str
    row: int
    organisation: str
    org_type: OrgType = OrgType.other
    post: str = ""
    is_leadership: bool = False
    approved: bool = False
    paid: bool = False


@dataclass(frozen=True, slots=True)
class RetirementJobFact:
    """One row of 离退休后从业: employment after leaving office."""

    sheet: str
    row: int
    employer: str
    employer_type: EmployerType = EmployerType.other
    within_former_jurisdiction: bool = False
    started_on: date | None = None


@dataclass(frozen=True, slots=True)
class RecusalFact:
    """One row of 回避事项: a matter where recusal applied, and whether the cadre stood aside."""

    sheet: str
    row: int
    situation: RecusalSituation
    matter: str = ""
    occurred_on: date | None = None
    recused: bool = True


@dataclass(frozen=True, slots=True)
class FormFacts:
    """What the rules need from one current declaration and its cadre."""

    declaration_id: int
    cadre_id: int
    unit_id: int
    scope_category: int
    unit_kind: UnitKind
    version: int = 1
    retired: bool = False
    left_on: date | None = None
    left_within_3_years: bool = False
    relatives: tuple[RelativeFact, ...] = ()
    posts: tuple[PostFact, ...] = ()
    retirement_jobs: tuple[RetirementJobFact, ...] = ()
    recusals: tuple[RecusalFact, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """One detected problem: its category, a short Chinese summary, the rows, a content key."""

    category: FindingCategory
    summary: str
    rows: tuple[SheetRow, ...]
    key: str


Rule = Callable[[FormFacts, date], Iterator[Hit]]


def relative_business(form: FormFacts, as_of: date) -> Iterator[Hit]:
    """Key problem 1 (重点解决的问题第1项).

    「领导干部的配偶、子女及其配偶在领导干部管辖的地区和业务范围内，个人从事药品、医疗器械
    销售等营利性活动」: a spouse, child or child's spouse in pharma sales, device sales or
    another for-profit health business, within the cadre's jurisdiction and business scope.
    Applies to every in-scope cadre (categories 1–4).
    """
    for fact in form.relatives:
        if fact.business_type in FOR_PROFIT_HEALTH_BUSINESS and fact.within_jurisdiction:
            yield Hit(
                category=FindingCategory.relative_business,
                summary=_clip(
                    f"{fact.relation.label}在{_shown(fact.employer)}从事"
                    f"{fact.business_type.label}（管辖范围内）"
                ),
                rows=((fact.sheet, fact.row),),
                key=_key(fact.relation, fact.name, fact.employer),
            )


def relative_foreign_post(form: FormFacts, as_of: date) -> Iterator[Hit]:
    """Key problem 2 (重点解决的问题第2项).

    「《若干规定》中第二条第一项、第二项、第三项所列人员的配偶、子女及其配偶，在其管辖的地区
    和业务范围内的外商独资医药企业或者中外合资医药企业担任由外方委派、聘任的高级职务」:
    only cadres of categories 1–3; a relative in a senior post appointed by the foreign side
    in a foreign-owned or joint-venture pharma company within jurisdiction.
    """
    if form.scope_category not in FOREIGN_POST_CATEGORIES:
        return
    for fact in form.relatives:
        if (
            fact.business_type is BusinessType.foreign_pharma_senior_post
            and fact.within_jurisdiction
        ):
            yield Hit(
                category=FindingCategory.relative_foreign_post,
                summary=_clip(
                    f"{fact.relation.label}在{_shown(fact.employer)}担任外方委派高级职务"
                    "（管辖范围内）"
                ),
                rows=((fact.sheet, fact.row),),
                key=_key(fact.relation, fact.name, fact.employer),
            )


def concurrent_leadership(form: FormFacts, as_of: date) -> Iterator[Hit]:
    """Key problem 3 (重点解决的问题第3项).

    「领导干部兼任管辖地区和业务范围内的医疗卫生单位的领导职务」: a leader of a health
    administration (unit kind ``health_admin``, scope category 1 or 2) holding a leadership
    post in a medical/health unit within jurisdiction. Leaders of public medical units are
    not caught by this rule: heading a department of one's own hospital is the job itself.
    """
    if form.unit_kind is not UnitKind.health_admin:
        return
    if form.scope_category not in ADMIN_LEADER_CATEGORIES:
        return
    for fact in form.posts:
        if fact.org_type is OrgType.medical_unit_in_jurisdiction and fact.is_leadership:
            post = f"（{fact.post}）" if fact.post else ""
            yield Hit(
                category=FindingCategory.concurrent_leadership,
                summary=_clip(
                    f"兼任管辖范围内医疗卫生单位{_shown(fact.organisation)}领导职务{post}"
                ),
                rows=((fact.sheet, fact.row),),
                key=_key(fact.organisation),
            )


def unapproved_or_paid_post(form: FormFacts, as_of: date) -> Iterator[Hit]:
    """Key problem 4 (重点解决的问题第4项).

    「领导干部未经批准在卫生社会组织等单位兼职，或虽经批准兼职但领取报酬」: a post in a
    health social organisation (卫生社会组织) that was not approved, or was approved but paid.
    """
    for fact in form.posts:
        if fact.org_type is not OrgType.health_social_org:
            continue
        if fact.approved and not fact.paid:
            continue
        if not fact.approved:
            why = "未经批准且领取报酬" if fact.paid else "未经批准"
        else:
            why = "经批准但领取报酬"
        yield Hit(
            category=FindingCategory.unapproved_or_paid_post,
            summary=_clip(f"在卫生社会组织{_shown(fact.organisation)}兼职，{why}"),
            rows=((fact.sheet, fact.row),),
            key=_key(fact.organisation),
        )


def post_retirement_employment(form: FormFacts, as_of: date) -> Iterator[Hit]:
    """Rule on conduct 1, 离退休后从业回避制度.

    「领导干部离职或者退休三年内，不得接受原任职务管辖的地区和业务范围内的营利性医疗卫生
    机构、健康相关产品生产企业的聘任」: employment by a for-profit medical institution or a
    health-product company within the former jurisdiction, within 3 years of leaving.

    The employment's start (or ``as_of`` when the form gives none) must fall on or before the
    third anniversary of ``left_on``; a start before leaving counts too, the employment then
    running into the window. The anniversary of a 29 February is 28 February, the month's
    last day (《民法典》第二百零二条). With no leaving date on record the cadre's own
    declaration that they left within 3 years decides.
    """
    for fact in form.retirement_jobs:
        if fact.employer_type not in RESTRICTED_EMPLOYERS or not fact.within_former_jurisdiction:
            continue
        if not _within_restriction(form, fact.started_on or as_of):
            continue
        yield Hit(
            category=FindingCategory.post_retirement_employment,
            summary=_clip(
                f"离职（退休）三年内受聘于{_shown(fact.employer)}（{fact.employer_type.label}，"
                "原管辖范围内）"
            ),
            rows=((fact.sheet, fact.row),),
            key=_key(fact.employer),
        )


def recusal_not_observed(form: FormFacts, as_of: date) -> Iterator[Hit]:
    """Rule on conduct 2, 执行公务回避制度.

    「领导干部在执行公务时，有以下情形之一的，应当主动回避，及时说明情况，并不得以任何方式
    施加影响」 (six situations: personnel; procurement, tendering, construction or fund
    allocation; evaluation; product review; self-declared; other): a declared matter where
    the cadre did not stand aside. The summary names the situation, not the matter.
    """
    for fact in form.recusals:
        if fact.recused:
            continue
        yield Hit(
            category=FindingCategory.recusal_not_observed,
            summary=_clip(f"执行公务应回避未回避（{fact.situation.label}）"),
            rows=((fact.sheet, fact.row),),
            key=_key(fact.situation, fact.matter),
        )


RULES: tuple[Rule, ...] = (
    relative_business,
    relative_foreign_post,
    concurrent_leadership,
    unapproved_or_paid_post,
    post_retirement_employment,
    recusal_not_observed,
)


def detect(form: FormFacts, as_of: date) -> list[Hit]:
    """Every hit of every rule on one form; the same fact declared on two rows is one hit."""
    merged: dict[tuple[FindingCategory, str], Hit] = {}
    for rule in RULES:
        for hit in rule(form, as_of):
            seen = merged.get((hit.category, hit.key))
            if seen is None:
                merged[(hit.category, hit.key)] = hit
            else:
                merged[(hit.category, hit.key)] = Hit(
                    category=seen.category,
                    summary=seen.summary,
                    rows=seen.rows + hit.rows,
                    key=seen.key,
                )
    return list(merged.values())


def detect_all(forms: Iterable[FormFacts], as_of: date) -> list[tuple[FormFacts, list[Hit]]]:
    """The forms that have at least one hit, each with its hits."""
    found = []
    for form in forms:
        hits = detect(form, as_of)
        if hits:
            found.append((form, hits))
    return found


def _within_restriction(form: FormFacts, when: date) -> bool:
    if form.left_on is None:
        return form.left_within_3_years
    return when <= add_years(form.left_on, RETIREMENT_RESTRICTION_YEARS)


def normalise(text: str) -> str:
    """Text folded for comparison: NFKC, case-folded, with all whitespace removed (顾  扬)."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _key(*parts: object) -> str:
    return "|".join(normalise(str(part)) for part in parts)


def _shown(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    return f"「{text}」" if text else "（未填单位）"


def _clip(text: str) -> str:
    return text if len(text) <= _SUMMARY_MAX else text[: _SUMMARY_MAX - 1] + "…"
