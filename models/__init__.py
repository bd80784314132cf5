"""SQLModel tables and pydantic schemas. No Prefect here."""

from models.cadre import Cadre, CadreCreate, CadrePublic
from models.campaign import Campaign, Deliverable, LeadingGroupMember, Phase
from models.enums import DeliverableStatus, GroupRole, Level, UnitKind
from models.unit import Unit, UnitCreate, UnitPublic

__all__ = [
    "Cadre",
    "CadreCreate",
    "CadrePublic",
    "Campaign",
    "Deliverable",
    "DeliverableStatus",
    "GroupRole",
    "LeadingGroupMember",
    "Level",
    "Phase",
    "Unit",
    "UnitCreate",
    "UnitKind",
    "UnitPublic",
]
