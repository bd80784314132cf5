"""The organisational tree: one row per unit, ministry down to department."""

from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.enums import Level, UnitKind


class UnitBase(SQLModel):
    code: str = Field(max_length=64, index=True, unique=True)
    name: str = Field(max_length=200)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    level: Level
    kind: UnitKind
    office_email: str | None = Field(default=None, max_length=200)
    office_webhook: str | None = Field(
        default=None, max_length=100, description="a notification target name, never a URL"
    )
    head: str | None = Field(default=None, max_length=100)
    discipline_email: str | None = Field(default=None, max_length=200)


class Unit(UnitBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    # Materialised path "/1/5/17/" so a subtree is one indexed LIKE, not a recursive walk.
    path: str = Field(default="/", max_length=1000, index=True)
    depth: int = 0


class UnitCreate(UnitBase):
    parent_code: str | None = None


class UnitPublic(UnitBase):
    id: int
    parent_id: int | None
    depth: int
