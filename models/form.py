"""The declaration form (《卫生系统领导干部防止利益冲突有关事项报告表》), one per cadre per campaign.

Each submission or amendment is a new ``Declaration`` version; earlier versions stay, marked not
current, with the amendment's reason on the new one. Section rows belong to one version.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow


class Relation(StrEnum):
    spouse = "spouse"
    child = "child"
    child_spouse = "child_spouse"

    @property
    def label(self) -> str:
        return RELATION_LABELS[self]


RELATION_LABELS = {
    Relation.spouse: "配偶",
    Relation.child: "子女",
    Relation.child_spouse: "子女的配偶",
}


class BusinessType(StrEnum):
    pharma_sales = "pharma_sales"
    device_sales = "device_sales"
    other_for_profit_health = "other_for_profit_health"
    foreign_pharma_senior_post = "foreign_pharma_senior_post"
    other = "other"

    @property
    def label(self) -> str:
        return BUSINESS_TYPE_LABELS[self]


BUSINESS_TYPE_LABELS = {
    BusinessType.pharma_sales: "药品销售",
    BusinessType.device_sales: "医疗器械销售",
    BusinessType.other_for_profit_health: "其他营利性医疗卫生经营活动",
    BusinessType.foreign_pharma_senior_post: "外资/合资医药企业外方委派高级职务",
    BusinessType.other: "其他",
}


class OrgType(StrEnum):
    medical_unit_in_jurisdiction = "medical_unit_in_jurisdiction"
    health_social_org = "health_social_org"
    other = "other"

    @property
    def label(self) -> str:
        return ORG_TYPE_LABELS[self]


ORG_TYPE_LABELS = {
    OrgType.medical_unit_in_jurisdiction: "管辖范围内医疗卫生单位",
    OrgType.health_social_org: "卫生社会组织",
    OrgType.other: "其他",
}


class EmployerType(StrEnum):
    for_profit_medical = "for_profit_medical"
    health_product_company = "health_product_company"
    other = "other"

    @property
    def label(self) -> str:
        return EMPLOYER_TYPE_LABELS[self]


EMPLOYER_TYPE_LABELS = {
    EmployerType.for_profit_medical: "营利性医疗卫生机构",
    EmployerType.health_product_company: "健康相关产品生产企业",
    EmployerType.other: "其他",
}


class RecusalSituation(StrEnum):
    """The six situations of 执行公务回避 (seed 000/002, Article on recusal)."""

    personnel = "personnel"
    procurement = "procurement"
    evaluation = "evaluation"
    product_review = "product_review"
    self_declared = "self_declared"
    other = "other"

    @property
    def label(self) -> str:
        return RECUSAL_LABELS[self]


RECUSAL_LABELS = {
    RecusalSituation.personnel: "干部任免、职称晋升、考录考核奖惩",
    RecusalSituation.procurement: "招投标采购、基建承发包、重大资金拨付",
    RecusalSituation.evaluation: "评审评估、考核医疗卫生单位或科研项目",
    RecusalSituation.product_review: "审评审批、检验检测健康相关产品生产企业",
    RecusalSituation.self_declared: "本人认为有利害关系",
    RecusalSituation.other: "其他可能影响公正执行公务",
}


class Declaration(SQLModel, table=True):
    """One version of a cadre's form in a campaign."""

    __table_args__ = (UniqueConstraint("campaign_id", "cadre_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    cadre_id: int = Field(foreign_key="cadre.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    version: int = 1
    is_current: bool = Field(default=True, index=True)
    submitted_on: date
    signed_on: date | None = None
    nothing_to_declare: bool = False
    left_within_3_years: bool = False
    amendment_reason: str = Field(default="", max_length=1000)
    content_hash: str = Field(max_length=64, description="sha256 of the normalised content")
    source_file: str = Field(default="", max_length=300)
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class _SectionRow(SQLModel):
    declaration_id: int = Field(foreign_key="declaration.id", index=True)
    sheet: str = Field(max_length=50)
    row: int


class DeclaredRelative(_SectionRow, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    relation: Relation
    employer: str = Field(default="", max_length=300)
    position: str = Field(default="", max_length=200)
    business_type: BusinessType = BusinessType.other
    within_jurisdiction: bool = False


class DeclaredPost(_SectionRow, table=True):
    """A concurrent post of the cadre (本人兼职)."""

    id: int | None = Field(default=None, primary_key=True)
    organisation: str = Field(max_length=300)
    org_type: OrgType = OrgType.other
    post: str = Field(default="", max_length=200)
    is_leadership: bool = False
    approved: bool = False
    paid: bool = False


class DeclaredRetirementJob(_SectionRow, table=True):
    """Employment after leaving office (离退休后从业)."""

    id: int | None = Field(default=None, primary_key=True)
    employer: str = Field(max_length=300)
    employer_type: EmployerType = EmployerType.other
    within_former_jurisdiction: bool = False
    started_on: date | None = None


class DeclaredRecusal(_SectionRow, table=True):
    """A matter where recusal applied (执行公务回避) and whether the cadre stood aside."""

    id: int | None = Field(default=None, primary_key=True)
    situation: RecusalSituation
    matter: str = Field(max_length=500)
    occurred_on: date | None = None
    recused: bool = True
