"""In-scope cadres (适用对象) and the unit that manages each (干部管理权限)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class CadreBase(SQLModel):
    staff_no: str = Field(max_length=64, index=True, unique=True)
    name: str = Field(max_length=100)
    post: str = Field(default="", max_length=200)
    rank: str = Field(default="", max_length=100)
    scope_category: int = Field(ge=1, le=4, description="Article 2 category 1–4")
    retired: bool = False
    left_on: date | None = None


class Cadre(CadreBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    managing_unit_id: int = Field(foreign_key="unit.id", index=True)


class CadreCreate(CadreBase):
    unit_code: str
    managing_unit_code: str | None = None


class CadrePublic(CadreBase):
    id: int
    unit_id: int
    managing_unit_id: int
