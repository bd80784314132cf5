"""The declaration form (《卫生系统领导干部防止利益冲突有关事项报告表》), one per cadre per campaign.

Each submission or amendment is a new ``Declaration`` version; earlier versions stay, marked not
current, with the amendment's reason on the new one. Section rows belong to one version.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.campaign import utcnow
from models.enums import BusinessType, EmployerType, OrgType, RecusalSituation, Relation


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
