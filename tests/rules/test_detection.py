"""The detection rules (qinglian.rules.detection): tables of hits and near-misses per rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from models.enums import (
    BusinessType,
    EmployerType,
    FindingCategory,
    OrgType,
    RecusalSituation,
    Relation,
    UnitKind,
)
from qinglian.rules.detection import (
    FormFacts,
    PostFact,
    RecusalFact,
    RelativeFact,
    RetirementJobFact,
    add_years,
    concurrent_leadership,
    detect,
    detect_all,
    post_retirement_employment,
    recusal_not_observed,
    relative_business,
    relative_foreign_post,
    unapproved_or_paid_post,
)

AS_OF = date(2012, 8, 20)
REL = "亲属从业"
POSTS = "本人兼职"
JOBS = "离退休后从业"
RECUSALS = "回避事项"


def form(**changes: Any) -> FormFacts:
    base = FormFacts(
        declaration_id=1,
        cadre_id=10,
        unit_id=100,
        scope_category=1,
        unit_kind=UnitKind.health_admin,
    )
    return replace(base, **changes)


def relative(**changes: Any) -> RelativeFact:
    base = RelativeFact(
        sheet=REL,
        row=2,
        name="王某",
        relation=Relation.spouse,
        employer="连云港康泰医药有限公司",
        position="销售经理",
        business_type=BusinessType.pharma_sales,
        within_jurisdiction=True,
    )
    return replace(base, **changes)


def post(**changes: Any) -> PostFact:
    base = PostFact(
        sheet=POSTS,
        row=2,
        organisation="连云港市医学会",
        org_type=OrgType.health_social_org,
        post="副会长",
        is_leadership=True,
        approved=True,
        paid=False,
    )
    return replace(base, **changes)


def job(**changes: Any) -> RetirementJobFact:
    base = RetirementJobFact(
        sheet=JOBS,
        row=2,
        employer="连云港仁和医院有限公司",
        employer_type=EmployerType.for_profit_medical,
        within_former_jurisdiction=True,
        started_on=date(2012, 3, 1),
    )
    return replace(base, **changes)


def recusal(**changes: Any) -> RecusalFact:
    base = RecusalFact(
        sheet=RECUSALS,
        row=2,
        situation=RecusalSituation.procurement,
        matter="2012年CT设备采购招标",
        occurred_on=date(2012, 5, 4),
        recused=True,
    )
    return replace(base, **changes)


# --- key problem 1 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact", "category", "hit"),
    [
        pytest.param(relative(), 4, True, id="spouse-pharma-sales"),
        pytest.param(
            relative(relation=Relation.child, business_type=BusinessType.device_sales),
            1,
            True,
            id="child-device-sales",
        ),
        pytest.param(
            relative(
                relation=Relation.child_spouse,
                business_type=BusinessType.other_for_profit_health,
            ),
            3,
            True,
            id="child-spouse-other-for-profit",
        ),
        pytest.param(relative(within_jurisdiction=False), 1, False, id="outside-jurisdiction"),
        pytest.param(relative(business_type=BusinessType.other), 1, False, id="other-business"),
        pytest.param(
            relative(business_type=BusinessType.foreign_pharma_senior_post),
            1,
            False,
            id="foreign-post-is-rule-2",
        ),
    ],
)
def test_relative_business(fact: RelativeFact, category: int, hit: bool) -> None:
    hits = list(relative_business(form(scope_category=category, relatives=(fact,)), AS_OF))

    assert len(hits) == int(hit)
    if hit:
        assert hits[0].category is FindingCategory.relative_business
        assert hits[0].rows == ((REL, 2),)
        assert fact.relation.label in hits[0].summary
        assert fact.employer in hits[0].summary


def test_relative_business_summary_names_no_person() -> None:
    (hit,) = relative_business(form(relatives=(relative(name="王小明"),)), AS_OF)

    assert "王小明" not in hit.summary
    assert "配偶" in hit.summary


# --- key problem 2 -------------------------------------------------------------------------


FOREIGN = relative(business_type=BusinessType.foreign_pharma_senior_post, employer="中美史克")


@pytest.mark.parametrize(
    ("fact", "category", "hit"),
    [
        pytest.param(FOREIGN, 1, True, id="category-1"),
        pytest.param(FOREIGN, 2, True, id="category-2"),
        pytest.param(replace(FOREIGN, relation=Relation.child), 3, True, id="category-3-child"),
        pytest.param(FOREIGN, 4, False, id="category-4-department-head"),
        pytest.param(replace(FOREIGN, within_jurisdiction=False), 1, False, id="outside"),
        pytest.param(
            replace(FOREIGN, business_type=BusinessType.other), 1, False, id="not-senior-post"
        ),
    ],
)
def test_relative_foreign_post(fact: RelativeFact, category: int, hit: bool) -> None:
    hits = list(relative_foreign_post(form(scope_category=category, relatives=(fact,)), AS_OF))

    assert len(hits) == int(hit)
    if hit:
        assert hits[0].category is FindingCategory.relative_foreign_post
        assert "外方委派" in hits[0].summary


# --- key problem 3 -------------------------------------------------------------------------


LEADERSHIP = post(
    organisation="连云港市第一人民医院",
    org_type=OrgType.medical_unit_in_jurisdiction,
    post="院长",
    is_leadership=True,
)


@pytest.mark.parametrize(
    ("kind", "category", "fact", "hit"),
    [
        pytest.param(UnitKind.health_admin, 1, LEADERSHIP, True, id="bureau-leader"),
        pytest.param(UnitKind.health_admin, 2, LEADERSHIP, True, id="bureau-section-chief"),
        pytest.param(UnitKind.health_admin, 3, LEADERSHIP, False, id="category-3"),
        pytest.param(UnitKind.public_medical, 1, LEADERSHIP, False, id="public-medical-cadre"),
        pytest.param(UnitKind.affiliated, 1, LEADERSHIP, False, id="affiliated-unit-cadre"),
        pytest.param(
            UnitKind.health_admin,
            1,
            replace(LEADERSHIP, is_leadership=False, post="顾问"),
            False,
            id="not-a-leadership-post",
        ),
        pytest.param(
            UnitKind.health_admin,
            1,
            replace(LEADERSHIP, org_type=OrgType.other),
            False,
            id="not-a-medical-unit-in-jurisdiction",
        ),
    ],
)
def test_concurrent_leadership(kind: UnitKind, category: int, fact: PostFact, hit: bool) -> None:
    hits = list(
        concurrent_leadership(form(unit_kind=kind, scope_category=category, posts=(fact,)), AS_OF)
    )

    assert len(hits) == int(hit)
    if hit:
        assert hits[0].category is FindingCategory.concurrent_leadership
        assert "连云港市第一人民医院" in hits[0].summary


# --- key problem 4 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact", "why"),
    [
        pytest.param(post(approved=False, paid=False), "未经批准", id="unapproved"),
        pytest.param(post(approved=False, paid=True), "未经批准且领取报酬", id="unapproved-paid"),
        pytest.param(post(approved=True, paid=True), "经批准但领取报酬", id="approved-paid"),
        pytest.param(post(approved=True, paid=False), None, id="approved-unpaid"),
        pytest.param(
            post(org_type=OrgType.other, approved=False, paid=True), None, id="not-social-org"
        ),
        pytest.param(
            post(org_type=OrgType.medical_unit_in_jurisdiction, approved=False),
            None,
            id="medical-unit-is-rule-3",
        ),
    ],
)
def test_unapproved_or_paid_post(fact: PostFact, why: str | None) -> None:
    hits = list(unapproved_or_paid_post(form(posts=(fact,)), AS_OF))

    if why is None:
        assert hits == []
    else:
        (hit,) = hits
        assert hit.category is FindingCategory.unapproved_or_paid_post
        assert hit.summary.endswith(why)


# --- rule on conduct 1 ---------------------------------------------------------------------

LEFT = date(2010, 6, 30)


@pytest.mark.parametrize(
    ("left_on", "fact", "hit"),
    [
        pytest.param(LEFT, job(started_on=date(2011, 1, 1)), True, id="half-a-year-after"),
        pytest.param(LEFT, job(started_on=date(2013, 6, 30)), True, id="on-third-anniversary"),
        pytest.param(LEFT, job(started_on=date(2013, 7, 1)), False, id="three-years-and-a-day"),
        pytest.param(LEFT, job(started_on=date(2010, 1, 1)), True, id="started-before-leaving"),
        pytest.param(LEFT, job(started_on=None), True, id="no-start-uses-as-of"),
        pytest.param(date(2009, 8, 20), job(started_on=None), True, id="as-of-on-anniversary"),
        pytest.param(date(2009, 8, 19), job(started_on=None), False, id="as-of-a-day-past"),
        pytest.param(
            LEFT,
            job(employer_type=EmployerType.health_product_company),
            True,
            id="health-product-company",
        ),
        pytest.param(LEFT, job(employer_type=EmployerType.other), False, id="other-employer"),
        pytest.param(LEFT, job(within_former_jurisdiction=False), False, id="outside"),
        pytest.param(
            date(2012, 2, 29), job(started_on=date(2015, 2, 28)), True, id="leap-day-anniversary"
        ),
        pytest.param(
            date(2012, 2, 29), job(started_on=date(2015, 3, 1)), False, id="leap-day-plus-one"
        ),
    ],
)
def test_post_retirement_employment(left_on: date, fact: RetirementJobFact, hit: bool) -> None:
    facts = form(retired=True, left_on=left_on, retirement_jobs=(fact,))

    hits = list(post_retirement_employment(facts, AS_OF))

    assert len(hits) == int(hit)
    if hit:
        assert hits[0].category is FindingCategory.post_retirement_employment
        assert fact.employer in hits[0].summary


@pytest.mark.parametrize(("declared", "hit"), [(True, True), (False, False)])
def test_post_retirement_without_leaving_date_trusts_the_form(declared: bool, hit: bool) -> None:
    facts = form(retired=True, left_on=None, left_within_3_years=declared, retirement_jobs=(job(),))

    assert len(list(post_retirement_employment(facts, AS_OF))) == int(hit)


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2010, 6, 30), 3, date(2013, 6, 30)),
        (date(2012, 2, 29), 3, date(2015, 2, 28)),
        (date(2012, 2, 29), 4, date(2016, 2, 29)),
    ],
)
def test_add_years(day: date, years: int, expected: date) -> None:
    assert add_years(day, years) == expected


# --- rule on conduct 2 ---------------------------------------------------------------------


@pytest.mark.parametrize("situation", list(RecusalSituation))
def test_recusal_not_observed_in_every_situation(situation: RecusalSituation) -> None:
    facts = form(recusals=(recusal(situation=situation, recused=False),))

    (hit,) = recusal_not_observed(facts, AS_OF)

    assert hit.category is FindingCategory.recusal_not_observed
    assert situation.label in hit.summary
    assert "CT设备" not in hit.summary  # the matter itself stays on the form


def test_recused_matter_is_no_finding() -> None:
    assert list(recusal_not_observed(form(recusals=(recusal(recused=True),)), AS_OF)) == []


# --- the whole form ------------------------------------------------------------------------


def test_empty_form_has_no_hits() -> None:
    assert detect(form(), AS_OF) == []


def test_detect_runs_every_rule() -> None:
    facts = form(
        scope_category=1,
        unit_kind=UnitKind.health_admin,
        retired=True,
        left_on=date(2011, 1, 1),
        relatives=(
            relative(row=2),
            relative(
                row=3,
                name="王二",
                relation=Relation.child,
                business_type=BusinessType.foreign_pharma_senior_post,
            ),
            relative(row=4, name="王三", within_jurisdiction=False),
        ),
        posts=(post(row=2, approved=False), replace(LEADERSHIP, row=3)),
        retirement_jobs=(job(),),
        recusals=(recusal(recused=False), recusal(row=3, matter="另一件事")),
    )

    hits = detect(facts, AS_OF)

    assert sorted(hit.category for hit in hits) == sorted(
        [
            FindingCategory.relative_business,
            FindingCategory.relative_foreign_post,
            FindingCategory.concurrent_leadership,
            FindingCategory.unapproved_or_paid_post,
            FindingCategory.post_retirement_employment,
            FindingCategory.recusal_not_observed,
        ]
    )


def test_same_fact_on_two_rows_is_one_hit() -> None:
    facts = form(relatives=(relative(row=2), relative(row=7, employer="连云港康泰医药 有限公司")))

    (hit,) = detect(facts, AS_OF)

    assert hit.rows == ((REL, 2), (REL, 7))


@pytest.mark.parametrize(
    ("amended", "same"),
    [
        pytest.param(relative(row=9), True, id="moved-row"),
        pytest.param(
            relative(name="王 某", employer="连云港康泰医药有限公司 "), True, id="spacing"
        ),
        pytest.param(relative(position="区域经理"), True, id="new-position"),
        pytest.param(relative(name="李某"), False, id="other-relative"),
        pytest.param(relative(employer="连云港华康医药有限公司"), False, id="other-employer"),
        pytest.param(relative(relation=Relation.child), False, id="other-relation"),
    ],
)
def test_key_is_stable_across_amendments(amended: RelativeFact, same: bool) -> None:
    (before,) = detect(form(relatives=(relative(),)), AS_OF)
    (after,) = detect(form(declaration_id=2, version=2, relatives=(amended,)), AS_OF)

    assert (before.key == after.key) is same


@pytest.mark.parametrize(
    ("amended", "same"),
    [
        pytest.param(post(approved=False, post="名誉会长", row=4), True, id="retitled-post"),
        pytest.param(post(approved=True, paid=True), True, id="now-approved-but-paid"),
        pytest.param(post(approved=False, organisation="连云港市护理学会"), False, id="other-org"),
    ],
)
def test_post_key_is_the_organisation(amended: PostFact, same: bool) -> None:
    (before,) = detect(form(posts=(post(approved=False),)), AS_OF)
    (after,) = detect(form(declaration_id=2, version=2, posts=(amended,)), AS_OF)

    assert (before.key == after.key) is same


def test_detect_all_keeps_only_forms_with_hits() -> None:
    clean = form(declaration_id=1)
    dirty = form(declaration_id=2, relatives=(relative(),))

    found = detect_all([clean, dirty], AS_OF)

    assert [(facts.declaration_id, len(hits)) for facts, hits in found] == [(2, 1)]
