"""SQLModel tables and pydantic schemas. No Prefect here."""

# Every table module is imported so that SQLModel.metadata (and Alembic) sees them all.
from models import complaint, inspection, outbox, rectification, summary  # noqa: F401
from models.cadre import Cadre, CadreCreate, CadrePublic
from models.campaign import Campaign, Deliverable, LeadingGroupMember, Phase
from models.enums import DeliverableStatus, GroupRole, Level, UnitKind
from models.finding import (
    Finding,
    FindingCategory,
    FindingSource,
    FindingStatus,
    RuleDecision,
    RuleReviewItem,
)
from models.form import (
    BusinessType,
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
    EmployerType,
    OrgType,
    RecusalSituation,
    Relation,
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
