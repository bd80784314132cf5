"""SQLModel tables and pydantic schemas. No Prefect here."""

# Every table module is imported so that SQLModel.metadata (and Alembic) sees them all.
from models import (  # noqa: F401
    account,
    adopted_plan,
    complaint,
    inspection,
    intake,
    outbox,
    phase_pass,
    rectification,
    summary,
)
from models.cadre import Cadre, CadreCreate, CadrePublic
from models.campaign import Campaign, Deliverable, LeadingGroupMember, Phase
from models.enums import (
    BusinessType,
    DeliverableStatus,
    EmployerType,
    FindingCategory,
    FindingSource,
    FindingStatus,
    GroupRole,
    Level,
    OrgType,
    RecusalSituation,
    Relation,
    RuleDecision,
    UnitKind,
)
from models.finding import Finding, RuleReviewItem
from models.form import (
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
)
from models.unit import Unit, UnitCreate, UnitPublic

__all__ = [
    "BusinessType",
    "Cadre",
    "CadreCreate",
    "CadrePublic",
    "Campaign",
    "Declaration",
    "DeclaredPost",
    "DeclaredRecusal",
    "DeclaredRelative",
    "DeclaredRetirementJob",
    "Deliverable",
    "DeliverableStatus",
    "EmployerType",
    "Finding",
    "FindingCategory",
    "FindingSource",
    "FindingStatus",
    "GroupRole",
    "LeadingGroupMember",
    "Level",
    "OrgType",
    "Phase",
    "RecusalSituation",
    "Relation",
    "RuleDecision",
    "RuleReviewItem",
    "Unit",
    "UnitCreate",
    "UnitKind",
    "UnitPublic",
]
