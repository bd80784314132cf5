"""Findings from declared forms (qinglian.declarations.findings), on real rows in SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, func, select

from models import (
    BusinessType,
    Cadre,
    Campaign,
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
    EmployerType,
    Finding,
    FindingCategory,
    FindingSource,
    FindingStatus,
    OrgType,
    RecusalSituation,
    Relation,
    Unit,
    UnitKind,
)
from qinglian.core.errors import NotFoundError
from qinglian.declarations.facts import load_form_facts
from qinglian.declarations.findings import (
    detect_findings,
    finding_fingerprint,
    findings_by_category,
    list_findings,
)
from tests.factories import CODED_UNITS, add_cadre, add_units

AS_OF = date(2012, 8, 20)


@dataclass
class World:
    campaign: Campaign
    units: dict[str, Unit]
    cadres: dict[str, Cadre]
    declarations: dict[str, Declaration]


def _cadre(session: Session, staff_no: str, unit: Unit, category: int, **extra: Any) -> Cadre:
    return add_cadre(
        session, unit, staff_no=staff_no, name=f"干部{staff_no}", scope_category=category, **extra
    )


def declare(
    session: Session,
    campaign: Campaign,
    cadre: Cadre,
    *rows: Any,
    version: int = 1,
    **extra: Any,
) -> Declaration:
    """A new current version of the cadre's form; the previous version stops being current."""
    for previous in session.exec(
        select(Declaration).where(
            Declaration.campaign_id == campaign.id, Declaration.cadre_id == cadre.id
        )
    ):
        previous.is_current = False
    declaration = Declaration(
        campaign_id=campaign.id,
        cadre_id=cadre.id,
        unit_id=cadre.unit_id,
        version=version,
        submitted_on=date(2012, 8, 8),
        content_hash=f"{cadre.staff_no}-{version}",
        amendment_reason="补充填报" if version > 1 else "",
        **extra,
    )
    session.add(declaration)
    session.flush()
    for row in rows:
        row.declaration_id = declaration.id
        session.add(row)
    session.flush()
    return declaration


def relative(
    name: str, relation: Relation, employer: str, business_type: BusinessType, **extra: Any
) -> DeclaredRelative:
    """A 亲属从业 row (row 2 unless told) of a relative working within jurisdiction."""
    fields: dict[str, Any] = {"row": 2, "within_jurisdiction": True, **extra}
    return DeclaredRelative(
        declaration_id=0,
        sheet="亲属从业",
        name=name,
        relation=relation,
        employer=employer,
        business_type=business_type,
        **fields,
    )


def post(organisation: str, org_type: OrgType, title: str, **extra: Any) -> DeclaredPost:
    """A 本人兼职 row, on row 2."""
    return DeclaredPost(
        declaration_id=0,
        sheet="本人兼职",
        row=2,
        organisation=organisation,
        org_type=org_type,
        post=title,
        **extra,
    )


def spouse_in_pharma(row: int = 2, employer: str = "连云港康泰医药有限公司") -> DeclaredRelative:
    return relative(
        "王某", Relation.spouse, employer, BusinessType.pharma_sales, row=row, position="销售经理"
    )


def hospital_head(**extra: Any) -> DeclaredPost:
    """The director's post: heading a hospital within the bureau's jurisdiction."""
    return post(
        "连云港市第一人民医院",
        OrgType.medical_unit_in_jurisdiction,
        "院长",
        is_leadership=True,
        **extra,
    )


@pytest.fixture
def world(session: Session) -> World:
    """A province, two city bureaus, a hospital with a department, and six cadres' forms."""
    province, city, other_city, hospital, department = add_units(session, CODED_UNITS).values()
    campaign = Campaign(
        template_key="coi-2012",
        title="防止利益冲突专项活动",
        root_unit_id=province.id,
        start_on=date(2012, 7, 16),
    )
    session.add(campaign)
    session.flush()

    director = _cadre(session, "L001", city, 1)
    president = _cadre(session, "F001", hospital, 3)
    head = _cadre(session, "F101", department, 4)
    retiree = _cadre(session, "L009", city, 2, retired=True, left_on=date(2011, 3, 31))
    nanjing = _cadre(session, "N001", other_city, 1)
    amended_clean = _cadre(session, "L002", city, 1)

    declarations = {
        "director": declare(
            session,
            campaign,
            director,
            spouse_in_pharma(),
            hospital_head(approved=True),
        ),
        "president": declare(
            session,
            campaign,
            president,
            relative("顾某", Relation.child, "中美史克", BusinessType.foreign_pharma_senior_post),
            post("连云港市医学会", OrgType.health_social_org, "副会长", approved=True, paid=True),
        ),
        "head": declare(
            session,
            campaign,
            head,
            relative("陈某", Relation.spouse, "西安杨森", BusinessType.foreign_pharma_senior_post),
            DeclaredRecusal(
                declaration_id=0,
                sheet="回避事项",
                row=2,
                situation=RecusalSituation.procurement,
                matter="超声设备采购",
                recused=False,
            ),
        ),
        "retiree": declare(
            session,
            campaign,
            retiree,
            DeclaredRetirementJob(
                declaration_id=0,
                sheet="离退休后从业",
                row=2,
                employer="连云港仁和医院有限公司",
                employer_type=EmployerType.for_profit_medical,
                within_former_jurisdiction=True,
                started_on=date(2012, 1, 1),
            ),
            left_within_3_years=True,
        ),
        "nanjing": declare(session, campaign, nanjing, spouse_in_pharma()),
    }
    # An earlier version had a problem the amendment no longer declares: only current counts.
    declare(session, campaign, amended_clean, spouse_in_pharma())
    declarations["amended_clean"] = declare(
        session, campaign, amended_clean, version=2, nothing_to_declare=True
    )
    session.commit()
    return World(
        campaign=campaign,
        units={
            "province": province,
            "city": city,
            "other_city": other_city,
            "hospital": hospital,
            "department": department,
        },
        cadres={
            "director": director,
            "president": president,
            "head": head,
            "retiree": retiree,
            "nanjing": nanjing,
            "amended_clean": amended_clean,
        },
        declarations=declarations,
    )


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Finding)).one()


def _categories(session: Session, cadre: Cadre) -> set[FindingCategory]:
    found = session.exec(select(Finding.category).where(Finding.cadre_id == cadre.id)).all()
    assert len(found) == len(set(found))
    return set(found)


# --- loading -------------------------------------------------------------------------------


def test_load_form_facts_reads_current_versions_with_their_rows(
    session: Session, world: World
) -> None:
    forms = {
        form.declaration_id: form
        for form in load_form_facts(session=session, campaign_id=world.campaign.id)
    }

    assert set(forms) == {d.id for d in world.declarations.values()}
    director = forms[world.declarations["director"].id]
    assert director.unit_kind is UnitKind.health_admin
    assert director.scope_category == 1
    assert [(r.sheet, r.row, r.relation) for r in director.relatives] == [
        ("亲属从业", 2, Relation.spouse)
    ]
    assert director.posts[0].org_type is OrgType.medical_unit_in_jurisdiction
    retiree = forms[world.declarations["retiree"].id]
    assert retiree.left_on == date(2011, 3, 31)
    assert retiree.left_within_3_years
    assert retiree.retirement_jobs[0].employer_type is EmployerType.for_profit_medical
    assert forms[world.declarations["head"].id].recusals[0].recused is False
    amended = forms[world.declarations["amended_clean"].id]
    assert amended.version == 2
    assert amended.relatives == ()


def test_load_form_facts_for_some_units_in_chunks(session: Session, world: World) -> None:
    # 2,000 ids: more than one IN (...) chunk, with the real ones in different chunks.
    unit_ids = [*range(10_000, 11_999), world.units["hospital"].id]
    unit_ids.insert(0, world.units["department"].id)

    forms = load_form_facts(session=session, campaign_id=world.campaign.id, unit_ids=unit_ids)

    assert {form.declaration_id for form in forms} == {
        world.declarations["president"].id,
        world.declarations["head"].id,
    }
    assert load_form_facts(session=session, campaign_id=world.campaign.id, unit_ids=[]) == []


# --- detecting and recording ---------------------------------------------------------------


def test_detect_findings_records_one_open_finding_per_hit(session: Session, world: World) -> None:
    counts = detect_findings(session=session, campaign_id=world.campaign.id, as_of=AS_OF)
    session.commit()

    assert counts.forms == 6
    assert counts.created == counts.hits == 7
    assert counts.existing == 0
    assert counts.created_by_category[FindingCategory.relative_business] == 2
    assert _categories(session, world.cadres["director"]) == {
        FindingCategory.relative_business,
        FindingCategory.concurrent_leadership,
    }
    assert _categories(session, world.cadres["president"]) == {
        FindingCategory.relative_foreign_post,
        FindingCategory.unapproved_or_paid_post,
    }
    # Category 4: the foreign-post rule does not apply, the recusal rule does.
    assert _categories(session, world.cadres["head"]) == {FindingCategory.recusal_not_observed}
    assert _categories(session, world.cadres["retiree"]) == {
        FindingCategory.post_retirement_employment
    }
    assert _categories(session, world.cadres["amended_clean"]) == set()

    finding = session.exec(
        select(Finding).where(
            Finding.cadre_id == world.cadres["director"].id,
            Finding.category == FindingCategory.relative_business,
        )
    ).one()
    assert finding.source is FindingSource.self_declared
    assert finding.status is FindingStatus.open
    assert finding.unit_id == world.units["city"].id
    assert finding.found_on == AS_OF
    assert finding.evidence == {
        "declaration_id": world.declarations["director"].id,
        "version": 1,
        "rows": [["亲属从业", 2]],
    }
    assert finding.summary == "配偶在「连云港康泰医药有限公司」从事药品销售（管辖范围内）"
    assert finding.fingerprint == finding_fingerprint(
        world.campaign.id,
        world.cadres["director"].id,
        FindingSource.self_declared,
        FindingCategory.relative_business,
        "spouse|王某|连云港康泰医药有限公司",
    )
    assert finding.created_at is not None


def test_detect_findings_twice_creates_nothing_new(session: Session, world: World) -> None:
    detect_findings(session=session, campaign_id=world.campaign.id, as_of=AS_OF)
    session.commit()

    again = detect_findings(session=session, campaign_id=world.campaign.id, as_of=date(2012, 9, 1))
    session.commit()

    assert again.created == 0
    assert again.existing == again.hits == 7
    assert _count(session) == 7


def test_amendment_keeping_the_fact_adds_no_finding(session: Session, world: World) -> None:
    detect_findings(session=session, campaign_id=world.campaign.id, as_of=AS_OF)
    director = world.cadres["director"]
    # Same relative and employer, on another row, typed with stray spaces.
    declare(
        session,
        world.campaign,
        director,
        spouse_in_pharma(row=5, employer="连云港康泰医药 有限公司"),
        hospital_head(),
        version=2,
    )

    counts = detect_findings(session=session, campaign_id=world.campaign.id, as_of=AS_OF)

    assert counts.created == 0
    assert _count(session) == 7


def test_amendment_adding_a_fact_adds_one_finding(session: Session, world: World) -> None:
    detect_findings(session=session, campaign_id=world.campaign.id, as_of=AS_OF)
    director = world.cadres["director"]
    declaration = declare(
        session,
        world.campaign,
        director,
        spouse_in_pharma(),
        hospital_head(),
        relative(
            "王小某", Relation.child, "江苏华康器械有限公司", BusinessType.device_sales, row=3
        ),
        version=2,
    )

    counts = detect_findings(session=session, campaign_id=world.campaign.id, as_of=AS_OF)
    session.commit()

    assert counts.created == 1
    assert counts.created_by_category == {FindingCategory.relative_business: 1}
    assert _count(session) == 8
    newest = session.exec(select(Finding).order_by(Finding.id.desc())).first()  # type: ignore[union-attr]
    assert newest is not None
    assert newest.evidence == {
        "declaration_id": declaration.id,
        "version": 2,
        "rows": [["亲属从业", 3]],
    }
    assert "子女" in newest.summary


def test_detect_findings_for_some_units_only(session: Session, world: World) -> None:
    counts = detect_findings(
        session=session,
        campaign_id=world.campaign.id,
        as_of=AS_OF,
        unit_ids=[world.units["other_city"].id],
    )

    assert counts.forms == 1
    assert counts.created == 1
    assert _categories(session, world.cadres["nanjing"]) == {FindingCategory.relative_business}


def test_detect_findings_for_unknown_campaign(session: Session) -> None:
    with pytest.raises(NotFoundError):
        detect_findings(session=session, campaign_id=999, as_of=AS_OF)


# --- listing and counting ------------------------------------------------------------------


def test_list_findings_by_unit_and_subtree(session: Session, world: World) -> None:
    detect_findings(session=session, campaign_id=world.campaign.id, as_of=AS_OF)
    session.commit()
    campaign_id = world.campaign.id
    city = world.units["city"]

    everything = list_findings(session=session, campaign_id=campaign_id)
    own = list_findings(session=session, campaign_id=campaign_id, unit_id=city.id)
    below = list_findings(session=session, campaign_id=campaign_id, unit_id=city.id, subtree=True)
    foreign = list_findings(
        session=session,
        campaign_id=campaign_id,
        unit_id=world.units["province"].id,
        subtree=True,
        category=FindingCategory.relative_foreign_post,
    )

    assert len(everything) == 7
    assert {view.unit_code for view in own} == {"3207"}
    assert len(own) == 3  # director's two, the retiree's one
    assert {view.unit_code for view in below} == {"3207", "320701", "32070101"}
    assert len(below) == 6
    assert [(view.unit_code, view.category_label) for view in foreign] == [
        ("320701", FindingCategory.relative_foreign_post.label)
    ]
    assert [view.id for view in everything] == sorted(view.id for view in everything)
    assert list_findings(session=session, campaign_id=campaign_id, limit=2, offset=6)[0].id == (
        everything[6].id
    )
    assert (
        list_findings(session=session, campaign_id=campaign_id, status=FindingStatus.closed) == []
    )


def test_findings_by_category_for_a_subtree(session: Session, world: World) -> None:
    detect_findings(session=session, campaign_id=world.campaign.id, as_of=AS_OF)
    session.commit()

    city = findings_by_category(
        session=session, campaign_id=world.campaign.id, unit_id=world.units["city"].id
    )
    whole = findings_by_category(session=session, campaign_id=world.campaign.id)
    hospital = findings_by_category(
        session=session, campaign_id=world.campaign.id, unit_id=world.units["hospital"].id
    )

    assert city[FindingCategory.relative_business] == 1
    assert whole[FindingCategory.relative_business] == 2
    assert sum(city.values()) == 6
    assert sum(whole.values()) == 7
    assert hospital == {
        **{category: 0 for category in FindingCategory},
        FindingCategory.relative_foreign_post: 1,
        FindingCategory.unapproved_or_paid_post: 1,
        FindingCategory.recusal_not_observed: 1,
    }
    with pytest.raises(NotFoundError):
        findings_by_category(session=session, campaign_id=world.campaign.id, unit_id=999_999)
